"""``weaktie ingest`` on every real data set and both stores: counts equal to an independent count, re-import is a
no-op, a newer export adds only its new messages, bad input is quarantined, and the recommender answers."""

from __future__ import annotations

import csv
import email.utils
import json
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from api.engine import Engine
from api.ingest import SKIP_KNOWN, SourceReport, ingest_source
from api.settings import Settings, get_settings
from api.watermarks import read_watermarks
from extractors.sources.common import SourceError
from extractors.sources.registry import SourceOptions
from graph.delta import Person
from graph.embedded import EmbeddedStore
from graph.store import GraphStore
from tests.shared_data import DATA

SLACK = DATA / "slack-houstondatavis-2016"
ZULIP = DATA / "zulip-ncar" / "zulip_json"
STACKEXCHANGE = DATA / "stackexchange-quantumcomputing-2018"
ENRON_MAIL = DATA / "enron-berkeley-categories"
ENRON_TABLES = DATA / "enron-perry-wolfe"
ENRON_MAPPING = """\
[people]
header = false
id = 1
name = 2
department = 3
team = 4
title = 5

[messages]
header = false
id = 1
sent_at = 3
subject = 4
sender = 5

[recipients]
header = false
message = 1
recipient = 3
"""

runner = CliRunner()


def _settings(data_dir: Path, **overrides: object) -> Settings:
    # No spaCy model: the counts do not depend on it and the tests stay independent of the optional model.
    return Settings(data_dir=data_dir, spacy_model="none", **overrides)


# --- independent counts: a few lines of plain reading each, nothing from the importers -----------------------------


@dataclass(frozen=True)
class Expected:
    people: int
    posts: int
    mentions: int | None = None
    """MENTIONS relationships, where the format makes them easy to count independently."""


def count_slack(root: Path) -> Expected:
    users = json.loads((root / "users.json").read_text())
    bots = {u["id"] for u in users if u.get("is_bot")} | {"USLACKBOT"}
    people = {u["id"] for u in users if u["id"] not in bots}
    human = {None, "file_share", "file_comment", "me_message", "thread_broadcast", "reply_broadcast"}
    posts = set()
    for channel in json.loads((root / "channels.json").read_text()):
        for day in sorted((root / channel["name"]).glob("*.json")):
            for message in json.loads(day.read_text()):
                # A comment on a file is written by the comment's author, not by whoever shared the file.
                user = message["comment"]["user"] if message.get("subtype") == "file_comment" else message.get("user")
                if message.get("subtype") in human and user and user not in bots and "bot_profile" not in message:
                    posts.add((channel["id"], message["ts"]))
                    people.add(user)
    return Expected(people=len(people), posts=len(posts))


def count_zulip(root: Path) -> Expected:
    people, posts = set(), set()
    for stream in os.listdir(root):
        if not (root / stream).is_dir():
            continue
        for topic in os.listdir(root / stream):  # os.listdir: resolved topics start with "."
            for message in json.loads((root / stream / topic).read_text()):
                name = " ".join(message["sender_full_name"].split())
                if message.get("sender_is_bot") or name.endswith(" Bot") or name in {"Notification Bot", "Zulip"}:
                    continue
                people.add(name)
                posts.add(message["id"])
    return Expected(people=len(people), posts=len(posts))


def count_stackexchange(root: Path) -> Expected:
    def rows(name: str) -> Iterator[dict[str, str]]:
        for _, element in ET.iterparse(root / name):
            if element.tag == "row":
                yield dict(element.attrib)
                element.clear()

    users = {row["Id"] for row in rows("Users.xml") if row["Id"] != "-1"}
    posts = sum(
        1 for row in rows("Posts.xml") if row.get("PostTypeId") in ("1", "2") and row.get("OwnerUserId") in users
    )
    comments = sum(1 for row in rows("Comments.xml") if row.get("UserId") in users)
    return Expected(people=len(users), posts=posts + comments)


def count_email(root: Path) -> Expected:
    people, ids = set(), set()
    for path in root.rglob("*.txt"):
        message = message_from_bytes(path.read_bytes())
        if message["From"] is None:
            continue  # categories.txt and notes
        ids.add(message["Message-ID"])
        for header in ("From", "To", "Cc", "Bcc"):
            for _, address in email.utils.getaddresses(message.get_all(header, [])):
                if "@" in address:
                    people.add(address.lower())
    return Expected(people=len(people), posts=len(ids))


def count_enron_tables(root: Path) -> Expected:
    def rows(name: str) -> list[list[str]]:
        with (root / name).open(newline="", encoding="utf-8") as handle:
            return list(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))

    employees = {row[0] for row in rows("employees.tsv")}
    senders = {row[0]: row[4] for row in rows("messages.tsv") if row[4] in employees}
    pairs = {(m, r) for m, _, r in rows("recipients.tsv") if m in senders and r in employees and r != senders[m]}
    return Expected(people=len(employees), posts=len(senders), mentions=len(pairs))


def make_git_repo(root: Path) -> Path:
    """Six commits by three people (one with a co-author), one merge and one bot commit."""
    repo = root / "repo"
    repo.mkdir(parents=True)

    def git(*args: str, author: str = "Ana Silva <ana@acme.com>", date: str = "2026-03-02T09:00:00Z") -> None:
        name, address = author[:-1].split(" <")
        env = {**os.environ, "GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": address, "GIT_AUTHOR_DATE": date}
        env |= {"GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": address, "GIT_COMMITTER_DATE": date}
        subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=env)

    def commit(path: str, message: str, **who: str) -> None:
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        with (repo / path).open("a") as handle:
            handle.write(message + "\n")
        git("add", path, **who)
        git("commit", "-q", "-m", message, **who)

    git("init", "-q", "-b", "main")
    commit("maps/tiles.py", "Add tile server for the flood maps")
    commit("maps/tiles.py", "Cache tiles in Redis", author="Bob Ng <bob@acme.com>", date="2026-03-03T09:00:00Z")
    git("checkout", "-q", "-b", "feature")
    commit(
        "maps/style.py",
        "Style the flood layers\n\nCo-authored-by: Carol Diaz <carol@acme.com>",
        author="Bob Ng <bob@acme.com>",
        date="2026-03-04T09:00:00Z",
    )
    git("checkout", "-q", "main")
    commit("docs/maps.md", "Document the tile cache", date="2026-03-05T09:00:00Z")
    git("merge", "-q", "--no-ff", "-m", "Merge feature", "feature", date="2026-03-06T09:00:00Z")
    commit("deps.txt", "Bump redis", author="dependabot[bot] <support@github.com>", date="2026-03-07T09:00:00Z")
    return repo


def count_git(repo: Path) -> Expected:
    log = subprocess.run(
        ["git", "-C", str(repo), "log", "--no-merges", "--format=%ae%x00%(trailers:key=Co-authored-by,valueonly)"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    people, posts = set(), 0
    for line in filter(None, log.split("\n")):
        address, _, co_author = line.partition("\0")
        if "[bot]" in address or address == "support@github.com":
            continue
        posts += 1
        people.add(address)
        if co_author:
            people.add(co_author.split("<")[1].rstrip(">"))
    return Expected(people=len(people), posts=posts)


# --- the two stores ---------------------------------------------------------------------------------------------


@dataclass
class Target:
    """One store to import into: the embedded one through the ``weaktie ingest`` command, Neo4j through the library
    function the command calls (the CLI opens Neo4j once the settings can select it)."""

    kind: str
    data_dir: Path
    store: GraphStore | None = None
    reports: list[dict] = field(default_factory=list)

    def ingest(self, path: Path, *args: str, options: SourceOptions | None = None) -> dict:
        if self.kind == "embedded":
            result = runner.invoke(app, ["ingest", str(path), *args, "--data-dir", str(self.data_dir), "--json"])
            assert result.exit_code == 0, result.output
            report = json.loads(result.stdout)["sources"][0]
        else:
            assert self.store is not None
            settings = _settings(self.data_dir)
            found = ingest_source(path, self.store, settings=settings, options=options or _options(args))
            report = _as_dict(found)
        self.reports.append(report)
        return report

    def open(self) -> GraphStore:
        if self.kind == "embedded":
            return EmbeddedStore(self.data_dir / "graph")
        assert self.store is not None
        return self.store


def _options(args: tuple[str, ...]) -> SourceOptions:
    flags = dict(zip(args[::2], args[1::2], strict=True))
    return SourceOptions(
        mapping=Path(flags["--mapping"]) if "--mapping" in flags else None,
        messages=Path(flags["--messages"]) if "--messages" in flags else None,
        recipients=Path(flags["--recipients"]) if "--recipients" in flags else None,
        id_prefix=flags.get("--id-prefix", "hr"),
    )


def _as_dict(report: SourceReport) -> dict:
    return {
        "imported_posts": report.ingest.imported_posts,
        "imported_people": report.ingest.imported_people,
        "quarantined": report.ingest.rejected,
        "skipped": dict(report.skipped),
        "people": {"new": report.resolution.new, "matched": dict(report.resolution.rules)},
        "rejects_path": str(report.ingest.rejects_path) if report.ingest.rejects_path else None,
    }


def _neo4j_store() -> GraphStore:
    from tests.neo4j_server import require_server

    return require_server().fresh_store()


# Adding a backend is one line: a name here and a branch in Target (a store factory).
BACKENDS = ["embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)]


@pytest.fixture(params=BACKENDS)
def target(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Target]:
    monkeypatch.setenv("WEAKTIE_SPACY_MODEL", "none")
    get_settings.cache_clear()
    store = _neo4j_store() if request.param == "neo4j" else None
    try:
        yield Target(kind=request.param, data_dir=tmp_path / "data", store=store)
    finally:
        get_settings.cache_clear()
        if store is not None:
            store.close()


# --- every real data set ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DataSet:
    name: str
    path: Callable[[Path], Path]
    count: Callable[[Path], Expected]
    args: Callable[[Path], tuple[str, ...]] = lambda tmp: ()
    text: bool = True
    """Whether posts carry text an "already done" query can match."""
    bots: Callable[[Person], bool] = lambda person: False
    """What the source marks as a bot or service account (none of them may become a person)."""


def _enron_args(tmp: Path) -> tuple[str, ...]:
    mapping = tmp / "enron.toml"
    mapping.write_text(ENRON_MAPPING)
    return (
        "--mapping", str(mapping), "--messages", str(ENRON_TABLES / "messages.tsv"),
        "--recipients", str(ENRON_TABLES / "recipients.tsv"), "--id-prefix", "enron",
    )  # fmt: skip


DATA_SETS = [
    DataSet("slack", lambda tmp: SLACK, lambda path: count_slack(path), bots=lambda p: p.id == "slack:USLACKBOT"),
    DataSet("zulip", lambda tmp: ZULIP, lambda path: count_zulip(path), bots=lambda p: p.name.endswith(" Bot")),
    DataSet(
        "stackexchange",
        lambda tmp: STACKEXCHANGE,
        lambda path: count_stackexchange(path),
        bots=lambda p: p.id == "se:-1",
    ),
    DataSet("email", lambda tmp: ENRON_MAIL, lambda path: count_email(path), text=True),
    DataSet(
        "directory",
        lambda tmp: ENRON_TABLES / "employees.tsv",
        lambda path: count_enron_tables(path.parent),
        args=_enron_args,
        text=False,
    ),
    DataSet("git", lambda tmp: make_git_repo(tmp), lambda path: count_git(path), bots=lambda p: "[bot]" in p.name),
]


@pytest.mark.slow
@pytest.mark.parametrize("data", DATA_SETS, ids=[d.name for d in DATA_SETS])
def test_real_data_set_imports_with_independent_counts(data: DataSet, target: Target, tmp_path: Path) -> None:
    path = data.path(tmp_path)
    if not path.exists():
        pytest.skip(f"shared data set {path} is not on this machine")
    expected = data.count(path)
    args = data.args(tmp_path)

    first = target.ingest(path, *args)
    store = target.open()
    try:
        counts = store.counts()
        assert counts.nodes["Post"] == expected.posts == first["imported_posts"]
        assert counts.nodes["Person"] == expected.people == first["imported_people"]
        assert first["quarantined"] == 0, first["rejects_path"]
        if expected.mentions is not None:
            assert counts.relationships["MENTIONS"] == expected.mentions
        _recommender_answers(store, data)
    finally:
        if target.kind == "embedded":
            store.close()

    again = target.ingest(path, *args)
    assert (again["imported_posts"], again["imported_people"]) == (0, 0)
    assert again["skipped"][SKIP_KNOWN] == expected.posts
    store = target.open()
    try:
        assert store.counts() == counts, "re-importing the same export changes nothing"
    finally:
        if target.kind == "embedded":
            store.close()


def _recommender_answers(store: GraphStore, data: DataSet) -> None:
    """Suggestions for the most active person, and "already done" finding an author from their own words."""
    engine = Engine(store, settings=_settings(Path("/nonexistent")))
    projection = engine.projection()
    assert projection.people and not any(data.bots(person) for person in projection.people)
    authored: dict[str, int] = {}
    for post in projection.posts:
        authored[post.author] = authored.get(post.author, 0) + 1
    busiest = max(sorted(authored), key=lambda person: authored[person])
    suggestions = engine.suggestions(busiest)
    if data.text:
        assert suggestions, f"no suggestions for {busiest}"
    known = {person.id for person in projection.people}
    assert all(s.candidate.id in known and s.candidate.id != busiest and s.reasons for s in suggestions)
    if not data.text:
        return
    post = max((p for p in projection.posts if p.author == busiest and p.topics), key=lambda p: (len(p.terms), p.id))
    query = " ".join(filter(None, (post.title, post.snippet)))
    matches = engine.already_done(query, viewer=busiest, k=10)
    assert busiest in {match.person.id for match in matches}, f"{busiest} not found for {query!r}"


# --- incremental imports, quarantine, limits, privacy (a hand-sized Slack export) ----------------------------------


@pytest.mark.slow
def test_a_newer_slack_export_adds_only_its_new_messages(tmp_path: Path) -> None:
    if not SLACK.exists():
        pytest.skip(f"shared data set {SLACK} is not on this machine")
    older = tmp_path / "older"
    shutil.copytree(SLACK, older)
    days = sorted(older.glob("general/*.json"))
    newest_day = days[-1]
    newest_day.unlink()
    settings = _settings(tmp_path / "data")
    with EmbeddedStore(settings.graph_dir) as store:
        first = ingest_source(older, store, settings=settings)
        mark = read_watermarks(settings.data_dir)["slack"]
        shutil.copy(SLACK / "general" / newest_day.name, newest_day)
        second = ingest_source(older, store, settings=settings)
        total = store.counts().nodes["Post"]

    added = [m for m in json.loads(newest_day.read_text()) if m.get("subtype") is None and m.get("user")]
    assert second.ingest.imported_posts == len(added) > 0
    assert second.skipped[SKIP_KNOWN] == first.ingest.imported_posts
    assert total == count_slack(SLACK).posts
    assert second.previous_watermark == mark and second.watermark is not None and second.watermark >= mark
    assert read_watermarks(settings.data_dir)["slack"] == second.watermark


USERS = [
    {"id": "U1", "name": "ana", "real_name": "Ana Silva", "profile": {"email": "ana@acme.com"}},
    {"id": "U2", "name": "bob", "real_name": "Bob Ng", "profile": {}},
    {"id": "B1", "name": "deploybot", "is_bot": True, "profile": {}},
]


def _slack_export(root: Path, days: dict[str, object]) -> Path:
    files = {"users.json": USERS, "channels.json": [{"id": "C1", "name": "general"}], **days}
    for name, content in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(content if isinstance(content, str) else json.dumps(content))
    return root


def _message(ts: str, user: str, text: str) -> dict[str, str]:
    return {"type": "message", "ts": ts, "user": user, "text": text}


def test_bad_records_are_quarantined_and_the_rest_imports(tmp_path: Path) -> None:
    export = _slack_export(
        tmp_path / "export",
        {
            "general/2026-03-02.json": [
                _message("1772442000.000100", "U1", "Tiles for the flood map are cached in Redis"),
                {"type": "message", "user": "U2", "text": "no ts here"},
                _message("1772442060.000100", "B1", "deployed"),
            ],
            "general/2026-03-03.json": "[{not json",
        },
    )
    settings = _settings(tmp_path / "data")
    with EmbeddedStore() as store:
        report = ingest_source(export, store, settings=settings)
        assert store.counts().nodes["Post"] == 1
        assert {p.id for p in store.people()} == {"slack:U1", "slack:U2"}, "the bot is not a person"

    assert report.ingest.rejected == 2
    assert report.skipped.get("bot") == 1
    rejects = [json.loads(line) for line in report.ingest.rejects_path.read_text().splitlines()]
    by_file = {Path(r["file"]).name: r for r in rejects}
    assert by_file["2026-03-02.json"]["line"] == 2 and by_file["2026-03-02.json"]["field"] == "ts"
    assert by_file["2026-03-03.json"]["line"] == 0 and "JSON" in by_file["2026-03-03.json"]["reason"]


def test_an_unsafe_archive_is_refused_and_nothing_stored_is_touched(tmp_path: Path) -> None:
    export = _slack_export(
        tmp_path / "export", {"general/2026-03-02.json": [_message("1772442000.000100", "U1", "Redis tile cache")]}
    )
    settings = _settings(tmp_path / "data")
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as archive:
        archive.writestr("users.json", json.dumps(USERS))
        archive.writestr("channels.json", "[]")
        archive.writestr("../../etc/cron.d/evil", "* * * * * root true")
    with EmbeddedStore(settings.graph_dir) as store:
        ingest_source(export, store, settings=settings)
        before = store.projection()
        with pytest.raises(SourceError, match=r"'\.\.' path"):
            ingest_source(evil, store, settings=settings, format="slack")
        assert store.projection() == before


def test_bodies_are_kept_only_when_the_setting_says_so(tmp_path: Path) -> None:
    text = "Tiles for the flood map are cached in Redis; ask me about eviction. " * 8
    export = _slack_export(
        tmp_path / "export", {"general/2026-03-02.json": [_message("1772442000.000100", "U1", text)]}
    )
    for keep in (False, True):
        with EmbeddedStore() as store:
            ingest_source(export, store, settings=_settings(tmp_path / f"data-{keep}", keep_bodies=keep))
            (post,) = store.projection().posts
        assert post.text == (text.strip() if keep else None)
        assert 0 < len(post.snippet) <= 200 and post.terms, "snippet and terms are always kept for evidence"


def test_people_are_one_person_across_sources_and_aliases_override(tmp_path: Path) -> None:
    export = _slack_export(
        tmp_path / "export",
        {
            "general/2026-03-02.json": [
                _message("1772442000.000100", "U1", "Redis tile cache for <@U2>"),
                _message("1772442060.000100", "U2", "thanks"),
            ]
        },
    )
    hr = tmp_path / "people.csv"
    hr.write_text("id,name,email,team\n7,Ana Silva,ANA@acme.com,maps\n8,Bob Ng,,data\n9,Bob Ng,,sales\n")
    settings = _settings(tmp_path / "data")
    with EmbeddedStore() as store:
        ingest_source(hr, store, settings=settings)
        report = ingest_source(export, store, settings=settings)
        people = {p.id: p for p in store.people()}
        posts = {p.id: p for p in store.projection().posts}
        # Two "Bob Ng" in the directory: the Slack Bob stays apart until an alias says who he is.
        assert report.resolution.mapping == {"slack:U1": "hr:7"} and report.resolution.ambiguous == 1
        assert people["hr:7"].team == "maps" and "slack:U1" in people["hr:7"].handles
        assert posts["slack:C1:1772442000.000100"].author == "hr:7"
        assert posts["slack:C1:1772442000.000100"].mentions == ("slack:U2",)

        fixed = ingest_source(export, store, settings=settings, aliases={"slack:U2": "hr:9"})
        assert fixed.resolution.rules.get("alias") == 1
        assert "slack:U2" in {h for p in store.people() if p.id == "hr:9" for h in p.handles}
