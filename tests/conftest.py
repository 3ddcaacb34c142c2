"""Fixtures shared by every test package: the Neo4j test server (started only by the tests that ask for it)."""

from __future__ import annotations

import pytest

from tests import neo4j_server as server


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "neo4j: needs the Neo4j test server (started by scripts/neo4j-local)")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # Here rather than in the fixture's teardown: the contract suite's store factory reaches the server without
    # requesting the fixture, and a server this session started must be stopped either way.
    server.finish()


@pytest.fixture(scope="session")
def neo4j_server() -> server.TestServer:
    """The running test server (fails in CI, skips loudly elsewhere, if it cannot start)."""
    return server.require_server()
