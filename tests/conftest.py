"""Fixtures shared by every test package: the Neo4j test server (started only by the tests that ask for it)."""

from __future__ import annotations

import os

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


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> object:
    """In CI nothing may skip: a missing Neo4j, Java, spaCy model or shared data set is a failure there.

    Locally a skip stays a skip (with its reason in the ``-ra`` summary), so a developer without Java can still
    run the rest. CI sets ``CI``; the machine it runs on has everything the suite needs.
    """
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("CI") and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, which must run every test: {reason}"
