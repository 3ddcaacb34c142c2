"""The HTTP service: versioned endpoints over one store opened in the lifespan and injected per request.

Every /v1 endpoint but health needs a bearer token (api/auth.py); bodies and request rates are capped
(api/limits.py); only the configured intranet origins may call the API from a browser. Also serves ``api/static``
at ``/static`` (the Neo4j Browser guide and style), readable across origins by the Neo4j Browser only.
"""

from __future__ import annotations

import json
import pathlib
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from importlib.metadata import PackageNotFoundError, version
from typing import Annotated, Literal

from fastapi import APIRouter, FastAPI, Path, Query, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from api.auth import AdminCaller, IngestCaller, PersonOrAdminCaller, ensure_may_act_for, reader_for
from api.dependencies import EngineDep, PersonId
from api.engine import Engine, neo4j_driver, open_store
from api.errors import ApiError
from api.limits import BodyLimit, RateLimit
from api.problems import install_problems, problem_responses
from api.routes_controls import router as controls_router
from api.routes_mail import router as mail_router
from api.routes_widget import router as widget_router
from api.schemas import (
    AlreadyDonePublic,
    AlreadyDoneQuery,
    HealthPublic,
    IngestPublic,
    MatchPublic,
    ProfilePublic,
    RejectPublic,
    StatsPublic,
    SuggestionPublic,
    SuggestionsPublic,
    TopicPeoplePublic,
)
from api.settings import Settings, get_settings
from extractors.canonical import PEOPLE_FILE, POSTS_FILE
from graph.neo4j_store import Neo4jStore
from recommender.people import Mode

STATIC_DIR = pathlib.Path(__file__).with_name("static")
API_METHODS = ("GET", "POST", "PUT", "DELETE")
API_HEADERS = ("Authorization", "Content-Type")
JSON_LINES = "application/x-ndjson"
MAX_REJECTS_SHOWN = 1_000


def _version() -> str:
    try:
        return version("weaktie")
    except PackageNotFoundError:
        return "0+unknown"


Viewer = Annotated[
    str | None,
    Query(max_length=200, description="Person id of whoever reads the answer; restricted posts show only to them."),
]

AUTH_PROBLEMS = problem_responses(401, 403)
"""What every endpoint behind a token may also answer."""

router = APIRouter(prefix="/v1", responses=problem_responses(404, 413, 422, 429, 503))


@router.get("/health", response_model=HealthPublic, tags=["service"])
def health(engine: EngineDep) -> HealthPublic:
    """The service is up and its store answers; a 503 problem (``/problems/store-unavailable``) while it cannot."""
    engine.check_store()
    return HealthPublic(status="ok", store=engine.settings.store, version=_version())


@router.get("/people/{person_id}", response_model=ProfilePublic, tags=["people"], responses=AUTH_PROBLEMS)
def person_profile(
    person_id: PersonId, engine: EngineDep, caller: PersonOrAdminCaller, viewer: Viewer = None
) -> ProfilePublic:
    """A person, their team, strongest ties, what they know and ask about, and recent posts the viewer may see.

    Scopes: admin, or person (anyone's profile, read as the token's person).
    """
    return ProfilePublic.of(engine.profile(person_id, viewer=reader_for(caller, viewer)))


@router.get(
    "/people/{person_id}/suggestions", response_model=SuggestionsPublic, tags=["people"], responses=AUTH_PROBLEMS
)
def person_suggestions(
    person_id: PersonId,
    engine: EngineDep,
    caller: PersonOrAdminCaller,
    k: Annotated[int | None, Query(ge=1, le=50, description="How many; default WEAKTIE_SUGGESTIONS_K.")] = None,
    viewer: Viewer = None,
    mode: Annotated[
        Mode, Query(description="peer (weak ties), mentor, reverse (a junior strong where you are weak) or mutual.")
    ] = "peer",
) -> Response:
    """People from other teams ``person_id`` should meet, each with the reasons and evidence.

    Reading suggestions does not record them (reloading a page must not use up introductions);
    ``weaktie suggest --record`` and digests record what they actually show.

    Scopes: admin, or person for the token's own person only (read as that person).
    """
    ensure_may_act_for(caller, person_id)
    found = engine.suggestions(person_id, k=k, viewer=reader_for(caller, viewer), record=False, mode=mode)
    answer = SuggestionsPublic(person=person_id, suggestions=[SuggestionPublic.of(item) for item in found])
    # The hottest endpoint (every intranet page view): the answer was just built and validated as the response
    # model, so it is serialised once here instead of being dumped, validated again and serialised by FastAPI.
    return Response(answer.model_dump_json(), media_type="application/json")


@router.post("/already-done", response_model=AlreadyDonePublic, tags=["already done"], responses=AUTH_PROBLEMS)
def already_done(query: AlreadyDoneQuery, engine: EngineDep, caller: PersonOrAdminCaller) -> AlreadyDonePublic:
    """Who has already done what the text describes, best first, with the posts that show it.

    Scopes: admin, or person (who asks as the token's person).
    """
    found = engine.already_done(query.text, asker=reader_for(caller, query.asker), k=query.k)
    return AlreadyDonePublic(matches=[MatchPublic.of(match) for match in found])


@router.get("/topics/{topic}/people", response_model=TopicPeoplePublic, tags=["topics"], responses=AUTH_PROBLEMS)
def topic_people(
    topic: Annotated[str, Path(min_length=1, max_length=200, description="A topic id or label.")],
    engine: EngineDep,
    caller: PersonOrAdminCaller,
    kind: Annotated[Literal["knows", "asks"], Query(description="Experts (knows) or askers (asks).")] = "knows",
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> TopicPeoplePublic:
    """The people with the most recent, strongest evidence on a topic. Scopes: admin or person."""
    return TopicPeoplePublic.of(engine.topic_people(topic, kind=kind, limit=limit))


@router.get("/stats", response_model=StatsPublic, tags=["service"], responses=AUTH_PROBLEMS)
def stats(engine: EngineDep, caller: AdminCaller) -> StatsPublic:
    """Nodes per label and relationships per type. Scope: admin."""
    return StatsPublic.of(engine.stats())


class InvalidRecords(ApiError):
    """A ``POST /v1/posts`` body that is not JSON lines of people and posts."""


@router.post(
    "/posts",
    response_model=IngestPublic,
    tags=["ingest"],
    responses=problem_responses(400, 401, 403),
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": 'JSON lines: canonical posts (docs/input-format.md), and people marked `"kind": "person"`.',
            "content": {JSON_LINES: {"schema": {"type": "string"}}},
        }
    },
)
async def post_records(request: Request, engine: EngineDep, caller: IngestCaller) -> IngestPublic:
    """Import canonical records sent as JSON lines, exactly as ``weaktie ingest`` imports files.

    Each line is one post of ``posts.jsonl``, or one person of ``people.jsonl`` when it says ``"kind": "person"``.
    Posts already stored are skipped; records that cannot be imported are listed with their line and the reason.
    Scopes: ingest or admin.
    """
    body = await request.body()  # the body limit (WEAKTIE_MAX_BODY_BYTES) applies while it streams in
    return await run_in_threadpool(ingest_lines, engine, body)


def ingest_lines(engine: Engine, body: bytes) -> IngestPublic:
    """Import a JSON-lines body through the same pipeline as a directory, and report it line by line.

    Each body line goes to the same line of ``people.jsonl`` or ``posts.jsonl`` (the other file gets a blank line,
    which the reader skips but counts), so every reject names the line of the body.
    """
    lines = body.split(b"\n")
    if not any(line.strip() for line in lines):
        raise InvalidRecords(f"the body holds no records; send one JSON object per line ({JSON_LINES})")
    people: list[bytes] = []
    posts: list[bytes] = []
    for number, line in enumerate(lines, start=1):
        is_person = _record_kind(line, number) == "person"
        people.append(line if is_person else b"")
        posts.append(b"" if is_person else line)
    with tempfile.TemporaryDirectory(prefix="weaktie-post-") as directory:
        folder = pathlib.Path(directory)
        (folder / PEOPLE_FILE).write_bytes(b"\n".join(people) + b"\n")
        (folder / POSTS_FILE).write_bytes(b"\n".join(posts) + b"\n")
        report = engine.ingest(folder)
    rejects: list[RejectPublic] = []
    if report.rejects_path is not None:
        with report.rejects_path.open(encoding="utf-8") as rows:
            for row in rows:
                if len(rejects) == MAX_REJECTS_SHOWN:
                    break
                item = json.loads(row)
                rejects.append(
                    RejectPublic(
                        record="person" if item["file"] == PEOPLE_FILE else "post",
                        line=item["line"],
                        field=item["field"],
                        reason=item["reason"],
                        record_id=item["record_id"],
                    )
                )
    return IngestPublic(
        read=report.read,
        imported_posts=report.imported_posts,
        imported_people=report.imported_people,
        rejected=report.rejected,
        skipped_known=report.skipped_known,
        unresolved_mentions=report.unresolved_mentions,
        topics_learned=report.topics_learned,
        suppressed=report.suppressed,
        elapsed=report.elapsed,
        rejects=rejects,
    )


def _record_kind(line: bytes, number: int) -> str:
    """``person`` or ``post``; a line that is not a JSON object is left for the reader to reject as a post."""
    try:
        record = json.loads(line)
    except ValueError:
        return "post"
    kind = record.get("kind", "post") if isinstance(record, dict) else "post"
    if kind not in ("person", "post"):
        raise InvalidRecords(f'line {number}: "kind" must be "person" or "post" (or left out for a post)')
    return kind


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
    # Added innermost first: CORS answers preflights before they are counted, and the rate limit runs before the
    # body is read.
    app.add_middleware(BodyLimit, max_bytes=chosen.max_body_bytes)
    app.add_middleware(RateLimit, per_minute=chosen.rate_limit_per_minute)
    app.add_middleware(ApiCors, origins=chosen.cors_origins)
    # The static files have their own CORS: the Browser's `:play` and `:style` fetch them.
    static = CORSMiddleware(
        StaticFiles(directory=STATIC_DIR), allow_origins=list(chosen.browser_origins), allow_methods=["GET"]
    )
    app.mount("/static", static, name="static")
    return app


class ApiCors:
    """CORS for everything but ``/static``: only ``WEAKTIE_CORS_ORIGINS`` (none by default) may call from a browser."""

    def __init__(self, app: ASGIApp, *, origins: tuple[str, ...]) -> None:
        self.app = app
        self.cors = CORSMiddleware(
            app, allow_origins=list(origins), allow_methods=list(API_METHODS), allow_headers=list(API_HEADERS)
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if scope["type"] != "http" or path == "/static" or path.startswith("/static/"):
            await self.app(scope, receive, send)
        else:
            await self.cors(scope, receive, send)
