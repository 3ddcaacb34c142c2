"""Issuing, verifying and revoking API tokens against a real embedded store."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from api.tokens import TokenRequestError, Unauthorized, issue_token, revoke_token, token_id_of, verify_token
from graph.controls import secret_digest
from graph.delta import GraphDelta, Person
from graph.embedded import EmbeddedStore
from graph.errors import NotFound

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@pytest.fixture
def store() -> EmbeddedStore:
    store = EmbeddedStore()
    store.upsert(GraphDelta(people=(Person(id="u1", name="Ada"), Person(id="u2", name="Bo"))))
    return store


def test_a_token_is_wt_id_secret_and_only_its_digest_is_stored(store: EmbeddedStore) -> None:
    record, plaintext = issue_token(store, scope="admin", label="  ops   laptop ", now=NOW)
    match = re.fullmatch(r"wt_([A-Za-z0-9-]{8,})_([A-Za-z0-9_-]{43,})", plaintext)
    assert match, plaintext
    assert match[1] == record.id
    stored = store.token(record.id)
    assert stored == record
    assert stored.digest == secret_digest(plaintext)
    assert plaintext not in repr(store.tokens())
    assert match[2] not in repr(store.tokens())
    assert (stored.scope, stored.person, stored.label, stored.created_at) == ("admin", None, "ops laptop", NOW)


def test_every_token_is_different(store: EmbeddedStore) -> None:
    issued = [issue_token(store, scope="ingest", now=NOW) for _ in range(20)]
    assert len({record.id for record, _ in issued}) == 20
    assert len({plaintext for _, plaintext in issued}) == 20
    assert len(store.tokens()) == 20


def test_verify_returns_the_record_of_a_valid_token(store: EmbeddedStore) -> None:
    record, plaintext = issue_token(store, scope="person", person="u1", now=NOW)
    assert verify_token(store, plaintext) == record
    assert record.person == "u1"


@pytest.mark.parametrize(
    "mangle",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # wrong secret
        lambda token: token.replace("wt_", "xx_", 1),  # not ours
        lambda token: "wt_0123456789ab_" + token.split("_", 2)[2],  # unknown id, real secret
        lambda token: token.split("_", 2)[0] + "_" + token.split("_", 2)[1],  # no secret
        lambda token: "",
        lambda token: token + "x" * 300,  # absurdly long
    ],
)
def test_verify_refuses_anything_else(store: EmbeddedStore, mangle) -> None:
    _, plaintext = issue_token(store, scope="admin", now=NOW)
    with pytest.raises(Unauthorized):
        verify_token(store, mangle(plaintext))


def test_a_revoked_token_is_refused_and_revoking_again_keeps_the_first_time(store: EmbeddedStore) -> None:
    record, plaintext = issue_token(store, scope="admin", now=NOW)
    revoked = revoke_token(store, record.id, now=NOW + timedelta(hours=1))
    assert revoked == replace(record, revoked_at=NOW + timedelta(hours=1))
    assert store.token(record.id).revoked_at == NOW + timedelta(hours=1)
    with pytest.raises(Unauthorized, match="revoked"):
        verify_token(store, plaintext)
    assert revoke_token(store, record.id, now=NOW + timedelta(days=1)).revoked_at == NOW + timedelta(hours=1)


def test_revoking_an_unknown_token_is_not_found(store: EmbeddedStore) -> None:
    with pytest.raises(NotFound):
        revoke_token(store, "nosuchtoken", now=NOW)


def test_a_person_token_needs_an_existing_person(store: EmbeddedStore) -> None:
    with pytest.raises(TokenRequestError, match="--person"):
        issue_token(store, scope="person", now=NOW)
    with pytest.raises(NotFound, match="ghost"):
        issue_token(store, scope="person", person="ghost", now=NOW)
    assert store.tokens() == []


@pytest.mark.parametrize("scope", ["admin", "ingest"])
def test_other_scopes_act_for_nobody(store: EmbeddedStore, scope: str) -> None:
    with pytest.raises(TokenRequestError, match="leave out the person"):
        issue_token(store, scope=scope, person="u1", now=NOW)  # type: ignore[arg-type]


def test_unknown_scopes_and_long_labels_are_refused(store: EmbeddedStore) -> None:
    with pytest.raises(TokenRequestError, match="scope"):
        issue_token(store, scope="root", now=NOW)  # type: ignore[arg-type]
    with pytest.raises(TokenRequestError, match="label"):
        issue_token(store, scope="admin", label="x" * 201, now=NOW)
    assert store.tokens() == []


def test_token_id_of_reads_the_public_part_only() -> None:
    assert token_id_of("wt_abcdef012345_" + "s" * 43) == "abcdef012345"
    assert token_id_of("wt_abcdef012345_with_under_scores-and-dashes") == "abcdef012345"
    assert token_id_of("Bearer wt_abcdef012345_" + "s" * 43) is None
    assert token_id_of("wt_short_" + "s" * 43) is None


def test_tokens_survive_reopening_the_data_directory(tmp_path: Path) -> None:
    with EmbeddedStore(tmp_path / "graph") as store:
        record, plaintext = issue_token(store, scope="admin", now=NOW)
    with EmbeddedStore(tmp_path / "graph") as store:
        assert verify_token(store, plaintext) == record
        stored = "".join(path.read_bytes().decode("latin-1") for path in _files(tmp_path))
    assert record.digest in stored  # the check below reads the files as they are, not an encoding of them
    assert plaintext not in stored
    assert plaintext.split("_", 2)[2] not in stored  # nor the secret alone


def _files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()]
