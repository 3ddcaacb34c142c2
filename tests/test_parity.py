"""The two backends agree: the same organisation imported into the embedded store and into Neo4j reads back the same
and gets the same suggestions and "already done" matches; importing it again into Neo4j creates nothing."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields
from pathlib import Path

import pytest

from api.engine import Engine
from api.ingest import ingest_directory
from api.settings import Settings
from extractors.synthetic import PlantedMatch, SyntheticOrg, generate_organisation, write_canonical
from graph import cypher
from graph.embedded import EmbeddedStore
from graph.neo4j_store import Neo4jStore
from graph.store import Projection
from tests.neo4j_server import TestServer

pytestmark = [pytest.mark.slow, pytest.mark.neo4j]

PEOPLE = 150
POSTS = 1500
SEED = 5


@dataclass(frozen=True)
class Backends:
    org: SyntheticOrg
    export: Path
    settings: Settings
    embedded: Engine
    neo4j: Engine


@pytest.fixture(scope="module")
def backends(neo4j_server: TestServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backends]:
    root = tmp_path_factory.mktemp("parity")
    org = generate_organisation(people=PEOPLE, teams=8, posts=POSTS, seed=SEED)
    write_canonical(org, root / "export")
    settings = Settings(data_dir=root / "data", spacy_model="none")
    embedded, neo4j = EmbeddedStore(), neo4j_server.fresh_store()
    try:
        for store in (embedded, neo4j):
            report = ingest_directory(root / "export", store, settings=settings)
            assert report.imported_posts == POSTS, report
        yield Backends(
            org=org,
            export=root / "export",
            settings=settings,
            embedded=Engine(embedded, settings=settings),
            neo4j=Engine(neo4j, settings=settings),
        )
    finally:
        embedded.close()
        neo4j.close()


def _planted(backends: Backends, kind: str) -> list[PlantedMatch]:
    found = [match for match in backends.org.planted if match.kind == kind and (kind != "already_done" or match.query)]
    assert found, f"the generated organisation has no planted {kind} case"
    return found


def test_projections_are_equal(backends: Backends) -> None:
    embedded, neo4j = backends.embedded.store.projection(), backends.neo4j.store.projection()
    assert len(embedded.posts) == POSTS and embedded.ties and embedded.expertise
    for field in fields(Projection):  # one field at a time, so a failure names the part that differs
        assert getattr(neo4j, field.name) == getattr(embedded, field.name), field.name


def test_planted_people_get_the_same_suggestions(backends: Backends) -> None:
    for case in _planted(backends, "introduction"):
        embedded = backends.embedded.suggestions(case.person)
        neo4j = backends.neo4j.suggestions(case.person)
        assert embedded, f"no suggestions for {case.person}"
        assert [s.candidate.id for s in neo4j] == [s.candidate.id for s in embedded], case.person
        assert [s.score for s in neo4j] == pytest.approx([s.score for s in embedded], rel=1e-9)
        assert [[r.text for r in s.reasons] for s in neo4j] == [[r.text for r in s.reasons] for s in embedded]


def test_planted_already_done_queries_get_the_same_matches(backends: Backends) -> None:
    for case in _planted(backends, "already_done"):
        embedded = backends.embedded.already_done(case.query, asker=case.person)
        neo4j = backends.neo4j.already_done(case.query, asker=case.person)
        assert embedded, f"no matches for {case.query!r}"
        assert [m.person.id for m in neo4j] == [m.person.id for m in embedded], case.query
        assert [m.score for m in neo4j] == pytest.approx([m.score for m in embedded], rel=1e-9)
        assert [[e.post_id for e in m.evidence] for m in neo4j] == [[e.post_id for e in m.evidence] for m in embedded]


def test_importing_again_into_neo4j_creates_nothing(backends: Backends, neo4j_server: TestServer) -> None:
    store = backends.neo4j.store
    assert isinstance(store, Neo4jStore)
    before = _element_ids(neo4j_server)
    report = ingest_directory(backends.export, store, settings=backends.settings)
    after = _element_ids(neo4j_server)
    assert report.imported_posts == 0 and report.skipped_known == POSTS
    assert len(before["nodes"]) == len(after["nodes"]) > PEOPLE + POSTS
    assert len(before["relationships"]) == len(after["relationships"]) > 0
    # Same ids, not only the same totals: nothing was deleted and created again either.
    assert before == after


def _element_ids(server: TestServer) -> dict[str, set[str]]:
    records, _, _ = server.driver.execute_query(cypher.ELEMENT_IDS, database_="neo4j")
    return {"nodes": set(records[0]["nodes"]), "relationships": set(records[0]["relationships"])}
