"""``weaktie token issue|list|revoke`` against a real embedded store in a temporary data directory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from api.engine import open_store
from api.settings import Settings, get_settings
from api.tokens import Unauthorized, verify_token
from graph.controls import AccessToken
from graph.delta import GraphDelta, Person


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / "data"
    monkeypatch.setenv("WEAKTIE_DATA_DIR", str(data))
    monkeypatch.setenv("WEAKTIE_SPACY_MODEL", "none")
    get_settings.cache_clear()
    store = open_store(Settings(data_dir=data))
    try:
        store.upsert(GraphDelta(people=(Person(id="u1", name="Ada Balogun"),)))
    finally:
        store.close()
    yield data
    get_settings.cache_clear()


def run(*args: str):
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def _stored(data_dir: Path) -> list[AccessToken]:
    store = open_store(Settings(data_dir=data_dir))
    try:
        return store.tokens()
    finally:
        store.close()


def _verify(data_dir: Path, plaintext: str) -> AccessToken:
    store = open_store(Settings(data_dir=data_dir))
    try:
        return verify_token(store, plaintext)
    finally:
        store.close()


def test_issue_prints_the_token_once_on_stdout_and_warns_on_stderr(data_dir: Path) -> None:
    result = run("token", "issue", "--scope", "admin", "--label", "ops")
    assert result.exit_code == 0, result.output
    plaintext = result.stdout.strip()
    assert plaintext.startswith("wt_") and "\n" not in plaintext  # TOKEN=$(weaktie token issue ...) works
    assert "only time" in result.stderr
    record = _verify(data_dir, plaintext)
    assert (record.scope, record.person, record.label) == ("admin", None, "ops")
    assert record.id in result.stderr


def test_a_person_token_acts_for_an_existing_person(data_dir: Path) -> None:
    result = run("token", "issue", "--scope", "person", "--person", "u1", "--json")
    assert result.exit_code == 0, result.output
    issued = json.loads(result.stdout)
    assert (issued["scope"], issued["person"]) == ("person", "u1")
    assert "digest" not in issued
    assert _verify(data_dir, issued["token"]).id == issued["id"]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--scope", "person"), "--person"),
        (("--scope", "person", "--person", "ghost"), "ghost"),
        (("--scope", "ingest", "--person", "u1"), "leave out the person"),
    ],
)
def test_wrong_combinations_are_one_error_line(data_dir: Path, args: tuple[str, ...], says: str) -> None:
    result = run("token", "issue", *args)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("weaktie: error:")
    assert says in lines[0]
    assert _stored(data_dir) == []


def test_an_unknown_scope_is_a_usage_error(data_dir: Path) -> None:
    result = run("token", "issue", "--scope", "root")
    assert result.exit_code == 2
    assert "person, admin, ingest" in result.output
    assert _stored(data_dir) == []


def test_list_shows_every_token_but_never_a_secret_or_digest(data_dir: Path) -> None:
    admin = run("token", "issue", "--scope", "admin").stdout.strip()
    person = run("token", "issue", "--scope", "person", "--person", "u1").stdout.strip()
    stored = {token.id: token for token in _stored(data_dir)}
    table = run("token", "list")
    assert table.exit_code == 0, table.output
    rows = json.loads(run("token", "list", "--json").stdout)
    assert {row["id"] for row in rows} == stored.keys()
    assert {(row["scope"], row["person"]) for row in rows} == {("admin", None), ("person", "u1")}
    for output in (table.stdout, json.dumps(rows)):
        for token in stored.values():
            assert token.digest not in output
        for plaintext in (admin, person):
            assert plaintext not in output and plaintext.split("_", 2)[2] not in output
    assert all(token_id in table.stdout for token_id in stored)


def test_revoke_refuses_the_token_from_then_on(data_dir: Path) -> None:
    plaintext = run("token", "issue", "--scope", "ingest").stdout.strip()
    token_id = _verify(data_dir, plaintext).id
    result = run("token", "revoke", token_id)
    assert result.exit_code == 0, result.output
    assert token_id in result.stdout
    with pytest.raises(Unauthorized, match="revoked"):
        _verify(data_dir, plaintext)
    (row,) = json.loads(run("token", "list", "--json").stdout)
    assert row["revoked_at"] is not None
    assert run("token", "revoke", token_id).exit_code == 0  # twice is fine


def test_revoking_an_unknown_id_is_one_error_line(data_dir: Path) -> None:
    result = run("token", "revoke", "nosuchid")
    assert result.exit_code == 1
    assert "nosuchid" in result.stderr
