"""Who is calling: bearer tokens with scopes (``person``, ``admin``, ``ingest``), checked on every /v1 request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from graph.controls import TokenScope


@dataclass(frozen=True, slots=True)
class Caller:
    """The authenticated caller of one request. With ``WEAKTIE_AUTH=off`` everyone is an anonymous admin."""

    scope: TokenScope
    person: str | None = None
    token_id: str | None = None

    def may_act_for(self, person_id: str) -> bool:
        """Admins act for anyone; a person token only for its own person; ingest tokens for nobody."""
        return self.scope == "admin" or (self.scope == "person" and self.person == person_id)


def current_caller(request: Request) -> Caller:
    """The caller of this request (stub: everyone is an admin until token checking is built)."""
    return Caller(scope="admin")


CallerDep = Annotated[Caller, Depends(current_caller)]
