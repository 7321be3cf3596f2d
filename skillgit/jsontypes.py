"""The type of a JSON document as skillgit writes one (`--json` output, reports, the requests runners and
proposers read): what `json.dumps` takes without a `default`. Values read from JSON or YAML files are `Any`
only inside the function that decodes them (the boundaries listed in scripts/code_stats.py); past it they are
typed: a checked mapping as a TypedDict, anything else as `JSON` or `object` narrowed with isinstance."""

from __future__ import annotations

from typing import TypeAlias

JSON: TypeAlias = "str | int | float | bool | None | list[JSON] | dict[str, JSON]"
JSONObject: TypeAlias = "dict[str, JSON]"
