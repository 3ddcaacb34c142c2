"""A small generated organisation, imported once into an embedded store, shared by the API and CLI tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from api.engine import Engine, open_store
from api.ingest import IngestReport
from api.settings import Settings
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
    return Settings(data_dir=data_dir, spacy_model="none")


@pytest.fixture(scope="session")
def small_org() -> SyntheticOrg:
    return generate_organisation(people=PEOPLE, teams=8, posts=POSTS, seed=SEED)


@pytest.fixture(scope="session")
def imported(small_org: SyntheticOrg, tmp_path_factory: pytest.TempPathFactory) -> Imported:
    root = tmp_path_factory.mktemp("imported")
    export = root / "export"
    write_canonical(small_org, export)
    settings = small_settings(root / "data")
    store = open_store(settings)
    try:
        report = Engine(store, settings=settings).ingest(export)
    finally:
        store.close()
    return Imported(org=small_org, export=export, settings=settings, report=report)
