"""The HTTP service: versioned read endpoints over one store opened in the lifespan and injected per request.

Also serves ``api/static`` at ``/static`` (the Neo4j Browser guide and style), readable across origins by the
Neo4j Browser only.
"""

from __future__ import annotations

import pathlib
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from importlib.metadata import PackageNotFoundError, version
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles

from api.engine import Engine, neo4j_driver, open_store
from api.problems import install_problems
from api.routes_controls import router as controls_router
from api.routes_mail import router as mail_router
from api.routes_widget import router as widget_router
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
from graph.neo4j_store import Neo4jStore
from recommender.people import Mode

STATIC_DIR = pathlib.Path(__file__).with_name("static")


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
    """The service is up and its store answers; a 503 problem (``/problems/store-unavailable``) while it cannot."""
    engine.check_store()
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
    mode: Annotated[
        Mode, Query(description="peer (weak ties), mentor, reverse (a junior strong where you are weak) or mutual.")
    ] = "peer",
) -> SuggestionsPublic:
    """People from other teams ``person_id`` should meet, each with the reasons and evidence.

    Reading suggestions does not record them (reloading a page must not use up introductions);
    ``weaktie suggest --record`` and digests record what they actually show.
    """
    found = engine.suggestions(person_id, k=k, viewer=viewer, record=False, mode=mode)
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


@contextmanager
def serving_engine(settings: Settings) -> Iterator[Engine]:
    """The engine of one service process, closed on exit.

    On Neo4j the process has one driver, shared by every request and closed last. The store on it is opened on
    first use and again after a failure, so the service starts (and ``/v1/health`` answers 503) while Neo4j is
    down, and creates the schema once the server is back.
    """
    if settings.store != "neo4j":
        engine = Engine(open_store(settings), settings=settings)
        try:
            yield engine
        finally:
            engine.close()
        return
    driver = neo4j_driver(settings)
    try:

        def connect() -> Neo4jStore:
            return Neo4jStore(driver, database=settings.neo4j_database, uri=settings.neo4j_uri)

        engine = Engine(opener=connect, settings=settings)
        try:
            yield engine
        finally:
            engine.close()
    finally:
        driver.close()


def create_app(settings: Settings | None = None) -> FastAPI:
    """The FastAPI application; the store is opened when the app starts and closed when it stops."""
    chosen = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        with serving_engine(chosen) as engine:
            app.state.engine = engine
            try:
                yield
            finally:
                del app.state.engine

    app = FastAPI(
        title="weaktie",
        version=_version(),
        summary="Who you should meet across teams, and who already did what you are about to do.",
        lifespan=lifespan,
    )
    install_problems(app)
    app.include_router(router)
    app.include_router(controls_router)
    app.include_router(mail_router)
    app.include_router(widget_router)
    # CORS on the static files only: the Browser's `:play` and `:style` fetch them; the API itself stays same-origin.
    static = CORSMiddleware(
        StaticFiles(directory=STATIC_DIR), allow_origins=list(chosen.browser_origins), allow_methods=["GET"]
    )
    app.mount("/static", static, name="static")
    return app
