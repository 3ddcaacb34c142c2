"""Zulip archives in the zulip-archive JSON layout: ``stream_index.json`` plus ``<stream id>-<stream>/<topic>.json``.

A topic is a thread: its first human message is the root (titled with the topic), every later one replies to it.
See ``docs/sources.md`` for the full mapping.
"""

from __future__ import annotations

import html
import re
import urllib.parse
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

from extractors.canonical import CanonicalBatch, PostRecord, Reject
from extractors.sources.common import (
    DEFAULT_LIMITS,
    Archive,
    ArchiveLimits,
    SourceError,
    SourceImport,
    collapse_whitespace,
    open_archive,
    strip_html,
    utc_from_timestamp,
)
from graph.delta import Person

SOURCE = "zulip"
SYSTEM_BOTS = frozenset(
    {"Notification Bot", "Welcome Bot", "Reminder Bot", "Email Gateway", "Zulip", "Zulip Feedback Bot", "Nagios"}
)
"""Sender names of Zulip's built-in bots; any sender whose name ends in " Bot" is treated as a bot too."""
RESOLVED_PREFIX = "✔ "
WILDCARDS = frozenset({"*", "all", "everyone", "stream", "channel", "topic"})
_STREAM_FOLDER = re.compile(r"^(\d+)-(.+)$")
_HTML_MENTION = re.compile(
    r'<span class="user-mention(?: silent)?"(?: data-user-id="([^"]*)")?>@?([^<]*)</span>', re.IGNORECASE
)
_MARKDOWN_MENTION = re.compile(r"@_?\*\*([^*|]+)(?:\|(\d+))?\*\*")


@dataclass(frozen=True, slots=True)
class _Message:
    """A message kept for the second pass, once every sender's name is known."""

    id: int
    sender: str
    created_at: datetime
    html: bool
    content: str
    stream: str
    stream_id: str
    topic: str


class _Bad(Exception):
    def __init__(self, field: str | None, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


def read_zulip(
    path: Path,
    *,
    limits: ArchiveLimits = DEFAULT_LIMITS,
    progress: Callable[[int], None] | None = None,
    base_url: str | None = None,
) -> CanonicalBatch:
    """Read a zulip-archive ``zulip_json`` folder (or a zip of it) into a canonical batch.

    ``progress`` is called with the number of messages read so far after each topic file. ``base_url`` (e.g.
    ``"https://chat.example.org"``) turns on narrow links in ``PostRecord.url``.
    """
    return import_zulip(path, limits=limits, progress=progress, base_url=base_url).batch


def import_zulip(
    path: Path,
    *,
    limits: ArchiveLimits = DEFAULT_LIMITS,
    progress: Callable[[int], None] | None = None,
    base_url: str | None = None,
) -> SourceImport:
    """Like :func:`read_zulip`, plus the counts of messages skipped on purpose, by reason."""
    rejects: list[Reject] = []
    people = _People()
    skipped: Counter[str] = Counter()
    threads: list[list[_Message]] = []
    read = 0
    seen: set[int] = set()
    with open_archive(path, limits=limits) as archive:
        root, stream_names = _index(archive, rejects)
        for member, stream_id, stream, topic in _topic_files(archive, root, stream_names):
            thread: list[_Message] = []
            for index, raw in _messages(archive, member, rejects):
                read += 1
                try:
                    message = _message(raw, stream=stream, stream_id=stream_id, topic=topic, people=people)
                except _Bad as bad:
                    record_id = f"{SOURCE}:{raw['id']}" if isinstance(raw, dict) and "id" in raw else None
                    rejects.append(Reject(member, index, bad.field, bad.reason, record_id))
                    continue
                if message is None:
                    skipped["bot"] += 1
                elif message.id in seen:
                    skipped["duplicate message"] += 1
                else:
                    seen.add(message.id)
                    thread.append(message)
            if thread:
                threads.append(thread)
            if progress is not None:
                progress(read)
    posts = [post for thread in threads for post in _thread_posts(thread, people, base_url)]
    return SourceImport(
        batch=CanonicalBatch(people=people.all(), posts=tuple(posts), rejects=tuple(rejects), read=read),
        skipped=dict(skipped),
    )


class _People:
    """Senders by person id, and the name index that resolves ``@**Full Name**`` mentions."""

    def __init__(self) -> None:
        self._people: dict[str, Person] = {}
        self._by_name: dict[str, str] = {}
        self._by_zulip_id: dict[str, str] = {}
        self._aliases: dict[str, set[str]] = {}

    def add(self, *, name: str, zulip_id: str | None, email: str | None) -> str:
        if zulip_id is not None:
            person_id = f"{SOURCE}:{zulip_id}"
        elif email is not None:
            person_id = f"{SOURCE}:{email.lower()}"
        else:
            # The public archive has only full names; they are the identity within this source.
            person_id = f"{SOURCE}:name:{_slug(name)}"
        known = self._people.get(person_id)
        if known is None:
            self._people[person_id] = Person(id=person_id, name=name, email=email, handles=(name,))
        elif name not in known.handles:
            self._people[person_id] = Person(
                id=person_id, name=known.name, email=known.email or email, handles=(*known.handles, name)
            )
        self._by_name.setdefault(_name_key(name), person_id)
        if zulip_id is not None:
            self._by_zulip_id[zulip_id] = person_id
        return person_id

    def note_mention(self, name: str, zulip_id: str | None) -> None:
        """Remember every name a mentioned user id was shown with: people rename themselves over the years."""
        if zulip_id is not None and zulip_id not in WILDCARDS:
            self._aliases.setdefault(zulip_id, set()).add(_name_key(name))

    def resolve(self, name: str, zulip_id: str | None) -> str | None:
        """The person id for a mention, or the bare name as a handle when the person never posted here."""
        if zulip_id in WILDCARDS or _name_key(name) in WILDCARDS:
            return None
        if zulip_id is not None and zulip_id in self._by_zulip_id:
            return self._by_zulip_id[zulip_id]
        found = self._by_name.get(_name_key(name))
        if found is None and zulip_id is not None:
            found = next(
                (self._by_name[a] for a in sorted(self._aliases.get(zulip_id, ())) if a in self._by_name), None
            )
        return found or name.strip() or None

    def all(self) -> tuple[Person, ...]:
        return tuple(self._people.values())


def _index(archive: Archive, rejects: list[Reject]) -> tuple[str, dict[str, str]]:
    """The folder holding the archive, and stream names by stream id from ``stream_index.json`` when present."""
    index = archive.find("stream_index.json")
    if index is None:
        folders = {PurePosixPath(m).parent for m in archive.members() if m.endswith(".json")}
        streams = [f for f in folders if _STREAM_FOLDER.match(f.name)]
        if not streams:
            raise SourceError(
                f"{str(archive.path)!r} is not a zulip-archive export: no stream_index.json and no "
                "'<id>-<stream>/<topic>.json' files; pass the zulip_json folder"
            )
        parent = min((str(f.parent) for f in streams), key=len)
        return ("" if parent == "." else parent + "/"), {}
    parent = str(PurePosixPath(index).parent)
    root = "" if parent == "." else parent + "/"
    try:
        data = archive.read_json(index)
        streams = data["streams"]
        names = {str(info["id"]): name for name, info in streams.items()}
    except SourceError as exc:
        rejects.append(Reject(index, 0, None, f"{exc}; stream names were taken from folder names instead"))
        return root, {}
    except (KeyError, TypeError, AttributeError):
        rejects.append(
            Reject(index, 0, "streams", "expected {'streams': {name: {'id': …}}}; stream names taken from folder names")
        )
        return root, {}
    return root, names


def _topic_files(archive: Archive, root: str, stream_names: dict[str, str]) -> Iterable[tuple[str, str, str, str]]:
    """(member, stream id, stream name, topic name) for every topic file, in a stable order."""
    for member in archive.members():
        if not member.startswith(root) or not member.endswith(".json"):
            continue
        parts = member[len(root) :].split("/")
        match = _STREAM_FOLDER.match(parts[0]) if len(parts) == 2 else None
        if match is None:
            continue
        stream_id = match.group(1)
        stream = stream_names.get(stream_id) or _unquote(match.group(2)).replace("-", " ")
        yield member, stream_id, stream, _unquote(parts[1][: -len(".json")])


def _unquote(name: str) -> str:
    """Undo zulip-archive's file-name encoding: URL quoting with ``.`` in place of ``%`` (``.20`` is a space)."""
    return urllib.parse.unquote(name.replace(".", "%"))


def _messages(archive: Archive, member: str, rejects: list[Reject]) -> Iterable[tuple[int, Any]]:
    try:
        data = archive.read_json(member)
    except SourceError as exc:
        rejects.append(Reject(member, 0, None, f"{exc}; the topic was skipped"))
        return []
    if not isinstance(data, list):
        rejects.append(Reject(member, 0, None, f"expected a JSON array of messages, got {type(data).__name__}"))
        return []
    return enumerate(data, start=1)


def _message(raw: object, *, stream: str, stream_id: str, topic: str, people: _People) -> _Message | None:
    if not isinstance(raw, dict):
        raise _Bad(None, f"expected a message object, got {type(raw).__name__}")
    message_id = raw.get("id")
    if not isinstance(message_id, int) or isinstance(message_id, bool):
        raise _Bad("id", f"expected an integer message id, got {message_id!r}")
    name = raw.get("sender_full_name")
    if not isinstance(name, str) or not name.strip():
        raise _Bad("sender_full_name", "missing sender_full_name")
    name = " ".join(name.split())
    content = raw.get("content", "")
    if not isinstance(content, str):
        raise _Bad("content", f"expected a string, got {type(content).__name__}")
    stamp = raw.get("timestamp")
    try:
        if isinstance(stamp, bool) or not isinstance(stamp, int | float | str):
            raise ValueError(stamp)
        created_at = utc_from_timestamp(stamp)
    except (ValueError, OverflowError, OSError):
        raise _Bad("timestamp", f"expected Unix seconds, got {stamp!r}") from None
    email = raw.get("sender_email") if isinstance(raw.get("sender_email"), str) else None
    if raw.get("sender_is_bot") is True or name in SYSTEM_BOTS or name.endswith(" Bot"):
        return None
    sender_id = raw.get("sender_id")
    person = people.add(
        name=name,
        zulip_id=str(sender_id) if isinstance(sender_id, int) and not isinstance(sender_id, bool) else None,
        email=email or None,
    )
    html_content = content.lstrip().startswith("<")
    if html_content:
        for zulip_id, mentioned in _HTML_MENTION.findall(content):
            people.note_mention(html.unescape(mentioned), zulip_id or None)
    own_topic = raw.get("subject", raw.get("topic"))
    return _Message(
        id=message_id,
        sender=person,
        created_at=created_at,
        html=html_content,
        content=content,
        stream=stream,
        stream_id=stream_id,
        topic=own_topic if isinstance(own_topic, str) and own_topic else topic,
    )


def _thread_posts(thread: list[_Message], people: _People, base_url: str | None) -> Iterable[PostRecord]:
    ordered = sorted(thread, key=lambda m: (m.created_at, m.id))
    root_id = f"{SOURCE}:{ordered[0].id}"
    for position, message in enumerate(ordered):
        text, mentioned = _render(message, people)
        yield PostRecord(
            id=f"{SOURCE}:{message.id}",
            author=message.sender,
            created_at=message.created_at,
            space=message.stream,
            title=_title(message.topic) if position == 0 else None,
            text=text,
            reply_to=None if position == 0 else root_id,
            url=_url(base_url, message),
            mentions=tuple(m for m in mentioned if m != message.sender),
        )


def _render(message: _Message, people: _People) -> tuple[str, tuple[str, ...]]:
    mentions: list[str] = []
    if message.html:
        for zulip_id, name in _HTML_MENTION.findall(message.content):
            mentions.append(people.resolve(html.unescape(name), zulip_id or None) or "")
        text = strip_html(message.content, markdown=True)
    else:

        def rendered(match: re.Match[str]) -> str:
            mentions.append(people.resolve(match.group(1), match.group(2)) or "")
            return ("" if match.group(0).startswith("@_") else "@") + match.group(1)

        text = collapse_whitespace(_MARKDOWN_MENTION.sub(rendered, message.content))
    return text, tuple(dict.fromkeys(m for m in mentions if m))


def _title(topic: str) -> str:
    return topic.removeprefix(RESOLVED_PREFIX).strip() or topic


def _url(base_url: str | None, message: _Message) -> str | None:
    if not base_url:
        return None
    stream = _narrow_encode(f"{message.stream_id}-{message.stream}".replace(" ", "-"))
    topic = _narrow_encode(message.topic)
    return f"{base_url.rstrip('/')}/#narrow/stream/{stream}/topic/{topic}/near/{message.id}"


def _narrow_encode(text: str) -> str:
    """Zulip's URL-fragment encoding, the inverse of :func:`_unquote`."""
    return urllib.parse.quote(text, safe="").replace(".", "%2E").replace("%", ".")


def _name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def _slug(name: str) -> str:
    slug = re.sub(r"[\W_]+", "-", name.casefold()).strip("-")
    return slug or urllib.parse.quote(name, safe="")
