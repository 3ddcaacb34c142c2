"""RFC 9457 problem details: every error the API returns is ``application/problem+json`` and leaks no internals."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.auth import Forbidden
from api.errors import ApiError, ConfigurationError
from api.schemas import ProblemPublic
from api.tokens import Unauthorized
from graph.errors import NotFound, StoreError, StoreUnavailable, WeaktieError

MEDIA_TYPE = "application/problem+json"

PROBLEM_TYPES: dict[str, tuple[str, str]] = {
    "not-found": ("Not found", "The person or topic named in the path (or as asker/viewer) is not in the graph."),
    "validation-error": ("Validation error", "A parameter or the body does not have the expected shape; see errors."),
    "invalid-request": ("Invalid request", "The request is well-formed but cannot be answered as asked."),
    "store-unavailable": ("Store unavailable", "The graph store cannot be reached; retry after Retry-After seconds."),
    "store-error": ("Store error", "The graph store failed to answer; the server log has the details."),
    "configuration-error": ("Configuration error", "The server's settings are invalid; the server log says which."),
    "unauthorized": (
        "Unauthorized",
        "The request needs a valid API token: send `Authorization: Bearer <token>` (`weaktie token issue`).",
    ),
    "forbidden": ("Forbidden", "The token is valid but its scope, or the person it acts for, does not allow this."),
    "body-too-large": (
        "Body too large",
        "The request body is larger than the server accepts (WEAKTIE_MAX_BODY_BYTES).",
    ),
    "rate-limited": (
        "Too many requests",
        "Too many requests for this token or address; retry after Retry-After seconds.",
    ),
}
"""Slug → (title, description). A problem's ``type`` is ``/problems/<slug>``, which serves the description."""

RESPONSE_DESCRIPTIONS: dict[int, str] = {
    400: "The request cannot be answered as asked",
    401: "No valid API token (missing, unknown or revoked)",
    403: "The token may not do this",
    404: "Unknown person or topic",
    413: "Request body too large",
    422: "Invalid parameters",
    429: "Too many requests; see Retry-After",
    503: "Store unavailable",
}
"""How the OpenAPI schema describes each problem status (see :func:`problem_responses`)."""

log = logging.getLogger("weaktie.api")

STORE_NAMES: dict[str, str] = {"neo4j": "Neo4j graph", "embedded": "embedded graph"}
RETRY_AFTER_SECONDS = 30
AUTHENTICATE = 'Bearer realm="weaktie"'
"""The ``WWW-Authenticate`` challenge of every 401 (RFC 6750)."""


def problem(
    request: Request,
    status: int,
    *,
    detail: str,
    slug: str | None = None,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    """One problem+json response; without a slug the type is ``about:blank`` and the title the status phrase."""
    body = problem_document(status, detail=detail, instance=request.url.path, slug=slug, **extensions)
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def problem_document(status: int, *, detail: str, instance: str, slug: str | None = None, **extensions: Any) -> dict:
    """The problem+json body itself, for the ASGI middlewares that answer before FastAPI is reached."""
    return {
        "type": f"/problems/{slug}" if slug else "about:blank",
        "title": PROBLEM_TYPES[slug][0] if slug else HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": instance,
        **extensions,
    }


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` documenting problem+json answers with these statuses (for a router or a route)."""
    return {
        status: {
            "model": ProblemPublic,
            "content": {MEDIA_TYPE: {}},
            "description": RESPONSE_DESCRIPTIONS.get(status, HTTPStatus(status).phrase),
        }
        for status in statuses
    }


async def _not_found(request: Request, exc: NotFound) -> JSONResponse:
    return problem(request, 404, slug="not-found", detail=str(exc), kind=exc.kind, id=exc.key)


async def _store_unavailable(request: Request, exc: StoreUnavailable) -> JSONResponse:
    # The log gets the store's own message (its address, what to check); the caller only learns which store it is.
    log.warning("graph store unavailable: %s", exc)
    engine = getattr(request.app.state, "engine", None)
    kind = engine.settings.store if engine is not None else None
    name = STORE_NAMES.get(kind or "", "graph")
    return problem(
        request,
        503,
        slug="store-unavailable",
        detail=f"The {name} store cannot be reached right now; try again in a little while.",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        **({"store": kind} if kind else {}),
    )


async def _store_error(request: Request, exc: StoreError) -> JSONResponse:
    log.error("graph store error", exc_info=exc)
    return problem(request, 500, slug="store-error", detail="The graph store could not be read; see the server log.")


async def _configuration_error(request: Request, exc: ConfigurationError) -> JSONResponse:
    log.error("configuration error: %s", exc)
    return problem(request, 500, slug="configuration-error", detail="The server is misconfigured; see the server log.")


async def _unauthorized(request: Request, exc: Unauthorized) -> JSONResponse:
    return problem(request, 401, slug="unauthorized", detail=str(exc), headers={"WWW-Authenticate": AUTHENTICATE})


async def _forbidden(request: Request, exc: Forbidden) -> JSONResponse:
    return problem(request, 403, slug="forbidden", detail=str(exc))


async def _bad_request(request: Request, exc: WeaktieError) -> JSONResponse:
    # Other WeaktieErrors describe the caller's input and say what to do, so their message is safe to show.
    return problem(request, 400, slug="invalid-request", detail=str(exc))


async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
    # Only where and what: echoing the rejected input back could leak what the caller sent to a shared log.
    errors = [
        {"loc": [str(part) for part in error.get("loc", ())], "msg": str(error.get("msg", "")), "type": error["type"]}
        for error in exc.errors()
    ]
    fields = ", ".join(".".join(error["loc"]) for error in errors) or "the request"
    return problem(request, 422, slug="validation-error", detail=f"Invalid value for {fields}.", errors=errors)


async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).description
    return problem(request, exc.status_code, detail=detail, headers=getattr(exc, "headers", None))


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s", request.url.path, exc_info=exc)
    return problem(request, 500, detail="Something went wrong on our side; the error has been logged.")


def describe_problem(slug: str) -> PlainTextResponse:
    """What a problem type means, served at its ``type`` URI."""
    if slug not in PROBLEM_TYPES:
        raise StarletteHTTPException(404, f"no problem type {slug!r}; known types: {', '.join(PROBLEM_TYPES)}")
    title, description = PROBLEM_TYPES[slug]
    return PlainTextResponse(f"{title}\n\n{description}\n")


def install_problems(app: FastAPI) -> None:
    """Route every error through :func:`problem` (the most specific handler wins) and serve the problem types."""
    app.add_exception_handler(NotFound, _not_found)
    app.add_exception_handler(StoreUnavailable, _store_unavailable)
    app.add_exception_handler(StoreError, _store_error)
    app.add_exception_handler(ConfigurationError, _configuration_error)
    app.add_exception_handler(Unauthorized, _unauthorized)
    app.add_exception_handler(Forbidden, _forbidden)
    app.add_exception_handler(ApiError, _bad_request)
    app.add_exception_handler(WeaktieError, _bad_request)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)
    app.add_api_route("/problems/{slug}", describe_problem, methods=["GET"], include_in_schema=False)
