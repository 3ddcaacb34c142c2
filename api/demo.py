"""The guided tour behind ``weaktie demo``: a generated organisation, imported, then asked the two questions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice

from api.engine import Engine
from extractors.synthetic import PlantedMatch
from graph.delta import Person
from recommender.explain import Match, Suggestion


@dataclass(frozen=True, slots=True)
class Introduction:
    person: Person
    suggestions: tuple[Suggestion, ...]
    planted: PlantedMatch | None
    """The introduction the generator hid for this person, if any."""

    @property
    def found_planted(self) -> bool:
        return self.planted is not None and any(s.candidate.id == self.planted.expert for s in self.suggestions)


@dataclass(frozen=True, slots=True)
class AlreadyDoneExample:
    asker: Person
    query: str
    matches: tuple[Match, ...]
    planted: PlantedMatch

    @property
    def found_planted(self) -> bool:
        return any(match.person.id == self.planted.expert for match in self.matches)


@dataclass(frozen=True, slots=True)
class Tour:
    introductions: tuple[Introduction, ...]
    already_done: AlreadyDoneExample | None
    teams: Mapping[str, str] = field(default_factory=dict)
    """Team id → display name."""


def take_tour(
    engine: Engine, planted: Sequence[PlantedMatch], *, people: int = 3, k: int = 3, record: bool = False
) -> Tour:
    """Suggestions for a few people (those with a planted introduction first) and one "already done" example."""
    intros = {match.person: match for match in planted if match.kind == "introduction"}
    chosen = list(intros)[:people]
    others = (person.id for person in engine.store.people() if not person.opted_out and person.id not in intros)
    chosen += islice(others, people - len(chosen))
    introductions = tuple(
        _introduction(engine, person_id, intros.get(person_id), k=k, record=record) for person_id in chosen
    )
    cases = [match for match in planted if match.kind == "already_done" and match.query]
    example = None
    if cases:
        case = cases[0]
        matches = engine.already_done(case.query, asker=case.person, k=k)
        example = AlreadyDoneExample(
            asker=engine.person(case.person), query=case.query, matches=tuple(matches), planted=case
        )
    return Tour(introductions=introductions, already_done=example, teams=engine.team_names())


def _introduction(
    engine: Engine, person_id: str, planted: PlantedMatch | None, *, k: int, record: bool = False
) -> Introduction:
    return Introduction(
        person=engine.person(person_id),
        suggestions=tuple(engine.suggestions(person_id, k=k, record=record)),
        planted=planted,
    )
