"""Shared helpers for source importers: safe archive and folder reading, text decoding, HTML to text, UTC times.

Archives are never extracted to disk; members are read in memory through :class:`Archive`, which refuses unsafe
names and enforces :class:`ArchiveLimits` before a single member is decompressed.
"""

from __future__ import annotations

import codecs
import html
import json
import os
import re
import stat
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import IO, Any

from extractors.canonical import CanonicalBatch
from extractors.errors import ExtractorError

GIB = 1024**3
MIB = 1024**2


class SourceError(ExtractorError):
    """A whole source (archive, folder or required file) cannot be read safely; single bad records become rejects."""


@dataclass(frozen=True, slots=True)
class ArchiveLimits:
    """Upper bounds checked before anything is decompressed, so a hostile archive cannot exhaust memory or disk."""

    max_archive_bytes: int = 2 * GIB
    """Size of the archive file itself (for a folder: the sum of its file sizes)."""
    max_members: int = 200_000
    max_uncompressed_bytes: int = 8 * GIB
    """Sum of the declared uncompressed sizes of all members."""
    max_member_bytes: int = 1 * GIB
    """Largest single member; importers read one member at a time."""
    max_ratio: float = 200.0
    """Largest uncompressed/compressed ratio of one member; JSON and XML compress 5–30×, zip bombs 1000× and more."""
    ratio_floor_bytes: int = 1 * MIB
    """Members smaller than this skip the ratio check: tiny files compress oddly and cannot hurt."""


DEFAULT_LIMITS = ArchiveLimits()


@dataclass(frozen=True, slots=True)
class SourceImport:
    """What an importer read, plus how many records it skipped on purpose (bots, joins, deletions…) and why."""

    batch: CanonicalBatch
    skipped: Mapping[str, int] = field(default_factory=dict)
    """Reason → count, for records that are valid but deliberately not imported (not rejects)."""


class Archive:
    """Read-only view of a zip file or a folder, with validated member names (POSIX, relative, files only)."""

    def __init__(self, path: Path, *, limits: ArchiveLimits = DEFAULT_LIMITS) -> None:
        self.path = Path(path)
        self.limits = limits
        self._zip: zipfile.ZipFile | None = None
        self._sizes: dict[str, int] = {}
        if self.path.is_dir():
            self._sizes = _scan_folder(self.path, limits)
        elif self.path.is_file():
            self._zip, self._sizes = _scan_zip(self.path, limits)
        else:
            raise SourceError(f"{str(self.path)!r} does not exist; pass an export folder or a .zip archive")

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()
            self._zip = None

    @property
    def is_zip(self) -> bool:
        return self._zip is not None

    def members(self) -> list[str]:
        """All file members, sorted, as relative POSIX paths."""
        return sorted(self._sizes)

    def size(self, name: str) -> int:
        """Declared uncompressed size of a member."""
        return self._sizes[self._known(name)]

    def __contains__(self, name: object) -> bool:
        return name in self._sizes

    def find(self, filename: str) -> str | None:
        """The shallowest member named ``filename`` (exports are often wrapped in one top-level folder)."""
        hits = [m for m in self._sizes if PurePosixPath(m).name == filename]
        return min(hits, key=lambda m: (m.count("/"), m)) if hits else None

    def open(self, name: str) -> IO[bytes]:
        """A binary stream of one member, for streaming parsers; the caller closes it."""
        name = self._known(name)
        if self._zip is not None:
            # ZipExtFile stops at the declared size, which _scan_zip has already bounded.
            return self._zip.open(name)
        target = self.path / name
        _check_inside(self.path, target, archive=self.path, member=name)
        return target.open("rb")

    def read_bytes(self, name: str) -> bytes:
        name = self._known(name)
        limit = self.limits.max_member_bytes
        with self.open(name) as stream:
            data = stream.read(limit + 1)
        if len(data) > limit:
            raise SourceError(
                f"{_where(self.path, name)} is larger than {limit} bytes; raise ArchiveLimits.max_member_bytes "
                "if this file is genuine"
            )
        return data

    def read_text(self, name: str) -> str:
        return decode_text(self.read_bytes(name), file=_where(self.path, name))

    def read_json(self, name: str) -> Any:
        """Parse one member as JSON; raises :class:`SourceError` naming the member when it is not valid JSON."""
        text = self.read_text(name)
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise SourceError(
                f"{_where(self.path, name)} is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
            ) from None

    def _known(self, name: str) -> str:
        if name not in self._sizes:
            raise SourceError(f"{_where(self.path, name)} is not a file in this export")
        return name


def open_archive(path: Path, *, limits: ArchiveLimits = DEFAULT_LIMITS) -> Archive:
    """Open a zip archive or a folder for reading; raises :class:`SourceError` when it is unsafe or too large."""
    return Archive(path, limits=limits)


def safe_member_name(name: str) -> str | None:
    """The name as a normalised relative POSIX path, or ``None`` when it is absolute or climbs out with ``..``."""
    cleaned = name.replace("\\", "/")
    if cleaned.startswith("/") or re.match(r"^[A-Za-z]:", cleaned):
        return None
    parts = [p for p in cleaned.split("/") if p not in ("", ".")]
    if not parts or ".." in parts:
        return None
    return "/".join(parts)


def _scan_zip(path: Path, limits: ArchiveLimits) -> tuple[zipfile.ZipFile, dict[str, int]]:
    archive_bytes = path.stat().st_size
    if archive_bytes > limits.max_archive_bytes:
        raise SourceError(
            f"archive {str(path)!r} is {archive_bytes} bytes, over the limit of {limits.max_archive_bytes}; "
            "raise ArchiveLimits.max_archive_bytes if it is genuine"
        )
    try:
        handle = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise SourceError(f"{str(path)!r} is neither a folder nor a readable zip archive ({exc})") from None
    try:
        infos = handle.infolist()
        if len(infos) > limits.max_members:
            raise SourceError(f"archive {str(path)!r} has {len(infos)} members, over the limit of {limits.max_members}")
        sizes: dict[str, int] = {}
        total = 0
        for info in infos:
            where = _where(path, info.filename)
            name = safe_member_name(info.filename)
            if name is None:
                raise SourceError(f"{where} has an absolute or '..' path; refusing the whole archive as unsafe")
            if stat.S_ISLNK(info.external_attr >> 16):
                raise SourceError(f"{where} is a symbolic link; refusing the whole archive as unsafe")
            if info.is_dir():
                continue
            if info.file_size > limits.max_member_bytes:
                raise SourceError(
                    f"{where} declares {info.file_size} bytes, over the per-file limit of {limits.max_member_bytes}"
                )
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size >= limits.ratio_floor_bytes and ratio > limits.max_ratio:
                raise SourceError(
                    f"{where} expands {ratio:.0f}× ({info.compress_size} → {info.file_size} bytes), over the "
                    f"limit of {limits.max_ratio:.0f}×; this looks like a zip bomb"
                )
            total += info.file_size
            if total > limits.max_uncompressed_bytes:
                raise SourceError(
                    f"archive {str(path)!r} expands to more than {limits.max_uncompressed_bytes} bytes; "
                    "raise ArchiveLimits.max_uncompressed_bytes if it is genuine"
                )
            sizes[name] = info.file_size
    except BaseException:
        handle.close()
        raise
    return handle, sizes


def _scan_folder(root: Path, limits: ArchiveLimits) -> dict[str, int]:
    sizes: dict[str, int] = {}
    total = 0
    budget = min(limits.max_archive_bytes, limits.max_uncompressed_bytes)
    for directory, subdirs, files in os.walk(root, followlinks=False):
        base = Path(directory)
        # Symlinked directories are not descended into (os.walk lists them as subdirs but does not follow them);
        # they are checked like files so a link out of the export is reported rather than silently ignored.
        for entry in [*files, *(d for d in subdirs if (base / d).is_symlink())]:
            target = base / entry
            member = target.relative_to(root).as_posix()
            _check_inside(root, target, archive=root, member=member)
            if not target.is_file():
                continue
            size = target.stat().st_size
            if size > limits.max_member_bytes:
                raise SourceError(
                    f"{_where(root, member)} is {size} bytes, over the per-file limit of {limits.max_member_bytes}"
                )
            total += size
            sizes[member] = size
            if len(sizes) > limits.max_members:
                raise SourceError(f"folder {str(root)!r} has more than {limits.max_members} files")
            if total > budget:
                raise SourceError(f"folder {str(root)!r} holds more than {budget} bytes; raise ArchiveLimits")
    return sizes


def _check_inside(root: Path, target: Path, *, archive: Path, member: str) -> None:
    if not target.is_symlink():
        return
    resolved = target.resolve()
    if not resolved.is_relative_to(root.resolve()):
        raise SourceError(f"{_where(archive, member)} is a symbolic link pointing outside the export; refusing it")


def _where(archive: Path, member: str) -> str:
    return f"{member!r} in {str(archive)!r}"


def decode_text(data: bytes, *, file: str, fallback: str | None = "cp1252") -> str:
    """Bytes to text: UTF-8 (with or without BOM), UTF-16 when it has a BOM, else ``fallback`` (strict).

    cp1252 is the default fallback because old Windows and mail exports are its most common non-UTF-8 source;
    pass ``fallback=None`` to insist on UTF-8. Raises :class:`SourceError` naming ``file`` when nothing fits.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        first_error = exc
    if fallback is not None:
        try:
            return data.decode(fallback)
        except (UnicodeDecodeError, LookupError):
            pass
    raise SourceError(
        f"{file} is not valid UTF-8 (byte {first_error.start}: {data[first_error.start : first_error.start + 1]!r})"
        + (f" nor {fallback}" if fallback else "")
        + "; re-export it as UTF-8"
    )


_DROPPED_TAGS = frozenset({"head", "template", "noscript", "svg"})
_RAW_TEXT_TAGS = frozenset({"script", "style"})
_BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption", "figure", "footer",
        "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section",
        "table", "td", "th", "tr", "ul",
    }
)  # fmt: skip
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


_MARKUP = re.compile(
    # One literal "<" up front lets the regex engine skip plain text quickly.
    r"<(?:!--.*?(?:-->|\Z)"  # comments, also unterminated ones
    r"|(/?)([A-Za-z][^\s/>]*)((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>"  # tags; quoted attributes may hold ">"
    r"|![^>]*>|\?[^>]*>)",  # doctype, CDATA openers, processing instructions
    re.DOTALL,
)
_ARIA_HIDDEN = re.compile(r"""aria-hidden\s*=\s*["']?true""", re.IGNORECASE)
_MARKDOWN_TAGS = frozenset({"blockquote", "pre", "code"})


def strip_html(text: str, *, markdown: bool = False) -> str:
    """Visible text of an HTML fragment: tags and script/style content dropped, entities unescaped.

    Runs of spaces collapse to one; block elements (paragraphs, list items, line breaks) become single newlines.
    A tokenizer over the standard ``re`` module rather than ``html.parser``: chat exports are millions of small,
    machine-written fragments, and this is several times faster while tolerating the same broken markup.

    With ``markdown``, code and quotations keep the Markdown form that says what they are: ``<pre>`` becomes a
    fenced block, inline ``<code>`` is wrapped in backticks and the lines of a ``<blockquote>`` start with ``>``, so
    that :func:`extractors.cleaning.text_for_topics` can tell them from what the writer wrote.
    """
    if "<" not in text and "&" not in text:
        return collapse_whitespace(text)
    parts: list[str] = []
    hidden_tag: str | None = None
    depth = 0
    position = 0
    quote = pre = 0  # open <blockquote> and <pre> elements, counted only with markdown
    while (match := _MARKUP.search(text, position)) is not None:
        if hidden_tag is None and match.start() > position:
            chunk = text[position : match.start()]
            parts.append(chunk.replace("\n", "\n" + "> " * quote) if quote else chunk)
        position = match.end()
        closing, tag, attrs = match.group(1, 2, 3)
        if tag is None:
            continue
        tag = tag.lower()
        self_closing = attrs is not None and attrs.rstrip().endswith("/")
        if hidden_tag is not None:
            # Only the hidden element's own tag name is counted, so unclosed tags inside cannot unbalance it.
            if tag == hidden_tag and not self_closing:
                depth += -1 if closing else 1
                if depth == 0:
                    hidden_tag = None
        elif markdown and tag in _MARKDOWN_TAGS and not self_closing:
            if tag == "blockquote":
                quote = max(quote - 1, 0) if closing else quote + 1
                parts.append("\n" + "> " * quote)
            elif tag == "pre":
                pre = max(pre - 1, 0) if closing else pre + 1
                parts.append(f"\n{'> ' * quote}```\n{'> ' * quote}")
            elif not pre:  # <code> inside <pre> is already fenced
                parts.append("`")
        elif closing or self_closing:
            if tag in _BLOCK_TAGS:
                parts.append("\n" + "> " * quote)
        elif tag in _RAW_TEXT_TAGS:
            # Script and style bodies are not markup ("a<b" is code): jump straight past the closing tag.
            end = re.compile(rf"</{tag}\s*>", re.IGNORECASE).search(text, position)
            position = len(text) if end is None else end.end()
        elif tag in _DROPPED_TAGS or _ARIA_HIDDEN.search(attrs or ""):
            # aria-hidden marks duplicate visual renderings (e.g. KaTeX HTML next to its MathML).
            hidden_tag, depth = tag, 1
        elif tag in _BLOCK_TAGS:
            parts.append("\n" + "> " * quote)
    if hidden_tag is None:
        parts.append(text[position:])
    visible = collapse_whitespace(html.unescape("".join(parts)))
    # A quotation's blank lines are left as bare ">" markers; they carry nothing.
    return "\n".join(line for line in visible.split("\n") if line.strip("> ")) if markdown else visible


def collapse_whitespace(text: str) -> str:
    """Spaces and tabs collapsed to one space, blank lines removed, ends trimmed."""
    # str.split is several times faster than a regular expression over every character.
    return "\n".join(filter(None, (" ".join(line.split()) for line in text.splitlines())))


def to_utc(value: datetime) -> datetime:
    """A timezone-aware UTC datetime; naive values are taken to be UTC already (server exports usually are)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utc_from_timestamp(value: str | int | float) -> datetime:
    """Seconds since the epoch (e.g. Slack's ``"1455569245.000002"``) to UTC; strings are parsed without floats.

    Raises ``ValueError`` when the value is not a number.
    """
    if isinstance(value, bool):
        raise ValueError(f"expected a Unix timestamp, got {value!r}")
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, tz=UTC)
    text = value.strip()
    match = re.fullmatch(r"(-?\d+)(?:\.(\d*))?", text)
    if match is None:
        raise ValueError(f"expected a Unix timestamp such as '1455569245.000002', got {value!r}")
    seconds = int(match.group(1))
    micros = int((match.group(2) or "").ljust(6, "0")[:6])
    return _EPOCH + timedelta(seconds=seconds, microseconds=-micros if text.startswith("-") else micros)


def parse_utc(text: str) -> datetime:
    """An ISO-8601 date-time (``Z`` allowed) to UTC; raises ``ValueError`` when unparseable."""
    return to_utc(datetime.fromisoformat(text.strip()))
