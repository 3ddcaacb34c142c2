"""Stack Exchange data dumps (``Posts.xml``, ``Users.xml``, ``Comments.xml``) as a canonical batch.

Questions become root posts, answers reply to their question and comments reply to the post they are on; the XML is
streamed row by row so a dump of any size is read in constant memory per row.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path, PurePosixPath

from extractors.canonical import CanonicalBatch, PostRecord, Reject
from extractors.sources.common import (
    Archive,
    ArchiveLimits,
    SourceError,
    SourceImport,
    collapse_whitespace,
    open_archive,
    parse_utc,
    strip_html,
)
from graph.delta import Person

SOURCE = "se"
DEFAULT_LIMITS = ArchiveLimits()
COMMUNITY_USER = "-1"
"""The site's own service account: it owns tag wikis and community posts but is not a person."""

QUESTION, ANSWER = "1", "2"
_PROGRESS_EVERY = 500
_SITE = re.compile(
    r"\b((?:[a-z0-9-]+\.)*(?:stackexchange\.com|stackoverflow\.com|serverfault\.com|superuser\.com|askubuntu\.com"
    r"|mathoverflow\.net|stackapps\.com))\b",
    re.IGNORECASE,
)

# Reasons for rows that are valid but deliberately not imported (see SourceImport.skipped).
SKIP_SERVICE_USER = "Community service account (user -1)"
SKIP_DELETED_OWNER = "post without OwnerUserId (deleted or anonymous user)"
SKIP_COMMUNITY_POST = "post owned by the Community service account"
SKIP_OTHER_TYPE = "post type other than question or answer (tag wikis and the like)"
SKIP_DELETED_COMMENTER = "comment without UserId (deleted user)"


class _BadRow(Exception):
    def __init__(self, field: str | None, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


def post_id(native_id: str) -> str:
    """The canonical id of a question or answer (questions and answers share one id space in a dump)."""
    return f"{SOURCE}:post:{native_id}"


def comment_id(native_id: str) -> str:
    """The canonical id of a comment (comments have their own id space, overlapping the posts')."""
    return f"{SOURCE}:comment:{native_id}"


def person_id(user_id: str) -> str:
    return f"{SOURCE}:{user_id}"


def read_stackexchange(
    path: Path,
    *,
    limits: ArchiveLimits = DEFAULT_LIMITS,
    progress: Callable[[int], None] | None = None,
    site: str | None = None,
) -> CanonicalBatch:
    """Read a Stack Exchange dump (a folder or a .zip holding ``Posts.xml`` and friends) into a canonical batch.

    ``site`` (e.g. ``"quantumcomputing.stackexchange.com"``) makes post URLs; by default it is taken from the dump's
    folder name or its ``SOURCE.txt`` when either names the site, else posts have no URL.
    """
    return import_stackexchange(path, limits=limits, progress=progress, site=site).batch


def import_stackexchange(
    path: Path,
    *,
    limits: ArchiveLimits = DEFAULT_LIMITS,
    progress: Callable[[int], None] | None = None,
    site: str | None = None,
) -> SourceImport:
    """Like :func:`read_stackexchange`, plus the counts of rows skipped on purpose, by reason."""
    with open_archive(Path(path), limits=limits) as archive:
        posts_member = _required(archive, "Posts.xml")
        site = site or guess_site(archive)
        reader = _Reader(archive, site=site, progress=progress)
        users_member = archive.find("Users.xml")
        if users_member is not None:
            reader.read_users(users_member)
        reader.read_posts(posts_member)
        comments_member = archive.find("Comments.xml")
        if comments_member is not None:
            reader.read_comments(comments_member)
        if progress is not None:
            progress(reader.read)
        batch = CanonicalBatch(
            people=tuple(reader.people),
            posts=tuple(reader.posts),
            rejects=tuple(reader.rejects),
            read=reader.read,
        )
        return SourceImport(batch=batch, skipped=dict(reader.skipped))


def accepted_answers(path: Path, *, limits: ArchiveLimits = DEFAULT_LIMITS) -> dict[str, str]:
    """Question post id → accepted answer post id (canonical ids, as in the batch), for evaluation.

    Questions whose accepted answer is not in the dump (deleted) are left out; malformed rows are ignored here
    (:func:`read_stackexchange` reports them).
    """
    with open_archive(Path(path), limits=limits) as archive:
        member = _required(archive, "Posts.xml")
        questions: dict[str, str] = {}
        answers: set[str] = set()
        for _line, row in _rows(archive, member, []):
            native = row.get("Id")
            if not native:
                continue
            if row.get("PostTypeId") == QUESTION and row.get("AcceptedAnswerId"):
                questions[native] = row["AcceptedAnswerId"]
            elif row.get("PostTypeId") == ANSWER:
                answers.add(native)
    return {post_id(q): post_id(a) for q, a in questions.items() if a in answers}


def guess_site(archive: Archive) -> str | None:
    """The site's host name from the dump's folder name or the ``SOURCE.txt`` next to the XML files, if either says."""
    match = _SITE.search(archive.path.name)
    if match is None:
        member = archive.find("SOURCE.txt")
        if member is None:
            return None
        try:
            match = _SITE.search(archive.read_text(member))
        except SourceError:
            return None
    return match.group(1).lower() if match else None


def parse_tags(value: str) -> tuple[str, ...]:
    """Tags in either dump format: ``<a><b>`` (older dumps) or ``|a|b|`` (newer ones)."""
    value = value.strip()
    tags = re.findall(r"<([^<>]+)>", value) if value.startswith("<") else value.split("|")
    return tuple(dict.fromkeys(t.strip() for t in tags if t.strip()))


class _Reader:
    """Accumulates one dump's people, posts, rejects and skip counts while its files are streamed."""

    def __init__(self, archive: Archive, *, site: str | None, progress: Callable[[int], None] | None) -> None:
        self.archive = archive
        self.site = site
        self.progress = progress
        self.people: list[Person] = []
        self.posts: list[PostRecord] = []
        self.rejects: list[Reject] = []
        self.skipped: Counter[str] = Counter()
        self.read = 0

    def read_users(self, member: str) -> None:
        for line, row in self._counted(member):
            try:
                user = _native_id(row, "Id")
            except _BadRow as bad:
                self._reject(member, line, bad, None)
                continue
            if user == COMMUNITY_USER:
                self.skipped[SKIP_SERVICE_USER] += 1
                continue
            name = collapse_whitespace(row.get("DisplayName", "")) or f"user{user}"
            # Comments address people as @DisplayNameWithoutSpaces, so that form is a handle too.
            handles = tuple(dict.fromkeys(h for h in (name, name.replace(" ", "")) if h))
            self.people.append(Person(id=person_id(user), name=name, handles=handles))

    def read_posts(self, member: str) -> None:
        for line, row in self._counted(member):
            try:
                record = self._post(row, line)
            except _BadRow as bad:
                self._reject(member, line, bad, _loose_id(row, post_id))
                continue
            if record is not None:
                self.posts.append(record)

    def read_comments(self, member: str) -> None:
        for line, row in self._counted(member):
            try:
                record = self._comment(row, line)
            except _BadRow as bad:
                self._reject(member, line, bad, _loose_id(row, comment_id))
                continue
            if record is not None:
                self.posts.append(record)

    def _post(self, row: dict[str, str], line: int) -> PostRecord | None:
        native = _native_id(row, "Id")
        kind = row.get("PostTypeId")
        if kind not in (QUESTION, ANSWER):
            if not kind:
                raise _BadRow("PostTypeId", "missing PostTypeId (1 = question, 2 = answer)")
            self.skipped[SKIP_OTHER_TYPE] += 1
            return None
        owner = row.get("OwnerUserId")
        if not owner:
            self.skipped[SKIP_DELETED_OWNER] += 1
            return None
        if owner == COMMUNITY_USER:
            self.skipped[SKIP_COMMUNITY_POST] += 1
            return None
        created_at = _created_at(row)
        # Markdown marks keep code blocks and quotations recognisable as such for topic cleaning.
        body = strip_html(row.get("Body", ""), markdown=True)
        if kind == QUESTION:
            return PostRecord(
                id=post_id(native),
                author=person_id(owner),
                created_at=created_at,
                space=self.site,
                title=collapse_whitespace(row.get("Title", "")) or None,
                text=body,
                url=f"https://{self.site}/q/{native}" if self.site else None,
                # Metadata, not prose: a "Tags:" line in the text would make "tags" a topic.
                tags=parse_tags(row.get("Tags", "")),
                line=line,
            )
        parent = _native_id(row, "ParentId")
        return PostRecord(
            id=post_id(native),
            author=person_id(owner),
            created_at=created_at,
            space=self.site,
            text=body,
            reply_to=post_id(parent),
            url=f"https://{self.site}/a/{native}" if self.site else None,
            line=line,
        )

    def _comment(self, row: dict[str, str], line: int) -> PostRecord | None:
        native = _native_id(row, "Id")
        on = _native_id(row, "PostId")
        user = row.get("UserId")
        if not user:
            self.skipped[SKIP_DELETED_COMMENTER] += 1
            return None
        if user == COMMUNITY_USER:
            self.skipped[SKIP_SERVICE_USER] += 1
            return None
        return PostRecord(
            id=comment_id(native),
            author=person_id(user),
            created_at=_created_at(row),
            space=self.site,
            # Comment text is plain text with Markdown, not HTML: stripping tags would eat "a < b".
            text=collapse_whitespace(row.get("Text", "")),
            reply_to=post_id(on),
            url=f"https://{self.site}/posts/comments/{native}" if self.site else None,
            line=line,
        )

    def _counted(self, member: str) -> Iterator[tuple[int, dict[str, str]]]:
        for line, row in _rows(self.archive, member, self.rejects):
            self.read += 1
            if self.progress is not None and self.read % _PROGRESS_EVERY == 0:
                self.progress(self.read)
            yield line, row

    def _reject(self, member: str, line: int, bad: _BadRow, record_id: str | None) -> None:
        self.rejects.append(Reject(file=member, line=line, field=bad.field, reason=bad.reason, record_id=record_id))


def _rows(archive: Archive, member: str, rejects: list[Reject]) -> Iterator[tuple[int, dict[str, str]]]:
    """``(line, attributes)`` of each ``<row>``, streamed; a parse error becomes one reject and ends the file.

    The parser is fed one line at a time so every row is known by the line it ends on (dumps hold one row per line);
    each row is dropped from the tree as soon as it is yielded.
    """
    parser = ET.XMLPullParser(events=("start", "end"))
    root: ET.Element | None = None
    line = 0
    with archive.open(member) as stream:
        try:
            for line, chunk in enumerate(stream, start=1):
                parser.feed(chunk)
                for event, element in parser.read_events():
                    if event == "start":
                        root = element if root is None else root
                        continue
                    if element.tag == "row":
                        yield line, dict(element.attrib)
                        element.clear()
                        if root is not None:
                            root.clear()
            parser.close()
            for _event, _element in parser.read_events():
                pass
        except ET.ParseError as exc:
            where = exc.position[0] if exc.position and exc.position[0] else line
            rejects.append(
                Reject(
                    file=member,
                    line=where,
                    field=None,
                    reason=f"malformed XML ({exc}); rows after this point in {PurePosixPath(member).name} were not "
                    "read, fix or re-export the file",
                )
            )


def _required(archive: Archive, filename: str) -> str:
    member = archive.find(filename)
    if member is None:
        raise SourceError(
            f"no {filename} in {str(archive.path)!r}; pass the folder (or .zip) of one Stack Exchange site's dump"
        )
    return member


def _native_id(row: dict[str, str], name: str) -> str:
    value = row.get(name, "").strip()
    if not value:
        raise _BadRow(name, f"missing required attribute {name!r}")
    if not re.fullmatch(r"-?\d+", value):
        raise _BadRow(name, f"expected an integer {name}, got {value!r}")
    return value


def _created_at(row: dict[str, str]) -> datetime:
    value = row.get("CreationDate", "")
    if not value.strip():
        raise _BadRow("CreationDate", "missing required attribute 'CreationDate'")
    try:
        # Dump dates carry no offset; Stack Exchange stores and exports them in UTC.
        return parse_utc(value)
    except ValueError:
        raise _BadRow("CreationDate", f"unparseable CreationDate {value!r}; expected 2018-03-12T17:00:45.567") from None


def _loose_id(row: dict[str, str], make: Callable[[str], str]) -> str | None:
    value = row.get("Id", "").strip()
    return make(value) if value else None
