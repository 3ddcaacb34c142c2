"""Finding the people a post mentions: ``@handle`` and ``@"Full Name"`` in its text, plus explicit mentions."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from graph.delta import Person

_HANDLE = re.compile(r"(?<![\w@])@([A-Za-z0-9_][\w.\-]*)")
_NAME = re.compile(r"(?<![\w@])@[\"“]([^\"”\n]{1,80})[\"”]")


@dataclass(frozen=True, slots=True)
class Mentions:
    people: tuple[str, ...]
    """Resolved person ids: explicit mentions first, then names and handles found in the text."""
    unresolved: int
    """Distinct mentions that matched nobody; they are counted, never turned into people."""


_NONE = Mentions(people=(), unresolved=0)


class MentionResolver:
    """Resolves handles, names and ids case-insensitively against a set of people.

    A handle wins over a name, a name over a bare id; a handle or name shared by two people resolves to nobody
    rather than to a guess.
    """

    def __init__(self, people: Iterable[Person]) -> None:
        handles: dict[str, set[str]] = {}
        names: dict[str, set[str]] = {}
        ids: dict[str, str] = {}
        for person in people:
            ids[person.id.lower()] = person.id
            names.setdefault(" ".join(person.name.lower().split()), set()).add(person.id)
            for handle in person.handles:
                handles.setdefault(handle.lower(), set()).add(person.id)
        self._handles = {k: next(iter(v)) for k, v in handles.items() if len(v) == 1}
        self._names = {k: next(iter(v)) for k, v in names.items() if len(v) == 1}
        self._ids = ids

    def resolve(self, text: str, explicit: Iterable[str] = ()) -> Mentions:
        if not explicit and "@" not in text:
            return _NONE
        found: dict[str, None] = {}
        unresolved: set[str] = set()
        candidates: list[tuple[str, bool]] = [(m, True) for m in explicit]
        if "@" in text:
            candidates += [(m.group(1), False) for m in _NAME.finditer(text)]
            candidates += [(m.group(1).rstrip(".-"), True) for m in _HANDLE.finditer(text)]
        for raw, is_handle in candidates:
            key = " ".join(raw.lower().split())
            person = self._lookup(key) if is_handle else self._names.get(key)
            if person is None:
                unresolved.add(key)
            else:
                found[person] = None
        return Mentions(people=tuple(found), unresolved=len(unresolved))

    def _lookup(self, key: str) -> str | None:
        return self._handles.get(key) or self._ids.get(key) or self._names.get(key)
