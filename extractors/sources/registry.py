"""Which importer reads a path: format detection from a folder's or archive's marker files, and one dispatch function
that runs the right importer with the options it understands."""

from __future__ import annotations

import os
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path, PurePosixPath

from extractors.canonical import PEOPLE_FILE, POSTS_FILE, CanonicalBatch, read_canonical
from extractors.sources.common import DEFAULT_LIMITS, ArchiveLimits, SourceError, SourceImport, safe_member_name
from extractors.sources.directory import (
    FORMATS as TABLE_SUFFIXES,
)
from extractors.sources.directory import (
    ColumnMapping,
    MessageColumns,
    RecipientColumns,
    import_directory,
    import_message_metadata,
)
from extractors.sources.email_archive import import_email
from extractors.sources.git_history import import_git
from extractors.sources.slack import import_slack
from extractors.sources.stackexchange import import_stackexchange
from extractors.sources.zulip import import_zulip

FORMATS: tuple[str, ...] = ("canonical", "slack", "zulip", "stackexchange", "email", "directory", "git")
"""Every format ``weaktie ingest --format`` accepts."""
DESCRIPTIONS = {
    "canonical": "a folder holding people.jsonl and/or posts.jsonl",
    "slack": "a Slack export, folder or .zip, with users.json and channels.json",
    "zulip": "a zulip-archive zulip_json folder or .zip (stream_index.json, <id>-<stream>/<topic>.json)",
    "stackexchange": "a Stack Exchange dump folder or .zip with Posts.xml",
    "email": "an mbox file, an RFC 822 message, or a folder or .zip of them",
    "directory": "an HR export (.csv, .tsv or .jsonl), optionally with --messages and --recipients tables",
    "git": "a git repository (a working tree with .git, or a bare repository)",
}
_MAIL_SUFFIXES = frozenset({".eml", ".mbox", ".mbx", ".msg", ".mail"})
_SNIFF_FILES = 40
_SNIFF_BYTES = 4096
_MAIL_HEADERS = frozenset({b"from", b"date", b"message-id", b"received", b"return-path", b"mime-version", b"to"})


@dataclass(frozen=True, slots=True)
class SourceOptions:
    """Options for the importers; each format uses the ones that apply to it and ignores the rest."""

    base_url: str | None = None
    """Slack / Zulip / git: make links to messages (e.g. ``https://acme.slack.com``)."""
    site: str | None = None
    """Stack Exchange: the site's host for links, when the dump's folder name does not say it."""
    mapping: Path | None = None
    """Directory: a TOML file with ``[people]`` (and ``[messages]``, ``[recipients]``) column mappings."""
    messages: Path | None = None
    """Directory: a message metadata table (one row per message), imported as interactions without text."""
    recipients: Path | None = None
    """Directory: the recipients table that goes with ``messages`` (one row per message and recipient)."""
    id_prefix: str = "hr"
    """Directory: people are ``<id_prefix>:<native id>``, messages ``<id_prefix>:msg:<id>``."""
    keep_subjects: bool = False
    """Directory message metadata: keep subject lines as titles (they are content; off by default)."""
    email_audience: str = "participants"
    """E-mail: ``participants`` (private mail, the default) or ``everyone`` (a public list archive)."""
    git_rev: str = "HEAD"
    git_since: datetime | None = None


class FormatError(SourceError):
    """The format of a path cannot be told, or was named wrongly."""


def detect_format(path: Path) -> str:
    """The one format ``path`` is in; raises :class:`FormatError` listing the formats when none or several fit."""
    path = Path(path)
    if not path.exists():
        raise FormatError(f"{str(path)!r} does not exist; pass an export folder, an archive or a file")
    found = _candidates(path)
    if len(found) == 1:
        return found[0]
    listing = "; ".join(f"{name}: {DESCRIPTIONS[name]}" for name in FORMATS)
    if not found:
        raise FormatError(
            f"cannot tell the format of {str(path)!r}; pass --format with one of {', '.join(FORMATS)} ({listing})"
        )
    raise FormatError(
        f"{str(path)!r} looks like several formats ({', '.join(found)}); pass --format with the one you mean"
    )


def read_source(
    path: Path,
    *,
    format: str | None = None,
    options: SourceOptions = SourceOptions(),
    limits: ArchiveLimits = DEFAULT_LIMITS,
    progress: Callable[[int], None] | None = None,
) -> SourceImport:
    """Read ``path`` with the importer for ``format`` (detected when ``None``) into a canonical batch."""
    path = Path(path)
    format = format or detect_format(path)
    if format not in FORMATS:
        raise FormatError(f"unknown format {format!r}; use one of {', '.join(FORMATS)}")
    if format != "directory" and (options.messages is not None or options.recipients is not None):
        raise FormatError("--messages and --recipients go with --format directory (an HR export and its mail tables)")
    if format == "canonical":
        return SourceImport(batch=read_canonical(path))
    if format == "slack":
        return import_slack(path, limits=limits, progress=progress, base_url=options.base_url)
    if format == "zulip":
        return import_zulip(path, limits=limits, progress=progress, base_url=options.base_url)
    if format == "stackexchange":
        return import_stackexchange(path, limits=limits, progress=progress, site=options.site)
    if format == "email":
        if options.email_audience not in ("participants", "everyone"):
            raise FormatError(f"e-mail audience must be 'participants' or 'everyone', not {options.email_audience!r}")
        return import_email(path, limits=limits, progress=progress, audience=options.email_audience)  # type: ignore[arg-type]
    if format == "git":
        return import_git(
            path, rev=options.git_rev, since=options.git_since, base_url=options.base_url, limits=limits,
            progress=progress,
        )  # fmt: skip
    return _read_directory(path, options=options, limits=limits, progress=progress)


def source_key(format: str, batch: CanonicalBatch) -> str:
    """The name a source's watermark is kept under: the format, plus the id namespace its posts use."""
    namespaces = Counter(post.id.split(":", 1)[0] for post in batch.posts if ":" in post.id)
    namespace = namespaces.most_common(1)[0][0] if namespaces else None
    return f"{format}:{namespace}" if namespace and namespace != format else format


# --- directory + message metadata ----------------------------------------------------------------------------------


def _read_directory(
    path: Path, *, options: SourceOptions, limits: ArchiveLimits, progress: Callable[[int], None] | None
) -> SourceImport:
    if (options.messages is None) != (options.recipients is None):
        raise FormatError("message metadata needs both --messages and --recipients (the two tables join on ids)")
    mapping = options.mapping
    people = import_directory(
        path,
        mapping=ColumnMapping.from_toml(mapping) if mapping else None,
        id_prefix=options.id_prefix,
        limits=limits,
        progress=progress,
    )
    if options.messages is None or options.recipients is None:
        return people
    mail = import_message_metadata(
        options.messages,
        options.recipients,
        people=people.batch.people,
        people_id_prefix=options.id_prefix,
        message_columns=MessageColumns.from_toml(mapping) if mapping else None,
        recipient_columns=RecipientColumns.from_toml(mapping) if mapping else None,
        keep_subjects=options.keep_subjects,
        limits=limits,
        progress=progress,
    )
    skipped = Counter(people.skipped)
    skipped.update(mail.skipped)
    batch = replace(
        people.batch,
        posts=mail.batch.posts,
        rejects=(*people.batch.rejects, *mail.batch.rejects),
        read=people.batch.read + mail.batch.read,
    )
    return SourceImport(batch=batch, skipped=dict(skipped))


# --- detection -----------------------------------------------------------------------------------------------------


def _candidates(path: Path) -> list[str]:
    if path.is_dir():
        if _is_git(path):
            return ["git"]
        return _by_names(_folder_names(path), sniff=lambda: _folder_sniff(path))
    suffix = path.suffix.lower()
    if suffix in TABLE_SUFFIXES:
        return ["directory"]
    if zipfile.is_zipfile(path):
        try:
            with zipfile.ZipFile(path) as archive:
                names = [n for n in (safe_member_name(i.filename) for i in archive.infolist() if not i.is_dir()) if n]
                return [f for f in _by_names(names, sniff=lambda: _zip_sniff(archive, names)) if f != "canonical"]
        except (zipfile.BadZipFile, OSError) as exc:
            raise FormatError(f"{str(path)!r} is not a readable zip archive ({exc})") from None
    if suffix in _MAIL_SUFFIXES or _looks_like_mail(_head(path)):
        return ["email"]
    return []


def _by_names(names: list[str], *, sniff: Callable[[], bool]) -> list[str]:
    """Formats whose marker files are among ``names`` (relative POSIX paths, at most two folders deep)."""
    base = {PurePosixPath(n).name for n in names}
    top = {n for n in names if "/" not in n}
    found: list[str] = []
    if top & {PEOPLE_FILE, POSTS_FILE}:
        found.append("canonical")
    if "users.json" in base and base & {"channels.json", "groups.json", "mpims.json", "dms.json"}:
        found.append("slack")
    if "stream_index.json" in base:
        found.append("zulip")
    if "Posts.xml" in base:
        found.append("stackexchange")
    if not found and (any(PurePosixPath(n).suffix.lower() in _MAIL_SUFFIXES for n in names) or sniff()):
        found.append("email")
    return found


def _folder_names(root: Path, *, depth: int = 2) -> list[str]:
    """Relative names of the files up to ``depth`` folders down (exports are often wrapped in one folder)."""
    names: list[str] = []
    folders: list[tuple[Path, str]] = [(root, "")]
    for _level in range(depth + 1):
        deeper: list[tuple[Path, str]] = []
        for folder, prefix in folders:
            try:
                entries = list(os.scandir(folder))
            except OSError:
                continue
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                if entry.is_dir(follow_symlinks=False):
                    deeper.append((Path(entry.path), f"{prefix}{entry.name}/"))
                elif entry.is_file(follow_symlinks=False):
                    names.append(prefix + entry.name)
        folders = deeper
    return names


def _is_git(path: Path) -> bool:
    if (path / ".git").exists():
        return True
    # A bare repository: HEAD, objects/ and refs/ at the top.
    return (path / "HEAD").is_file() and (path / "objects").is_dir() and (path / "refs").is_dir()


def _folder_sniff(root: Path) -> bool:
    """Whether the first few files (up to two folders down) look like mail."""
    files = _sample(sorted(_folder_names(root)))
    return _mostly_mail(_head(root / name) for name in files)


def _zip_sniff(archive: zipfile.ZipFile, names: list[str]) -> bool:
    heads = []
    for name in _sample(sorted(names)):
        try:
            with archive.open(name) as stream:
                heads.append(stream.read(_SNIFF_BYTES))
        except (zipfile.BadZipFile, OSError, KeyError, RuntimeError):
            heads.append(b"")
    return _mostly_mail(heads)


def _sample(names: list[str]) -> list[str]:
    """Up to ``_SNIFF_FILES`` names spread evenly over the list, so one odd sub-folder cannot decide."""
    if len(names) <= _SNIFF_FILES:
        return names
    step = len(names) / _SNIFF_FILES
    return [names[int(i * step)] for i in range(_SNIFF_FILES)]


def _mostly_mail(heads: Iterable[bytes]) -> bool:
    """A quarter of the sampled files are messages (mail folders also hold notes and label files, e.g. ``.cats``)."""
    votes = [_looks_like_mail(head) for head in heads]
    return bool(votes) and sum(votes) * 4 >= len(votes)


def _head(path: Path) -> bytes:
    try:
        with path.open("rb") as stream:
            return stream.read(_SNIFF_BYTES)
    except OSError:
        return b""


def _looks_like_mail(head: bytes) -> bool:
    """An mbox ``From `` line, or header lines up to the first blank line including one mail header."""
    head = head.lstrip(b"\xef\xbb\xbf")
    if head.startswith(b"From "):
        return True
    names: set[bytes] = set()
    for line in head.splitlines():
        if not line.strip():
            break
        if line[:1] in (b" ", b"\t"):
            continue
        name, colon, _ = line.partition(b":")
        if not colon or not name or any(c <= 32 or c > 126 for c in name):
            return False
        names.add(name.strip().lower())
    return bool(names & _MAIL_HEADERS)
