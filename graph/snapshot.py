"""The embedded store's snapshot file: every stored record in one versioned, checksummed file replaced atomically.

Layout: a header line ``weaktie graph snapshot v<N>\\n``, a :mod:`marshal` payload (plain lists, tuples, dicts,
strings and numbers), then a trailer holding the payload's length, its CRC-32 and ``end\\n``. A file that is
truncated, altered or of an unknown version is refused with a :class:`~graph.errors.StoreError` that names it.
Version 2 added the controls (feedback, corrections, policies, do-not-pair, tokens, digests, suppression list);
version 1 files still load, with none of them.
"""

from __future__ import annotations

import marshal
import os
import struct
import tempfile
import zlib
from contextlib import suppress
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from operator import attrgetter
from pathlib import Path
from typing import Any, BinaryIO

from graph.controls import AccessToken, DigestRecord, DoNotPair, Feedback, Policy, TopicCorrection
from graph.delta import Expertise, Person, Post, SuggestionRecord, Team, Tie, Topic
from graph.errors import StoreError

FORMAT_VERSION = 2
READABLE_VERSIONS = frozenset({1, FORMAT_VERSION})
"""Version 1 has no controls; reading it is lossless. Older weaktie refuses version 2 rather than drop the
suppression list and digest reservations it cannot see."""
SNAPSHOT_FILE = "graph.snapshot"
TEMPORARY_SUFFIX = ".tmp"

_HEADER_PREFIX = b"weaktie graph snapshot v"
_TRAILER = struct.Struct(">QI4s")
_TRAILER_END = b"end\n"
_MARSHAL_VERSION = 4  # every Python since 3.4 reads it
_CHUNK = 1 << 20
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_RECORD_TYPES: dict[str, type] = {
    "people": Person,
    "teams": Team,
    "topics": Topic,
    "posts": Post,
    "ties": Tie,
    "expertise": Expertise,
    "suggestions": SuggestionRecord,
    "feedback": Feedback,
    "corrections": TopicCorrection,
    "policies": Policy,
    "do_not_pair": DoNotPair,
    "tokens": AccessToken,
    "digests": DigestRecord,
}


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything an embedded store holds. Relationships not listed here follow from the records."""

    people: tuple[Person, ...] = ()
    teams: tuple[Team, ...] = ()
    topics: tuple[Topic, ...] = ()
    posts: tuple[Post, ...] = ()
    ties: tuple[Tie, ...] = ()
    expertise: tuple[Expertise, ...] = ()
    suggestions: tuple[SuggestionRecord, ...] = ()
    unlinked: tuple[tuple[str, str, str], ...] = ()
    """``(post id, relationship type, target id)``: references of a post that have no relationship because the
    target was not stored when the post was written."""
    feedback: tuple[Feedback, ...] = ()
    corrections: tuple[TopicCorrection, ...] = ()
    policies: tuple[Policy, ...] = ()
    do_not_pair: tuple[DoNotPair, ...] = ()
    tokens: tuple[AccessToken, ...] = ()
    digests: tuple[DigestRecord, ...] = ()
    """As of this snapshot; the digest log it names may hold later ones."""
    suppressed: tuple[str, ...] = ()
    digest_log: str | None = None
    """The id of the digest log that continues this snapshot (see :mod:`graph.datadir`); ``None``: there is none."""


def write_snapshot(path: Path, snapshot: Snapshot) -> None:
    """Replace ``path`` with ``snapshot`` so that a crash at any point leaves either the old or the new file.

    The data goes to a temporary file in the same directory, is flushed to disk, renamed over ``path`` (atomic on
    POSIX) and the directory entry itself is flushed. A failed write removes its temporary file and re-raises.
    """
    # marshal rather than pickle: three times faster on ~10^6 small strings and tuples, and loading it cannot run
    # code, so a tampered file is at worst refused. It has no datetime, hence the integer times (see _encode_time).
    payload = marshal.dumps(_encode(snapshot), _MARSHAL_VERSION)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMPORARY_SUFFIX, dir=path.parent)
    try:
        with open(descriptor, "wb") as file:
            file.write(b"%s%d\n" % (_HEADER_PREFIX, FORMAT_VERSION))
            _write_all(file, memoryview(payload))
            file.write(_TRAILER.pack(len(payload), zlib.crc32(payload), _TRAILER_END))
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(temporary)
        raise
    fsync_directory(path.parent)


def read_snapshot(path: Path) -> Snapshot | None:
    """The snapshot stored at ``path``, or ``None`` if there is none yet."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise StoreError(f"cannot read the graph snapshot {path}: {error}; check that the file is readable") from error
    payload = _verified_payload(path, data)
    try:
        return _decode(marshal.loads(payload))
    except Exception as error:  # a file that passes the checksum but does not decode was written by something else
        raise _unreadable(path, f"its contents do not decode ({type(error).__name__}: {error})") from error


def is_temporary(path: Path) -> bool:
    """Whether ``path`` is a leftover of an interrupted :func:`write_snapshot` for :data:`SNAPSHOT_FILE`."""
    return path.name.startswith(f".{SNAPSHOT_FILE}.") and path.name.endswith(TEMPORARY_SUFFIX)


def _write_all(file: BinaryIO, data: memoryview) -> None:
    for start in range(0, len(data), _CHUNK):
        file.write(data[start : start + _CHUNK])


def _verified_payload(path: Path, data: bytes) -> memoryview:
    newline = data.find(b"\n", 0, 64)
    if newline < 0 or not data.startswith(_HEADER_PREFIX):
        raise _unreadable(path, "it does not start with a weaktie snapshot header")
    version = data[len(_HEADER_PREFIX) : newline]
    if not version.isdigit():
        raise _unreadable(path, f"its header names no format version ({version!r})")
    if int(version) not in READABLE_VERSIONS:
        raise StoreError(
            f"the graph snapshot {path} has format version {int(version)}, but this weaktie reads versions "
            f"{', '.join(map(str, sorted(READABLE_VERSIONS)))}; open it with the weaktie that wrote it, or move it "
            "away and import again"
        )
    start, end = newline + 1, len(data) - _TRAILER.size
    if end < start:
        raise _unreadable(path, "it is truncated")
    length, crc, marker = _TRAILER.unpack_from(data, end)
    if marker != _TRAILER_END or length != end - start:
        raise _unreadable(path, "it is truncated or has bytes appended")
    payload = memoryview(data)[start:end]
    if zlib.crc32(payload) != crc:
        raise _unreadable(path, "its checksum does not match (the file is corrupted)")
    return payload


def _unreadable(path: Path, reason: str) -> StoreError:
    return StoreError(
        f"cannot load the graph snapshot {path}: {reason}. Restore it from a backup, or move it away to start "
        "from an empty graph and import again"
    )


# Records are stored column by column: one list per field, which both encodes and decodes in C-level loops.


def _encode(snapshot: Snapshot) -> dict[str, Any]:
    records = {}
    for name, record_type in _RECORD_TYPES.items():
        items = getattr(snapshot, name)
        names = _field_names(record_type)
        times = _time_fields(record_type)
        columns = [list(map(attrgetter(field), items)) for field in names]
        columns = [list(map(_encode_time, c)) if f in times else c for f, c in zip(names, columns, strict=True)]
        records[name] = (names, columns)
    return {
        "records": records,
        "unlinked": list(snapshot.unlinked),
        "suppressed": sorted(snapshot.suppressed),
        "digest_log": snapshot.digest_log,
    }


def _decode(payload: dict[str, Any]) -> Snapshot:
    records = payload["records"]
    # Sections a file lacks were added after it was written (version 1 has no controls): they start empty.
    decoded = {
        name: _rebuild(record_type, *records[name]) if name in records else ()
        for name, record_type in _RECORD_TYPES.items()
    }
    return Snapshot(
        **decoded,
        unlinked=tuple(tuple(reference) for reference in payload["unlinked"]),
        suppressed=tuple(payload.get("suppressed", ())),
        digest_log=payload.get("digest_log"),
    )


def _rebuild(record_type: type, names: tuple[str, ...], columns: list[list[Any]]) -> tuple[Any, ...]:
    if len(names) != len(columns) or len({len(column) for column in columns}) > 1:
        raise ValueError(f"the {record_type.__name__} columns do not line up")
    current, times = _field_names(record_type), _time_fields(record_type)
    columns = [list(map(_decode_time, c)) if f in times else c for f, c in zip(names, columns, strict=True)]
    if tuple(names) == current:
        return tuple(map(record_type, *columns))
    # Written by a version with other fields: keep those that still exist; new ones take their defaults.
    kept = [(field, column) for field, column in zip(names, columns, strict=True) if field in current]
    kept_names = [field for field, _ in kept]
    return tuple(
        record_type(**dict(zip(kept_names, values, strict=True))) for values in zip(*(c for _, c in kept), strict=True)
    )


def _encode_time(value: datetime | None) -> int | str | None:
    # The records promise tz-aware UTC: those become exact microseconds since the epoch. Anything else (naive or
    # another zone) keeps its ISO form, which decodes to an equal datetime.
    if value is None:
        return None
    if value.tzinfo is UTC:
        return (value - _EPOCH) // _MICROSECOND
    return value.isoformat()


def _decode_time(value: int | str | None) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, int):
        return _EPOCH + value * _MICROSECOND
    return datetime.fromisoformat(value)


def _field_names(record_type: type) -> tuple[str, ...]:
    return tuple(field.name for field in fields(record_type))


def _time_fields(record_type: type) -> frozenset[str]:
    return frozenset(field.name for field in fields(record_type) if "datetime" in str(field.type))


def fsync_directory(directory: Path) -> None:
    # Without this the rename itself may not survive a power cut, even though the file's data did.
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
