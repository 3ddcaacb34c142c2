"""HR directory exports (CSV, TSV or JSON lines) as people, and message metadata tables as text-free interactions.

Export columns are mapped onto our fields by :class:`ColumnMapping` (people) and :class:`MessageColumns` /
:class:`RecipientColumns` (messages), given in code or loaded from a small TOML file; see ``docs/sources.md``.
"""

from __future__ import annotations

import csv
import io
import json
import re
import tomllib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, Self, TypeVar

from extractors.canonical import CanonicalBatch, PostRecord, Reject
from extractors.sources.common import (
    DEFAULT_LIMITS,
    ArchiveLimits,
    SourceError,
    SourceImport,
    decode_text,
    parse_utc,
    to_utc,
    utc_from_timestamp,
)
from graph.delta import Person

TableFormat = Literal["csv", "tsv", "jsonl"]
Column = str | int
"""A header name (or JSON key), or a 1-based column position for files without a header row."""

FORMATS: Mapping[str, TableFormat] = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}
SKIP_DUPLICATE_ROW = "duplicate row (same id and content)"
SKIP_UNKNOWN_MANAGER = "manager not in the directory (field left empty)"
SKIP_UNKNOWN_SENDER = "sender not in the directory"
SKIP_UNKNOWN_RECIPIENT = "recipient not in the directory"
SKIP_ORPHAN_RECIPIENT = "recipient row of a message not in the messages file"
_PROGRESS_EVERY = 1000
_TRUE = frozenset({"true", "yes", "y", "1", "x"})
_FALSE = frozenset({"false", "no", "n", "0", ""})
_NUMBER = re.compile(r"-?\d+(\.\d*)?")
_M = TypeVar("_M")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SUBJECT_PREFIX = re.compile(r"^\s*(?:(?:re|fw|fwd|aw|wg|sv)\s*(?:\[\d+\])?\s*:\s*)+", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ColumnMapping:
    """Which export column feeds each :class:`~graph.delta.Person` field; defaults are our own field names.

    A field whose column is left at its default name and is missing from the header is simply absent; a column
    named explicitly but missing is an error, so a typo in a mapping never passes silently. ``name`` may list
    several columns (e.g. first and last name), joined with a space. ``manager`` holds the manager's native id.
    """

    id: Column = "id"
    name: Column | tuple[Column, ...] = "name"
    email: Column | None = "email"
    handles: tuple[Column, ...] = ("handles",)
    team: Column | None = "team"
    department: Column | None = "department"
    title: Column | None = "title"
    location: Column | None = "location"
    manager: Column | None = "manager"
    started_at: Column | None = "started_at"
    opted_out: Column | None = "opted_out"
    header: bool = True
    """False for files without a header row; columns must then be 1-based positions."""
    handle_separator: str | None = None
    """Split handle cells on this string (e.g. ``";"``); JSON lists are always accepted."""
    date_format: str | None = None
    """A ``strptime`` format for ``started_at`` (e.g. ``"%m/%d/%Y"``); ISO-8601 when unset."""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "mapping") -> Self:
        return _build(cls, data, source=source)

    @classmethod
    def from_toml(cls, path: Path, *, table: str = "people") -> Self:
        """Read the ``[people]`` table of a TOML file (or its top level when it has no such table)."""
        return _build(cls, _toml_table(path, table), source=f"[{table}] in {str(path)!r}")


@dataclass(frozen=True, slots=True)
class MessageColumns:
    """Columns of a message table: one row per message, sender and recipients given as directory ids."""

    id: Column = "id"
    sender: Column = "sender"
    sent_at: Column = "sent_at"
    """Unix seconds or an ISO-8601 date-time (naive means UTC)."""
    subject: Column | None = "subject"
    header: bool = True

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "mapping") -> Self:
        return _build(cls, data, source=source)

    @classmethod
    def from_toml(cls, path: Path, *, table: str = "messages") -> Self:
        return _build(cls, _toml_table(path, table), source=f"[{table}] in {str(path)!r}")


@dataclass(frozen=True, slots=True)
class RecipientColumns:
    """Columns of a recipient table: one row per (message, recipient) pair."""

    message: Column = "message"
    recipient: Column = "recipient"
    header: bool = True

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "mapping") -> Self:
        return _build(cls, data, source=source)

    @classmethod
    def from_toml(cls, path: Path, *, table: str = "recipients") -> Self:
        return _build(cls, _toml_table(path, table), source=f"[{table}] in {str(path)!r}")


class _Bad(Exception):
    def __init__(self, field: str | None, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


# --- people ------------------------------------------------------------------------------------------------------


def read_directory(
    path: Path,
    *,
    mapping: ColumnMapping | None = None,
    id_prefix: str = "hr",
    format: TableFormat | None = None,
    limits: ArchiveLimits = DEFAULT_LIMITS,
    progress: Callable[[int], None] | None = None,
) -> CanonicalBatch:
    """Read an HR export into people with ids ``<id_prefix>:<native id>``; the batch has no posts.

    ``format`` defaults from the extension (``.csv``, ``.tsv``, ``.jsonl``). ``progress`` gets the rows read so far.
    """
    return import_directory(
        path, mapping=mapping, id_prefix=id_prefix, format=format, limits=limits, progress=progress
    ).batch


def import_directory(
    path: Path,
    *,
    mapping: ColumnMapping | None = None,
    id_prefix: str = "hr",
    format: TableFormat | None = None,
    limits: ArchiveLimits = DEFAULT_LIMITS,
    progress: Callable[[int], None] | None = None,
) -> SourceImport:
    """Like :func:`read_directory`, plus counts of repeated rows and unknown managers."""
    mapping = mapping or ColumnMapping()
    table = _Table(Path(path), format=format, header=mapping.header, limits=limits)
    cells = _PersonCells(table, mapping)
    rejects: list[Reject] = []
    skipped: Counter[str] = Counter()
    people: dict[str, tuple[Person, int]] = {}
    for line, row in table.rows(rejects, progress):
        try:
            person = cells.person(row, id_prefix)
        except _Bad as bad:
            rejects.append(Reject(table.file, line, bad.field, bad.reason, _loose_id(cells, row, id_prefix)))
            continue
        first = people.get(person.id)
        if first is None:
            people[person.id] = (person, line)
        elif first[0] == person:
            skipped[SKIP_DUPLICATE_ROW] += 1
        else:
            rejects.append(
                Reject(
                    table.file,
                    line,
                    "id",
                    f"duplicate id {person.id!r} with different content (line {first[1]} is kept); "
                    "give each person one row",
                    person.id,
                )
            )
    result: list[Person] = []
    for person, _ in people.values():
        if person.manager is not None and person.manager not in people:
            skipped[SKIP_UNKNOWN_MANAGER] += 1
            person = replace(person, manager=None)
        result.append(person)
    batch = CanonicalBatch(people=tuple(result), posts=(), rejects=tuple(rejects), read=table.read)
    return SourceImport(batch=batch, skipped=dict(skipped))


class _PersonCells:
    """The mapping resolved against one table's header: one accessor per person field."""

    def __init__(self, table: _Table, mapping: ColumnMapping) -> None:
        defaults = ColumnMapping()
        self.mapping = mapping
        self.id = table.required(mapping.id, "id", default=defaults.id)
        names = mapping.name if isinstance(mapping.name, tuple) else (mapping.name,)
        if not names:
            raise SourceError("ColumnMapping.name lists no columns; map the person's name to at least one column")
        self.name = [table.required(column, "name", default=defaults.name) for column in names]
        self.handles = [
            cell
            for column in mapping.handles
            if (cell := table.optional(column, "handles", default=defaults.handles[0])) is not None
        ]
        self.optional = {
            name: table.optional(getattr(mapping, name), name, default=getattr(defaults, name))
            for name in ("email", "team", "department", "title", "location", "manager", "started_at", "opted_out")
        }

    def native_id(self, row: _RowData) -> str:
        value = _text(self.id(row), "id")
        if value is None:
            raise _Bad("id", "the id is empty; every person needs an id")
        return value

    def person(self, row: _RowData, prefix: str) -> Person:
        person_id = f"{prefix}:{self.native_id(row)}"
        name = " ".join(part for cell in self.name if (part := _text(cell(row), "name")))
        if not name:
            raise _Bad("name", "the name is empty; every person needs a name")
        values = {key: (cell(row) if cell is not None else None) for key, cell in self.optional.items()}
        email = _text(values["email"], "email")
        if email is not None and "@" not in email:
            raise _Bad("email", f"expected an e-mail address, got {email!r}")
        manager = _text(values["manager"], "manager")
        return Person(
            id=person_id,
            name=name,
            email=email,
            handles=self._handles(row),
            team=_text(values["team"], "team"),
            department=_text(values["department"], "department"),
            title=_text(values["title"], "title"),
            location=_text(values["location"], "location"),
            manager=f"{prefix}:{manager}" if manager is not None and f"{prefix}:{manager}" != person_id else None,
            started_at=_date(values["started_at"], self.mapping.date_format),
            opted_out=_flag(values["opted_out"], "opted_out"),
        )

    def _handles(self, row: _RowData) -> tuple[str, ...]:
        found: list[str] = []
        separator = self.mapping.handle_separator
        for cell in self.handles:
            value = cell(row)
            if isinstance(value, list):
                parts = [_text(v, "handles") for v in value]
            else:
                text = _text(value, "handles")
                parts = [text] if text is None or separator is None else [p.strip() for p in text.split(separator)]
            found += [p.lstrip("@") for p in parts if p and p.lstrip("@")]
        return tuple(dict.fromkeys(found))


def _loose_id(cells: _PersonCells, row: _RowData, prefix: str) -> str | None:
    try:
        return f"{prefix}:{cells.native_id(row)}"
    except _Bad:
        return None


# --- message metadata ----------------------------------------------------------------------------------------------


def read_message_metadata(
    messages_path: Path,
    recipients_path: Path,
    *,
    people: Iterable[Person],
    people_id_prefix: str = "hr",
    id_prefix: str | None = None,
    message_columns: MessageColumns | None = None,
    recipient_columns: RecipientColumns | None = None,
    keep_subjects: bool = False,
    format: TableFormat | None = None,
    limits: ArchiveLimits = DEFAULT_LIMITS,
    progress: Callable[[int], None] | None = None,
) -> CanonicalBatch:
    """Messages known only by sender, recipients and time, as private posts without text.

    Sender and recipient ids are the directory's native ids: ``<people_id_prefix>:<id>`` must be one of ``people``
    (usually ``read_directory(...).people``, with the same prefix). Posts are ``<id_prefix>:msg:<id>`` (``id_prefix``
    defaults to ``people_id_prefix``); recipients are mentions and, with the sender, the audience. Subjects are
    content and become titles only with ``keep_subjects=True``. The batch carries ``people`` so it stands alone.
    """
    return import_message_metadata(
        messages_path,
        recipients_path,
        people=people,
        people_id_prefix=people_id_prefix,
        id_prefix=id_prefix,
        message_columns=message_columns,
        recipient_columns=recipient_columns,
        keep_subjects=keep_subjects,
        format=format,
        limits=limits,
        progress=progress,
    ).batch


def import_message_metadata(
    messages_path: Path,
    recipients_path: Path,
    *,
    people: Iterable[Person],
    people_id_prefix: str = "hr",
    id_prefix: str | None = None,
    message_columns: MessageColumns | None = None,
    recipient_columns: RecipientColumns | None = None,
    keep_subjects: bool = False,
    format: TableFormat | None = None,
    limits: ArchiveLimits = DEFAULT_LIMITS,
    progress: Callable[[int], None] | None = None,
) -> SourceImport:
    """Like :func:`read_message_metadata`, plus counts of unknown senders and recipients."""
    people = tuple(people)
    known = {person.id for person in people}
    post_prefix = f"{id_prefix or people_id_prefix}:msg:"
    columns = message_columns or MessageColumns()
    rejects: list[Reject] = []
    skipped: Counter[str] = Counter()
    recipients, recipient_rows = _recipients(
        Path(recipients_path), recipient_columns or RecipientColumns(), format=format, limits=limits, rejects=rejects
    )
    table = _Table(Path(messages_path), format=format, header=columns.header, limits=limits)
    defaults = MessageColumns()
    cell_id = table.required(columns.id, "id", default=defaults.id)
    cell_sender = table.required(columns.sender, "sender", default=defaults.sender)
    cell_sent = table.required(columns.sent_at, "sent_at", default=defaults.sent_at)
    cell_subject = table.optional(columns.subject, "subject", default=defaults.subject)
    posts: dict[str, PostRecord] = {}
    lines: dict[str, int] = {}
    resolved = 0
    tried: str | None = None
    for line, row in table.rows(rejects, progress):
        native: str | None = None
        try:
            native = _text(cell_id(row), "id")
            if native is None:
                raise _Bad("id", "the message id is empty")
            post_id = post_prefix + native
            if post_id in posts:
                raise _Bad("id", f"duplicate message id {native!r} (line {lines[post_id]} is kept)")
            sender_native = _text(cell_sender(row), "sender")
            if sender_native is None:
                raise _Bad("sender", "the sender is empty")
            created_at = _instant(cell_sent(row), "sent_at")
            subject = _text(cell_subject(row), "subject") if cell_subject is not None else None
        except _Bad as bad:
            rejects.append(Reject(table.file, line, bad.field, bad.reason, post_prefix + native if native else None))
            continue
        sender = f"{people_id_prefix}:{sender_native}"
        tried = tried or sender
        wanted = recipients.pop(native, {})
        if sender not in known:
            skipped[SKIP_UNKNOWN_SENDER] += 1
            continue
        resolved += 1
        mentioned = tuple(r for r in (f"{people_id_prefix}:{n}" for n in wanted) if r in known and r != sender)
        skipped[SKIP_UNKNOWN_RECIPIENT] += sum(1 for n in wanted if f"{people_id_prefix}:{n}" not in known)
        posts[post_id] = PostRecord(
            id=post_id,
            author=sender,
            created_at=created_at,
            title=_clean_subject(subject) if keep_subjects else None,
            audience=(sender, *mentioned),
            mentions=mentioned,
            line=line,
        )
        lines[post_id] = line
    skipped[SKIP_ORPHAN_RECIPIENT] += sum(len(rows) for rows in recipients.values())
    if table.read and not resolved and skipped[SKIP_UNKNOWN_SENDER]:
        raise SourceError(
            f"no sender in {str(messages_path)!r} matches the {len(known)} people given (ids tried like "
            f"{tried!r}); check people_id_prefix and that "
            "people come from the matching directory"
        )
    batch = CanonicalBatch(
        people=people, posts=tuple(posts.values()), rejects=tuple(rejects), read=table.read + recipient_rows
    )
    return SourceImport(batch=batch, skipped={reason: n for reason, n in skipped.items() if n})


def _recipients(
    path: Path, columns: RecipientColumns, *, format: TableFormat | None, limits: ArchiveLimits, rejects: list[Reject]
) -> tuple[dict[str, dict[str, None]], int]:
    """Recipient native ids by message native id (ordered, without repeats), and the rows read."""
    table = _Table(path, format=format, header=columns.header, limits=limits)
    defaults = RecipientColumns()
    cell_message = table.required(columns.message, "message", default=defaults.message)
    cell_recipient = table.required(columns.recipient, "recipient", default=defaults.recipient)
    found: dict[str, dict[str, None]] = {}
    for line, row in table.rows(rejects, None):
        try:
            message = _text(cell_message(row), "message")
            recipient = _text(cell_recipient(row), "recipient")
            if message is None or recipient is None:
                raise _Bad("message" if message is None else "recipient", "empty message or recipient id")
        except _Bad as bad:
            rejects.append(Reject(table.file, line, bad.field, bad.reason))
            continue
        found.setdefault(message, {})[recipient] = None
    return found, table.read


def _clean_subject(subject: str | None) -> str | None:
    """``"Re: FW: budget"`` → ``"budget"``: reply and forward prefixes say nothing about the topic."""
    if subject is None:
        return None
    return _SUBJECT_PREFIX.sub("", subject).strip() or None


def _instant(value: object, field: str) -> datetime:
    text = _text(value, field)
    if text is None:
        raise _Bad(field, f"missing required {field!r} (Unix seconds or an ISO-8601 date-time)")
    try:
        if text.isdigit():
            return _EPOCH + timedelta(seconds=int(text))  # whole seconds, the usual case: exact and quick
        return utc_from_timestamp(text) if _NUMBER.fullmatch(text) else parse_utc(text)
    except (ValueError, OverflowError):
        raise _Bad(
            field, f"unparseable time {text!r}; use Unix seconds or ISO-8601 such as 2001-05-14T16:39:00Z"
        ) from None


# --- tables --------------------------------------------------------------------------------------------------------

_RowData = list[str] | dict[str, Any]


class _Table:
    """One CSV, TSV or JSON-lines file: resolves mapped columns once, then yields rows with their line numbers."""

    def __init__(self, path: Path, *, format: TableFormat | None, header: bool, limits: ArchiveLimits) -> None:
        self.path = path
        self.file = path.name
        self.format = format or _format(path)
        if self.format not in ("csv", "tsv", "jsonl"):
            raise SourceError(f"unknown table format {self.format!r}; use 'csv', 'tsv' or 'jsonl'")
        self.header = header and self.format != "jsonl"
        self.read = 0
        if not path.is_file():
            raise SourceError(f"{str(path)!r} does not exist or is not a file; pass the exported table")
        size = path.stat().st_size
        if size > limits.max_member_bytes:
            raise SourceError(
                f"{str(path)!r} is {size} bytes, over the limit of {limits.max_member_bytes}; raise "
                "ArchiveLimits.max_member_bytes if it is genuine"
            )
        # Whole-file decoding so one encoding holds for every row: Excel's CSV exports are often cp1252.
        self.text = decode_text(path.read_bytes(), file=repr(str(path)))
        self.names: list[str] | None = None
        self.header_line = 0
        if self.header:
            for line, values in self._records():
                self.names, self.header_line = [v.strip() for v in values], line
                break
            else:
                raise SourceError(f"{str(path)!r} is empty; expected a header row naming the columns")

    def required(self, column: Column, field: str, *, default: Column) -> Callable[[_RowData], object]:
        cell = self.optional(column, field, default=default)
        if cell is None:
            raise SourceError(
                f"{self._where()} has no column {column!r} for the required field {field!r}; "
                + (
                    f"its columns are {self.names}; set it in the column mapping"
                    if self.names is not None
                    else "the file is read without a header row, so map it to a 1-based position (e.g. id = 1)"
                )
            )
        return cell

    def optional(
        self, column: Column | None, field: str, *, default: Column | None
    ) -> Callable[[_RowData], object] | None:
        """An accessor for ``column``, or ``None`` when the field is not in this file."""
        if column is None:
            return None
        if isinstance(column, int) and not isinstance(column, bool):
            return self._position(column, field)
        if self.format == "jsonl":
            return lambda row: row.get(column)
        if self.names is None:
            if column == default:
                return None
            raise SourceError(
                f"{self._where()} is read without a header row, so column {column!r} for {field!r} cannot be "
                "found; give 1-based positions (e.g. id = 1) or set header = true"
            )
        if column not in self.names:
            if column == default:
                return None
            raise SourceError(
                f"{self._where()} has no column {column!r} (mapped to {field!r}); its columns are {self.names}"
            )
        index, width = self.names.index(column), len(self.names)

        def cell(row: _RowData) -> object:
            if len(row) != width:
                raise _Bad(None, f"expected {width} fields as in the header, found {len(row)}")
            return row[index]

        return cell

    def _position(self, column: int, field: str) -> Callable[[_RowData], object]:
        if self.format == "jsonl":
            raise SourceError(f"{self._where()} is JSON lines; map {field!r} to a key name, not position {column}")
        if column < 1:
            raise SourceError(f"column positions start at 1; got {column} for {field!r}")
        index = column - 1

        def cell(row: _RowData) -> object:
            if index >= len(row):
                raise _Bad(field, f"row has {len(row)} fields; {field!r} is in column {column}")
            return row[index]

        return cell

    def rows(self, rejects: list[Reject], progress: Callable[[int], None] | None) -> Iterator[tuple[int, _RowData]]:
        """Data rows with their 1-based line numbers; unparseable JSON lines become rejects here."""
        self.read = 0
        records = self._json_records(rejects) if self.format == "jsonl" else self._records()
        for line, values in records:
            if line == self.header_line:
                continue
            self.read += 1
            yield line, values
            if progress is not None and self.read % _PROGRESS_EVERY == 0:
                progress(self.read)
        if progress is not None and self.read % _PROGRESS_EVERY:
            progress(self.read)

    def _records(self) -> Iterator[tuple[int, list[str]]]:
        if self.format == "tsv":
            # IANA text/tab-separated-values has no quoting: a subject like '"Ale" Documents' is literal text.
            reader = csv.reader(io.StringIO(self.text, newline=""), delimiter="\t", quoting=csv.QUOTE_NONE)
        else:
            reader = csv.reader(io.StringIO(self.text, newline=""))
        start = 1
        try:
            for values in reader:
                line, start = start, reader.line_num + 1
                if len(values) > 1 or (values and values[0].strip()):
                    yield line, values
        except csv.Error as exc:
            raise SourceError(f"{self._where()} line {reader.line_num}: {exc}; fix the quoting there") from None

    def _json_records(self, rejects: list[Reject]) -> Iterator[tuple[int, Any]]:
        for line, raw in enumerate(self.text.splitlines(), start=1):
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw)
            except json.JSONDecodeError as exc:
                self.read += 1
                rejects.append(Reject(self.file, line, None, f"not valid JSON ({exc.msg} at column {exc.colno})"))
                continue
            if not isinstance(obj, dict):
                self.read += 1
                rejects.append(Reject(self.file, line, None, f"expected a JSON object, got {type(obj).__name__}"))
                continue
            yield line, obj

    def _where(self) -> str:
        return repr(str(self.path))


def _format(path: Path) -> TableFormat:
    found = FORMATS.get(path.suffix.lower())
    if found is None:
        raise SourceError(
            f"cannot tell the format of {str(path)!r} from its extension; name it .csv, .tsv or .jsonl, "
            "or pass format='csv' | 'tsv' | 'jsonl'"
        )
    return found


def _text(value: object, field: str) -> str | None:
    if type(value) is str:  # the common case first: this runs for every cell
        return value.strip() or None
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise _Bad(field, f"expected text, got {type(value).__name__}")


def _flag(value: object, field: str) -> bool:
    if value is None or isinstance(value, bool):
        return bool(value)
    text = (_text(value, field) or "").lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise _Bad(field, f"expected yes/no, true/false or 1/0, got {text!r}")


def _date(value: object, date_format: str | None) -> datetime | None:
    text = _text(value, "started_at")
    if text is None:
        return None
    try:
        parsed = datetime.strptime(text, date_format) if date_format else parse_utc(text)
    except ValueError:
        expected = f"the format {date_format!r}" if date_format else "ISO-8601 such as 2019-03-01"
        raise _Bad("started_at", f"unparseable date {text!r}; expected {expected}") from None
    return to_utc(parsed)


# --- mapping files -----------------------------------------------------------------------------------------------


def _toml_table(path: Path, table: str) -> Mapping[str, Any]:
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise SourceError(f"cannot read the column mapping {str(path)!r}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SourceError(f"the column mapping {str(path)!r} is not valid TOML ({exc})") from None
    section = data.get(table)
    if section is None:
        # A file holding only one mapping may leave out the table header.
        return {k: v for k, v in data.items() if not isinstance(v, dict)}
    if not isinstance(section, dict):
        raise SourceError(f"[{table}] in {str(path)!r} must be a table of field = column entries")
    return section


def _build(cls: type[_M], data: Mapping[str, Any], *, source: str) -> _M:
    known = {f.name: f for f in fields(cls)}  # type: ignore[arg-type]
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key not in known:
            raise SourceError(f"{source}: unknown field {key!r}; known fields are {sorted(known)}")
        values[key] = _mapping_value(key, value, getattr(cls(), key), source=source)
    return cls(**values)


def _mapping_value(key: str, value: Any, default: Any, *, source: str) -> Any:
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise SourceError(f"{source}: {key!r} must be true or false, got {value!r}")
        return value
    if key in ("handle_separator", "date_format"):
        if not isinstance(value, str):
            raise SourceError(f"{source}: {key!r} must be a string, got {value!r}")
        return value
    if value is False:
        return () if isinstance(default, tuple) else None  # false means "not in this export"
    if isinstance(value, list):
        if key not in ("handles", "name") or not all(_is_column(v) for v in value):
            raise SourceError(f"{source}: {key!r} takes one column (a name or a 1-based position), got {value!r}")
        return tuple(value)
    if not _is_column(value):
        raise SourceError(f"{source}: {key!r} must be a column name or a 1-based position, got {value!r}")
    return (value,) if key == "handles" else value


def _is_column(value: object) -> bool:
    return (isinstance(value, str) and bool(value)) or (isinstance(value, int) and not isinstance(value, bool))
