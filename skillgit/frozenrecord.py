"""`Record`: equality, hash and repr of a frozen dataclass, written once for every record class.

Python 3.11's `dataclass` compiles each method it generates, one `exec` of generated source per method
and class, when the module is imported. A frozen record gets six (`__init__`, `__repr__`, `__eq__`,
`__hash__`, `__setattr__`, `__delattr__`), and every `skillgit` process pays for them at start: the
38 dataclasses an ingest of unchanged traces imports took about a quarter of its instructions. A record
declared

    @dataclass(frozen=True, eq=False, repr=False)
    class Skill(Record):
        ...

takes the three generic ones from here instead and gives the same answers as the generated ones:
`==` compares the fields with `compare=True`, in order, between instances of the same class; the hash
is `hash` of the tuple of the fields with `hash=True` (or `hash=None` and `compare=True`), the same
value the generated `__hash__` returns; the repr is `Name(field=value, …)` over the fields with
`repr=True`, and `...` for a record that contains itself.
"""

from __future__ import annotations

import dataclasses
import reprlib
from collections.abc import Callable
from operator import attrgetter

_Getter = Callable[[object], tuple[object, ...]]


def _getter(names: list[str]) -> _Getter:
    """A function giving the tuple of `names`' values of an object (`attrgetter` gives a bare value for
    one name)."""
    if len(names) > 1:
        return attrgetter(*names)
    if names:
        single = attrgetter(names[0])
        return lambda record: (single(record),)
    return lambda record: ()


class _Getters(dict[type, tuple[_Getter, _Getter, tuple[str, ...]]]):
    """Per record class: the getter of its compared fields, of its hashed fields, and its repr's names."""

    def __missing__(self, cls: type) -> tuple[_Getter, _Getter, tuple[str, ...]]:
        fields = dataclasses.fields(cls)
        compared = [f.name for f in fields if f.compare]
        hashed = [f.name for f in fields if (f.compare if f.hash is None else f.hash)]
        self[cls] = entry = (_getter(compared), _getter(hashed), tuple(f.name for f in fields if f.repr))
        return entry


_GETTERS = _Getters()


class Record:
    """The base of frozen dataclass records declared with `eq=False, repr=False` (see the module)."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            compared = _GETTERS[self.__class__][0]
            return compared(self) == compared(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(_GETTERS[self.__class__][1](self))

    @reprlib.recursive_repr()
    def __repr__(self) -> str:
        names = _GETTERS[self.__class__][2]
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in names)
        return f"{self.__class__.__qualname__}({shown})"
