"""Tests for scripts/neo4j-local, the launcher of a local Neo4j server built from Maven Central jars."""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "neo4j-local"
PASSWORD = "throwaway-test-password"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env(home: Path, *, bolt: int = 1, http: int = 2) -> dict[str, str]:
    # The jar cache (WEAKTIE_CACHE) is left alone on purpose: it is shared and reused between runs.
    return {
        **os.environ,
        "WEAKTIE_NEO4J_HOME": str(home),
        "NEO4J_BOLT_PORT": str(bolt),
        "NEO4J_HTTP_PORT": str(http),
        "NEO4J_PASSWORD": PASSWORD,
    }


def _run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=600, check=False)


def _cypher(http_port: int, statement: str, **parameters: object) -> list[list[object]]:
    """Run one statement through the HTTP transaction API: no driver needed."""
    body = json.dumps({"statements": [{"statement": statement, "parameters": parameters}]}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{http_port}/db/neo4j/tx/commit",
        data=body,
        headers={
            "Content-Type": "application/json",
            "Authorization": "Basic " + base64.b64encode(f"neo4j:{PASSWORD}".encode()).decode(),
        },
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        payload = json.load(response)
    assert payload["errors"] == [], payload["errors"]
    return [row["row"] for row in payload["results"][0]["data"]]


def test_help_and_unknown_command(tmp_path: Path) -> None:
    env = _env(tmp_path / "home")
    assert _run("help", env=env).returncode == 0
    unknown = _run("frobnicate", env=env)
    assert unknown.returncode == 2
    assert "usage:" in unknown.stderr


def test_status_of_a_missing_instance_is_not_running(tmp_path: Path) -> None:
    result = _run("status", env=_env(tmp_path / "home"))
    assert result.returncode == 3
    assert "not running" in result.stdout


def test_reset_refuses_a_directory_it_did_not_create(tmp_path: Path) -> None:
    precious = tmp_path / "precious.txt"
    precious.write_text("keep me")
    result = _run("reset", env=_env(tmp_path))
    assert result.returncode == 1
    assert "not created by neo4j-local" in result.stderr
    assert precious.read_text() == "keep me"


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("java") is None or shutil.which("mvn") is None, reason="needs java and mvn")
def test_start_query_restart_fail_and_reset(tmp_path: Path) -> None:
    bolt, http = _free_port(), _free_port()
    env = _env(tmp_path / "neo4j", bolt=bolt, http=http)
    try:
        started = _run("start", env=env)
        assert started.returncode == 0, started.stdout + started.stderr
        assert "reusing" in _run("start", env=env).stdout  # idempotent
        assert _run("status", env=env).returncode == 0

        with urllib.request.urlopen(f"http://127.0.0.1:{http}/", timeout=10) as response:
            discovery = json.load(response)
        assert discovery["bolt_direct"] == f"bolt://127.0.0.1:{bolt}"
        assert discovery["neo4j_version"].startswith("5.26.")

        assert _cypher(http, "RETURN 1") == [[1]]
        _cypher(http, "CREATE (:Person {name: $name})", name="ada")

        assert _run("stop", env=env).returncode == 0
        assert _run("status", env=env).returncode == 3

        # A server that cannot start makes `start` fail and show why, from the server's own output.
        broken = _run("start", env={**env, "NEO4J_PAGECACHE": "lots"})
        assert broken.returncode == 1
        assert "exited during start-up" in broken.stderr
        assert "'lots' is not a valid size" in broken.stderr

        restarted = _run("start", env=env)
        assert restarted.returncode == 0, restarted.stdout + restarted.stderr
        assert _cypher(http, "MATCH (p:Person) RETURN p.name") == [["ada"]]

        assert _run("reset", env=env).returncode == 0
        assert not (tmp_path / "neo4j" / "data").exists()
        with pytest.raises(urllib.error.URLError):
            urllib.request.urlopen(f"http://127.0.0.1:{http}/", timeout=5)
    finally:
        _run("stop", env=env)
