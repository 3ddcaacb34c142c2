"""The HTTP service: versioned read endpoints over one store opened in the lifespan and injected per request."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request

from api.engine import Engine, open_store
from api.problems import install_problems
from api.schemas import (
    AlreadyDonePublic,
    AlreadyDoneQuery,
    HealthPublic,
    MatchPublic,
    ProblemPublic,
    ProfilePublic,
    StatsPublic,
    SuggestionPublic,
    SuggestionsPublic,
    TopicPeoplePublic,
)
from api.settings import Settings, get_settings


def _version() -> str:
    try:
        return version("weaktie")
    except PackageNotFoundError:
        return "0+unknown"


def get_engine(request: Request) -> Engine:
    """The engine the lifespan opened for this process."""
    return request.app.state.engine


EngineDep = Annotated[Engine, Depends(get_engine)]
PersonId = Annotated[str, Path(min_length=1, max_length=200, description="A person id, e.g. `p0042`.")]
Viewer = Annotated[
    str | None,
    Query(max_length=200, description="Person id of whoever reads the answer; restricted posts show only to them."),
]

_PROBLEMS = {
    status: {"model": ProblemPublic, "content": {"application/problem+json": {}}, "description": text}
    for status, text in ((404, "Unknown person or topic"), (422, "Invalid parameters"), (503, "Store unavailable"))
}

router = APIRouter(prefix="/v1", responses=_PROBLEMS)


@router.get("/health", response_model=HealthPublic, tags=["service"])
def health(engine: EngineDep) -> HealthPublic:
    return HealthPublic(status="ok", store=engine.settings.store, version=_version())


@router.get("/people/{person_id}", response_model=ProfilePublic, tags=["people"])
def person_profile(person_id: PersonId, engine: EngineDep, viewer: Viewer = None) -> ProfilePublic:
    """A person, their team, strongest ties, what they know and ask about, and recent posts the viewer may see."""
    return ProfilePublic.of(engine.profile(person_id, viewer=viewer))


@router.get("/people/{person_id}/suggestions", response_model=SuggestionsPublic, tags=["people"])
def person_suggestions(
    person_id: PersonId,
    engine: EngineDep,
    k: Annotated[int | None, Query(ge=1, le=50, description="How many; default WEAKTIE_SUGGESTIONS_K.")] = None,
    viewer: Viewer = None,
) -> SuggestionsPublic:
    """People from other teams ``person_id`` should meet, each with the reasons and evidence.

    Reading suggestions does not record them (reloading a page must not use up introductions);
    ``weaktie suggest --record`` and digests record what they actually show.
    """
    found = engine.suggestions(person_id, k=k, viewer=viewer, record=False)
    return SuggestionsPublic(person=person_id, suggestions=[SuggestionPublic.of(item) for item in found])


@router.post("/already-done", response_model=AlreadyDonePublic, tags=["already done"])
def already_done(query: AlreadyDoneQuery, engine: EngineDep) -> AlreadyDonePublic:
    """Who has already done what the text describes, best first, with the posts that show it."""
    found = engine.already_done(query.text, asker=query.asker, k=query.k)
    return AlreadyDonePublic(matches=[MatchPublic.of(match) for match in found])


@router.get("/topics/{topic}/people", response_model=TopicPeoplePublic, tags=["topics"])
def topic_people(
    topic: Annotated[str, Path(min_length=1, max_length=200, description="A topic id or label.")],
    engine: EngineDep,
    kind: Annotated[Literal["knows", "asks"], Query(description="Experts (knows) or askers (asks).")] = "knows",
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> TopicPeoplePublic:
    """The people with the most recent, strongest evidence on a topic."""
    return TopicPeoplePublic.of(engine.topic_people(topic, kind=kind, limit=limit))


@router.get("/stats", response_model=StatsPublic, tags=["service"])
def stats(engine: EngineDep) -> StatsPublic:
    """Nodes per label and relationships per type."""
    return StatsPublic.of(engine.stats())


def create_app(settings: Settings | None = None) -> FastAPI:
    """The FastAPI application; the store is opened when the app starts and closed when it stops."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        chosen = settings or get_settings()
        store = open_store(chosen)
        app.state.engine = Engine(store, settings=chosen)
        try:
            yield
        finally:
            del app.state.engine
            store.close()

    app = FastAPI(
        title="weaktie",
        version=_version(),
        summary="Who you should meet across teams, and who already did what you are about to do.",
        lifespan=lifespan,
    )
    install_problems(app)
    app.include_router(router)
    return app
