"""What only the Neo4j store has to prove about controls: the schema behind them, digest reservations that hold
under concurrent connections and retried commits, forgetting by stored properties, declared-only topics, and parity
with the embedded store. The backend-neutral behaviour is in ``test_controls_contract.py``."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import neo4j
import pytest

from graph import cypher
from graph.controls import (
    AccessToken,
    DoNotPair,
    Feedback,
    Policy,
    TopicCorrection,
    secret_digest,
    suppression_keys,
)
from graph.delta import GraphDelta, Person, Post, Topic
from graph.embedded import EmbeddedStore
from graph.errors import NotFound
from graph.neo4j_store import Neo4jStore
from graph.store import NODE_LABELS, GraphStore
from tests.graph.sample import at, expertise, person, post, small_org
from tests.graph.test_neo4j_store import _LostCommitDriver
from tests.neo4j_server import TestServer

pytestmark = pytest.mark.neo4j

PERIOD = "2026-W10"
CONTENDERS = 8


@pytest.fixture
def store(neo4j_server: TestServer) -> Iterator[Neo4jStore]:
    opened = neo4j_server.fresh_store()
    try:
        yield opened
    finally:
        opened.close()


def _query(driver: neo4j.Driver, statement: Any, **parameters: Any) -> list[neo4j.Record]:
    records, _, _ = driver.execute_query(statement, parameters, database_="neo4j")
    return records


def _token(token_id: str, person_id: str | None) -> AccessToken:
    return AccessToken(
        id=token_id,
        digest=secret_digest(f"wt_{token_id}_secret"),
        scope="person" if person_id else "admin",
        person=person_id,
        created_at=at(1),
    )


# -- schema -----------------------------------------------------------------------------------------------------------


def test_the_control_constraints_exist_and_creating_the_schema_again_changes_nothing(
    store: Neo4jStore, neo4j_server: TestServer
) -> None:
    schema = _query(neo4j_server.driver, cypher.SHOW_CONSTRAINTS)

    store.ensure_schema()
    Neo4jStore(neo4j_server.driver).close()  # another process starting against the same database

    again = _query(neo4j_server.driver, cypher.SHOW_CONSTRAINTS)
    assert sorted(r["name"] for r in again) == sorted(r["name"] for r in schema)
    unique = {(tuple(r["labelsOrTypes"]), tuple(r["properties"])) for r in again if r["type"] == "UNIQUENESS"}
    assert {
        (("Policy",), ("scope",)),
        (("Token",), ("id",)),
        (("Digest",), ("key",)),
        (("Suppressed",), ("key",)),
    } <= unique


def test_the_constraint_rejects_a_second_reservation_node_for_the_same_person_and_period(
    store: Neo4jStore, neo4j_server: TestServer
) -> None:
    assert store.reserve_digest("ada", PERIOD, at=at(7))

    # Whatever the code path, the database itself refuses a second claim.
    with pytest.raises(neo4j.exceptions.ConstraintError):
        _query(neo4j_server.driver, "CREATE (:Digest {key: $key})", key=f"ada|{PERIOD}")


# -- digest reservations ------------------------------------------------------------------------------------------


def test_of_many_connections_reserving_the_same_digest_at_once_exactly_one_wins(neo4j_server: TestServer) -> None:
    neo4j_server.wipe()
    # One driver (so one connection pool) per contender: to the server they are as separate as processes.
    stores = [Neo4jStore.connect(neo4j_server.uri, neo4j_server.user, neo4j_server.password) for _ in range(CONTENDERS)]
    periods = [f"2026-W{week:02d}" for week in range(10, 15)]
    results: dict[str, list[bool]] = {period: [] for period in periods}
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(CONTENDERS)

    def contend(contender: Neo4jStore) -> None:
        try:
            for period in periods:
                start.wait(timeout=30)  # every round starts together
                won = contender.reserve_digest("ada", period, at=at(7))
                with lock:
                    results[period].append(won)
        except BaseException as error:
            errors.append(error)
            start.abort()

    threads = [threading.Thread(target=contend, args=(contender,)) for contender in stores]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        for contender in stores:
            contender.close()

    assert not errors
    assert {period: sorted(won) for period, won in results.items()} == {
        period: [False] * (CONTENDERS - 1) + [True] for period in periods
    }
    nodes = _query(neo4j_server.driver, "MATCH (n:Digest) RETURN n.period AS period")
    assert sorted(r["period"] for r in nodes) == periods  # one node per period, no duplicates


def test_a_reservation_whose_commit_was_lost_and_retried_is_still_won(neo4j_server: TestServer) -> None:
    neo4j_server.wipe()
    flaky = _LostCommitDriver(neo4j_server.driver)
    store = Neo4jStore(flaky, database="neo4j")  # type: ignore[arg-type]
    flaky.armed = True

    assert store.reserve_digest("ada", PERIOD, at=at(7)) is True  # committed, "lost", retried: still ours

    assert flaky.lost_commits == 1
    flaky.armed = False
    assert store.reserve_digest("ada", PERIOD, at=at(8)) is False
    assert [(d.person, d.state) for d in store.digests()] == [("ada", "reserved")]


# -- forgetting -----------------------------------------------------------------------------------------------------

ZED = Person(id="zed-4711", name="Zed Example", email="zed@example.org", handles=("@zed",), team="platform")


def _traces(driver: neo4j.Driver, needle: str) -> list[Any]:
    """Every stored property value (anywhere in the database) that contains ``needle``."""
    (record,) = _query(driver, cypher.ALL_PROPERTIES)
    found = []
    for properties in record["properties"]:
        for value in properties.values():
            items = value if isinstance(value, list) else [value]
            found.extend(item for item in items if needle in str(item))
    return found


def test_forgetting_finds_posts_by_their_properties_even_without_authored_relationships(
    store: Neo4jStore, neo4j_server: TestServer
) -> None:
    # The posts arrive before their people, so none of them has an AUTHORED or MENTIONS relationship to zed.
    store.upsert(
        GraphDelta(
            posts=(
                post("alone", ZED.id, day=1),
                post("led", ZED.id, day=2, co_authors=("yan",)),
                post("joined", "yan", day=3, co_authors=(ZED.id,), mentions=(ZED.id,)),
                post("private", "yan", day=4, audience=(ZED.id,)),
            )
        )
    )
    store.upsert(
        GraphDelta(
            people=(ZED, person("yan", team="platform")),
            feedback=(Feedback(ZED.id, "yan", "met", at(5)), Feedback("yan", ZED.id, "dismiss", at(5))),
            corrections=(TopicCorrection(ZED.id, "zig", "add", at(5)),),  # a declared-only topic: his alone
            policies=(Policy(f"person:{ZED.id}", suggest=False, updated_at=at(5)),),
            do_not_pair=(DoNotPair(ZED.id, "yan", at(5)),),
        )
    )
    store.save_token(_token("tok-zed", ZED.id))
    store.reserve_digest(ZED.id, PERIOD, at=at(7))

    store.forget_person(ZED.id, suppress=suppression_keys(ZED))

    assert _traces(neo4j_server.driver, ZED.id) == []
    assert _traces(neo4j_server.driver, "zig") == []  # the topic only he declared went with him
    posts = store.posts_by_id(["alone", "led", "joined", "private"])
    assert set(posts) == {"led", "joined", "private"}
    assert posts["led"].authors == ("yan",)
    assert posts["joined"].authors == ("yan",)
    assert posts["joined"].mentions == ()
    assert posts["private"].audience == ("yan",)  # still restricted: not turned public by losing its reader
    assert store.suppressed() == suppression_keys(ZED)


def test_forgetting_a_person_with_co_authored_posts_moves_authorship_to_the_first_other_co_author(
    store: Neo4jStore, neo4j_server: TestServer
) -> None:
    store.upsert(small_org())
    store.upsert(GraphDelta(posts=(post("p5", "cyd", day=4, co_authors=("dee", "ada", "dee"), topics=("postgres",)),)))

    store.forget_person("cyd", suppress=suppression_keys(person("cyd")))

    kept = store.posts_by_id(["p3", "p5"])
    assert kept["p3"].authors == ("dee",)
    assert kept["p5"].authors == ("dee", "ada")  # no author twice
    roles = _query(
        neo4j_server.driver,
        "MATCH (a:Person)-[r:AUTHORED]->(p:Post {id: 'p5'}) RETURN a.id AS person, r.role AS role ORDER BY person",
    )
    assert [(r["person"], r["role"]) for r in roles] == [("ada", "co_author"), ("dee", "author")]
    assert [p.id for p in store.neighbourhood("dee").recent_posts] == ["p5", "p3"]


def test_a_forget_whose_commit_was_lost_and_retried_succeeds_and_a_second_one_is_not_found(
    neo4j_server: TestServer,
) -> None:
    neo4j_server.wipe()
    flaky = _LostCommitDriver(neo4j_server.driver)
    store = Neo4jStore(flaky, database="neo4j")  # type: ignore[arg-type]
    store.upsert(small_org())
    flaky.armed = True

    store.forget_person("bob", suppress=suppression_keys(person("bob")))  # committed, "lost", retried: no NotFound

    assert flaky.lost_commits == 1
    flaky.armed = False
    with pytest.raises(NotFound):
        store.person("bob")
    with pytest.raises(NotFound):
        store.forget_person("bob", suppress=suppression_keys(person("bob")))


# -- declared-only topics -------------------------------------------------------------------------------------------


def test_a_declared_topic_stays_out_of_the_vocabulary_until_a_topic_record_arrives(
    store: Neo4jStore, neo4j_server: TestServer
) -> None:
    store.upsert(small_org())
    vocabulary, before = store.topics(), store.counts()
    added = TopicCorrection("ada", "rust", "add", at(5))

    store.upsert(
        GraphDelta(
            corrections=(added,),
            # Neither evidence nor a post may attach to a topic nobody has written a record for.
            expertise=(expertise("ada", "rust"),),
            posts=(post("p9", "ada", day=6, topics=("rust",)),),
        )
    )

    assert store.topics() == vocabulary
    assert store.projection().topics == tuple(vocabulary)
    with pytest.raises(NotFound):
        store.topic_people("rust")
    after = store.counts()
    assert after.nodes == {**before.nodes, "Post": before.nodes["Post"] + 1}
    assert after.relationships == {
        **before.relationships,
        "CORRECTS": 1,
        "AUTHORED": before.relationships["AUTHORED"] + 1,
    }
    (node,) = _query(neo4j_server.driver, "MATCH (t:Topic {id: 'rust'}) RETURN properties(t) AS p")
    assert node["p"] == {"id": "rust", "label": "rust", "declared_only": True}

    store.upsert(GraphDelta(topics=(Topic("rust", "Rust"),), expertise=(expertise("ada", "rust", 2.0),)))

    assert Topic("rust", "Rust") in store.topics()
    assert [e.person for e in store.topic_people("rust")] == ["ada"]
    assert store.controls().corrections == (added,)
    assert store.counts().nodes["Topic"] == len(vocabulary) + 1


# -- latest wins, by time -------------------------------------------------------------------------------------------


def test_a_control_older_than_the_stored_one_does_not_replace_it(store: Neo4jStore) -> None:
    # A delta replayed or retried late must not undo what the person said since (Neo4j compares the timestamps).
    store.upsert(small_org())
    newer = GraphDelta(
        feedback=(Feedback("ada", "cyd", "met", at(6)),),
        corrections=(TopicCorrection("ada", "kubernetes", "confirm", at(6)),),
        policies=(Policy("org", suggest=False, updated_at=at(6)),),
        do_not_pair=(DoNotPair("ada", "cyd", at(6)),),
    )
    store.upsert(newer)

    store.upsert(
        GraphDelta(
            feedback=(Feedback("ada", "cyd", "dismiss", at(5)),),
            corrections=(TopicCorrection("ada", "kubernetes", "hide", at(5)),),
            policies=(Policy("org", suggest=True, updated_at=at(5)),),
            do_not_pair=(DoNotPair("cyd", "ada", at(5)),),
        )
    )

    controls = store.controls()
    assert (controls.feedback, controls.corrections, controls.policies, controls.do_not_pair) == (
        newer.feedback,
        newer.corrections,
        newer.policies,
        newer.do_not_pair,
    )


# -- parity and counts ----------------------------------------------------------------------------------------------


def _sequence() -> list[GraphDelta]:
    org = small_org()
    return [
        org,
        GraphDelta(
            feedback=(Feedback("ada", "cyd", "met", at(5)), Feedback("bob", "ghost", "dismiss", at(5))),
            corrections=(
                TopicCorrection("ada", "rust", "add", at(5)),
                TopicCorrection("bob", "kubernetes", "hide", at(5)),
            ),
            policies=(Policy("org", digest="monthly", updated_at=at(5)), Policy("team:data", infer=False)),
            do_not_pair=(DoNotPair("dee", "ada", at(5)),),
        ),
        GraphDelta(
            people=(person("eve", team="data"),),
            posts=(Post(id="p9", author="eve", created_at=at(6), co_authors=("ada",), topics=("rust", "postgres")),),
            feedback=(Feedback("eve", "ada", "not_relevant", at(6)),),
        ),
        GraphDelta(topics=(Topic("rust", "Rust"),), posts=(replace(post("p9", "eve", day=6), topics=("rust",)),)),
    ]


def test_controls_reads_and_counts_equal_the_embedded_store_step_by_step(store: Neo4jStore) -> None:
    embedded = EmbeddedStore()
    for delta in _sequence():
        for target in (store, embedded):
            target.upsert(delta)
        _assert_same(store, embedded)

    for target in (store, embedded):
        target.save_token(_token("tok-ada", "ada"))
        target.reserve_digest("ada", PERIOD, at=at(7))
        target.forget_person("ada", suppress=suppression_keys(target.person("ada")))
    _assert_same(store, embedded)
    assert store.suppressed() == embedded.suppressed()
    assert store.tokens() == embedded.tokens() == []
    assert store.digests() == embedded.digests() == []


def _assert_same(neo: GraphStore, embedded: GraphStore) -> None:
    assert neo.projection() == embedded.projection()
    assert neo.controls() == embedded.controls()
    assert neo.topics() == embedded.topics()
    assert neo.counts() == embedded.counts()


def test_tokens_digests_policies_and_the_suppression_list_are_not_counted_as_graph(store: Neo4jStore) -> None:
    store.upsert(small_org())
    counts = store.counts()

    store.save_token(_token("tok-admin", None))
    store.reserve_digest("ada", PERIOD, at=at(7))
    store.upsert(GraphDelta(policies=(Policy("org", suggest=True),)))
    store.forget_person("dee", suppress=suppression_keys(store.person("dee")))

    after = store.counts()
    assert tuple(after.nodes) == NODE_LABELS
    assert after.nodes == {**counts.nodes, "Person": counts.nodes["Person"] - 1}
