"""The serendipity digest: periods and frequencies, who is due, what it says, the message, never twice, the CLI."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from typer.testing import CliRunner

from api.cli import app
from api.digest import (
    Audience,
    DigestContent,
    InvalidPeriod,
    Refused,
    WorkingOn,
    audience,
    compose,
    is_due,
    is_working_on,
    parse_period,
    period_of,
    period_start,
    previous_periods,
    run_digest,
    working_on_posts,
)
from api.engine import Engine, open_store
from api.mail import Composer, DirectoryOutbox, file_name
from api.settings import Settings, get_settings
from api.signing import UNSUBSCRIBE, signing_key, verify
from graph.controls import ORG_SCOPE, DigestRecord, Policy, effective_policy, person_scope, team_scope
from graph.delta import GraphDelta, Person, Post, can_see
from recommender.explain import Evidence, Match, Reason, Suggestion
from recommender.substance import is_chatter
from tests.api.conftest import Imported

PERIOD = "2026-W45"
"""The week right after the generated organisation's last post (it ends on Sunday 2026-11-01)."""
NOW = datetime(2026, 11, 2, 7, 0, tzinfo=UTC)
KEY = b"test-key-" * 6


def copied_settings(imported: Imported, directory: Path) -> Settings:
    """A private copy of the imported graph: digests write reservations, policies and suggestions."""
    shutil.copytree(imported.settings.data_dir, directory)
    return replace_settings(imported.settings, data_dir=directory)


def replace_settings(settings: Settings, **changes: object) -> Settings:
    return settings.model_copy(update=changes)


@pytest.fixture
def settings(imported: Imported, tmp_path: Path) -> Settings:
    return copied_settings(imported, tmp_path / "data")


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    engine = Engine(open_store(settings), settings=settings)
    try:
        yield engine
    finally:
        engine.close()


@dataclass
class Collect:
    """A real (not dry-run) outbox that keeps the messages instead of talking SMTP."""

    dry_run: bool = False
    messages: dict[str, list[EmailMessage]] = field(default_factory=dict)
    refuse: frozenset[str] = frozenset()

    def send(self, message: EmailMessage, *, person: str, period: str) -> None:
        if person in self.refuse:
            raise Refused(f"refused {person}")
        self.messages.setdefault(person, []).append(message)


def run(engine: Engine, outbox: object, *, period: str = PERIOD, limit: int | None = None) -> object:
    build = Composer(engine.settings, key=KEY, team_names=engine.team_names(), now=NOW)
    return run_digest(engine, period=period, outbox=outbox, build=build, now=NOW, limit=limit)  # type: ignore[arg-type]


# -- periods ----------------------------------------------------------------------------------------------------------


def test_periods_are_iso_weeks() -> None:
    assert parse_period("2026-W48").isoformat() == "2026-11-23"
    assert period_of(datetime(2026, 11, 29, 23, 59, tzinfo=UTC)) == "2026-W48"
    assert period_start("2026-W01") == datetime(2025, 12, 29, tzinfo=UTC)
    assert previous_periods("2026-W02", 3) == ("2026-W01", "2025-W52", "2025-W51")
    assert previous_periods("2021-W01", 1) == ("2020-W53",), "2020 had 53 ISO weeks"


@pytest.mark.parametrize("bad", ["2026-48", "2026-W8", "W48", "2026-W54", "2025-W53", "2026-W00", ""])
def test_bad_periods_say_what_is_expected(bad: str) -> None:
    with pytest.raises(InvalidPeriod, match="ISO"):
        parse_period(bad)


def test_frequencies() -> None:
    assert is_due("weekly", "2026-W48", {"2026-W47"})
    assert not is_due("off", "2026-W48", set())
    assert not is_due("biweekly", "2026-W48", {"2026-W47"})
    assert is_due("biweekly", "2026-W48", {"2026-W46"})
    assert not is_due("monthly", "2026-W48", {"2026-W45"})
    assert is_due("monthly", "2026-W48", {"2026-W44"})
    assert is_due("monthly", "2026-W02", {"2025-W50"})
    assert not is_due("monthly", "2026-W02", {"2025-W51"}), "across the year boundary"


# -- who is due ---------------------------------------------------------------------------------------------------


def _person(pid: str, **kwargs: object) -> Person:
    values: dict[str, object] = {"name": pid.upper(), "email": f"{pid}@example.com", "team": "blue"}
    values.update(kwargs)
    return Person(id=pid, **values)  # type: ignore[arg-type]


def _record(pid: str, period: str, state: str = "sent") -> DigestRecord:
    return DigestRecord(person=pid, period=period, state=state, at=NOW)  # type: ignore[arg-type]


def _sorted(found: Audience) -> dict[str, object]:
    return {
        "due": [p.id for p in found.due],
        "skipped": {reason: list(ids) for reason, ids in found.skipped.items()},
        "already_sent": list(found.already_sent),
        "unconfirmed": list(found.unconfirmed),
    }


def test_audience_sorts_everyone_by_policy_address_cadence_and_history() -> None:
    people = [
        _person("a"),
        _person("b", email=None),
        _person("c", email="not an address"),
        _person("d", opted_out=True),
        _person("e"),  # person policy: off
        _person("f", team="red"),  # team policy: monthly, had one three weeks ago
        _person("g", team="red"),  # team policy: monthly, had one four weeks ago
        _person("h"),  # person policy: biweekly, had one last week (reserved only: counts as sent)
        _person("i"),  # sent earlier this period
        _person("j"),  # reserved earlier this period, never confirmed
        _person("k"),  # person policy: suggest off
        _person("l", team="red"),  # team monthly, but the person said weekly
    ]
    policies = {
        person_scope("e"): Policy(scope=person_scope("e"), digest="off"),
        team_scope("red"): Policy(scope=team_scope("red"), digest="monthly"),
        person_scope("h"): Policy(scope=person_scope("h"), digest="biweekly"),
        person_scope("k"): Policy(scope=person_scope("k"), suggest=False),
        person_scope("l"): Policy(scope=person_scope("l"), digest="weekly"),
    }
    records = [
        _record("f", "2026-W45"),
        _record("g", "2026-W44"),
        _record("h", "2026-W47", state="reserved"),
        _record("i", "2026-W48"),
        _record("j", "2026-W48", state="reserved"),
        _record("l", "2026-W47"),
    ]
    found = audience(reversed(people), policies, records, period="2026-W48", enabled=True)
    assert _sorted(found) == {
        "due": ["a", "g", "l"],
        "skipped": {
            "no_email": ["b", "c"],
            "not_suggestable": ["d", "k"],
            "frequency_off": ["e"],
            "not_due": ["f", "h"],
        },
        "already_sent": ["i"],
        "unconfirmed": ["j"],
    }


def test_org_policy_and_global_switch() -> None:
    people = [_person("a"), _person("b")]
    org_off = {ORG_SCOPE: Policy(scope=ORG_SCOPE, digest="off"), person_scope("b"): Policy(person_scope("b"))}
    assert _sorted(audience(people, org_off, [], period=PERIOD, enabled=True))["skipped"] == {
        "frequency_off": ["a", "b"]
    }
    switched = audience(people, {}, [_record("a", PERIOD)], period=PERIOD, enabled=False)
    assert _sorted(switched) == {
        "due": [],
        "skipped": {"switched_off": ["b"]},
        "already_sent": ["a"],
        "unconfirmed": [],
    }


# -- what it says -----------------------------------------------------------------------------------------------------


def _post(pid: str, at: datetime, *, title: str | None = None, snippet: str = "", **kwargs: object) -> Post:
    return Post(id=pid, author="a", created_at=at, title=title, snippet=snippet, **kwargs)  # type: ignore[arg-type]


def test_working_on_posts_are_recent_work_in_progress_or_questions() -> None:
    start = period_start(PERIOD)
    posts = [
        _post("p1", start - timedelta(days=1), title="Working on the billing export"),
        _post("p2", start - timedelta(days=2), snippet="WIP: a new on-call rota"),
        _post("p3", start - timedelta(days=3), snippet="How do we rotate keys?", is_question=True),
        _post("p4", start - timedelta(days=4), snippet="Has anyone done SSO for the wiki?"),
        _post("p5", start - timedelta(days=5), snippet="Shipped the new dashboard"),  # not in progress
        _post("p6", start - timedelta(days=15), title="Working on something old"),  # too old
        _post("p7", start + timedelta(hours=1), title="Working on next week's thing"),  # in the period itself
        _post("p8", start - timedelta(days=1), snippet="working on it!", reply_to="p0"),  # a reply
        _post("p9", start - timedelta(days=1), snippet="I wiped the board"),  # "wip" inside a word
    ]
    assert [is_working_on(post) for post in posts] == [True, True, True, True, False, True, True, False, False]
    assert [post.id for post in working_on_posts(posts, period=PERIOD)] == ["p1", "p2", "p3"]
    assert [post.id for post in working_on_posts(posts, period=PERIOD, limit=10)] == ["p1", "p2", "p3", "p4"]


def test_content_shows_only_what_the_recipient_may_see_and_never_themselves(engine: Engine) -> None:
    projection = engine.projection()
    own: dict[str, list[Post]] = {}
    for post in projection.posts:
        own.setdefault(post.author, []).append(post)
    posts = {post.id: post for post in projection.posts}
    policies = engine.store.controls().policy_map()
    composed = [
        compose(
            engine,
            person,
            period=PERIOD,
            own_posts=own.get(person.id, []),
            allowed=lambda p: effective_policy(p, policies).suggest,
        )
        for person in projection.people
        if not person.opted_out
    ]
    with_matches = [content for content in composed if content.working_on]
    assert with_matches, "the generated organisation has recent working-on posts with known answers"
    assert sum(1 for content in composed if content.suggestions) > len(composed) // 2
    opted_out = {person.id for person in projection.people if person.opted_out}
    for content in composed:
        me = content.person
        assert len(content.suggestions) <= 3
        shown = [s.candidate for s in content.suggestions] + [m.person for w in content.working_on for m in w.matches]
        assert all(other.id != me.id and other.id not in opted_out for other in shown)
        evidence = [e for s in content.suggestions for r in s.reasons for e in r.evidence]
        evidence += [e for w in content.working_on for m in w.matches for e in m.evidence]
        assert all(can_see(posts[e.post_id], me) for e in evidence)
        assert all(w.post.author == me.id and is_working_on(w.post) for w in content.working_on)


# -- the message ------------------------------------------------------------------------------------------------------

HOSTILE = '<script>alert("x")</script> & <b>Bob</b>'


def _hostile_content() -> DigestContent:
    me = Person(id="u1", name=f"{HOSTILE}\r\nBcc: victim@example.com", email="me@example.com", team="blue")
    other = Person(id="u2", name=HOSTILE, email="other@example.com", title=HOSTILE, team="red")
    evil = Evidence(
        post_id="p1",
        title=HOSTILE,
        snippet=HOSTILE,
        url="javascript:alert(1)",
        created_at=datetime(2026, 10, 30, tzinfo=UTC),
    )
    fine = replace(evil, post_id="p2", url="https://intranet.example/posts/p2")
    reason = Reason(kind="shared_topics", text=f"You both know about {HOSTILE}", evidence=(evil, fine))
    suggestion = Suggestion(person="u1", candidate=other, score=1.0, reasons=(reason,), evidence_at=None)
    mine = Post(id="p3", author="u1", created_at=datetime(2026, 10, 30, tzinfo=UTC), title=f"Working on {HOSTILE}")
    match = Match(person=other, score=1.0, cross_team=True, evidence=(fine,))
    return DigestContent(
        person=me, period=PERIOD, suggestions=(suggestion,), working_on=(WorkingOn(post=mine, matches=(match,)),)
    )


def _parse(message: EmailMessage) -> EmailMessage:
    return BytesParser(policy=policy.default).parsebytes(message.as_bytes())  # type: ignore[return-value]


def test_message_is_multipart_alternative_with_headers_and_escaped_html(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, public_url="https://weaktie.example/", mail_from="weaktie <wt@corp.example>")
    message = _parse(Composer(settings, key=KEY, team_names={"red": "Red team"}, now=NOW)(_hostile_content()))

    assert message.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in message.iter_parts()] == ["text/plain", "text/html"]
    for header in ("From", "To", "Subject", "Date", "Message-ID"):
        assert message[header], header
    assert message["From"] == "weaktie <wt@corp.example>"
    assert message["To"].addresses[0].addr_spec == "me@example.com"
    assert "\n" not in str(message["To"]) and "Bcc" not in message, "a line break in a name cannot add headers"
    assert message["Message-ID"].endswith("@corp.example>")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = message["List-Unsubscribe"]
    assert link.startswith("<https://weaktie.example/unsubscribe?token=") and link.endswith(">")
    token = parse_qs(urlsplit(link[1:-1]).query)["token"][0]
    assert verify(KEY, token, purpose=UNSUBSCRIBE).person == "u1"

    html = message.get_body(("html",)).get_content()
    assert "<script>" not in html and "<b>Bob</b>" not in html
    assert "&lt;script&gt;" in html and "&amp;" in html
    assert "javascript:" not in html, "only web links reach an href"
    assert 'href="https://intranet.example/posts/p2"' in html
    assert "Red team" in html
    assert f'href="{link[1:-1]}"' in html.replace("&amp;", "&")
    assert "<style" not in html, "styles are inline: many mail clients drop <style> blocks"
    text = message.get_body(("plain",)).get_content()
    assert HOSTILE in text, "plain text is not HTML: nothing to escape there"
    assert "&lt;" not in text
    assert link[1:-1] in text


QUESTION = Post(
    id="q1",
    author="u3",
    created_at=datetime(2026, 9, 1, tzinfo=UTC),
    title="How do we rotate Vault database credentials?",
    is_question=True,
)


def _card_content() -> DigestContent:
    """One suggestion whose reasons come strongest first, as the recommender orders them, each with its own posts."""
    me = Person(id="u1", name="Me", email="me@example.com", team="blue")
    other = Person(id="u2", name="Orla", email="orla@example.com", team="red")

    def quoted(pid: str, snippet: str, *, thread: Post | None = None, title: str | None = None) -> Evidence:
        made = Post(id=pid, author="u2", created_at=datetime(2026, 10, 1, tzinfo=UTC), title=title, snippet=snippet)
        return Evidence.of(replace(made, url=f"https://intranet.example/posts/{pid}", reply_to="q1"), thread=thread)

    answer = quoted("a1", '@**Ana Lee** and @"Bo Chen": we use leases with a one hour TTL', thread=QUESTION)
    reasons = (
        Reason(
            kind="complementary_topics",
            text="They know about Vault, which you asked about",
            topics=("Vault",),
            evidence=(answer, quoted("a2", "second post on vault", title="Vault notes")),
        ),
        Reason(
            kind="shared_topics",
            text="You both know about Postgres",
            topics=("Postgres",),
            evidence=(quoted("a3", "postgres post", title="Postgres tuning"),),
        ),
        Reason(kind="mutual_colleagues", text="2 mutual colleagues: Ana and Bo", people=("Ana", "Bo")),
        Reason(kind="team", text="Works in Red team"),
        Reason(
            kind="recent_work",
            text="Recently: a talk on pgbouncer",
            evidence=(quoted("a4", "a talk on pgbouncer", title="Pgbouncer talk"),),
        ),
    )
    suggestion = Suggestion(person="u1", candidate=other, score=1.0, reasons=reasons, evidence_at=None)
    return DigestContent(person=me, period=PERIOD, suggestions=(suggestion,))


def test_a_card_leads_with_the_strongest_reason_and_quotes_one_post_with_its_link(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, public_url="https://weaktie.example/")
    message = _parse(Composer(settings, key=KEY, team_names={}, now=NOW)(_card_content()))
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    for body in (html, text):
        lead = body.index("They know about Vault, which you asked about")
        assert lead < body.index("You both know about Postgres") < body.index("2 mutual colleagues: Ana and Bo")
        assert "Recently:" not in body, "recent work only ever adds a quote, and this card has one"
        assert body.count("https://intranet.example/posts/") == 1, "one quoted post"
        assert "https://intranet.example/posts/a1" in body
        assert "Re: How do we rotate Vault database credentials?" in body, "an answer is titled after its question"
        for other in ("Vault notes", "Postgres tuning", "Pgbouncer talk"):
            assert other not in body
        assert "@**" not in body and '@"' not in body and "@&#34;" not in body, "no raw mention markup"
    assert 'href="https://intranet.example/posts/a1"' in html
    assert re.search(r'<li style="[^"]*font-weight:600[^"]*">They know about Vault', html), "the lead stands out"


def test_digest_quotes_are_never_chatter_and_one_per_card(engine: Engine, tmp_path: Path) -> None:
    projection = engine.projection()
    posts = {post.id: post for post in projection.posts}
    own: dict[str, list[Post]] = {}
    for post in projection.posts:
        own.setdefault(post.author, []).append(post)
    composer = Composer(Settings(data_dir=tmp_path), key=KEY, team_names={}, now=NOW)
    cards = 0
    for person in sorted(projection.people, key=lambda p: p.id)[:40]:
        content = compose(engine, person, period=PERIOD, own_posts=own.get(person.id, []), allowed=lambda p: True)
        context = composer.context(content, unsubscribe="https://weaktie.example/u")
        for suggestion, card in zip(content.suggestions, context["people"], strict=True):
            cards += 1
            assert card["reasons"][0] == suggestion.reasons[0].text
            assert suggestion.reasons[0].kind in ("shared_topics", "complementary_topics", "mutual_colleagues")
            assert len(card["evidence"]) <= 1
            if suggestion.quote is not None:
                assert card["evidence"][0]["url"] == suggestion.quote.url
        quoted = [e for s in content.suggestions for r in s.reasons for e in r.evidence]
        quoted += [e for w in content.working_on for m in w.matches for e in m.evidence]
        assert not [e.snippet for e in quoted if is_chatter(posts[e.post_id])]
    assert cards > 20


def test_the_long_unsubscribe_header_stays_one_plain_line(tmp_path: Path) -> None:
    # Folding at 78 characters would turn the URL into RFC 2047 encoded words, which no mail client decodes there.
    settings = Settings(data_dir=tmp_path, public_url="https://a-rather-long-host-name.intranet.corp.example/weaktie")
    raw = Composer(settings, key=KEY, team_names={}, now=NOW)(_hostile_content()).as_bytes()
    head, body = raw.split(b"\n\n", 1)
    lines = head.split(b"\n")
    index = next(i for i, line in enumerate(lines) if line.startswith(b"List-Unsubscribe:"))
    assert re.fullmatch(
        rb"List-Unsubscribe: <https://a-rather-long-host-name\S+/unsubscribe\?token=[\w.-]+>", lines[index]
    )
    assert not lines[index + 1].startswith((b" ", b"\t")), "not folded onto a second line"
    assert max(len(line) for line in body.split(b"\n")) <= 78, "the body keeps quoted-printable's short lines"


def test_file_names_are_safe() -> None:
    assert file_name(PERIOD, "../etc/passwd") == "2026-W45-.._etc_passwd.eml"


# -- delivery ---------------------------------------------------------------------------------------------------------


def test_dry_run_writes_messages_and_changes_nothing(engine: Engine, tmp_path: Path) -> None:
    before = engine.stats().relationships["SUGGESTED"]
    report = run(engine, DirectoryOutbox(tmp_path / "out"))
    assert report.dry_run and len(report.delivered) > 100
    files = sorted(path.name for path in (tmp_path / "out").iterdir())
    assert files == sorted(file_name(PERIOD, person) for person in report.delivered)
    assert engine.store.digests() == [], "a dry run reserves nothing"
    assert engine.stats().relationships["SUGGESTED"] == before, "nor records suggestions"
    assert report.skipped["not_suggestable"], "the generator opts people out"
    parsed = BytesParser(policy=policy.default).parsebytes((tmp_path / "out" / files[0]).read_bytes())
    assert parsed["List-Unsubscribe"] and parsed.get_body(("plain",)) is not None


def test_real_run_reserves_marks_records_and_never_sends_twice(engine: Engine) -> None:
    people = {person.id: person for person in engine.projection().people}
    first_id = sorted(people)[0]
    engine.store.reserve_digest(first_id, PERIOD, at=NOW)  # an earlier run crashed before confirming
    before = engine.stats().relationships["SUGGESTED"]
    refused = sorted(people)[5]
    outbox = Collect(refuse=frozenset({refused}))
    report = run(engine, outbox)

    assert report.unconfirmed == [first_id] and first_id not in outbox.messages
    assert report.refused == [refused]
    assert sorted(outbox.messages) == sorted(report.delivered)
    assert all(len(messages) == 1 for messages in outbox.messages.values())
    for person, messages in outbox.messages.items():
        assert messages[0]["To"].addresses[0].addr_spec == people[person].email
    states = {(r.person, r.state) for r in engine.store.digests(PERIOD)}
    assert states == {(p, "sent") for p in report.delivered} | {(first_id, "reserved"), (refused, "reserved")}
    shown = sum(len(m[0].get_body(("plain",)).get_content().split("\n* ")) > 1 for m in outbox.messages.values())
    assert shown and engine.stats().relationships["SUGGESTED"] > before, "what was sent is recorded as shown"

    again = Collect()
    rerun = run(engine, again)
    assert again.messages == {} and rerun.delivered == []
    assert sorted(rerun.already_sent) == sorted(report.delivered)
    assert sorted(rerun.unconfirmed) == sorted([first_id, refused])


def test_limit_leaves_the_rest_for_a_later_run(engine: Engine) -> None:
    outbox = Collect()
    first = run(engine, outbox, limit=5)
    assert len(first.delivered) == 5 and first.not_reached
    second = run(engine, outbox)
    assert set(second.delivered) == set(first.not_reached) - set(second.skipped.get("nothing_to_say", ()))
    assert all(len(messages) == 1 for messages in outbox.messages.values())


def test_cadence_over_weeks(engine: Engine) -> None:
    people = sorted(p.id for p in engine.projection().people if not p.opted_out)
    biweekly, monthly = people[0], people[1]
    engine.store.upsert(
        GraphDelta(
            policies=(
                Policy(scope=person_scope(biweekly), digest="biweekly", updated_at=NOW),
                Policy(scope=person_scope(monthly), digest="monthly", updated_at=NOW),
            )
        )
    )
    sent: dict[str, list[str]] = {}
    for week in ("2026-W45", "2026-W46", "2026-W47", "2026-W48", "2026-W49"):
        for person in run(engine, Collect(), period=week).delivered:
            sent.setdefault(person, []).append(week)
    assert sent[biweekly] == ["2026-W45", "2026-W47", "2026-W49"]
    assert sent[monthly] == ["2026-W45", "2026-W49"]


def test_global_switch_sends_nothing(settings: Settings) -> None:
    off = replace_settings(settings, digest_enabled=False)
    engine = Engine(open_store(off), settings=off)
    try:
        outbox = Collect()
        report = run(engine, outbox)
        assert outbox.messages == {} and engine.store.digests() == []
        assert len(report.skipped["switched_off"]) == len(engine.projection().people)
    finally:
        engine.close()


def test_people_with_nothing_to_say_are_skipped_not_reserved(settings: Settings) -> None:
    store = open_store(settings)
    store.upsert(GraphDelta(people=(Person(id="zz-new", name="New Joiner", email="new@example.com", team="nowhere"),)))
    engine = Engine(store, settings=settings)
    try:
        report = run(engine, Collect())
        assert "zz-new" in report.skipped["nothing_to_say"]
        assert "zz-new" not in {r.person for r in engine.store.digests()}
    finally:
        engine.close()


def test_person_opted_out_of_digest_by_policy_gets_none(engine: Engine) -> None:
    target = sorted(p.id for p in engine.projection().people if not p.opted_out)[3]
    engine.store.upsert(GraphDelta(policies=(Policy(scope=person_scope(target), digest="off", updated_at=NOW),)))
    outbox = Collect()
    report = run(engine, outbox)
    assert target in report.skipped["frequency_off"] and target not in outbox.messages


# -- the command ------------------------------------------------------------------------------------------------------


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.setenv("WEAKTIE_DATA_DIR", str(tmp_path / "default-data"))
    monkeypatch.setenv("WEAKTIE_SPACY_MODEL", "none")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_command_dry_run_prints_a_summary(cli_env: None, settings: Settings, tmp_path: Path) -> None:
    runner = CliRunner()
    args = ["digest", "--period", PERIOD, "--data-dir", str(settings.data_dir), "--out", str(tmp_path / "eml")]
    result = runner.invoke(app, [*args, "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["dry_run"] and summary["written"] and summary["error"] is None
    assert len(list((tmp_path / "eml").iterdir())) == len(summary["written"])
    assert (settings.data_dir / "secret-key").exists(), "the signing key is made on first use"
    table = runner.invoke(app, args, catch_exceptions=False)
    assert "written" in table.stdout and "opted out of suggestions" in table.stdout
    token = parse_qs(
        urlsplit(
            BytesParser(policy=policy.default).parsebytes(next((tmp_path / "eml").iterdir()).read_bytes())[
                "List-Unsubscribe"
            ][1:-1]
        ).query
    )["token"][0]
    assert verify(signing_key(settings), token, purpose=UNSUBSCRIBE).person in summary["written"]


@pytest.mark.parametrize("extra", [[], ["--send", "--out", "x"]])
def test_command_needs_exactly_one_of_send_and_out(cli_env: None, extra: list[str]) -> None:
    result = CliRunner().invoke(app, ["digest", "--period", PERIOD, *extra])
    assert result.exit_code == 2
    assert "--send" in result.output and "--out" in result.output


def test_command_rejects_a_bad_period(cli_env: None, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["digest", "--period", "2026-48", "--out", str(tmp_path)])
    assert result.exit_code == 1 and "ISO week" in result.output
