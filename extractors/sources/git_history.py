"""Git history as posts: each commit is a post by its author, ``Co-authored-by:`` trailers are co-authors, and
working on the same files links a commit's author to the file's recent previous authors through mentions.

Runs ``git log`` in a subprocess and streams its NUL-separated output, so memory stays bounded on long histories.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO

from extractors.canonical import CanonicalBatch, PostRecord, Reject
from extractors.sources.common import DEFAULT_LIMITS, ArchiveLimits, SourceError, SourceImport, decode_text, to_utc
from graph.delta import Person

SOURCE = "git"
SKIP_MERGE = "merge commit"
SKIP_BOT = "bot author"
SKIP_BOT_CO_AUTHOR = "bot co-author trailer"
SKIP_BAD_CO_AUTHOR = "co-author trailer without an e-mail address"
_PROGRESS_EVERY = 200
_CHUNK = 1 << 20
# Record separator before each commit, unit separators between fields; the raw message (%B) comes last so that a
# stray separator inside it cannot shift the other fields. %aN/%aE apply the repository's .mailmap.
_FORMAT = "%x1e%H%x1f%P%x1f%aN%x1f%aE%x1f%aI%x1f%B%x1f"
_TRAILER = re.compile(r"^([A-Za-z0-9][A-Za-z0-9-]*)[ \t]*:[ \t]*(.*)$")
_ADDRESS = re.compile(r"^(.*?)\s*<([^<>\s]+@[^<>\s]+)>\s*$")
_NOREPLY = re.compile(r"^(?:\d+\+)?([^@]+)@users\.noreply\.github\.com$")


def person_id(email: str) -> str:
    return f"{SOURCE}:{email.strip().lower()}"


def read_git(
    repo_path: Path,
    *,
    since: datetime | None = None,
    rev: str = "HEAD",
    space: str | None = None,
    base_url: str | None = None,
    file_peers: int = 3,
    max_peers: int = 10,
    max_files: int = 100,
    limits: ArchiveLimits = DEFAULT_LIMITS,
    progress: Callable[[int], None] | None = None,
) -> CanonicalBatch:
    """Read the history of ``rev`` in the repository at ``repo_path`` into a canonical batch.

    Each non-merge commit becomes post ``git:<sha>`` by ``git:<lowercased author e-mail>``. A commit mentions the
    people among the ``file_peers`` most recent distinct authors of each file it touches (before it), at most
    ``max_peers`` in all, most recent first; commits touching more than ``max_files`` files (mass renames,
    reformatting) neither link nor count as authorship. ``since`` is passed to ``git log --since`` (committer date).
    ``space`` defaults to the repository's folder name; ``base_url`` (e.g. ``https://github.com/org/repo``) turns
    on commit links.
    """
    return import_git(
        repo_path,
        since=since,
        rev=rev,
        space=space,
        base_url=base_url,
        file_peers=file_peers,
        max_peers=max_peers,
        max_files=max_files,
        limits=limits,
        progress=progress,
    ).batch


def import_git(
    repo_path: Path,
    *,
    since: datetime | None = None,
    rev: str = "HEAD",
    space: str | None = None,
    base_url: str | None = None,
    file_peers: int = 3,
    max_peers: int = 10,
    max_files: int = 100,
    limits: ArchiveLimits = DEFAULT_LIMITS,
    progress: Callable[[int], None] | None = None,
) -> SourceImport:
    """Like :func:`read_git`, plus counts of merge commits, bot commits and unusable co-author trailers."""
    if file_peers < 0 or max_peers < 0 or max_files < 1:
        raise ValueError("file_peers and max_peers must be >= 0 and max_files >= 1")
    if rev.startswith("-"):
        raise SourceError(f"revision {rev!r} looks like an option; pass a branch, tag or commit")
    repo = Path(repo_path)
    name = space or _repository_name(repo)
    builder = _Builder(
        space=name,
        base_url=base_url.rstrip("/") if base_url else None,
        file_peers=file_peers,
        max_peers=max_peers,
        max_files=max_files,
        source=f"git log {rev} ({name})",
    )
    if not _has_commits(repo, rev):
        return builder.result()
    args = ["log", rev, "-z", "--date-order", "--reverse", "--name-status", "--find-renames", f"--format={_FORMAT}"]
    args += ["--no-color", "--no-ext-diff", "--no-textconv"]
    if since is not None:
        args.append(f"--since={to_utc(since).isoformat()}")
    for commit in _commits(_stream(repo, [*args, "--"], limits=limits), limits=limits):
        builder.add(commit)
        if progress is not None and builder.read % _PROGRESS_EVERY == 0:
            progress(builder.read)
    if progress is not None and builder.read % _PROGRESS_EVERY:
        progress(builder.read)
    return builder.result()


def split_message(message: str) -> tuple[str, str, tuple[tuple[str, str], ...]]:
    """A commit message as (subject, body without trailers, trailers as (key, value) pairs).

    The subject is the first paragraph on one line, as ``git log --format=%s`` shows it. Trailers are the last
    paragraph of the body when every line of it is ``Key: value`` (or an indented continuation).
    """
    paragraphs = re.split(r"\n[ \t]*\n", message.strip("\n"))
    subject = " ".join(line.strip() for line in paragraphs[0].splitlines() if line.strip())
    body = paragraphs[1:]
    trailers: list[tuple[str, str]] = []
    if body:
        lines = body[-1].strip("\n").splitlines()
        if lines and _TRAILER.match(lines[0]) and all(_TRAILER.match(x) or x[:1] in (" ", "\t") for x in lines):
            for line in lines:
                match = _TRAILER.match(line)
                if match is not None:
                    trailers.append((match.group(1), match.group(2).strip()))
                else:
                    key, value = trailers[-1]
                    trailers[-1] = (key, f"{value} {line.strip()}")
            body = body[:-1]
    return subject, "\n\n".join(body).strip(), tuple(trailers)


# --- running git -----------------------------------------------------------------------------------------------------


def _git(repo: Path, args: list[str]) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", "-C", str(repo), *_SAFE, *args], capture_output=True, env=_env(), check=False)
    except FileNotFoundError:
        raise SourceError("git is not installed or not on PATH; install git to import repository history") from None


# Repository-local configuration can name programs to run; none of them is needed for reading the log.
_SAFE = ("--no-pager", "-c", "core.fsmonitor=false", "-c", "log.showSignature=false", "-c", "core.quotePath=false")


def _env() -> dict[str, str]:
    return {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0"}


def _repository_name(repo: Path) -> str:
    if not repo.is_dir():
        raise SourceError(f"{str(repo)!r} is not a folder; pass the path of a git repository")
    done = _git(repo, ["rev-parse", "--absolute-git-dir"])
    if done.returncode != 0:
        raise SourceError(f"{str(repo)!r} is not a git repository ({_first_line(done.stderr)})")
    git_dir = Path(done.stdout.decode("utf-8", "replace").strip())
    # A working tree keeps its history in <repo>/.git; a bare repository is usually named <repo>.git.
    return git_dir.parent.name if git_dir.name == ".git" else git_dir.name.removesuffix(".git")


def _has_commits(repo: Path, rev: str) -> bool:
    done = _git(repo, ["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"])
    if done.returncode == 0:
        return True
    if rev == "HEAD":
        return False  # a freshly initialised repository: nothing to import yet
    raise SourceError(f"revision {rev!r} not found in {str(repo)!r}; pass an existing branch, tag or commit")


def _stream(repo: Path, args: list[str], *, limits: ArchiveLimits) -> Iterator[bytes]:
    """The NUL-separated tokens of ``git log``'s output, read in chunks; raises if git fails."""
    with tempfile.TemporaryFile() as errors:
        try:
            process = subprocess.Popen(
                ["git", "-C", str(repo), *_SAFE, *args], stdout=subprocess.PIPE, stderr=errors, env=_env()
            )
        except FileNotFoundError:
            raise SourceError("git is not installed or not on PATH") from None
        try:
            yield from _tokens(process.stdout, limits=limits)  # type: ignore[arg-type]
        finally:
            if process.poll() is None:
                process.kill()
            code = process.wait()
            if process.stdout is not None:
                process.stdout.close()
        if code != 0:
            errors.seek(0)
            raise SourceError(f"git log failed in {str(repo)!r}: {_first_line(errors.read())}")


def _tokens(stream: IO[bytes], *, limits: ArchiveLimits) -> Iterator[bytes]:
    pending = b""
    while chunk := stream.read(_CHUNK):
        parts = (pending + chunk).split(b"\0")
        pending = parts.pop()
        if len(pending) > limits.max_member_bytes:
            raise SourceError(
                f"one commit message is over {limits.max_member_bytes} bytes; raise ArchiveLimits.max_member_bytes"
            )
        yield from parts
    if pending:
        yield pending


def _first_line(data: bytes) -> str:
    lines = data.decode("utf-8", "replace").strip().splitlines()
    return lines[0] if lines else "no message from git"


# --- parsing -------------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Commit:
    number: int
    header: bytes
    changes: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    """(status letter, paths): one path, or old and new path for renames (R) and copies (C)."""


def _commits(tokens: Iterator[bytes], *, limits: ArchiveLimits) -> Iterator[_Commit]:
    """Group tokens into commits: a header token (``\\x1e``…), then status and path tokens of its changed files."""
    commit: _Commit | None = None
    number = 0
    status = ""
    paths: list[str] = []
    wanted = 0
    for token in tokens:
        if wanted:
            paths.append(token.decode("utf-8", "surrogateescape"))
            wanted -= 1
            if not wanted and commit is not None:
                commit.changes.append((status, tuple(paths)))
            continue
        if token.startswith(b"\x1e"):
            if commit is not None:
                yield commit
            number += 1
            commit = _Commit(number=number, header=token[1:])
            continue
        token = token.lstrip(b"\n")
        if not token or commit is None:
            continue
        status = token[:1].decode("ascii", "replace")
        paths, wanted = [], 2 if status in ("R", "C") else 1
    if commit is not None:
        yield commit


@dataclass(frozen=True, slots=True)
class _Identity:
    name: str
    email: str

    @property
    def id(self) -> str:
        return person_id(self.email)

    @property
    def is_bot(self) -> bool:
        return self.name.lower().endswith("[bot]") or "[bot]" in self.email.split("@")[0].lower()


class _Bad(Exception):
    def __init__(self, field: str | None, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


class _Builder:
    """Turns commits, oldest first, into posts and people while keeping each file's recent authors."""

    def __init__(
        self, *, space: str, base_url: str | None, file_peers: int, max_peers: int, max_files: int, source: str
    ) -> None:
        self.space = space
        self.base_url = base_url
        self.file_peers = file_peers
        self.max_peers = max_peers
        self.max_files = max_files
        self.source = source
        self.people: dict[str, Person] = {}
        self.posts: dict[str, PostRecord] = {}
        self.rejects: list[Reject] = []
        self.skipped: Counter[str] = Counter()
        self.read = 0
        self.history: dict[str, list[tuple[str, int]]] = {}
        """Path → up to ``file_peers`` distinct (person id, commit number) who touched it, most recent first."""

    def add(self, commit: _Commit) -> None:
        self.read += 1
        sha = commit.header[:40].decode("ascii", "replace")
        try:
            self._add(commit, sha)
        except _Bad as bad:
            self.rejects.append(Reject(self.source, commit.number, bad.field, bad.reason, f"{SOURCE}:{sha}"))

    def result(self) -> SourceImport:
        batch = CanonicalBatch(
            people=tuple(self.people.values()),
            posts=tuple(self.posts.values()),
            rejects=tuple(self.rejects),
            read=self.read,
        )
        return SourceImport(batch=batch, skipped=dict(self.skipped))

    def _add(self, commit: _Commit, sha: str) -> None:
        try:
            text = decode_text(commit.header, file=f"commit {sha}")
        except SourceError as exc:
            raise _Bad("message", str(exc)) from None
        parts = text.split("\x1f", 5)
        if len(parts) != 6 or not re.fullmatch(r"[0-9a-f]{40}|[0-9a-f]{64}", parts[0]):
            raise _Bad(None, "unexpected git log output for this commit; is this a supported git version?")
        _, parents, name, email, date, message = parts
        if len(parents.split()) > 1:
            self.skipped[SKIP_MERGE] += 1
            return
        if not email.strip() or "@" not in email:
            raise _Bad("author", f"author e-mail {email!r} is not an address, so the author cannot be identified")
        author = _Identity(name=name.strip() or email.split("@")[0], email=email.strip().lower())
        if author.is_bot:
            self.skipped[SKIP_BOT] += 1
            return
        try:
            created_at = to_utc(datetime.fromisoformat(date.strip()))
        except ValueError:
            raise _Bad("date", f"unparseable author date {date!r}") from None
        subject, body, trailers = split_message(message.removesuffix("\x1f"))
        co_authors = self._co_authors(trailers, author)
        for identity in (author, *co_authors):
            self._person(identity)
        authors = (author.id, *(c.id for c in co_authors))
        post_id = f"{SOURCE}:{sha}"
        self.posts[post_id] = PostRecord(
            id=post_id,
            author=author.id,
            created_at=created_at,
            co_authors=authors[1:],
            space=self.space,
            title=subject or None,
            text=body,
            url=f"{self.base_url}/commit/{sha}" if self.base_url else None,
            mentions=self._peers(commit, authors),
            line=commit.number,
        )

    def _co_authors(self, trailers: tuple[tuple[str, str], ...], author: _Identity) -> list[_Identity]:
        found: dict[str, _Identity] = {}
        for key, value in trailers:
            if key.lower() != "co-authored-by":
                continue
            match = _ADDRESS.match(value)
            if match is None:
                self.skipped[SKIP_BAD_CO_AUTHOR] += 1
                continue
            email = match.group(2).lower()
            identity = _Identity(name=match.group(1).strip() or email.split("@")[0], email=email)
            if identity.is_bot:
                self.skipped[SKIP_BOT_CO_AUTHOR] += 1
            elif identity.id != author.id:
                found.setdefault(identity.id, identity)
        return list(found.values())

    def _person(self, identity: _Identity) -> None:
        """Add or update a person; the newest name wins, every name and GitHub login is kept as a handle."""
        known = self.people.get(identity.id)
        login = _NOREPLY.match(identity.email)
        handles = (*(known.handles if known else ()), identity.name, *((login.group(1),) if login else ()))
        self.people[identity.id] = Person(
            id=identity.id, name=identity.name, email=identity.email, handles=tuple(dict.fromkeys(handles))
        )

    def _peers(self, commit: _Commit, authors: tuple[str, ...]) -> tuple[str, ...]:
        """Recent previous authors of this commit's files, and the file histories moved on past this commit."""
        if len(commit.changes) > self.max_files:
            return ()  # mass changes say nothing about who works with whom
        latest: dict[str, int] = {}
        for status, paths in commit.changes:
            if status in ("R", "C") and len(paths) == 2:
                old = self.history.pop(paths[0], []) if status == "R" else list(self.history.get(paths[0], []))
                self.history[paths[1]] = old
            path = paths[-1]
            for person, number in self.history.get(path, []):
                if person not in authors and number > latest.get(person, -1):
                    latest[person] = number
            if status == "D":
                self.history.pop(path, None)
            else:
                self._touch(path, authors, commit.number)
        ranked = sorted(latest, key=lambda p: (-latest[p], p))
        return tuple(ranked[: self.max_peers])

    def _touch(self, path: str, authors: tuple[str, ...], number: int) -> None:
        if not self.file_peers:
            return
        entries = [(a, number) for a in authors]
        entries += [(person, n) for person, n in self.history.get(path, []) if person not in authors]
        self.history[path] = entries[: self.file_peers]
