"""Settings come from WEAKTIE_* (and NEO4J_*) variables, with documented defaults and one clear error."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.errors import ConfigurationError
from api.settings import Settings, get_settings, load_settings

ENV = (
    "WEAKTIE_DATA_DIR",
    "WEAKTIE_STORE",
    "WEAKTIE_HALF_LIFE_DAYS",
    "WEAKTIE_SUGGESTIONS_K",
    "WEAKTIE_CAPACITY",
    "XDG_DATA_HOME",
    "NEO4J_URI",
    "NEO4J_PASSWORD",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    settings = Settings()
    assert settings.data_dir == tmp_path / ".local" / "share" / "weaktie"
    assert (settings.store, settings.half_life_days, settings.keep_bodies) == ("embedded", 90.0, False)
    assert (settings.spacy_model, settings.taxonomy, settings.suggestions_k, settings.capacity) == (
        "auto",
        None,
        5,
        None,
    )


def test_xdg_data_home_moves_the_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert Settings().data_dir == tmp_path / "weaktie"


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("WEAKTIE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("WEAKTIE_HALF_LIFE_DAYS", "30")
    monkeypatch.setenv("WEAKTIE_CAPACITY", "4")
    monkeypatch.setenv("NEO4J_URI", "bolt://graph:7687")
    monkeypatch.setenv("NEO4J_PASSWORD", "s3cret")
    settings = Settings()
    assert (settings.data_dir, settings.half_life_days, settings.capacity) == (tmp_path, 30.0, 4)
    assert settings.neo4j_uri == "bolt://graph:7687"
    assert settings.neo4j_password is not None and settings.neo4j_password.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(settings)


def test_bad_value_is_one_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEAKTIE_HALF_LIFE_DAYS", "-1")
    with pytest.raises(ConfigurationError, match="WEAKTIE_HALF_LIFE_DAYS"):
        load_settings()


def test_get_settings_is_cached_until_cleared(monkeypatch: pytest.MonkeyPatch) -> None:
    first = get_settings()
    assert get_settings() is first
    monkeypatch.setenv("WEAKTIE_SUGGESTIONS_K", "9")
    assert get_settings().suggestions_k == first.suggestions_k
    get_settings.cache_clear()
    assert get_settings().suggestions_k == 9
