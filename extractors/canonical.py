"""The canonical input format: ``people.jsonl`` and ``posts.jsonl``, read and validated record by record.

A malformed record becomes a :class:`Reject` naming file, line, field and reason; the rest of the file is still
read. The format is described for users in ``docs/input-format.md``.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from extractors.errors import InputError
from graph.delta import Person

PEOPLE_FILE = "people.jsonl"
POSTS_FILE = "posts.jsonl"

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class PostRecord:
    """One validated line of ``posts.jsonl``, before any analysis."""

    id: str
    author: str
    created_at: datetime
    """Timezone-aware, in UTC."""
    co_authors: tuple[str, ...] = ()
    space: str | None = None
    title: str | None = None
    text: str = ""
    reply_to: str | None = None
    url: str | None = None
    audience: tuple[str, ...] = ()
    """Person ids and ``team:<team>`` entries; empty means everyone."""
    mentions: tuple[str, ...] = ()
    """Explicit mentions: person ids or handles."""
    tags: tuple[str, ...] = ()
    """Topic hints from the source's own metadata (e.g. Stack Exchange tags); never analysed as text."""
    line: int = field(default=0, compare=False)
    """Line number in ``posts.jsonl`` (1-based), so later checks can still reject with a position."""


@dataclass(frozen=True, slots=True)
class Reject:
    """A record that was not imported, and why."""

    file: str
    line: int
    field: str | None
    reason: str
    record_id: str | None = None


@dataclass(frozen=True, slots=True)
class CanonicalBatch:
    people: tuple[Person, ...]
    posts: tuple[PostRecord, ...]
    rejects: tuple[Reject, ...]
    read: int
    """Records read from both files (blank lines are not records)."""


class _Bad(Exception):
    """One field of one record is unusable; becomes a Reject."""

    def __init__(self, field_name: str | None, reason: str) -> None:
        super().__init__(reason)
        self.field = field_name
        self.reason = reason


def read_canonical(directory: Path) -> CanonicalBatch:
    """Read ``people.jsonl`` and ``posts.jsonl`` from ``directory``; either file may be absent, not both."""
    directory = Path(directory)
    if not directory.is_dir():
        raise InputError(
            f"input directory {str(directory)!r} does not exist; pass a directory holding "
            f"{PEOPLE_FILE} and/or {POSTS_FILE}"
        )
    people_path, posts_path = directory / PEOPLE_FILE, directory / POSTS_FILE
    if not people_path.is_file() and not posts_path.is_file():
        raise InputError(
            f"neither {PEOPLE_FILE} nor {POSTS_FILE} found in {str(directory)!r}; "
            "see docs/input-format.md for the expected files"
        )
    rejects: list[Reject] = []
    # Hundreds of thousands of small records that all survive: the cyclic collector can only slow this down.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        people, read_people = _read_file(people_path, _person, rejects)
        posts, read_posts = _read_file(posts_path, _post, rejects)
    finally:
        if was_enabled:
            gc.enable()
    return CanonicalBatch(
        people=tuple(people), posts=tuple(posts), rejects=tuple(rejects), read=read_people + read_posts
    )


def write_rejects(rejects: Iterable[Reject], path: Path) -> None:
    """Append rejects to ``path`` as JSON lines (the file and its directory are created if missing)."""
    rows = [
        json.dumps(
            {"file": r.file, "line": r.line, "field": r.field, "reason": r.reason, "record_id": r.record_id},
            ensure_ascii=False,
        )
        for r in rejects
    ]
    if not rows:
        return
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as out:
        out.write("\n".join(rows) + "\n")


def _read_file(path: Path, build: Callable[[dict[str, Any], int], _T], rejects: list[Reject]) -> tuple[list[_T], int]:
    if not path.is_file():
        return [], 0
    name = path.name
    records: list[_T] = []
    seen: dict[str, tuple[dict[str, Any], int]] = {}
    read = 0
    for number, raw in _lines(path):
        read += 1
        try:
            obj = _parse(raw)
            record_id = _required_str(obj, "id")
        except _Bad as bad:
            rejects.append(Reject(name, number, bad.field, bad.reason, _loose_id(raw)))
            continue
        first = seen.get(record_id)
        if first is not None:
            if first[0] != obj:
                rejects.append(
                    Reject(
                        name,
                        number,
                        "id",
                        f"duplicate id {record_id!r} with different content "
                        f"(line {first[1]} is kept); give each record its own id",
                        record_id,
                    )
                )
            continue
        try:
            records.append(build(obj, number))
        except _Bad as bad:
            rejects.append(Reject(name, number, bad.field, bad.reason, record_id))
            continue
        seen[record_id] = (obj, number)
    return records, read


def _lines(path: Path) -> Iterator[tuple[int, str | bytes]]:
    """Non-blank lines with their 1-based numbers; undecodable lines are passed on as bytes to be rejected."""
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise InputError(f"cannot read {str(path)!r}: {exc.strerror}; check the file's permissions") from exc
    with handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield number, line.decode("utf-8")
            except UnicodeDecodeError:
                yield number, line


def _parse(raw: str | bytes) -> dict[str, Any]:
    if isinstance(raw, bytes):
        raise _Bad(None, "line is not valid UTF-8; save the file as UTF-8")
    try:
        obj = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise _Bad(
            None, f"not valid JSON ({exc.msg} at column {exc.colno}); each line must be one JSON object"
        ) from None
    if not isinstance(obj, dict):
        raise _Bad(None, f"expected a JSON object, got {type(obj).__name__}")
    return obj


def _loose_id(raw: str | bytes) -> str | None:
    """The record's id when the line parses far enough to have one, for the rejects file."""
    try:
        obj = json.loads(raw)
    except (ValueError, TypeError):
        return None
    value = obj.get("id") if isinstance(obj, dict) else None
    if not isinstance(value, str):
        return None
    return value.strip() or None


def _person(obj: dict[str, Any], line: int) -> Person:
    del line
    return Person(
        id=_required_str(obj, "id"),
        name=_required_str(obj, "name"),
        email=_optional_str(obj, "email"),
        handles=tuple(h.lstrip("@") for h in _str_list(obj, "handles") if h.lstrip("@")),
        team=_optional_str(obj, "team"),
        department=_optional_str(obj, "department"),
        title=_optional_str(obj, "title"),
        location=_optional_str(obj, "location"),
        manager=_optional_str(obj, "manager"),
        started_at=_optional_date(obj, "started_at"),
        opted_out=_optional_bool(obj, "opted_out"),
    )


def _post(obj: dict[str, Any], line: int) -> PostRecord:
    # The hot path of an import. Fields are checked in the same order as always, but a well-formed value is taken
    # without a call; anything unusual goes through the helper, which also words the rejection.
    get = obj.get
    author = get("author")
    author = author.strip() if type(author) is str and author.strip() else _required_str(obj, "author")
    created_at = _optional_date(obj, "created_at")
    if created_at is None:
        raise _Bad("created_at", "missing required field 'created_at' (an ISO-8601 date-time)")
    text = get("text")
    if text is None:
        text = ""
    elif not isinstance(text, str):
        raise _Bad("text", f"expected a string, got {_type_name(text)}")
    co_authors = get("co_authors")
    if co_authors:
        co_authors = tuple(dict.fromkeys(c for c in _str_list(obj, "co_authors") if c != author))
    else:  # absent, [] or a falsy value of the wrong type, which _str_list rejects
        co_authors = () if co_authors is None else tuple(_str_list(obj, "co_authors"))
    space = get("space")
    space = (space.strip() or None) if type(space) is str else _optional_str(obj, "space")
    title = get("title")
    title = (title.strip() or None) if type(title) is str else _optional_str(obj, "title")
    reply_to = get("reply_to")
    reply_to = (reply_to.strip() or None) if type(reply_to) is str else _optional_str(obj, "reply_to")
    url = get("url")
    url = (url.strip() or None) if type(url) is str else _optional_str(obj, "url")
    audience = _audience(obj) if "audience" in obj else ()
    mentions = get("mentions")
    if mentions:
        mentions = tuple(dict.fromkeys(m.lstrip("@") for m in _str_list(obj, "mentions") if m.lstrip("@")))
    else:
        mentions = () if mentions is None else tuple(_str_list(obj, "mentions"))
    tags = get("tags")
    tags = () if tags is None else tuple(dict.fromkeys(_str_list(obj, "tags")))
    return PostRecord(
        _required_str(obj, "id"), author, created_at, co_authors, space, title, text, reply_to, url, audience,
        mentions, tags, line
    )  # fmt: skip


def _type_name(value: object) -> str:
    return (
        "null"
        if value is None
        else {"str": "string", "dict": "object", "list": "array"}.get(type(value).__name__, type(value).__name__)
    )


def _required_str(obj: dict[str, Any], name: str) -> str:
    if name not in obj or obj[name] is None:
        raise _Bad(name, f"missing required field {name!r}")
    value = obj[name]
    if not isinstance(value, str):
        raise _Bad(name, f"expected a string, got {_type_name(value)}")
    value = value.strip()
    if not value:
        raise _Bad(name, f"{name!r} is empty")
    return value


def _optional_str(obj: dict[str, Any], name: str) -> str | None:
    value = obj.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _Bad(name, f"expected a string or null, got {_type_name(value)}")
    return value.strip() or None


def _str_list(obj: dict[str, Any], name: str) -> list[str]:
    value = obj.get(name)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _Bad(name, f"expected a list of strings, got {_type_name(value)}")
    return [v.strip() for v in value if v.strip()]


def _optional_bool(obj: dict[str, Any], name: str) -> bool:
    value = obj.get(name)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise _Bad(name, f"expected true or false, got {_type_name(value)}")
    return value


def _optional_date(obj: dict[str, Any], name: str) -> datetime | None:
    value = obj.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _Bad(name, f"expected an ISO-8601 date string, got {_type_name(value)}")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise _Bad(name, f"unparseable date {value!r}; use ISO-8601 such as 2026-03-01T09:30:00Z") from None
    # Naive dates are taken as UTC: exports without offsets are almost always server time in UTC.
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _audience(obj: dict[str, Any]) -> tuple[str, ...]:
    value = obj.get("audience")
    if value is None or value == "everyone":
        return ()
    if isinstance(value, str):
        raise _Bad("audience", f'expected "everyone" or a list of person ids and team:<team> entries, got {value!r}')
    entries = _str_list(obj, "audience")
    if "everyone" in entries:
        return ()
    if not entries:
        raise _Bad("audience", 'empty audience list; omit the field or use "everyone" for public posts')
    return tuple(dict.fromkeys(entries))
