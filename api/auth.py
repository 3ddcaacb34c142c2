"""Who is calling: bearer tokens with scopes (``person``, ``admin``, ``ingest``), checked on every /v1 request.

Endpoints declare who may call them with :func:`require_scopes` and, where a person token may only act for its own
person, :func:`ensure_may_act_for` / :func:`reader_for`. ``WEAKTIE_AUTH=off`` makes every caller an admin.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.errors import ApiError
from api.tokens import Unauthorized, verify_token
from graph.controls import TokenScope

TOKEN_STATE_KEY = "weaktie_token_id"
"""Where :func:`current_caller` leaves the verified token id in the request state, for the rate limiter."""

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="token",
    description="An API token from `weaktie token issue`, sent as `Authorization: Bearer wt_…`.",
)


class Forbidden(ApiError):
    """The caller is known but may not do this (HTTP 403): wrong scope, or acting for someone else."""


@dataclass(frozen=True, slots=True)
class Caller:
    """The authenticated caller of one request. With ``WEAKTIE_AUTH=off`` everyone is an anonymous admin."""

    scope: TokenScope
    person: str | None = None
    token_id: str | None = None

    def may_act_for(self, person_id: str) -> bool:
        """Admins act for anyone; a person token only for its own person; ingest tokens for nobody."""
        return self.scope == "admin" or (self.scope == "person" and self.person == person_id)


def current_caller(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Caller:
    """The caller of this request: :class:`~api.tokens.Unauthorized` (401) without a valid, unrevoked token."""
    engine = request.app.state.engine
    if engine.settings.auth == "off":
        return Caller(scope="admin")
    if credentials is None:
        raise Unauthorized(
            "this endpoint needs an API token: send `Authorization: Bearer <token>` "
            "(an administrator issues one with `weaktie token issue`)"
        )
    token = verify_token(engine.store, credentials.credentials)
    setattr(request.state, TOKEN_STATE_KEY, token.id)
    return Caller(scope=token.scope, person=token.person, token_id=token.id)


CallerDep = Annotated[Caller, Depends(current_caller)]


def require_scopes(*scopes: TokenScope) -> Callable[[Caller], Awaitable[Caller]]:
    """A dependency returning the caller if its token has one of ``scopes``, else :class:`Forbidden` (403)."""
    if not scopes:
        raise ValueError("require_scopes needs at least one scope")
    allowed = frozenset(scopes)
    names = " or ".join(sorted(allowed))

    # async: a pure check, so FastAPI runs it on the event loop instead of hopping to a worker thread.
    async def dependency(caller: CallerDep) -> Caller:
        if caller.scope not in allowed:
            raise Forbidden(f"this endpoint needs a token with scope {names}; this one has scope {caller.scope}")
        return caller

    return dependency


AdminCaller = Annotated[Caller, Depends(require_scopes("admin"))]
PersonOrAdminCaller = Annotated[Caller, Depends(require_scopes("admin", "person"))]
IngestCaller = Annotated[Caller, Depends(require_scopes("admin", "ingest"))]


def ensure_may_act_for(caller: Caller, person_id: str) -> None:
    """:class:`Forbidden` unless the caller may act for ``person_id`` (an admin, or that person's own token)."""
    if not caller.may_act_for(person_id):
        if caller.scope == "person":
            raise Forbidden(f"a person token acts only for its own person, not for {person_id!r}")
        raise Forbidden(f"a token with scope {caller.scope} cannot act for a person")


def reader_for(caller: Caller, requested: str | None) -> str | None:
    """Whose eyes a request reads with: an admin's choice (``viewer``/``asker`` as given), a person token's own.

    A person token naming anyone else as reader is :class:`Forbidden`: restricted posts are shown only to their
    audience, so the reader must be who the token says it is.
    """
    if caller.scope != "person":
        return requested
    if requested is not None and requested != caller.person:
        raise Forbidden(f"a person token reads as its own person, not as {requested!r}; leave the parameter out")
    return caller.person
