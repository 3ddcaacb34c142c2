"""The whole loop on a generated organisation: generate → import → recommend, checked against planted answers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from api.engine import Engine, open_store
from api.settings import Settings
from extractors.synthetic import SyntheticOrg, generate_organisation, write_canonical

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def org() -> SyntheticOrg:
    return generate_organisation()


@pytest.fixture(scope="module")
def export(org: SyntheticOrg, tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("export")
    write_canonical(org, directory)
    return directory


@pytest.fixture(scope="module")
def engine(export: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("data"))
    store = open_store(settings)
    engine = Engine(store, settings=settings)
    engine.ingest(export)
    yield engine
    store.close()


def _cases(org: SyntheticOrg, kind: str) -> list:
    cases = [match for match in org.planted if match.kind == kind]
    assert cases, f"the generator planted no {kind} case"
    return cases


def test_planted_already_done_experts_rank_in_the_top_three_across_teams(engine: Engine, org: SyntheticOrg) -> None:
    misses = []
    for case in _cases(org, "already_done"):
        ranked = [match.person.id for match in engine.already_done(case.query, asker=case.person, k=20)]
        top = {match.person.id: match for match in engine.already_done(case.query, asker=case.person, k=3)}
        if case.expert not in top or not top[case.expert].cross_team:
            rank = ranked.index(case.expert) + 1 if case.expert in ranked else None
            misses.append(f"{case.topic!r}: {case.expert} ranked {rank} for {case.person} (top 3: {list(top)})")
    assert not misses, "planted experts missing from the top 3:\n" + "\n".join(misses)


def test_planted_introductions_are_suggested(engine: Engine, org: SyntheticOrg) -> None:
    misses = [
        f"{case.person} was not told to meet {case.expert} about {case.topic!r}"
        for case in _cases(org, "introduction")
        if case.expert not in [suggestion.candidate.id for suggestion in engine.suggestions(case.person)]
    ]
    assert not misses, "\n".join(misses)


def test_no_suggestion_is_ever_a_teammate(engine: Engine, org: SyntheticOrg) -> None:
    teams = {person["id"]: person.get("team") for person in org.people}
    served = 0
    for person, team in teams.items():
        suggestions = engine.suggestions(person)
        served += bool(suggestions)
        for suggestion in suggestions:
            assert suggestion.candidate.id != person
            assert team is None or suggestion.candidate.team != team
    assert served >= len(teams) / 2, "most people should get at least one suggestion"


def test_reimport_is_a_no_op(engine: Engine, export: Path) -> None:
    before = engine.stats()
    report = engine.ingest(export)
    assert (report.imported_posts, report.imported_people, report.topics_learned) == (0, 0, 0)
    assert report.skipped_known > 0
    assert engine.stats() == before
