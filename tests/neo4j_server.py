"""The Neo4j server the tests run against: started (or reused) once per test process with ``scripts/neo4j-local``.

``WEAKTIE_TEST_NEO4J_URI`` (with ``WEAKTIE_TEST_NEO4J_USER`` / ``WEAKTIE_TEST_NEO4J_PASSWORD``) points the tests at a
server someone else runs instead. A server this process started is stopped when the session ends, unless
``WEAKTIE_TEST_NEO4J_KEEP=1`` keeps it for the next run.

Test sessions on one machine share that instance and wipe its database between tests, so a session holds an
exclusive file lock from its first use of the server to its end; a concurrent session waits for it (up to
``WEAKTIE_TEST_NEO4J_LOCK_TIMEOUT`` seconds, default 900) instead of wiping the data of the other.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import neo4j
import pytest

from api.settings import Settings
from graph import cypher
from graph.neo4j_store import Neo4jStore

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "neo4j-local"
BOLT_PORT = 17687
HTTP_PORT = 17474
PASSWORD = "weaktie-test-password"
HOME = Path.home() / ".cache" / "weaktie" / "neo4j-test"
LOCK = HOME.parent / "neo4j-test.lock"
START_COMMAND = (
    f"WEAKTIE_NEO4J_HOME={HOME} NEO4J_BOLT_PORT={BOLT_PORT} NEO4J_HTTP_PORT={HTTP_PORT} "
    f"NEO4J_PASSWORD={PASSWORD} scripts/neo4j-local start"
)
# Short, so a test that stops the server sees StoreUnavailable within seconds rather than after the default 30 s.
RETRY_SECONDS = 3.0
_WIPE_BATCH = 10_000


class ServerNotStarted(Exception):
    """``scripts/neo4j-local start`` failed; the message holds its output (with the server log tail)."""


@dataclass
class TestServer:
    """A running Neo4j for the tests, with the one driver the test process uses."""

    __test__ = False  # not a test class, whatever its name

    uri: str
    user: str
    password: str
    managed: bool
    """Started through ``scripts/neo4j-local`` (so the tests may stop and start it), not an external server."""
    started_here: bool
    _driver: neo4j.Driver | None = field(default=None, repr=False)

    @property
    def driver(self) -> neo4j.Driver:
        if self._driver is None:
            self._driver = neo4j.GraphDatabase.driver(
                self.uri, auth=(self.user, self.password), max_transaction_retry_time=RETRY_SECONDS
            )
        return self._driver

    def wipe(self) -> None:
        """Delete every node and relationship in batches; constraints and indexes stay."""
        while True:
            records, _, _ = self.driver.execute_query(cypher.DELETE_SOME_NODES, limit=_WIPE_BATCH, database_="neo4j")
            if records[0]["deleted"] == 0:
                return

    def settings(self, data_dir: Path, **overrides: object) -> Settings:
        """weaktie's settings for this server (no spaCy model, so tests stay fast), plus ``overrides``."""
        return Settings(
            data_dir=data_dir,
            spacy_model="none",
            store="neo4j",
            neo4j_uri=self.uri,
            neo4j_user=self.user,
            neo4j_password=self.password,
            **overrides,  # type: ignore[arg-type]
        )

    def fresh_store(self, **options: object) -> Neo4jStore:
        """An empty store on the shared driver."""
        self.wipe()
        return Neo4jStore(self.driver, **options)  # type: ignore[arg-type]

    def stop(self) -> None:
        """Stop the server with the script (only a managed one)."""
        if not self.managed:
            raise RuntimeError("an external server (WEAKTIE_TEST_NEO4J_URI) cannot be stopped by the tests")
        result = _script("stop")
        if result.returncode != 0:
            raise RuntimeError(f"scripts/neo4j-local stop failed:\n{result.stdout}{result.stderr}")

    def start(self) -> None:
        result = _script("start")
        if result.returncode != 0:
            raise ServerNotStarted(_output(result))

    def close(self) -> None:
        if self._driver is not None:
            self._driver.close()
            self._driver = None


def script_env() -> dict[str, str]:
    return {
        **os.environ,
        "WEAKTIE_NEO4J_HOME": str(HOME),
        "NEO4J_BOLT_PORT": str(BOLT_PORT),
        "NEO4J_HTTP_PORT": str(HTTP_PORT),
        "NEO4J_PASSWORD": PASSWORD,
    }


def _script(command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), command], env=script_env(), capture_output=True, text=True, timeout=900, check=False
    )


def _output(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit code {result.returncode}\n{result.stdout}{result.stderr}".strip()


def shared_server() -> TestServer:
    """Start (or reuse) the test server once per process. Raises :class:`ServerNotStarted` with the script's output.

    A failure is remembered too, so a broken set-up costs one attempt per session rather than one per test.
    """
    global _shared
    if _shared is None:
        try:
            _shared = _start()
        except ServerNotStarted as error:
            _shared = error
    if isinstance(_shared, ServerNotStarted):
        raise _shared
    return _shared


_shared: TestServer | ServerNotStarted | None = None


def _start() -> TestServer:
    uri = os.environ.get("WEAKTIE_TEST_NEO4J_URI")
    if uri:
        return TestServer(
            uri=uri,
            user=os.environ.get("WEAKTIE_TEST_NEO4J_USER", "neo4j"),
            password=os.environ.get("WEAKTIE_TEST_NEO4J_PASSWORD", PASSWORD),
            managed=False,
            started_here=False,
        )
    _lock()
    try:
        result = _script("start")
    except (OSError, subprocess.TimeoutExpired) as error:
        raise ServerNotStarted(f"could not run {SCRIPT}: {error}") from error
    if result.returncode != 0:
        raise ServerNotStarted(_output(result))
    return TestServer(
        uri=f"bolt://127.0.0.1:{BOLT_PORT}",
        user="neo4j",
        password=PASSWORD,
        managed=True,
        started_here="already running" not in result.stdout,
    )


_lock_file: IO[str] | None = None


def _lock() -> None:
    """Wait for the other test sessions on this machine to finish with the server; held until :func:`finish`."""
    global _lock_file
    LOCK.parent.mkdir(parents=True, exist_ok=True)
    handle = LOCK.open("a")
    deadline = time.monotonic() + float(os.environ.get("WEAKTIE_TEST_NEO4J_LOCK_TIMEOUT", "900"))
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if time.monotonic() > deadline:
                handle.close()
                raise ServerNotStarted(
                    f"another test session kept the Neo4j test server busy (lock {LOCK}); "
                    "wait for it, or raise WEAKTIE_TEST_NEO4J_LOCK_TIMEOUT"
                ) from None
            time.sleep(0.5)
        else:
            _lock_file = handle
            return


def require_server() -> TestServer:
    """The shared server, or a failed test in CI (never a skip there), or a loud skip on a developer's machine."""
    try:
        return shared_server()
    except ServerNotStarted as error:
        failure = str(error)
    # Outside the except block, so the report shows the script's output rather than a chained traceback.
    if os.environ.get("CI"):
        pytest.fail(f"the Neo4j test server did not start (CI never skips these tests):\n{failure}", pytrace=False)
    pytest.skip(
        f"NEO4J TESTS SKIPPED: the test server did not start. Run `{START_COMMAND}` to see why "
        f"(or set WEAKTIE_TEST_NEO4J_URI). First lines: {failure[:300]}"
    )


def finish() -> None:
    """At the end of the session: close the driver, stop the server if this process started it, release the lock."""
    global _lock_file
    try:
        if isinstance(_shared, TestServer):
            _shared.close()
            if _shared.managed and _shared.started_here and os.environ.get("WEAKTIE_TEST_NEO4J_KEEP") != "1":
                _shared.stop()
    finally:
        if _lock_file is not None:
            _lock_file.close()  # closing the file releases the lock
            _lock_file = None
