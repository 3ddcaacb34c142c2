"""Slack workspace exports (zip or folder: ``users.json``, ``channels.json``, ``<channel>/<YYYY-MM-DD>.json``).

Human messages become :class:`PostRecord` s with ids ``slack:<channel id>:<ts>``; bots, join/leave notices and
deleted messages are skipped and counted. See ``docs/sources.md`` for the full mapping.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Any

from extractors.canonical import CanonicalBatch, PostRecord, Reject
from extractors.sources.common import (
    DEFAULT_LIMITS,
    Archive,
    ArchiveLimits,
    SourceError,
    SourceImport,
    open_archive,
    utc_from_timestamp,
)
from graph.delta import Person

SOURCE = "slack"
SLACKBOT = "USLACKBOT"
KEPT_SUBTYPES = frozenset({None, "file_share", "file_comment", "me_message", "thread_broadcast", "reply_broadcast"})
"""Subtypes written by people. Everything else (joins, topics, pins, bots, integrations…) is skipped and counted."""
DELETED_SUBTYPES = frozenset({"message_deleted", "tombstone"})
_DAY_FILE = re.compile(r"^\d{4}-\d{2}-\d{2}\.json$")
_TS = re.compile(r"^\d+(\.\d+)?$")
_ANGLE = re.compile(r"<([^<>\n]*)>")
# Listing files in the order they are consulted; the first one naming a folder decides its visibility.
_LISTINGS = (("channels.json", False), ("groups.json", True), ("mpims.json", True), ("dms.json", True))


@dataclass(frozen=True, slots=True)
class _Channel:
    id: str
    name: str
    audience: tuple[str, ...]


class _Bad(Exception):
    def __init__(self, field: str | None, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


def read_slack(
    path: Path,
    *,
    limits: ArchiveLimits = DEFAULT_LIMITS,
    progress: Callable[[int], None] | None = None,
    base_url: str | None = None,
) -> CanonicalBatch:
    """Read a Slack export (zip archive or unpacked folder) into a canonical batch.

    ``progress`` is called with the number of messages read so far after each day file. ``base_url`` (e.g.
    ``"https://acme.slack.com"``) turns on permalinks in ``PostRecord.url``.
    """
    return import_slack(path, limits=limits, progress=progress, base_url=base_url).batch


def import_slack(
    path: Path,
    *,
    limits: ArchiveLimits = DEFAULT_LIMITS,
    progress: Callable[[int], None] | None = None,
    base_url: str | None = None,
) -> SourceImport:
    """Like :func:`read_slack`, plus the counts of messages skipped on purpose, by reason."""
    with open_archive(path, limits=limits) as archive:
        root = _root(archive)
        rejects: list[Reject] = []
        people, bots, names, users_read = _people(archive, root, rejects)
        channels = _channels(archive, root, rejects)
        reader = _MessageReader(people=people, bots=bots, names=names, channels=channels, base_url=base_url)
        for folder, files in _day_files(archive, root):
            channel = channels.get(folder)
            if channel is None:
                rejects.append(
                    Reject(
                        root + folder,
                        0,
                        None,
                        "folder is not listed in channels.json, groups.json, mpims.json or dms.json, so who may "
                        "see it is unknown; it was not imported",
                    )
                )
                continue
            for member in files:
                reader.read_file(archive, member, channel, rejects)
                if progress is not None:
                    progress(reader.read)
        posts = reader.finish()
    return SourceImport(
        batch=CanonicalBatch(
            people=tuple(reader.people.values()),
            posts=posts,
            rejects=tuple(rejects),
            read=reader.read + users_read,
        ),
        skipped=dict(reader.skipped),
    )


def _root(archive: Archive) -> str:
    """The folder inside the archive that holds users.json (exports are sometimes wrapped in one folder)."""
    users = archive.find("users.json")
    if users is None:
        raise SourceError(
            f"{str(archive.path)!r} is not a Slack export: users.json not found; pass the export folder or the .zip "
            "downloaded from Slack's 'Export data' page"
        )
    parent = str(PurePosixPath(users).parent)
    return "" if parent == "." else parent + "/"


def _json_list(archive: Archive, member: str, rejects: list[Reject]) -> list[Any] | None:
    """A JSON array member, or ``None`` with a reject when it is malformed."""
    try:
        data = archive.read_json(member)
    except SourceError as exc:
        rejects.append(Reject(member, 0, None, f"{exc}; the file was skipped"))
        return None
    if not isinstance(data, list):
        rejects.append(Reject(member, 0, None, f"expected a JSON array, got {type(data).__name__}; file skipped"))
        return None
    return data


def _people(
    archive: Archive, root: str, rejects: list[Reject]
) -> tuple[dict[str, Person], set[str], dict[str, str], int]:
    """People by id, bot user ids, display names for rendering ``<@U…>`` mentions, and the entries read."""
    member = root + "users.json"
    users = _json_list(archive, member, rejects)
    if users is None:
        raise SourceError(f"{member!r} in {str(archive.path)!r} is unreadable; people cannot be imported without it")
    people: dict[str, Person] = {}
    bots = {SLACKBOT}
    names: dict[str, str] = {}
    for index, user in enumerate(users, start=1):
        try:
            user_id = _str(user, "id", required=True)
        except _Bad as bad:
            rejects.append(Reject(member, index, bad.field, bad.reason))
            continue
        profile = user.get("profile") if isinstance(user.get("profile"), dict) else {}
        handle = _clean(user.get("name"))
        display = _clean(profile.get("display_name"))
        real = _clean(user.get("real_name")) or _clean(profile.get("real_name"))
        names[user_id] = display or real or handle or user_id
        if user.get("is_bot") is True or user_id == SLACKBOT:
            bots.add(user_id)
            continue
        email = _clean(profile.get("email"))
        person_id = f"{SOURCE}:{user_id}"
        people[person_id] = Person(
            id=person_id,
            name=real or display or handle or user_id,
            email=email if email and "@" in email else None,
            handles=tuple(dict.fromkeys(h for h in (handle, display, real) if h)),
            title=_clean(profile.get("title")),
            # A deactivated account cannot be introduced to anyone; its posts still count as evidence and ties.
            opted_out=user.get("deleted") is True,
        )
    return people, bots, names, len(users)


def _channels(archive: Archive, root: str, rejects: list[Reject]) -> dict[str, _Channel]:
    """Channels by folder name; private ones carry their members as the audience."""
    found: dict[str, _Channel] = {}
    listed = False
    for filename, private in _LISTINGS:
        member = root + filename
        if member not in archive:
            continue
        listed = True
        for index, entry in enumerate(_json_list(archive, member, rejects) or [], start=1):
            try:
                channel_id = _str(entry, "id", required=True)
                name = _str(entry, "name") or channel_id  # DMs have no name; their folder is the id
            except _Bad as bad:
                rejects.append(Reject(member, index, bad.field, bad.reason))
                continue
            members = entry.get("members")
            audience: tuple[str, ...] = ()
            if private:
                ids = [m for m in members if isinstance(m, str)] if isinstance(members, list) else []
                # Without a member list only the authors may see a private channel: the channel id matches no one.
                audience = tuple(f"{SOURCE}:{m}" for m in ids) or (f"{SOURCE}:{channel_id}",)
            found.setdefault(name, _Channel(id=channel_id, name=name, audience=audience))
    if not listed:
        raise SourceError(
            f"{str(archive.path)!r} has users.json but no channels.json (nor groups.json, mpims.json, dms.json); "
            "it does not look like a complete Slack export"
        )
    return found


def _day_files(archive: Archive, root: str) -> list[tuple[str, list[str]]]:
    """Day files grouped by channel folder, both in sorted order (so threads read parents before replies)."""
    folders: dict[str, list[str]] = {}
    for member in archive.members():
        if not member.startswith(root):
            continue
        parts = member[len(root) :].split("/")
        if len(parts) == 2 and _DAY_FILE.match(parts[1]):
            folders.setdefault(parts[0], []).append(member)
    return sorted(folders.items())


class _MessageReader:
    """Turns day files into post records, remembering what it skipped so thread replies can be fixed up."""

    def __init__(
        self,
        *,
        people: dict[str, Person],
        bots: set[str],
        names: Mapping[str, str],
        channels: Mapping[str, _Channel],
        base_url: str | None,
    ) -> None:
        self.people = people
        self.bots = bots
        self.names = names
        self.channel_names = {c.id: c.name for c in channels.values()}
        self.base_url = base_url.rstrip("/") if base_url else None
        self.posts: dict[str, PostRecord] = {}
        self.dropped: set[str] = set()
        self.skipped: Counter[str] = Counter()
        self.read = 0

    def read_file(self, archive: Archive, member: str, channel: _Channel, rejects: list[Reject]) -> None:
        messages = _json_list(archive, member, rejects)
        if messages is None:
            return
        for index, message in enumerate(messages, start=1):
            self.read += 1
            try:
                post = self._post(message, channel)
            except _Bad as bad:
                ts = message.get("ts") if isinstance(message, dict) else None
                record_id = f"{SOURCE}:{channel.id}:{ts}" if isinstance(ts, str) else None
                rejects.append(Reject(member, index, bad.field, bad.reason, record_id))
                continue
            if post is None:
                continue
            if post.id in self.posts:
                self.skipped["duplicate message"] += 1
                continue
            self.posts[post.id] = post

    def finish(self) -> tuple[PostRecord, ...]:
        """The posts; a reply whose parent was deleted or skipped here becomes a top-level post."""
        return tuple(
            replace(post, reply_to=None) if post.reply_to is not None and post.reply_to in self.dropped else post
            for post in self.posts.values()
        )

    def _post(self, message: object, channel: _Channel) -> PostRecord | None:
        if not isinstance(message, dict):
            raise _Bad(None, f"expected a message object, got {type(message).__name__}")
        ts = _str(message, "ts", required=True)
        if not _TS.match(ts):
            raise _Bad("ts", f"expected a Slack timestamp such as '1455569245.000002', got {ts!r}")
        post_id = f"{SOURCE}:{channel.id}:{ts}"
        subtype = message.get("subtype")
        if subtype in DELETED_SUBTYPES or message.get("hidden") is True:
            return self._skip(post_id, "deleted")
        if subtype not in KEPT_SUBTYPES:
            return self._skip(post_id, f"subtype {subtype}")
        if subtype == "file_comment":
            comment = message.get("comment")
            if not isinstance(comment, dict):
                raise _Bad("comment", "file_comment message without a comment object")
            author, text = _str(comment, "user", required=True), comment.get("comment")
        else:
            author, text = _str(message, "user"), message.get("text")
        if author is None or author in self.bots or message.get("bot_profile") is not None:
            return self._skip(post_id, "bot")
        if text is None:
            text = ""
        if not isinstance(text, str):
            raise _Bad("text", f"expected a string, got {type(text).__name__}")
        thread_ts = _str(message, "thread_ts")
        if thread_ts is not None and not _TS.match(thread_ts):
            raise _Bad("thread_ts", f"expected a Slack timestamp, got {thread_ts!r}")
        rendered, mentioned = self._render(text)
        author_id = f"{SOURCE}:{author}"
        self._ensure_person(author, message)
        return PostRecord(
            id=post_id,
            author=author_id,
            created_at=utc_from_timestamp(ts),
            space=channel.name,
            text=rendered,
            reply_to=f"{SOURCE}:{channel.id}:{thread_ts}" if thread_ts not in (None, ts) else None,
            url=self._url(channel, ts, thread_ts),
            audience=channel.audience,
            mentions=tuple(m for m in mentioned if m != author_id),
        )

    def _skip(self, post_id: str, reason: str) -> None:
        self.skipped[reason] += 1
        self.dropped.add(post_id)
        return None

    def _ensure_person(self, user_id: str, message: dict[str, Any]) -> None:
        """Authors missing from users.json (e.g. guests from a shared channel) still become people."""
        person_id = f"{SOURCE}:{user_id}"
        if person_id in self.people:
            return
        profile = message.get("user_profile") if isinstance(message.get("user_profile"), dict) else {}
        handle = _clean(profile.get("name"))
        real = _clean(profile.get("real_name"))
        display = _clean(profile.get("display_name"))
        self.people[person_id] = Person(
            id=person_id,
            name=real or display or handle or self.names.get(user_id) or user_id,
            handles=tuple(dict.fromkeys(h for h in (handle, display, real) if h)),
        )

    def _render(self, text: str) -> tuple[str, tuple[str, ...]]:
        """Slack markup to readable text: ``<@U1|bob>`` → ``@bob`` (and a mention), ``<url|label>`` → ``label``."""
        mentions: list[str] = []

        def token(match: re.Match[str]) -> str:
            body = match.group(1)
            target, _, label = body.partition("|")
            if target.startswith("@"):
                user_id = target[1:]
                mentions.append(f"{SOURCE}:{user_id}")
                return "@" + (self.names.get(user_id) or label or user_id)
            if target.startswith("#"):
                return "#" + (label or self.channel_names.get(target[1:], target[1:]))
            if target.startswith("!"):
                # <!here>, <!channel>, <!subteam^S1|@team>, <!date^…|fallback>: broadcast words, not people.
                return label or "@" + target[1:].split("^")[0]
            if target.startswith("mailto:"):
                return label or target[len("mailto:") :]
            return label or target

        rendered = _ANGLE.sub(token, text)
        # Slack escapes exactly these three characters in message text; &amp; last so "&amp;lt;" stays "&lt;".
        rendered = rendered.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
        return rendered.strip(), tuple(dict.fromkeys(mentions))

    def _url(self, channel: _Channel, ts: str, thread_ts: str | None) -> str | None:
        if self.base_url is None:
            return None
        url = f"{self.base_url}/archives/{channel.id}/p{ts.replace('.', '')}"
        if thread_ts not in (None, ts):
            url += f"?thread_ts={thread_ts}&cid={channel.id}"
        return url


def _str(obj: object, name: str, *, required: bool = False) -> str | None:
    if not isinstance(obj, dict):
        raise _Bad(None, f"expected a JSON object, got {type(obj).__name__}")
    value = obj.get(name)
    if value is None or value == "":
        if required:
            raise _Bad(name, f"missing required field {name!r}")
        return None
    if not isinstance(value, str):
        raise _Bad(name, f"expected a string, got {type(value).__name__}")
    return value


def _clean(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None
