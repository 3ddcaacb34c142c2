"""The ``store`` fixture: one GraphStore per backend, so the contract suite runs unchanged against each of them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from graph.embedded import EmbeddedStore
from graph.store import GraphStore
from tests.neo4j_server import require_server


def _embedded_memory(tmp_path: Path) -> GraphStore:
    return EmbeddedStore()


def _embedded_disk(tmp_path: Path) -> GraphStore:
    return EmbeddedStore(tmp_path / "data")


def _neo4j(tmp_path: Path) -> GraphStore:
    # The shared test server (started once per session; fails in CI, skips loudly elsewhere), wiped for each test.
    return require_server().fresh_store()


# Each backend is a factory from a fresh temporary directory to an empty, open store. A server-backed store
# (Neo4j) is added by appending one parameter whose factory wipes its test database first, e.g.
#     pytest.param(_neo4j, id="neo4j", marks=pytest.mark.neo4j)
BACKENDS = [
    pytest.param(_embedded_memory, id="embedded-memory"),
    pytest.param(_embedded_disk, id="embedded-disk"),
    pytest.param(_neo4j, id="neo4j", marks=pytest.mark.neo4j),
]


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GraphStore]:
    factory: Callable[[Path], GraphStore] = request.param
    opened = factory(tmp_path)
    try:
        yield opened
    finally:
        opened.close()
