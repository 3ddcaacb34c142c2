"""What only the Neo4j store has to prove: schema, idempotent batched writes, parity with the embedded store,
suggestions written back for admins, retried writes, and errors that say what to do (against a real server)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import neo4j
import pytest
from neo4j.exceptions import SessionExpired

from extractors.canonical import CanonicalBatch, read_canonical
from extractors.extract import ExtractOptions, KnownState, extract
from extractors.merge import merge_with_stored
from extractors.synthetic import generate_organisation, write_canonical
from graph import cypher
from graph.delta import GraphDelta, Post, Team, Topic
from graph.embedded import EmbeddedStore
from graph.errors import StoreError, StoreUnavailable
from graph.neo4j_store import Neo4jStore
from graph.store import RELATIONSHIP_TYPES, GraphStore
from tests.graph.sample import at, expected_relationships, expertise, person, post, small_org, suggestion, tie
from tests.neo4j_server import TestServer

pytestmark = pytest.mark.neo4j


@pytest.fixture
def store(neo4j_server: TestServer) -> Iterator[Neo4jStore]:
    opened = neo4j_server.fresh_store()
    try:
        yield opened
    finally:
        opened.close()


def _element_ids(driver: neo4j.Driver) -> tuple[set[str], set[str]]:
    records, _, _ = driver.execute_query(cypher.ELEMENT_IDS, database_="neo4j")
    return set(records[0]["nodes"]), set(records[0]["relationships"])


def _assert_same_reads(neo: GraphStore, embedded: GraphStore) -> None:
    assert neo.projection() == embedded.projection()
    assert neo.counts() == embedded.counts()
    for someone in embedded.people():
        assert neo.neighbourhood(someone.id, limit=3) == embedded.neighbourhood(someone.id, limit=3)
    for topic in embedded.topics():
        for kind in ("knows", "asks"):
            assert neo.topic_people(topic.id, kind=kind) == embedded.topic_people(topic.id, kind=kind)


# -- schema -----------------------------------------------------------------------------------------------------------


def test_uniqueness_constraints_exist_after_start_up_and_creating_them_again_is_harmless(
    store: Neo4jStore, neo4j_server: TestServer
) -> None:
    store.ensure_schema()  # a second start-up against the same database

    records, _, _ = neo4j_server.driver.execute_query(cypher.SHOW_CONSTRAINTS, database_="neo4j")
    unique = {(tuple(r["labelsOrTypes"]), tuple(r["properties"])) for r in records if r["type"] == "UNIQUENESS"}
    assert {(("Person",), ("id",)), (("Team",), ("id",)), (("Topic",), ("id",)), (("Post",), ("id",))} <= unique
    assert {r["name"] for r in records} >= set(cypher.CONSTRAINT_NAMES)


def test_the_constraint_rejects_a_second_node_with_the_same_id(store: Neo4jStore, neo4j_server: TestServer) -> None:
    store.upsert(GraphDelta(people=(person("ada"),)))

    with pytest.raises(neo4j.exceptions.ConstraintError):
        neo4j_server.driver.execute_query("CREATE (:Person {id: 'ada'})", database_="neo4j")


# -- idempotence ------------------------------------------------------------------------------------------------------


def test_re_upserting_the_same_delta_creates_zero_nodes_and_relationships(
    store: Neo4jStore, neo4j_server: TestServer
) -> None:
    delta = small_org()
    store.upsert(delta)
    nodes, relationships = _element_ids(neo4j_server.driver)
    counts = store.counts()
    assert len(nodes) == sum(counts.nodes.values()) == 13
    assert len(relationships) == sum(counts.relationships.values()) == sum(expected_relationships(delta).values())

    store.upsert(delta)
    store.upsert(delta)

    # Same totals and the very same element ids: nothing was deleted and created again.
    assert _element_ids(neo4j_server.driver) == (nodes, relationships)
    assert store.counts() == counts


def test_batches_of_one_row_write_the_same_graph_as_one_big_batch(neo4j_server: TestServer) -> None:
    # Every reference of this delta crosses a batch boundary, so nodes must all be written before relationships.
    delta = small_org()
    embedded = EmbeddedStore()
    embedded.upsert(delta)

    with neo4j_server.fresh_store(batch_size=1) as tiny:
        tiny.upsert(delta)

        _assert_same_reads(tiny, embedded)


def test_a_write_retried_after_a_lost_commit_is_not_duplicated(neo4j_server: TestServer) -> None:
    flaky = _LostCommitDriver(neo4j_server.driver)
    neo4j_server.wipe()
    store = Neo4jStore(flaky, database="neo4j")  # type: ignore[arg-type]
    flaky.armed = True
    delta = small_org()

    store.upsert(delta)

    assert flaky.lost_commits > 0
    assert flaky.attempts == 2 * flaky.lost_commits  # every batch ran twice, the first time committed and "lost"
    assert store.counts().relationships == {**dict.fromkeys(RELATIONSHIP_TYPES, 0), **expected_relationships(delta)}
    embedded = EmbeddedStore()
    embedded.upsert(delta)
    assert store.projection() == embedded.projection()


class _LostCommitDriver:
    """A real driver whose write transactions first commit on a side connection and then report the connection lost,
    as when a commit succeeds but its acknowledgement never arrives. The driver then retries the same work."""

    def __init__(self, driver: neo4j.Driver) -> None:
        self._driver = driver
        self.armed = False
        self.attempts = 0
        self.lost_commits = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._driver, name)

    def session(self, **config: Any) -> _LostCommitSession:
        return _LostCommitSession(self, self._driver.session(**config), config)


class _LostCommitSession:
    def __init__(self, owner: _LostCommitDriver, session: neo4j.Session, config: dict[str, Any]) -> None:
        self._owner, self._session, self._config = owner, session, config

    def __enter__(self) -> _LostCommitSession:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._session.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)

    def execute_write(self, work: Any, *args: Any, **kwargs: Any) -> Any:
        owner = self._owner
        failed = False

        def once_lost(tx: neo4j.ManagedTransaction, *a: Any, **k: Any) -> Any:
            nonlocal failed
            owner.attempts += owner.armed
            if owner.armed and not failed:
                failed = True
                with owner._driver.session(**self._config) as side:
                    side.execute_write(work, *a, **k)
                owner.lost_commits += 1
                raise SessionExpired("simulated: the connection dropped after the commit")
            return work(tx, *a, **k)

        return self._session.execute_write(once_lost, *args, **kwargs)


# -- parity with the embedded store ---------------------------------------------------------------------------------


def test_projection_and_reads_equal_the_embedded_store_after_the_same_sequence_of_deltas(store: Neo4jStore) -> None:
    embedded = EmbeddedStore()
    p4 = next(p for p in small_org().posts if p.id == "p4")
    deltas = [
        small_org(),
        GraphDelta(people=(person("bob", team="data"), person("eve", team="search"))),  # a move and a placeholder
        GraphDelta(teams=(Team("search", "Search", department="Product"),), people=(person("cyd"),)),
        GraphDelta(posts=(replace(p4, topics=("kubernetes",), mentions=("bob", "ghost"), co_authors=("eve",)),)),
        GraphDelta(
            topics=(Topic("postgres", "PostgreSQL"),),
            ties=(tie("ada", "bob", 7.0, count=9, day=20), tie("eve", "ada", 0.25)),
            expertise=(expertise("eve", "postgres", 2.5, kind="asks"), expertise("ada", "kubernetes", 0.5, day=9)),
            suggestions=(suggestion("ada", "cyd", 0.1, day=21), suggestion("eve", "cyd", 0.7, day=21)),
        ),
        GraphDelta(posts=(post("p5", "eve", day=30, reply_to="p4", topics=("terraform",), audience=("team:x",)),)),
    ]

    for delta in deltas:
        store.upsert(delta)
        embedded.upsert(delta)
        _assert_same_reads(store, embedded)


def test_projection_equals_the_embedded_store_for_a_synthetic_organisation_ingested_in_two_parts(
    store: Neo4jStore, tmp_path: Path
) -> None:
    org = generate_organisation(people=40, teams=4, posts=300, seed=11)
    write_canonical(org, tmp_path)
    batch = read_canonical(tmp_path)
    half = len(batch.posts) // 2
    embedded = EmbeddedStore()

    for part in (batch.posts[:half], batch.posts[half:]):
        part_batch = replace(batch, posts=part)
        for target in (store, embedded):
            _ingest(part_batch, target)

    projection = store.projection()
    assert len(projection.posts) == len(batch.posts)
    assert projection.ties and projection.expertise
    assert projection == embedded.projection()
    assert store.counts() == embedded.counts()


def _ingest(batch: CanonicalBatch, store: GraphStore) -> None:
    """The import pipeline in miniature: what the store knows, extract, merge with stored aggregates, upsert."""
    ids = {p.id for p in batch.posts}
    known = KnownState(
        post_ids=frozenset(store.existing_post_ids(ids)),
        parents=store.posts_by_id({p.reply_to for p in batch.posts if p.reply_to and p.reply_to not in ids}),
        people={p.id: p for p in store.people()},
        topics=tuple(store.topics()),
    )
    delta = extract(batch, known=known, options=ExtractOptions(spacy_model="none")).delta
    store.upsert(
        merge_with_stored(
            delta,
            stored_ties=store.ties_between((t.source, t.target) for t in delta.ties),
            stored_expertise=store.expertise_for((e.person, e.topic, e.kind) for e in delta.expertise),
            half_life_days=90.0,
        )
    )


def test_datetimes_come_back_as_utc_instants_equal_to_those_written(store: Neo4jStore) -> None:
    paris = timezone(timedelta(hours=2))
    written = Post(id="p1", author="ada", created_at=datetime(2026, 6, 1, 14, 30, 15, 123456, tzinfo=paris))

    store.upsert(GraphDelta(people=(person("ada", started_at=at(0)),), posts=(written,)))

    read = store.posts_by_id(["p1"])["p1"]
    assert read == written
    assert read.created_at.utcoffset() == timedelta(0)
    assert read.created_at == datetime(2026, 6, 1, 12, 30, 15, 123456, tzinfo=UTC)
    assert store.person("ada").started_at == at(0)


# -- suggestions written back ---------------------------------------------------------------------------------------


def test_suggestions_are_visible_to_admins_with_score_reasons_and_time(
    store: Neo4jStore, neo4j_server: TestServer
) -> None:
    store.upsert(small_org())
    newer = replace(suggestion("bob", "cyd", 0.42, day=30), reasons=("shared_topics", "mutual_colleagues"))

    store.upsert(GraphDelta(suggestions=(newer,)))

    records, _, _ = neo4j_server.driver.execute_query(cypher.RECENT_SUGGESTIONS, limit=10, database_="neo4j")
    shown = [(r["person"], r["candidate"], r["score"], r["reasons"], r["at"].to_native()) for r in records]
    assert shown == [
        ("bob", "cyd", 0.42, ["shared_topics", "mutual_colleagues"], at(30)),
        ("ada", "cyd", 0.8, ["shared_topics"], at(4)),
    ]


# -- errors -------------------------------------------------------------------------------------------------------


def test_refused_credentials_are_a_store_error_that_says_so(neo4j_server: TestServer) -> None:
    with pytest.raises(StoreError) as raised:
        Neo4jStore.connect(neo4j_server.uri, neo4j_server.user, "not-the-password")

    assert not isinstance(raised.value, StoreUnavailable)
    assert "refused the credentials" in str(raised.value)
    assert "not-the-password" not in str(raised.value)


def test_an_unreachable_server_is_store_unavailable_naming_the_uri() -> None:
    uri = f"bolt://127.0.0.1:{_free_port()}"

    with pytest.raises(StoreUnavailable, match="cannot be reached") as raised:
        Neo4jStore.connect(uri, "neo4j", "whatever", max_retry_seconds=0.5)

    assert uri in str(raised.value)


def test_a_uri_that_is_not_neo4j_is_a_store_error() -> None:
    with pytest.raises(StoreError, match="not a Neo4j URI"):
        Neo4jStore.connect("localhost:7687", "neo4j", "whatever")


def test_close_leaves_a_borrowed_driver_open_and_closes_an_owned_one(neo4j_server: TestServer) -> None:
    borrowed = Neo4jStore(neo4j_server.driver)
    borrowed.close()

    with pytest.raises(StoreError, match="closed"):
        borrowed.people()
    neo4j_server.driver.verify_connectivity()  # still usable by the rest of the process

    owned = Neo4jStore.connect(neo4j_server.uri, neo4j_server.user, neo4j_server.password)
    driver = owned._driver
    owned.close()
    with pytest.raises(neo4j.exceptions.DriverError):
        driver.verify_connectivity()


@pytest.mark.slow
def test_the_same_store_reads_again_after_the_server_went_down_and_came_back(neo4j_server: TestServer) -> None:
    if not neo4j_server.managed:
        pytest.skip("WEAKTIE_TEST_NEO4J_URI points at an external server, which the tests must not stop")
    store = neo4j_server.fresh_store()
    store.upsert(small_org())
    people = store.people()

    neo4j_server.stop()
    try:
        with pytest.raises(StoreUnavailable, match="cannot be reached"):
            store.people()
        with pytest.raises(StoreUnavailable):
            store.upsert(GraphDelta(people=(person("zed"),)))
    finally:
        neo4j_server.start()

    assert store.people() == people
    store.upsert(GraphDelta(people=(person("zed"),)))
    assert store.person("zed") == person("zed")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
