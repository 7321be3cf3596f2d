"""The type of a JSON document as skillgit writes one (`--json` output, reports, the requests runners and
proposers read): what `json.dumps` takes without a `default`. Values read from JSON or YAML files stay
`Any` where they are parsed and checked against a schema; what skillgit builds itself is typed `JSON`."""

from __future__ import annotations

from typing import TypeAlias

JSON: TypeAlias = "str | int | float | bool | None | list[JSON] | dict[str, JSON]"
JSONObject: TypeAlias = "dict[str, JSON]"
