"""`Record`'s equality, hash and repr are the ones `dataclass` would generate, for every record of the
package and for the field options that change them."""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
from typing import Any

import pytest

import skillgit
from skillgit.frozenrecord import Record


class Value:
    """A field value with a chosen hash and repr, equal to another with the same tag."""

    def __init__(self, tag: str) -> None:
        self.tag = tag

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Value) and other.tag == self.tag

    def __hash__(self) -> int:
        return hash(self.tag)

    def __repr__(self) -> str:
        return f"<{self.tag}>"


def generated_twin(cls: type) -> type:
    """`cls`'s fields in a dataclass whose `__eq__`, `__hash__` and `__repr__` are generated."""
    specs = [(f.name, Any, dataclasses.field(compare=f.compare, hash=f.hash, repr=f.repr))
             for f in dataclasses.fields(cls)]
    twin = dataclasses.make_dataclass(cls.__name__, specs, frozen=True)
    twin.__qualname__ = cls.__qualname__
    return twin


def filled(cls: type, tags: dict[str, str]) -> Any:
    """An instance of `cls` with each field set to `Value(tags[name])`, without its `__init__`."""
    record = object.__new__(cls)
    for f in dataclasses.fields(cls):
        object.__setattr__(record, f.name, Value(tags[f.name]))
    return record


def assert_same_as_generated(cls: type) -> None:
    twin = generated_twin(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    base = {name: f"{name}-0" for name in names}
    variants = [base] + [{**base, name: f"{name}-1"} for name in names]
    for left in variants:
        for right in variants:
            ours, theirs = (filled(cls, left), filled(cls, right)), (filled(twin, left), filled(twin, right))
            assert (ours[0] == ours[1]) == (theirs[0] == theirs[1]), (cls, left, right)
            assert (ours[0] != ours[1]) == (theirs[0] != theirs[1]), (cls, left, right)
        assert hash(filled(cls, left)) == hash(filled(twin, left)), cls
        assert repr(filled(cls, left)) == repr(filled(twin, left)), cls
    assert filled(cls, base).__eq__(filled(twin, base)) is NotImplemented


def package_records() -> list[type]:
    found: dict[str, type] = {}
    for info in pkgutil.walk_packages(skillgit.__path__, "skillgit."):
        if ".demo." in info.name or info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, Record) and value is not Record:
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return [found[name] for name in sorted(found)]


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class Options(Record):
    plain: object
    not_compared: object = dataclasses.field(default=None, compare=False)
    hashed_only: object = dataclasses.field(default=None, compare=False, hash=True)
    not_hashed: object = dataclasses.field(default=None, hash=False)
    hidden: object = dataclasses.field(default=None, repr=False)


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class One(Record):
    only: object


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class NoFields(Record):
    pass


@dataclasses.dataclass(frozen=True, eq=False, repr=False, slots=True)
class Slotted(Record):
    first: object
    second: object


@pytest.mark.parametrize("cls", [Options, One, NoFields, Slotted], ids=lambda c: c.__name__)
def test_field_options_give_what_dataclass_generates(cls: type) -> None:
    assert_same_as_generated(cls)


def test_every_record_of_the_package_compares_hashes_and_shows_as_generated() -> None:
    records = package_records()
    assert len(records) >= 30, [r.__qualname__ for r in records]
    for cls in records:
        assert dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen, cls  # type: ignore[attr-defined]
        assert "__eq__" not in vars(cls) and "__hash__" not in vars(cls) and "__repr__" not in vars(cls), cls
        assert_same_as_generated(cls)


def test_a_record_containing_itself_shows_dots_as_generated() -> None:
    @dataclasses.dataclass(frozen=True, eq=False, repr=False)
    class Box(Record):
        items: list[object]

    box = Box([])
    box.items.append(box)
    twin = generated_twin(Box)([])
    twin.items.append(twin)
    assert repr(box) == repr(twin) == f"{Box.__qualname__}(items=[...])"

