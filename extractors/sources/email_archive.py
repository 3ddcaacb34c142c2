"""E-mail archives (mbox files, folders or zips of RFC 822 messages) as a canonical batch.

Senders and recipients become people keyed by address, each message one post whose text is what the sender wrote:
quoted replies, forwarded blocks and signatures are stripped first. Named ``email_archive`` so it never shadows the
standard library's ``email`` package that it is built on.
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path, PurePosixPath
from typing import IO, Any, Literal

from extractors.canonical import CanonicalBatch, PostRecord, Reject
from extractors.cleaning import strip_quoted
from extractors.sources.common import ArchiveLimits, SourceError, SourceImport, open_archive, strip_html, to_utc
from graph.delta import Person

SOURCE = "email"
DEFAULT_LIMITS = ArchiveLimits()
Audience = Literal["participants", "everyone"]

SKIP_DUPLICATE = "duplicate Message-ID (the first copy is kept)"
_PROGRESS_EVERY = 200
_PARSER = BytesParser(policy=policy.default)
_HEADER_LINE = re.compile(rb"^[!-9;-~]+:")
_MAIL_HEADERS = frozenset((b"from", b"date", b"message-id", b"received", b"return-path", b"mime-version", b"to"))
_MSG_ID = re.compile(r"<([^<>\s]+)>")
_SUBJECT_PREFIX = re.compile(r"^\s*(?:(?:re|fw|fwd|aw|wg|sv|antw|tr)\s*(?:\[\d+\])?\s*:\s*)+", re.IGNORECASE)


def person_id(address: str) -> str:
    return f"{SOURCE}:{address.lower()}"


def post_id(message_id: str) -> str:
    return f"{SOURCE}:{message_id}"


def read_email(
    path: Path,
    *,
    limits: ArchiveLimits = DEFAULT_LIMITS,
    progress: Callable[[int], None] | None = None,
    audience: Audience = "participants",
) -> CanonicalBatch:
    """Read an mbox file, one message file, or a folder / .zip of them (mbox files and single messages mixed).

    ``audience="participants"`` (the default) restricts each message to its sender and recipients, so private mail
    creates ties but never public expertise; use ``"everyone"`` for public mailing-list archives.
    """
    return import_email(path, limits=limits, progress=progress, audience=audience).batch


def import_email(
    path: Path,
    *,
    limits: ArchiveLimits = DEFAULT_LIMITS,
    progress: Callable[[int], None] | None = None,
    audience: Audience = "participants",
) -> SourceImport:
    """Like :func:`read_email`, plus the count of duplicate messages skipped."""
    if audience not in ("participants", "everyone"):
        raise ValueError(f"audience must be 'participants' or 'everyone', got {audience!r}")
    collector = _Collector(audience=audience)
    for number, (file, line, raw) in enumerate(_raw_messages(Path(path), limits), start=1):
        collector.add(raw, file=file, line=line)
        if progress is not None and number % _PROGRESS_EVERY == 0:
            progress(number)
    if progress is not None:
        progress(collector.read)
    return collector.result()


def clean_subject(subject: str | None) -> str | None:
    """The subject without ``Re:`` / ``Fw:`` prefixes (any number, any case), or ``None`` when nothing is left."""
    if not subject:
        return None
    return " ".join(_SUBJECT_PREFIX.sub("", subject).split()) or None


# --- reading files --------------------------------------------------------------------------------------------------


def _raw_messages(path: Path, limits: ArchiveLimits) -> Iterator[tuple[str, int, bytes]]:
    """``(file, line, raw bytes)`` of every message under ``path``; files that are not mail are passed over."""
    if path.is_file() and not zipfile.is_zipfile(path):
        size = path.stat().st_size
        if size > limits.max_member_bytes:
            raise SourceError(
                f"{str(path)!r} is {size} bytes, over the per-file limit of {limits.max_member_bytes}; "
                "raise ArchiveLimits.max_member_bytes if it is genuine"
            )
        with path.open("rb") as stream:
            found = False
            for item in _messages_in(stream, path.name, limits):
                found = True
                yield item
        if not found:
            raise SourceError(
                f"{str(path)!r} is neither an mbox file nor an RFC 822 message; pass an mbox file, a message, "
                "or a folder or .zip of them"
            )
        return
    with open_archive(path, limits=limits) as archive:
        for member in archive.members():
            if any(part.startswith(".") for part in PurePosixPath(member).parts):
                continue
            with archive.open(member) as stream:
                yield from _messages_in(stream, member, limits)


def _messages_in(stream: IO[bytes], file: str, limits: ArchiveLimits) -> Iterator[tuple[str, int, bytes]]:
    first = stream.readline()
    if first.startswith(b"From "):
        yield from _split_mbox(stream, file)
    elif _HEADER_LINE.match(first.lstrip(b"\xef\xbb\xbf")):
        rest = stream.read(limits.max_member_bytes + 1)
        if len(first) + len(rest) > limits.max_member_bytes:
            raise SourceError(f"message {file!r} is larger than {limits.max_member_bytes} bytes")
        if _looks_like_message(first + rest):
            yield file, 1, first + rest


def _looks_like_message(data: bytes) -> bool:
    """Every line up to the first blank one is a header (or its continuation), and one of them is a mail header.

    This tells messages from notes and label files that happen to start with ``Word:`` (a README, ``SOURCE.txt``).
    """
    names: set[bytes] = set()
    for line in data.lstrip(b"\xef\xbb\xbf").splitlines()[:500]:
        if not line.strip():
            break
        if line[:1] in (b" ", b"\t"):
            continue
        if not _HEADER_LINE.match(line):
            return False
        names.add(line.split(b":", 1)[0].strip().lower())
    return bool(names & _MAIL_HEADERS)


def _split_mbox(stream: IO[bytes], file: str) -> Iterator[tuple[str, int, bytes]]:
    """Messages of an mbox whose ``From `` separator line was just read; each is known by its separator's line."""
    start, lines, previous_blank = 1, [], True
    for number, line in enumerate(stream, start=2):
        if line.startswith(b"From ") and previous_blank:
            yield file, start, _unescape(lines)
            start, lines = number, []
            previous_blank = True
            continue
        lines.append(line)
        previous_blank = not line.strip()
    yield file, start, _unescape(lines)


def _unescape(lines: list[bytes]) -> bytes:
    # mboxrd writes body lines starting with "From " as ">From "; one ">" comes off again.
    return b"".join(
        line[1:] if line.startswith(b">") and line.lstrip(b">").startswith(b"From ") else line for line in lines
    )


# --- messages to records --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Parsed:
    record: PostRecord
    parents: tuple[str, ...]
    """Message-ids this one answers, nearest first (In-Reply-To, then References from the end)."""


class _Bad(Exception):
    def __init__(self, field: str | None, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


class _Collector:
    """Turns raw messages into posts, people and rejects; threading is resolved once every message is known."""

    def __init__(self, *, audience: Audience) -> None:
        self.audience = audience
        self.parsed: list[_Parsed] = []
        self.rejects: list[Reject] = []
        self.names: dict[str, Counter[str]] = {}
        self.seen: set[str] = set()
        self.duplicates = 0
        self.read = 0

    def add(self, raw: bytes, *, file: str, line: int) -> None:
        self.read += 1
        try:
            message = _PARSER.parsebytes(raw)
        except Exception as exc:
            self.rejects.append(Reject(file, line, None, f"unparseable message ({exc})"))
            return
        native = _message_id(message.get("message-id")) or "sha256:" + hashlib.sha256(raw).hexdigest()[:32]
        record_id = post_id(native)
        if native in self.seen:
            self.duplicates += 1
            return
        try:
            parsed = self._parse(message, record_id=record_id, line=line)
        except _Bad as bad:
            self.rejects.append(Reject(file, line, bad.field, bad.reason, record_id))
            return
        self.seen.add(native)
        self.parsed.append(parsed)

    def _parse(self, message: EmailMessage, *, record_id: str, line: int) -> _Parsed:
        headers = _Headers(message)
        sender = _sender(headers)
        created_at = _date(headers)
        author = person_id(sender.addr_spec)
        self._name(sender.addr_spec, sender.display_name or _x_from(headers))
        recipients = self._people(headers, "to", "cc")
        hidden = self._people(headers, "bcc")
        participants = tuple(dict.fromkeys((author, *recipients, *hidden)))
        return _Parsed(
            record=PostRecord(
                id=record_id,
                author=author,
                created_at=created_at,
                space=_list_id(headers),
                title=clean_subject(headers.text("subject")),
                text=strip_quoted(_body(message, headers)),
                audience=participants if self.audience == "participants" else (),
                mentions=tuple(r for r in recipients if r != author),
                line=line,
            ),
            parents=_parents(headers),
        )

    def _people(self, headers: _Headers, *names: str) -> tuple[str, ...]:
        ids: list[str] = []
        for address in headers.addresses(*names):
            self._name(address.addr_spec, address.display_name)
            ids.append(person_id(address.addr_spec))
        return tuple(dict.fromkeys(ids))

    def _name(self, address: str, display_name: str) -> None:
        counts = self.names.setdefault(address.lower(), Counter())
        name = display_name.strip().strip("'\"").strip()
        if name and "@" not in name:
            counts[name] += 1

    def result(self) -> SourceImport:
        known = {p.record.id for p in self.parsed}
        posts = [_threaded(p, known) for p in self.parsed]
        people = tuple(
            Person(
                id=person_id(address),
                name=names.most_common(1)[0][0] if names else address,
                email=address,
                handles=(address.split("@", 1)[0],),
            )
            for address, names in self.names.items()
        )
        batch = CanonicalBatch(people=people, posts=tuple(posts), rejects=tuple(self.rejects), read=self.read)
        return SourceImport(batch=batch, skipped={SKIP_DUPLICATE: self.duplicates} if self.duplicates else {})


def _threaded(parsed: _Parsed, known: set[str]) -> PostRecord:
    for parent in parsed.parents:
        candidate = post_id(parent)
        if candidate in known and candidate != parsed.record.id:
            return replace(parsed.record, reply_to=candidate)
    return parsed.record


class _Headers:
    """Each header of one message parsed at most once (the modern policy re-parses on every access)."""

    def __init__(self, message: EmailMessage) -> None:
        self._message = message
        self._cache: dict[str, list[Any]] = {}

    def all(self, name: str) -> list[Any]:
        found = self._cache.get(name)
        if found is None:
            try:
                found = self._message.get_all(name, [])
            except Exception:
                found = []
            self._cache[name] = found
        return found

    def first(self, name: str) -> Any | None:
        values = self.all(name)
        return values[0] if values else None

    def text(self, name: str) -> str:
        value = self.first(name)
        return "" if value is None else str(value)

    def addresses(self, *names: str) -> Iterator[Address]:
        for name in names:
            for header in self.all(name):
                try:
                    addresses = header.addresses
                except Exception:
                    continue
                yield from (a for a in addresses if a.username and a.domain)


def _sender(headers: _Headers) -> Address:
    if headers.first("from") is None:
        raise _Bad("From", "missing From header; a message needs a sender to be attributed")
    addresses = list(headers.addresses("from"))
    if not addresses:
        raise _Bad("From", f"no e-mail address in From header {headers.text('from')!r}")
    return addresses[0]


def _date(headers: _Headers) -> datetime:
    header = headers.first("date")
    if header is None:
        raise _Bad("Date", "missing Date header; the message cannot be placed in time")
    value = getattr(header, "datetime", None)
    if value is None:
        raise _Bad("Date", f"unparseable Date header {str(header)!r}; expected RFC 5322 format")
    # "-0000" (unknown zone) parses as naive: the time is UTC by RFC 5322's own reading.
    return to_utc(value)


def _message_id(header: object) -> str | None:
    ids = _ids("" if header is None else str(header))
    return ids[0] if ids else None


def _parents(headers: _Headers) -> tuple[str, ...]:
    replied = _ids(headers.text("in-reply-to"))
    references = _ids(headers.text("references"))
    return tuple(dict.fromkeys((*replied, *reversed(references))))


def _ids(value: str) -> list[str]:
    found = _MSG_ID.findall(value)
    if found:
        return found
    value = value.strip()
    return [value] if value and not any(c.isspace() for c in value) else []


def _x_from(headers: _Headers) -> str:
    """Lotus Notes / Enron exports put the sender's display name in ``X-From`` when ``From`` has none."""
    value = re.sub(r"<[^>]*>", "", headers.text("x-from")).strip()
    return value if value and "@" not in value and "/" not in value else ""


def _list_id(headers: _Headers) -> str | None:
    value = headers.text("list-id")
    if not value:
        return None
    inner = _MSG_ID.findall(value)
    return inner[0] if inner else value.strip() or None


def _body(message: EmailMessage, headers: _Headers) -> str:
    if message.is_multipart():
        try:
            part = message.get_body(preferencelist=("plain", "html"))
        except Exception:
            part = None
        if part is None:
            return ""
        text = _part_text(part)
        return strip_html(text, markdown=True) if part.get_content_subtype() == "html" else text
    # Single-part mail is nearly all of it: one Content-Type parse instead of get_body's many.
    content_type = headers.first("content-type")
    maintype = getattr(content_type, "maintype", "text")
    subtype = getattr(content_type, "subtype", "plain")
    if maintype != "text" or subtype not in ("plain", "html"):
        return ""
    charset = getattr(content_type, "params", {}).get("charset")
    text = _decode(message.get_payload(decode=True), charset)
    return strip_html(text, markdown=True) if subtype == "html" else text


def _part_text(part: EmailMessage) -> str:
    try:
        return part.get_content()
    except (LookupError, UnicodeError, AssertionError, KeyError):
        return _decode(part.get_payload(decode=True), part.get_content_charset())


def _decode(payload: object, charset: str | None) -> str:
    """The declared charset, then UTF-8, then cp1252 with replacement, which cannot fail (mail often lies)."""
    data = payload if isinstance(payload, bytes) else b""
    for candidate in (charset, "utf-8"):
        if not candidate:
            continue
        try:
            return data.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("cp1252", errors="replace")
