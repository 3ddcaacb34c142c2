"""Signed tokens for e-mail links: round trip, tampering, purpose, expiry, and the generated key file."""

from __future__ import annotations

import base64
import json
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr

from api.errors import ConfigurationError
from api.settings import Settings
from api.signing import KEY_FILE, UNSUBSCRIBE, InvalidToken, sign, signing_key, verify

KEY = b"k" * 48
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_round_trip_gives_back_person_purpose_and_time() -> None:
    token = sign(KEY, person="u0042", purpose=UNSUBSCRIBE, now=NOW)
    claim = verify(KEY, token, purpose=UNSUBSCRIBE)
    assert (claim.person, claim.purpose, claim.issued_at) == ("u0042", UNSUBSCRIBE, NOW)
    assert all(c.isalnum() or c in "-_." for c in token), "tokens go into URLs unescaped"


def test_person_ids_with_any_characters_survive() -> None:
    odd = 'ü/?&="<x>'
    assert verify(KEY, sign(KEY, person=odd, purpose=UNSUBSCRIBE, now=NOW), purpose=UNSUBSCRIBE).person == odd


def test_another_key_does_not_verify() -> None:
    token = sign(b"other" * 10, person="u1", purpose=UNSUBSCRIBE, now=NOW)
    with pytest.raises(InvalidToken):
        verify(KEY, token, purpose=UNSUBSCRIBE)


def test_a_changed_person_is_refused() -> None:
    token = sign(KEY, person="u1", purpose=UNSUBSCRIBE, now=NOW)
    payload, mac = token.split(".")
    forged = base64.urlsafe_b64encode(json.dumps({"p": "u2", "u": UNSUBSCRIBE, "t": 0}).encode()).rstrip(b"=")
    with pytest.raises(InvalidToken):
        verify(KEY, f"{forged.decode()}.{mac}", purpose=UNSUBSCRIBE)
    flipped = mac[:-1] + ("A" if mac[-1] != "A" else "B")
    with pytest.raises(InvalidToken):
        verify(KEY, f"{payload}.{flipped}", purpose=UNSUBSCRIBE)


@pytest.mark.parametrize("garbage", ["", ".", "abc", "abc.", ".abc", "a.b.c", "é.é", "!!!.???"])
def test_garbage_is_refused_cleanly(garbage: str) -> None:
    with pytest.raises(InvalidToken):
        verify(KEY, garbage, purpose=UNSUBSCRIBE)


def test_purpose_is_bound() -> None:
    token = sign(KEY, person="u1", purpose="preferences", now=NOW)
    with pytest.raises(InvalidToken, match="not a unsubscribe link"):
        verify(KEY, token, purpose=UNSUBSCRIBE)


def test_expiry_only_when_asked() -> None:
    token = sign(KEY, person="u1", purpose=UNSUBSCRIBE, now=NOW)
    later = NOW + timedelta(days=400)
    assert verify(KEY, token, purpose=UNSUBSCRIBE, now=later).person == "u1"
    assert verify(KEY, token, purpose=UNSUBSCRIBE, now=later, max_age=timedelta(days=401)).person == "u1"
    with pytest.raises(InvalidToken, match="expired"):
        verify(KEY, token, purpose=UNSUBSCRIBE, now=later, max_age=timedelta(days=30))


def test_configured_secret_key_wins(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, secret_key=SecretStr("configured-" * 4))
    assert signing_key(settings) == ("configured-" * 4).encode()
    assert not (tmp_path / KEY_FILE).exists()


def test_key_file_is_generated_once_private_and_reused(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    first = signing_key(settings)
    path = tmp_path / "data" / KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) >= 32
    assert signing_key(settings) == first
    assert [p.name for p in path.parent.iterdir()] == [KEY_FILE], "no temporary file is left behind"
    token = sign(first, person="u1", purpose=UNSUBSCRIBE, now=NOW)
    assert verify(signing_key(Settings(data_dir=tmp_path / "data")), token, purpose=UNSUBSCRIBE).person == "u1"
    assert signing_key(Settings(data_dir=tmp_path / "elsewhere")) != first


def test_an_unusable_key_file_is_a_configuration_error(tmp_path: Path) -> None:
    (tmp_path / KEY_FILE).write_text("short\n")
    with pytest.raises(ConfigurationError, match="secret-key"):
        signing_key(Settings(data_dir=tmp_path))
