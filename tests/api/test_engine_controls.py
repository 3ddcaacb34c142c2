"""People's and admins' controls through the engine, on the embedded store holding the small imported organisation.

Each test works on its own copy of the imported data directory, so the controls one test sets never leak into
another. The same controls on Neo4j are in ``test_privacy_neo4j.py``.
"""

from __future__ import annotations

import json
import shutil
import weakref
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from api.engine import Engine, InvalidQuery, open_store
from api.ingest import ingest_source
from api.team_report import team_report
from api.tokens import issue_token
from extractors.synthetic import PlantedMatch
from graph.controls import ORG_SCOPE, person_scope, secret_digest, team_scope
from graph.delta import Expertise, GraphDelta, Person, Post, Team, Tie, Topic, can_see
from graph.errors import NotFound
from graph.store import Projection
from tests.api.conftest import Imported


@pytest.fixture
def engine(imported: Imported, tmp_path: Path) -> Iterator[Engine]:
    data_dir = tmp_path / "data"
    shutil.copytree(imported.settings.data_dir, data_dir, ignore=shutil.ignore_patterns("lock"))
    settings = imported.settings.model_copy(update={"data_dir": data_dir})
    store = open_store(settings)
    try:
        yield Engine(store, settings=settings)
    finally:
        store.close()


def _introduction(imported: Imported) -> PlantedMatch:
    return next(match for match in imported.org.planted if match.kind == "introduction")


def _suggested(engine: Engine, person: str) -> set[str]:
    return {item.candidate.id for item in engine.suggestions(person)}


def _sample(imported: Imported, n: int = 40) -> list[str]:
    return sorted(person["id"] for person in imported.org.people)[:n]


def _top_topic(engine: Engine, person: str) -> str:
    knows = [item for item in engine.profile(person).neighbourhood.knows if not item.declared]
    assert knows, f"{person} should know about something"
    return knows[0].topic


# -- suggestions --------------------------------------------------------------------------------------------------


def test_opting_out_of_suggestions_means_never_suggested_and_getting_none(engine: Engine, imported: Imported) -> None:
    case = _introduction(imported)
    assert case.expert in _suggested(engine, case.person)
    assert engine.suggestions(case.expert), "the expert gets suggestions before opting out"

    engine.set_policy(person_scope(case.expert), suggest=False)

    assert engine.preferences(case.expert).suggest is False
    assert engine.suggestions(case.expert) == []
    for person in [case.person, *_sample(imported)]:
        if person != case.expert:
            assert case.expert not in _suggested(engine, person)
    assert all(person.opted_out for person in engine.projection().people if person.id == case.expert)


def test_a_person_policy_overrides_their_team_which_overrides_the_org(engine: Engine, imported: Imported) -> None:
    case = _introduction(imported)
    member = engine.person(case.person)
    assert member.team is not None
    teammate = next(p["id"] for p in imported.org.people if p.get("team") == member.team and p["id"] != member.id)

    engine.set_policy(ORG_SCOPE, infer=False, digest="monthly")
    engine.set_policy(team_scope(member.team), suggest=False, infer=True)
    engine.set_policy(person_scope(member.id), suggest=True, digest="off")

    mine, theirs = engine.preferences(member.id), engine.preferences(teammate)
    assert (mine.suggest, mine.infer, mine.digest) == (True, True, "off")
    assert (theirs.suggest, theirs.infer, theirs.digest) == (False, True, "monthly")
    assert engine.suggestions(teammate) == []
    assert engine.suggestions(member.id), "the person's own word wins over their team's opt-out"
    # Merging: changing one field at a scope keeps the others said there.
    engine.set_policy(team_scope(member.team), digest="biweekly")
    kept = engine.policy_at(team_scope(member.team))
    assert kept is not None and (kept.suggest, kept.infer, kept.digest) == (False, True, "biweekly")


def test_policy_scopes_are_checked(engine: Engine) -> None:
    with pytest.raises(NotFound):
        engine.set_policy("team:no-such-team", suggest=False)
    with pytest.raises(NotFound):
        engine.set_policy(person_scope("nobody-1"), suggest=False)
    with pytest.raises(InvalidQuery):
        engine.set_policy("department:sales", suggest=False)
    with pytest.raises(InvalidQuery):
        engine.set_policy(ORG_SCOPE, digest="hourly")  # type: ignore[arg-type]


def test_do_not_pair_works_both_ways_until_removed(engine: Engine, imported: Imported) -> None:
    case = _introduction(imported)
    before = _suggested(engine, case.person)
    assert case.expert in before

    entry = engine.do_not_pair(case.expert, case.person)
    assert (entry.a, entry.b) == tuple(sorted((case.expert, case.person)))
    assert engine.do_not_pair_entries() == (entry,)
    assert case.expert not in _suggested(engine, case.person)
    assert case.person not in _suggested(engine, case.expert)

    assert engine.remove_do_not_pair(case.person, case.expert) is True
    assert engine.remove_do_not_pair(case.person, case.expert) is False
    assert engine.do_not_pair_entries() == ()
    assert case.expert in _suggested(engine, case.person)
    with pytest.raises(InvalidQuery):
        engine.do_not_pair(case.person, case.person)


@pytest.mark.parametrize("kind", ["dismiss", "not_relevant"])
def test_dismissed_candidates_never_return(engine: Engine, imported: Imported, kind: str) -> None:
    case = _introduction(imported)
    assert case.expert in _suggested(engine, case.person)

    record = engine.feedback(case.person, case.expert, kind)  # type: ignore[arg-type]

    assert (record.person, record.candidate, record.kind) == (case.person, case.expert, kind)
    assert case.expert not in _suggested(engine, case.person)
    # Not after recording what was shown, nor after a refit on a newer graph either.
    engine.suggestions(case.person, record=True)
    engine.refresh()
    assert case.expert not in _suggested(engine, case.person)
    assert record in engine.controls().feedback


def test_feedback_takes_effect_at_once_without_refitting(engine: Engine, imported: Imported) -> None:
    # One click in the widget must not cost every reader a refit of the whole model.
    case = _introduction(imported)
    assert case.expert in _suggested(engine, case.person)  # also fills the answer cache
    model = engine.people_model()

    engine.feedback(case.person, case.expert, "dismiss")

    assert case.expert not in _suggested(engine, case.person)
    assert engine.people_model() is model


def test_repeated_questions_get_the_same_answer_until_something_changes(engine: Engine, imported: Imported) -> None:
    case = _introduction(imported)
    first = engine.suggestions(case.person)

    assert engine.suggestions(case.person) == first
    engine.do_not_pair(case.person, case.expert)
    assert case.expert not in _suggested(engine, case.person)


def test_feedback_needs_two_known_different_people(engine: Engine, imported: Imported) -> None:
    case = _introduction(imported)
    with pytest.raises(InvalidQuery):
        engine.feedback(case.person, case.person, "met")
    with pytest.raises(NotFound):
        engine.feedback(case.person, "nobody-1", "dismiss")
    with pytest.raises(InvalidQuery):
        engine.feedback(case.person, case.expert, "love")  # type: ignore[arg-type]


# -- topics and inference -----------------------------------------------------------------------------------------


def test_opting_out_of_inference_hides_and_stops_using_expertise(engine: Engine, imported: Imported) -> None:
    case = next(match for match in imported.org.planted if match.kind == "already_done")
    topic = _top_topic(engine, case.expert)
    assert case.expert in {p.id for p, _ in engine.topic_people(topic, limit=100).experts}
    assert case.expert in {m.person.id for m in engine.already_done(case.query, asker=case.person, k=10)}

    engine.set_policy(person_scope(case.expert), infer=False)

    profile = engine.profile(case.expert).neighbourhood
    assert (profile.knows, profile.asks) == ((), ())
    assert case.expert not in {p.id for p, _ in engine.topic_people(topic, limit=100).experts}
    assert case.expert not in {m.person.id for m in engine.already_done(case.query, asker=case.person, k=10)}
    assert not [item for item in engine.projection().expertise if item.person == case.expert and not item.declared]


def test_a_hidden_topic_is_not_in_the_profile_nor_used(engine: Engine, imported: Imported) -> None:
    expert = _introduction(imported).expert
    topic = _top_topic(engine, expert)
    label = next(t.label for t in engine.store.topics() if t.id == topic)

    record = engine.correct_topic(expert, label.upper(), "hide")

    assert record.topic == topic
    shown = engine.profile(expert).neighbourhood
    assert topic not in {item.topic for item in (*shown.knows, *shown.asks)}
    assert shown.knows, "only the hidden topic goes"
    assert expert not in {p.id for p, _ in engine.topic_people(topic, limit=200).experts}
    assert not [item for item in engine.projection().expertise if (item.person, item.topic) == (expert, topic)]
    statuses = {item.topic: item.status for item in engine.person_topics(expert)}
    assert statuses[topic] == "hidden"


def test_an_added_topic_is_marked_self_declared(engine: Engine, imported: Imported) -> None:
    expert = _introduction(imported).expert

    record = engine.correct_topic(expert, "  Quantum   Basket\tWeaving ", "add")

    assert record.topic == "quantum basket weaving"
    declared = [item for item in engine.profile(expert).neighbourhood.knows if item.topic == record.topic]
    assert len(declared) == 1 and declared[0].declared and declared[0].evidence == ()
    inferred = [item for item in engine.profile(expert).neighbourhood.knows if item.topic != record.topic]
    assert inferred and not any(item.declared for item in inferred)
    statuses = {item.topic: item.status for item in engine.person_topics(expert)}
    assert statuses[record.topic] == "self-declared"
    # Confirming a topic they have evidence for marks it confirmed; hiding or confirming an unknown one is refused.
    topic = _top_topic(engine, expert)
    engine.correct_topic(expert, topic, "confirm")
    assert {item.topic: item.status for item in engine.person_topics(expert)}[topic] == "confirmed"
    with pytest.raises(NotFound):
        engine.correct_topic(expert, "underwater origami", "hide")
    engine.correct_topic(expert, "QUANTUM basket weaving", "hide")
    assert record.topic not in {item.topic for item in engine.profile(expert).neighbourhood.knows}
    with pytest.raises(InvalidQuery):
        engine.correct_topic(expert, "   ", "add")


# -- what each reader may see -------------------------------------------------------------------------------------


def test_profile_evidence_comes_only_from_posts_the_reader_may_see(engine: Engine, imported: Imported) -> None:
    restricted = next(post for post in imported.org.posts if post.get("audience"))
    author = engine.person(restricted["author"])
    outsider = next(p for p in engine.store.people() if not can_see(_post(engine, restricted["id"]), p))
    public = [p.id for p in engine.store.neighbourhood(author.id, limit=100).recent_posts if p.is_public]
    assert public, "the author has public posts too"
    # The extractors infer expertise from public posts only; a store may still hold evidence from closed ones
    # (another source, an older version): what is shown must not depend on that.
    mixed = Expertise(author.id, "closed topic one", "knows", 9.0, (restricted["id"], public[0]), _now())
    closed = Expertise(author.id, "closed topic two", "knows", 8.0, (restricted["id"],), _now())
    engine.store.upsert(
        GraphDelta(topics=(Topic("closed topic one", "closed one"), Topic("closed topic two", "closed two")))
    )
    engine.store.upsert(GraphDelta(expertise=(mixed, closed)))
    engine.refresh()

    for viewer in (None, outsider.id):
        shown = {item.topic: item.evidence for item in engine.profile(author.id, viewer=viewer).neighbourhood.knows}
        assert shown["closed topic one"] == (public[0],)
        assert "closed topic two" not in shown, "a topic known only from closed posts would tell what they say"
        assert restricted["id"] not in {
            post.id for post in engine.profile(author.id, viewer=viewer, limit=100).neighbourhood.recent_posts
        }
        experts = dict(engine.topic_people("closed topic two", viewer=viewer).experts)
        assert author not in experts
    own = {item.topic: item.evidence for item in engine.profile(author.id, viewer=author.id).neighbourhood.knows}
    assert own["closed topic one"] == mixed.evidence and own["closed topic two"] == closed.evidence
    assert engine.topic_people("closed topic two", viewer=author.id).experts[0][0] == author


def _post(engine: Engine, post_id: str) -> Post:
    return engine.store.posts_by_id([post_id])[post_id]


def _now() -> datetime:
    return datetime(2026, 10, 1, tzinfo=UTC)


def test_suggestion_and_topic_evidence_is_visible_to_its_reader(engine: Engine, imported: Imported) -> None:
    for person in _sample(imported):
        reader = engine.person(person)
        for suggestion in engine.suggestions(person):
            ids = [item.post_id for reason in suggestion.reasons for item in reason.evidence]
            assert all(can_see(post, reader) for post in engine.store.posts_by_id(ids).values())
    topic = _top_topic(engine, _introduction(imported).expert)
    experts = engine.topic_people(topic, limit=100).experts
    ids = [post for _, item in experts for post in item.evidence]
    assert ids and all(post.is_public for post in engine.store.posts_by_id(ids).values())


# -- export and forget --------------------------------------------------------------------------------------------


def test_export_holds_the_persons_data_and_no_token_digests(engine: Engine, imported: Imported) -> None:
    case = _introduction(imported)
    me = case.expert
    token, secret = issue_token(engine.store, scope="person", person=me, now=datetime.now(UTC))
    engine.feedback(me, case.person, "met")
    engine.feedback(case.person, me, "dismiss")
    engine.correct_topic(me, "tax law", "add")
    engine.set_policy(person_scope(me), digest="monthly")
    engine.do_not_pair(me, case.person)

    data = engine.export_person(me)
    text = json.dumps(data)

    stored = engine.store.projection()
    assert data["person"]["id"] == me and data["person"]["email"] == engine.person(me).email
    assert data["team"]["id"] == engine.person(me).team
    assert {post["id"] for post in data["posts"]} == {post.id for post in stored.posts if me in post.authors}
    assert data["posts"] and all(set(post) >= {"id", "snippet", "topics"} for post in data["posts"])
    assert {(t["source"], t["target"]) for t in data["ties"]} == {
        (t.source, t.target) for t in stored.ties if me in (t.source, t.target)
    }
    assert len(data["expertise"]) == sum(1 for item in stored.expertise if item.person == me) > 0
    assert [(f["candidate"], f["kind"]) for f in data["feedback_given"]] == [(case.person, "met")]
    assert [f["kind"] for f in data["feedback_received"]] == ["dismiss"]
    assert case.person not in json.dumps(data["feedback_received"])
    assert [(c["topic"], c["action"]) for c in data["corrections"]] == [("tax law", "add")]
    assert data["policy"]["own"]["digest"] == data["policy"]["effective"]["digest"] == "monthly"
    assert len(data["do_not_pair"]) == 1
    assert case.person not in json.dumps(data["do_not_pair"])  # that there is an entry, not with whom
    assert [t["id"] for t in data["tokens"]] == [token.id]
    assert "digest" not in data["tokens"][0]
    assert token.digest not in text and secret not in text and secret_digest(secret) not in text
    # Nothing about anybody else's posts: every post listed is theirs.
    assert all(me in (post["author"], *post["co_authors"]) for post in data["posts"])


def test_forgotten_people_do_not_come_back_with_a_reimport(engine: Engine, imported: Imported) -> None:
    case = _introduction(imported)
    gone = case.expert
    engine.feedback(case.person, gone, "met")
    engine.forget_person(gone)
    _assert_gone(engine, gone)
    assert gone not in _suggested(engine, case.person)

    again = engine.ingest(imported.export)

    authored = sum(1 for post in imported.org.posts if post["author"] == gone)
    assert again.suppressed == authored + 1  # their posts and their people record
    assert again.imported_people == 0
    _assert_gone(engine, gone)
    # The other import path (`weaktie ingest`, any format) drops them too.
    source = ingest_source(imported.export, engine.store, settings=engine.settings)
    assert source.ingest.suppressed == authored + 1
    engine.refresh()
    _assert_gone(engine, gone)


def _assert_gone(engine: Engine, person: str) -> None:
    with pytest.raises(NotFound):
        engine.person(person)
    stored = engine.store.projection()
    assert person not in {p.id for p in stored.people}
    for post in stored.posts:
        assert person not in (*post.authors, *post.mentions, *post.audience)
    assert not [t for t in stored.ties if person in (t.source, t.target)]
    assert not [item for item in stored.expertise if item.person == person]
    controls = engine.store.controls()
    assert not [f for f in controls.feedback if person in (f.person, f.candidate)]
    assert engine.projection().people == stored.people


# -- small groups -------------------------------------------------------------------------------------------------


def test_stats_never_show_a_group_smaller_than_the_minimum(engine: Engine, tmp_path: Path) -> None:
    full = engine.stats()
    assert not full.suppressed and full.nodes["Person"] >= engine.settings.min_group_size
    settings = engine.settings.model_copy(update={"data_dir": tmp_path / "tiny"})
    with open_store(settings) as store:
        tiny = Engine(store, settings=settings)
        assert tiny.stats().suppressed is False  # an empty graph describes nobody
        people = tuple(Person(id=f"t{i}", name=f"T {i}", team="a") for i in range(settings.min_group_size - 1))
        tiny.store.upsert(GraphDelta(people=people))
        small = tiny.stats()
        assert small.suppressed and small.total == 0 and small.nodes["Person"] == 0
        tiny.store.upsert(GraphDelta(people=(Person(id="t-last", name="T last", team="a"),)))
        assert tiny.stats().suppressed is False
        assert tiny.stats().nodes["Person"] == settings.min_group_size


def test_team_report_rows_never_stand_for_fewer_than_the_minimum(engine: Engine, imported: Imported) -> None:
    sizes: dict[str, int] = {}
    for person in imported.org.people:
        sizes[person["team"]] = sizes.get(person["team"], 0) + 1
    report = engine.team_report()
    assert {row.team: row.people for row in report.rows} == sizes
    assert report.left_out == 0
    assert sum(row.posts for row in report.rows) == len(imported.org.posts)
    assert all(row.top_topics and row.cross_team_ties > 0 for row in report.rows)
    # A minimum between the team sizes: the smaller teams are merged into one row, never shown alone.
    ordered = sorted(sizes.values())
    minimum = ordered[len(ordered) // 2] + 1
    raised = Engine(engine.store, settings=engine.settings.model_copy(update={"min_group_size": minimum}))
    merged_report = raised.team_report()
    small = {team: n for team, n in sizes.items() if n < minimum}
    assert all(row.people >= minimum for row in merged_report.rows)
    assert {row.team for row in merged_report.rows if not row.merged} == set(sizes) - set(small)
    merged = [row for row in merged_report.rows if row.merged]
    assert len(merged) == 1 and merged[0].people == sum(small.values()) and merged[0].teams == len(small)


def test_team_report_merges_small_teams_or_leaves_them_out() -> None:
    now = datetime(2026, 6, 1, tzinfo=UTC)

    def org(sizes: dict[str, int]) -> Projection:
        people = tuple(
            Person(id=f"{team}-{i}", name=f"{team} {i}", team=team) for team, n in sizes.items() for i in range(n)
        )
        posts = tuple(
            Post(
                id=f"post-{person.id}",
                author=person.id,
                created_at=now - timedelta(days=10 + 50 * (i % 3)),
                topics=("kafka",),
            )
            for i, person in enumerate(people)
        )
        ties = (
            Tie("big-0", "small-0", 1.0, 1, now),
            Tie("small-0", "big-0", 1.0, 1, now),
            Tie("big-0", "big-1", 1.0, 1, now),
        )
        teams = tuple(Team(id=team, name=team.title()) for team in sizes)
        return Projection(people, teams, (), posts, ties, (), ())

    shown = team_report(org({"big": 6, "small": 3, "tiny": 2}), since=now - timedelta(days=90), min_group_size=5)
    assert [(row.name, row.people, row.teams, row.merged) for row in shown.rows] == [
        ("Big", 6, 1, False),
        ("smaller teams", 5, 2, True),
    ]
    big, merged = shown.rows
    assert (big.posts, big.top_topics, big.cross_team_ties) == (6, ("kafka",), 1)
    assert big.active_people == sum(1 for i in range(6) if 10 + 50 * (i % 3) <= 90)
    assert merged.cross_team_ties == 1 and shown.left_out == 0

    left = team_report(org({"big": 6, "small": 3}), since=now - timedelta(days=90), min_group_size=5)
    assert [row.name for row in left.rows] == ["Big"] and left.left_out == 3
    silent = team_report(
        org({"big": 6}),
        since=now,
        min_group_size=5,
        no_inference={"big-0", "big-1", "big-2"},
        hidden={("big-3", "kafka")},
    )
    assert silent.rows[0].top_topics == ("kafka",)
    none = team_report(
        org({"big": 6}),
        since=now,
        min_group_size=5,
        no_inference={f"big-{i}" for i in range(3)},
        hidden={(f"big-{i}", "kafka") for i in range(3, 6)},
    )
    assert none.rows[0].top_topics == ()


def test_a_refit_collects_cycles_frozen_by_the_previous_fit(engine: Engine) -> None:
    # The engine freezes the heap after a fit (latency); garbage frozen then must not outlive the next fit.
    class Node:
        me: object

    cycle = Node()
    cycle.me = cycle
    gone = weakref.ref(cycle)
    engine.people_model()
    del cycle

    engine.refresh()
    engine.people_model()

    assert gone() is None
