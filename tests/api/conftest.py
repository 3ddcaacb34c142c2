"""A small generated organisation, imported once into an embedded store, shared by the API and CLI tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from api.engine import Engine, open_store
from api.ingest import IngestReport
from api.settings import Settings
from api.tokens import issue_token
from extractors.synthetic import SyntheticOrg, generate_organisation, write_canonical

PEOPLE = 150
POSTS = 1500
SEED = 11


@dataclass(frozen=True)
class Imported:
    org: SyntheticOrg
    export: Path
    settings: Settings
    report: IngestReport


def small_settings(data_dir: Path) -> Settings:
    # No spaCy model: the tests stay fast and do not depend on the optional English model being installed.
    # A generous rate limit: test modules make hundreds of requests a minute (the limit has its own tests).
    return Settings(data_dir=data_dir, spacy_model="none", rate_limit_per_minute=100_000)


@pytest.fixture(scope="session")
def small_org() -> SyntheticOrg:
    return generate_organisation(people=PEOPLE, teams=8, posts=POSTS, seed=SEED)


@pytest.fixture(scope="session")
def imported(small_org: SyntheticOrg, tmp_path_factory: pytest.TempPathFactory) -> Imported:
    return import_into(tmp_path_factory.mktemp("imported"), small_org)


def import_into(root: Path, org: SyntheticOrg) -> Imported:
    """``org`` imported into a new embedded store under ``root``, for tests that write and must not share."""
    export = root / "export"
    write_canonical(org, export)
    settings = small_settings(root / "data")
    store = open_store(settings)
    try:
        report = Engine(store, settings=settings).ingest(export)
    finally:
        store.close()
    return Imported(org=org, export=export, settings=settings, report=report)


@dataclass(frozen=True)
class Tokens:
    """Plaintext tokens issued into the imported store: one per scope, the person token for ``person``."""

    admin: str
    person: str
    person_id: str
    ingest: str


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="session")
def tokens(imported: Imported) -> Tokens:
    """Issued before any app opens the store (the embedded store allows one process at a time)."""
    now = datetime.now(UTC)
    person_id = imported.org.people[0]["id"]
    store = open_store(imported.settings)
    try:
        admin = issue_token(store, scope="admin", label="tests", now=now)[1]
        person = issue_token(store, scope="person", person=person_id, now=now)[1]
        ingest = issue_token(store, scope="ingest", now=now)[1]
    finally:
        store.close()
    return Tokens(admin=admin, person=person, person_id=person_id, ingest=ingest)
