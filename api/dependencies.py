"""What endpoints share through FastAPI's dependency injection: the engine, path parameters, acting for a person."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request

from api.auth import CallerDep, ensure_may_act_for
from api.engine import Engine


async def get_engine(request: Request) -> Engine:
    """The engine the lifespan opened for this process (async: no I/O, so no hop to a worker thread)."""
    return request.app.state.engine


EngineDep = Annotated[Engine, Depends(get_engine)]
PersonId = Annotated[str, Path(min_length=1, max_length=200, description="A person id, e.g. `p0042`.")]


async def acting_for(caller: CallerDep, person_id: PersonId) -> str:
    """The person in the path, if the caller may act for them (an admin, or that person's own token); else 403."""
    ensure_may_act_for(caller, person_id)
    return person_id


OwnPerson = Annotated[str, Depends(acting_for)]
