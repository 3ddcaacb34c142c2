"""Deployment configuration: one pydantic-settings class read from ``WEAKTIE_*`` (and ``NEO4J_*``) variables."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from api.errors import ConfigurationError


def default_data_dir() -> Path:
    """``$XDG_DATA_HOME/weaktie``, or ``~/.local/share/weaktie`` when XDG_DATA_HOME is unset."""
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg) if xdg else Path.home() / ".local" / "share"
    return base / "weaktie"


class Settings(BaseSettings):
    """Everything a deployment changes. Field ``x`` is read from ``WEAKTIE_X`` unless noted."""

    model_config = SettingsConfigDict(env_prefix="WEAKTIE_", extra="ignore", populate_by_name=True)

    data_dir: Path = Field(default_factory=default_data_dir)
    """Where the embedded graph and the rejects files live."""
    store: Literal["embedded", "neo4j"] = "embedded"
    half_life_days: float = Field(default=90.0, gt=0)
    """How fast interactions and expertise fade: evidence this old counts half."""
    keep_bodies: bool = False
    """Store full post bodies (otherwise only a short snippet is kept)."""
    spacy_model: str = "auto"
    """``auto`` (the English model when installed), ``none``, or a spaCy package name."""
    taxonomy: Path | None = None
    """An optional TOML file of curated topics, synonyms and ignored words (see extractors/taxonomy.py)."""
    suggestions_k: int = Field(default=5, ge=1, le=100)
    """How many people to suggest when the caller does not say."""
    capacity: int | None = Field(default=None, ge=1)
    """How many times one person may be suggested to others per fit; ``None`` means no cap."""

    # Read without the WEAKTIE_ prefix: the names every Neo4j tool already uses. Used when store is "neo4j".
    neo4j_uri: str = Field(default="bolt://localhost:7687", validation_alias=AliasChoices("NEO4J_URI", "neo4j_uri"))
    neo4j_user: str = Field(default="neo4j", validation_alias=AliasChoices("NEO4J_USER", "neo4j_user"))
    neo4j_password: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("NEO4J_PASSWORD", "neo4j_password")
    )
    neo4j_database: str = Field(default="neo4j", validation_alias=AliasChoices("NEO4J_DATABASE", "neo4j_database"))
    neo4j_retry_seconds: float = Field(default=15.0, ge=0)
    """How long a Neo4j read or write is retried while the server is unreachable or busy before giving up."""
    browser_origins: tuple[str, ...] = ("http://localhost:7474", "http://127.0.0.1:7474")
    """Origins (the Neo4j Browser's) allowed to fetch ``/static`` across origins: the admin guide and style."""

    # -- delivery and trust (issue 6) ----------------------------------------------------------------------------
    auth: Literal["tokens", "off"] = "tokens"
    """``tokens``: every /v1 endpoint but health needs a bearer token (``weaktie token issue``). ``off`` is for
    local experiments only: anyone who can reach the port reads everything."""
    cors_origins: tuple[str, ...] = ()
    """Intranet origins allowed to call the API from a browser (the widget); none by default."""
    max_body_bytes: int = Field(default=1_000_000, ge=1_024)
    """Larger request bodies are refused with 413."""
    rate_limit_per_minute: int = Field(default=120, ge=1)
    """Requests per token (or per client address without one) per minute; bursts up to this many."""
    secret_key: SecretStr | None = None
    """Signs unsubscribe links. When unset, one is generated once and kept in ``<data_dir>/secret-key``."""
    public_url: str = "http://localhost:8000"
    """Where people reach this service: the base of links in e-mails."""
    digest_enabled: bool = True
    """The global switch for serendipity e-mails."""
    mail_from: str = "weaktie <weaktie@localhost>"
    smtp_host: str = "localhost"
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_starttls: bool = False
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    min_group_size: int = Field(default=5, ge=1)
    """Admin aggregates never show a group smaller than this."""

    @property
    def rejects_dir(self) -> Path:
        return self.data_dir / "rejects"

    @property
    def graph_dir(self) -> Path:
        return self.data_dir / "graph"


def load_settings(**overrides: object) -> Settings:
    """Read the settings, turning a bad environment variable into one clear :class:`ConfigurationError`."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(f"{_variable(error['loc'])}: {error['msg']}" for error in exc.errors())
        raise ConfigurationError(
            f"invalid weaktie configuration ({problems}); fix these environment variables"
        ) from None


def _variable(loc: tuple[int | str, ...]) -> str:
    """The environment variable behind a validation error's location."""
    name = str(loc[0]) if loc else "settings"
    if name.isupper():  # already an alias such as NEO4J_URI
        return name
    return f"{Settings.model_config.get('env_prefix', '')}{name}".upper()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once; tests pass their own Settings or call ``get_settings.cache_clear()``."""
    return load_settings()
