"""Git history: a repository built by the test (several authors, a Co-authored-by trailer, shared files, a rename,
a merge, a bot), read back with exact counts; the bounded file-peer rule; message splitting; bad input."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from extractors.canonical import CanonicalBatch, PostRecord
from extractors.sources.common import SourceError
from extractors.sources.git_history import (
    SKIP_BAD_CO_AUTHOR,
    SKIP_BOT,
    SKIP_BOT_CO_AUTHOR,
    SKIP_MERGE,
    import_git,
    read_git,
    split_message,
)

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

ANA = ("Ana Silva", "Ana.Silva@Example.org")
BOB = ("Bob Ng", "bob@example.org")
CY = ("Cy Diaz", "cy@example.org")
DEE = ("Dee Roy", "12345+deeroy@users.noreply.github.com")
BOT = ("dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com")
BOT_CO = ("github-actions[bot]", "41898282+github-actions[bot]@users.noreply.github.com")


class Repo:
    """A scratch repository whose commits carry chosen authors and dates; no global git configuration is read."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.env = {
            **os.environ,
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_COMMITTER_NAME": "CI",
            "GIT_COMMITTER_EMAIL": "ci@example.org",
        }
        path.mkdir()
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str, env: dict[str, str] | None = None) -> str:
        done = subprocess.run(
            ["git", "-c", "commit.gpgsign=false", *args],
            cwd=self.path,
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout.strip()

    def commit(self, who: tuple[str, str], when: str, message: str, files: dict[str, str | None]) -> str:
        """Write (or, for ``None``, delete) files and commit them as ``who`` at ``when`` (ISO-8601)."""
        for name, content in files.items():
            target = self.path / name
            if content is None:
                self.git("rm", "-q", name)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content, encoding="utf-8")
            self.git("add", name)
        return self._commit(who, when, ["-m", message])

    def merge(self, branch: str, when: str) -> str:
        return self._commit(ANA, when, [], merge=branch)

    def _commit(self, who: tuple[str, str], when: str, args: list[str], *, merge: str | None = None) -> str:
        env = {"GIT_AUTHOR_NAME": who[0], "GIT_AUTHOR_EMAIL": who[1], "GIT_AUTHOR_DATE": when,
               "GIT_COMMITTER_DATE": when}  # fmt: skip
        if merge is not None:
            self.git("merge", "-q", "--no-ff", "--no-edit", merge, env=env)
        else:
            self.git("commit", "-q", "--allow-empty", *args, env=env)
        return self.git("rev-parse", "HEAD")


def _posts(batch: CanonicalBatch) -> dict[str, PostRecord]:
    return {post.id: post for post in batch.posts}


def _id(who: tuple[str, str]) -> str:
    return f"git:{who[1].lower()}"


@pytest.fixture
def history(tmp_path: Path) -> tuple[Repo, dict[str, str]]:
    repo = Repo(tmp_path / "payments-service")
    shas = {}
    shas["init"] = repo.commit(
        ANA,
        "2024-01-02T10:00:00+02:00",
        "Add ledger\n\nFirst cut of the double-entry ledger.\nHandles refunds too.\n\n"
        "Co-authored-by: Bob Ng <Bob@Example.org>\nCo-authored-by: Ana again <ana.silva@example.org>\n"
        "Signed-off-by: Ana Silva <ana.silva@example.org>",
        {"ledger.py": "v1\n", "README.md": "hi\n"},
    )
    shas["cy"] = repo.commit(
        CY,
        "2024-01-03T09:00:00Z",
        f"Fix rounding in ledger\n\nCo-authored-by: {BOT_CO[0]} <{BOT_CO[1]}>",
        {"ledger.py": "v2\n"},
    )
    repo.git("checkout", "-q", "-b", "docs")
    shas["dee"] = repo.commit(DEE, "2024-01-04T09:00:00Z", "Explain setup\n\nCo-authored-by: someone",
                              {"README.md": "hi there\n"})  # fmt: skip
    repo.git("checkout", "-q", "main")
    shas["ana"] = repo.commit(ANA, "2024-01-05T09:00:00Z", "Ledger: use Decimal", {"ledger.py": "v3\n"})
    shas["merge"] = repo.merge("docs", "2024-01-06T09:00:00Z")
    shas["bot"] = repo.commit(BOT, "2024-01-07T09:00:00Z", "Bump requests", {"requirements.txt": "requests\n"})
    shas["move"] = repo.commit(BOB, "2024-01-08T09:00:00Z", "Move ledger into a package",
                               {"ledger.py": None, "pay/ledger.py": "v3\n"})  # fmt: skip
    return repo, shas


def test_commits_become_posts_with_exact_counts(history: tuple[Repo, dict[str, str]]) -> None:
    repo, shas = history
    result = import_git(repo.path, base_url="https://git.example.org/acme/payments-service/")
    batch = result.batch
    assert batch.read == len(shas)
    assert result.skipped == {SKIP_MERGE: 1, SKIP_BOT: 1, SKIP_BAD_CO_AUTHOR: 1, SKIP_BOT_CO_AUTHOR: 1}
    assert batch.rejects == ()
    posts = _posts(batch)
    assert set(posts) == {f"git:{shas[k]}" for k in ("init", "cy", "dee", "ana", "move")}
    first = posts[f"git:{shas['init']}"]
    assert first.author == _id(ANA)
    assert first.co_authors == (_id(BOB),)  # the author's own trailer (any letter case) is not a co-author
    assert first.title == "Add ledger"
    assert first.text == "First cut of the double-entry ledger.\nHandles refunds too."  # trailers removed
    assert first.created_at == datetime(2024, 1, 2, 8, 0, tzinfo=UTC)
    assert first.space == "payments-service"
    assert first.url == f"https://git.example.org/acme/payments-service/commit/{shas['init']}"
    assert first.audience == ()
    assert first.mentions == ()
    assert all(p.created_at.tzinfo is UTC for p in batch.posts)


def test_people_come_from_authors_and_trailers(history: tuple[Repo, dict[str, str]]) -> None:
    repo, _ = history
    people = {p.id: p for p in read_git(repo.path).people}
    assert set(people) == {_id(ANA), _id(BOB), _id(CY), _id(DEE)}  # no bot, no trailer without an address
    assert people[_id(ANA)].email == "ana.silva@example.org"
    assert people[_id(ANA)].name == "Ana Silva"
    assert people[_id(BOB)].handles == ("Bob Ng",)
    assert people[_id(DEE)].handles == ("Dee Roy", "deeroy")  # the GitHub login from a noreply address


def test_same_file_authors_are_linked_through_mentions(history: tuple[Repo, dict[str, str]]) -> None:
    repo, shas = history
    posts = _posts(read_git(repo.path))

    def mentions(key: str) -> tuple[str, ...]:
        return posts[f"git:{shas[key]}"].mentions

    assert mentions("cy") == (_id(ANA), _id(BOB))  # ledger.py was written by Ana with Bob
    assert mentions("dee") == (_id(ANA), _id(BOB))  # README.md, on a branch
    assert mentions("ana") == (_id(CY), _id(BOB))  # Ana herself excluded; Cy touched ledger.py most recently
    # The rename carries ledger.py's history to pay/ledger.py; Bob, the mover, is not his own peer.
    assert mentions("move") == (_id(ANA), _id(CY))
    later = repo.commit(DEE, "2024-01-09T09:00:00Z", "Tidy", {"pay/ledger.py": "v4\n"})
    assert _posts(read_git(repo.path))[f"git:{later}"].mentions == (_id(BOB), _id(ANA), _id(CY))


def test_mailmap_merges_addresses(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r")
    repo.commit(("bob", "bob@old.example.org"), "2024-01-01T00:00:00Z", "old address", {"a": "1"})
    repo.commit(BOB, "2024-01-02T00:00:00Z", "new address", {"b": "1"})
    repo.commit(ANA, "2024-01-03T00:00:00Z", "mailmap", {".mailmap": f"{BOB[0]} <{BOB[1]}> <bob@old.example.org>\n"})
    batch = read_git(repo.path)
    assert {p.author for p in batch.posts} == {_id(BOB), _id(ANA)}
    assert {p.id: p.name for p in batch.people} == {_id(BOB): BOB[0], _id(ANA): ANA[0]}


def test_file_peers_are_bounded(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "busy")
    people = [(f"Dev {i}", f"dev{i}@example.org") for i in range(8)]
    for day, who in enumerate(people, start=1):
        repo.commit(who, f"2024-02-{day:02d}T12:00:00Z", f"edit {day}", {"hot.py": f"{day}\n"})
    posts = sorted(read_git(repo.path, file_peers=3).posts, key=lambda p: p.created_at)
    assert posts[-1].mentions == (_id(people[6]), _id(people[5]), _id(people[4]))
    assert max(len(p.mentions) for p in posts) == 3
    assert sorted(read_git(repo.path, file_peers=0).posts, key=lambda p: p.created_at)[-1].mentions == ()

    files = {f"f{i}.py": f"{i}\n" for i in range(5)}
    wide = Repo(tmp_path / "wide")
    for day, who in enumerate(people[:5], start=1):
        wide.commit(who, f"2024-03-{day:02d}T12:00:00Z", "own file", {f"f{day - 1}.py": "x\n"})
    wide.commit(people[7], "2024-03-09T12:00:00Z", "touch all", files)
    last = max(read_git(wide.path, max_peers=2).posts, key=lambda p: p.created_at)
    assert last.mentions == (_id(people[4]), _id(people[3]))  # most recent first, capped at max_peers
    bulk = max(read_git(wide.path, max_files=4).posts, key=lambda p: p.created_at)
    assert bulk.mentions == ()  # a commit touching more than max_files files links nobody


def test_since_limits_the_commits_read(history: tuple[Repo, dict[str, str]]) -> None:
    repo, shas = history
    result = import_git(repo.path, since=datetime(2024, 1, 5, 0, 0, tzinfo=UTC))
    assert set(_posts(result.batch)) == {f"git:{shas['ana']}", f"git:{shas['move']}"}
    assert result.batch.read == 4  # ana, merge, bot, move


def test_progress_and_other_revisions(history: tuple[Repo, dict[str, str]]) -> None:
    repo, shas = history
    seen: list[int] = []
    read_git(repo.path, progress=seen.append)
    assert seen == [len(shas)]
    docs = read_git(repo.path, rev="docs", space="payments")
    assert {p.id for p in docs.posts} == {f"git:{shas[k]}" for k in ("init", "cy", "dee")}
    assert {p.space for p in docs.posts} == {"payments"}


def test_unusable_repositories_raise_source_errors(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="not a folder"):
        read_git(tmp_path / "missing")
    (tmp_path / "plain").mkdir()
    with pytest.raises(SourceError, match="not a git repository"):
        read_git(tmp_path / "plain")
    empty = Repo(tmp_path / "empty")
    assert read_git(empty.path) == CanonicalBatch(people=(), posts=(), rejects=(), read=0)
    with pytest.raises(SourceError, match="'nope' not found"):
        read_git(empty.path, rev="nope")
    with pytest.raises(SourceError, match="looks like an option"):
        read_git(empty.path, rev="--output=/tmp/x")


def test_author_without_an_address_is_rejected_and_the_rest_imports(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r")
    good = repo.commit(ANA, "2024-01-01T00:00:00Z", "one", {"a": "1"})
    bad = repo.commit(("Anon", ""), "2024-01-02T00:00:00Z", "two", {"a": "2"})
    batch = read_git(repo.path)
    assert [p.id for p in batch.posts] == [f"git:{good}"]
    (reject,) = batch.rejects
    assert (reject.line, reject.field, reject.record_id) == (2, "author", f"git:{bad}")
    assert reject.file == "git log HEAD (r)"


def test_split_message() -> None:
    subject, body, trailers = split_message(
        "Speed up\nthe parser\n\nUse a table.\n\nMore detail.\n\n"
        "Reviewed-by: Cy <cy@x.org>\nCo-authored-by: Bob\n  Ng <bob@x.org>\n"
    )
    assert subject == "Speed up the parser"
    assert body == "Use a table.\n\nMore detail."
    assert trailers == (("Reviewed-by", "Cy <cy@x.org>"), ("Co-authored-by", "Bob Ng <bob@x.org>"))
    # A last paragraph that is only partly "Key: value" lines is body text, not trailers.
    note = "Note: this matters\nbecause reasons"
    assert split_message(f"Fix\n\n{note}") == ("Fix", note, ())
    assert split_message("") == ("", "", ())
    assert split_message("Only a subject\n") == ("Only a subject", "", ())
