"""Endpoints for what people and admins control: feedback, topic corrections, preferences, policies, do-not-pair,
export, forget and the team report (docs/privacy.md).

A person's own endpoints take that person's token or an admin's; the rest are for admins only.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response, status

from api.auth import require_scopes
from api.dependencies import EngineDep, OwnPerson, PersonId
from api.engine import Engine
from api.problems import problem_responses
from api.schemas import (
    DoNotPairListPublic,
    DoNotPairPublic,
    DoNotPairQuery,
    EffectivePolicyPublic,
    FeedbackPublic,
    FeedbackQuery,
    PersonTopicPublic,
    PersonTopicsPublic,
    PolicyPublic,
    PolicyQuery,
    PreferencesPublic,
    TeamReportPublic,
    TopicCorrectionPublic,
    TopicCorrectionQuery,
)
from graph.controls import person_scope
from graph.errors import NotFound

router = APIRouter(prefix="/v1", responses=problem_responses(400, 401, 403, 404, 422, 503))


OtherPerson = Annotated[str, Query(min_length=1, max_length=200)]
Admin = Depends(require_scopes("admin"))


@router.post(
    "/people/{person_id}/feedback",
    response_model=FeedbackPublic,
    status_code=status.HTTP_201_CREATED,
    tags=["controls"],
)
def give_feedback(person: OwnPerson, body: FeedbackQuery, engine: EngineDep) -> FeedbackPublic:
    """What the person says about a suggestion: ``dismiss`` or ``not_relevant`` (never suggested again), ``met``."""
    return FeedbackPublic.of(engine.feedback(person, body.candidate, body.kind))


@router.post(
    "/people/{person_id}/topics",
    response_model=TopicCorrectionPublic,
    status_code=status.HTTP_201_CREATED,
    tags=["controls"],
)
def correct_topic(person: OwnPerson, body: TopicCorrectionQuery, engine: EngineDep) -> TopicCorrectionPublic:
    """The person's own word on a topic: ``confirm`` it, ``hide`` it (never used or shown) or ``add`` a new one."""
    return TopicCorrectionPublic.of(engine.correct_topic(person, body.topic, body.action))


@router.get("/people/{person_id}/topics", response_model=PersonTopicsPublic, tags=["controls"])
def person_topics(person: OwnPerson, engine: EngineDep) -> PersonTopicsPublic:
    """Every topic of the person: inferred, confirmed, hidden or self-declared."""
    found = engine.person_topics(person)
    return PersonTopicsPublic(person=person, topics=[PersonTopicPublic.of(item) for item in found])


@router.get("/people/{person_id}/preferences", response_model=PreferencesPublic, tags=["controls"])
def get_preferences(person: OwnPerson, engine: EngineDep) -> PreferencesPublic:
    """What applies to the person (their own, their team's or the organisation's word) and what they said."""
    return _preferences(engine, person)


@router.put("/people/{person_id}/preferences", response_model=PreferencesPublic, tags=["controls"])
def put_preferences(person: OwnPerson, body: PolicyQuery, engine: EngineDep) -> PreferencesPublic:
    """Change the person's own settings; a field left out keeps what they said before."""
    engine.set_policy(person_scope(person), suggest=body.suggest, infer=body.infer, digest=body.digest)
    return _preferences(engine, person)


def _preferences(engine: Engine, person: str) -> PreferencesPublic:
    own = engine.policy_at(person_scope(person))
    return PreferencesPublic(
        person=person,
        effective=EffectivePolicyPublic.of(engine.preferences(person)),
        own=PolicyPublic.of(own) if own is not None else None,
    )


@router.get("/people/{person_id}/export", tags=["controls"])
def export_person(person: OwnPerson, engine: EngineDep) -> dict[str, Any]:
    """Everything held about the person, as JSON (tokens without their secrets; posts as snippets)."""
    return engine.export_person(person)


@router.delete("/people/{person_id}", status_code=status.HTTP_204_NO_CONTENT, dependencies=[Admin], tags=["controls"])
def forget_person(person_id: PersonId, engine: EngineDep) -> Response:
    """Erase the person and everything about them; later imports drop them (admin)."""
    engine.forget_person(person_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put("/policies/{scope}", response_model=PolicyPublic, dependencies=[Admin], tags=["controls"])
def put_policy(
    scope: Annotated[str, Path(min_length=1, max_length=210, description="`org`, `team:<id>` or `person:<id>`.")],
    body: PolicyQuery,
    engine: EngineDep,
) -> PolicyPublic:
    """Set the policy of the organisation, a team or a person; a field left out keeps what was said (admin)."""
    return PolicyPublic.of(engine.set_policy(scope, suggest=body.suggest, infer=body.infer, digest=body.digest))


@router.get("/do-not-pair", response_model=DoNotPairListPublic, dependencies=[Admin], tags=["controls"])
def list_do_not_pair(engine: EngineDep) -> DoNotPairListPublic:
    """Every pair never to suggest to each other (admin)."""
    return DoNotPairListPublic(entries=[DoNotPairPublic.of(entry) for entry in engine.do_not_pair_entries()])


@router.post(
    "/do-not-pair",
    response_model=DoNotPairPublic,
    status_code=status.HTTP_201_CREATED,
    dependencies=[Admin],
    tags=["controls"],
)
def add_do_not_pair(body: DoNotPairQuery, engine: EngineDep) -> DoNotPairPublic:
    """Never suggest ``a`` and ``b`` to each other, in either direction (admin)."""
    return DoNotPairPublic.of(engine.do_not_pair(body.a, body.b))


@router.delete("/do-not-pair", status_code=status.HTTP_204_NO_CONTENT, dependencies=[Admin], tags=["controls"])
def remove_do_not_pair(a: OtherPerson, b: OtherPerson, engine: EngineDep) -> Response:
    """Drop the entry for ``a`` and ``b`` (either order); 404 if there is none (admin)."""
    if not engine.remove_do_not_pair(a, b):
        raise NotFound("do-not-pair entry", f"{a}/{b}")
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/teams/report", response_model=TeamReportPublic, dependencies=[Admin], tags=["controls"])
def team_report(engine: EngineDep) -> TeamReportPublic:
    """People, active people, posts, top topics and cross-team ties per team; no row stands for fewer than
    ``WEAKTIE_MIN_GROUP_SIZE`` people (admin)."""
    return TeamReportPublic.of(engine.team_report())
