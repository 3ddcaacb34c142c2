"""People's and admins' controls on a real Neo4j: each control through the engine, forget + re-import, small groups.

Every test starts from the small organisation freshly imported into the (wiped) test server, so no control one test
sets can change what another sees. The embedded-store twins of these tests are in ``test_engine_controls.py``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from api.engine import Engine
from api.ingest import ingest_source
from api.settings import Settings
from api.tokens import issue_token
from extractors.synthetic import PlantedMatch
from graph.controls import person_scope, team_scope
from graph.delta import GraphDelta, Person
from graph.errors import NotFound
from graph.neo4j_store import Neo4jStore
from tests.api.conftest import Imported
from tests.neo4j_server import TestServer

pytestmark = [pytest.mark.slow, pytest.mark.neo4j]


def _settings(server: TestServer, data_dir: Path, **overrides: object) -> Settings:
    return server.settings(data_dir, neo4j_retry_seconds=1.0, **overrides)


@pytest.fixture
def engine(neo4j_server: TestServer, imported: Imported, tmp_path: Path) -> Iterator[Engine]:
    store = neo4j_server.fresh_store()
    engine = Engine(store, settings=_settings(neo4j_server, tmp_path / "data"))
    engine.ingest(imported.export)
    try:
        yield engine
    finally:
        store.close()


def _introduction(imported: Imported) -> PlantedMatch:
    return next(match for match in imported.org.planted if match.kind == "introduction")


def _suggested(engine: Engine, person: str) -> set[str]:
    return {item.candidate.id for item in engine.suggestions(person)}


def test_opting_out_of_suggestions_and_of_inference(engine: Engine, imported: Imported) -> None:
    assert isinstance(engine.store, Neo4jStore)
    case = _introduction(imported)
    assert case.expert in _suggested(engine, case.person)
    assert engine.profile(case.expert).neighbourhood.knows

    engine.set_policy(person_scope(case.expert), suggest=False)
    engine.set_policy(person_scope(case.expert), infer=False)

    # A fresh engine reads the policy back from Neo4j, merged field by field.
    again = Engine(engine.store, settings=engine.settings)
    stored = again.policy_at(person_scope(case.expert))
    assert stored is not None and (stored.suggest, stored.infer, stored.digest) == (False, False, None)
    assert case.expert not in _suggested(again, case.person)
    assert again.suggestions(case.expert) == []
    shown = again.profile(case.expert).neighbourhood
    assert (shown.knows, shown.asks) == ((), ())
    assert not [e for e in again.projection().expertise if e.person == case.expert and not e.declared]


def test_team_policy_gives_way_to_the_persons_own(engine: Engine, imported: Imported) -> None:
    case = _introduction(imported)
    team = engine.person(case.person).team
    assert team is not None
    teammate = next(p["id"] for p in imported.org.people if p.get("team") == team and p["id"] != case.person)

    engine.set_policy(team_scope(team), suggest=False, digest="monthly")
    engine.set_policy(person_scope(case.person), suggest=True)

    again = Engine(engine.store, settings=engine.settings)
    assert (again.preferences(case.person).suggest, again.preferences(case.person).digest) == (True, "monthly")
    assert again.preferences(teammate).suggest is False
    assert again.suggestions(teammate) == []


def test_do_not_pair_and_dismissal(engine: Engine, imported: Imported) -> None:
    cases = [match for match in imported.org.planted if match.kind == "introduction"]
    first, second = cases[0], cases[1]
    assert first.expert in _suggested(engine, first.person)
    assert second.expert in _suggested(engine, second.person)

    engine.do_not_pair(first.person, first.expert)
    engine.feedback(second.person, second.expert, "dismiss")

    again = Engine(engine.store, settings=engine.settings)
    assert first.expert not in _suggested(again, first.person)
    assert first.person not in _suggested(again, first.expert)
    assert second.expert not in _suggested(again, second.person)
    assert [(f.person, f.candidate, f.kind) for f in again.store.controls().feedback] == [
        (second.person, second.expert, "dismiss")
    ]
    assert again.remove_do_not_pair(first.expert, first.person) is True
    assert first.expert in _suggested(again, first.person)


def test_hidden_and_added_topics(engine: Engine, imported: Imported) -> None:
    expert = _introduction(imported).expert
    topic = engine.profile(expert).neighbourhood.knows[0].topic

    engine.correct_topic(expert, topic, "hide")
    engine.correct_topic(expert, "Tax   Law", "add")

    again = Engine(engine.store, settings=engine.settings)
    knows = again.profile(expert).neighbourhood.knows
    assert topic not in {item.topic for item in knows}
    assert [(item.topic, item.declared) for item in knows if item.declared] == [("tax law", True)]
    assert expert not in {p.id for p, _ in again.topic_people(topic, limit=200).experts}
    statuses = {item.topic: item.status for item in again.person_topics(expert)}
    assert (statuses[topic], statuses["tax law"]) == ("hidden", "self-declared")


def test_export_has_no_token_digests(engine: Engine, imported: Imported) -> None:
    case = _introduction(imported)
    token, secret = issue_token(engine.store, scope="person", person=case.expert, now=datetime.now(UTC))
    engine.feedback(case.expert, case.person, "met")

    data = engine.export_person(case.expert)
    text = json.dumps(data)

    assert data["person"]["id"] == case.expert
    assert {post["id"] for post in data["posts"]} == {
        post["id"] for post in imported.org.posts if case.expert in (post["author"], *post.get("co_authors", ()))
    }
    assert data["ties"] and data["expertise"]
    assert [f["candidate"] for f in data["feedback_given"]] == [case.person]
    assert [t["id"] for t in data["tokens"]] == [token.id]
    assert token.digest not in text and secret not in text


def test_a_forgotten_person_does_not_come_back_with_a_reimport(engine: Engine, imported: Imported) -> None:
    case = _introduction(imported)
    gone = case.expert
    engine.forget_person(gone)
    with pytest.raises(NotFound):
        engine.person(gone)

    again = engine.ingest(imported.export)
    source = ingest_source(imported.export, engine.store, settings=engine.settings)
    engine.refresh()

    authored = sum(1 for post in imported.org.posts if post["author"] == gone)
    assert again.suppressed == source.ingest.suppressed == authored + 1
    assert again.imported_people == source.ingest.imported_people == 0
    with pytest.raises(NotFound):
        engine.person(gone)
    stored = engine.store.projection()
    assert gone not in {person.id for person in stored.people}
    assert not [post for post in stored.posts if gone in (*post.authors, *post.mentions, *post.audience)]
    assert not [tie for tie in stored.ties if gone in (tie.source, tie.target)]
    assert gone not in _suggested(engine, case.person)


def test_small_groups_are_never_shown(neo4j_server: TestServer, tmp_path: Path) -> None:
    store = neo4j_server.fresh_store()
    try:
        engine = Engine(store, settings=_settings(neo4j_server, tmp_path / "data"))
        people = tuple(Person(id=f"t{i}", name=f"T {i}", team="a" if i < 3 else "b") for i in range(4))
        store.upsert(GraphDelta(people=people))
        stats = engine.stats()
        assert stats.suppressed and stats.total == 0
        report = engine.team_report()
        assert (report.rows, report.left_out) == ((), 4)
        store.upsert(GraphDelta(people=(Person(id="t4", name="T 4", team="c"),)))
        engine.refresh()
        assert engine.stats().nodes["Person"] == 5 and not engine.stats().suppressed
        merged = engine.team_report()
        assert [(row.merged, row.people, row.teams) for row in merged.rows] == [(True, 5, 3)]
        assert merged.left_out == 0
    finally:
        store.close()
