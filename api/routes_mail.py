"""Unsubscribe links from the serendipity e-mails: GET shows a confirmation page, POST (RFC 8058) unsubscribes.

Both are open: the signed token in the link is the credential (no bearer token, no cookies, as RFC 8058 asks).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from email.parser import BytesParser
from email.policy import HTTP
from typing import Annotated
from urllib.parse import parse_qs

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from api.dependencies import EngineDep
from api.engine import Engine
from api.errors import ApiError
from api.mail import templates
from api.problems import problem_responses
from api.signing import UNSUBSCRIBE, signing_key, verify
from graph.controls import Policy, person_scope
from graph.delta import GraphDelta
from graph.errors import NotFound

ONE_CLICK = ("List-Unsubscribe", "One-Click")
"""The form field RFC 8058 clients POST (and the confirmation page's form does too)."""
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",  # the page's URL holds the token: links out must not carry it along
    "X-Robots-Tag": "noindex",
}

router = APIRouter(tags=["mail"], responses=problem_responses(400, 413, 422, 429, 503))

Token = Annotated[
    str, Query(min_length=1, max_length=2_000, description="The signed token from the e-mail's unsubscribe link.")
]


class NotOneClick(ApiError):
    """An unsubscribe POST without RFC 8058's ``List-Unsubscribe=One-Click`` field."""


@router.get("/unsubscribe", response_class=HTMLResponse)
def unsubscribe_page(engine: EngineDep, token: Token) -> HTMLResponse:
    """A page asking to confirm; nothing changes until its button POSTs (link scanners only GET)."""
    verify(signing_key(engine.settings), token, purpose=UNSUBSCRIBE)
    return _page(done=False, token=token)


@router.post("/unsubscribe", response_class=HTMLResponse)
async def unsubscribe(request: Request, engine: EngineDep, token: Token) -> HTMLResponse:
    """RFC 8058 one-click unsubscribe: the body is ``List-Unsubscribe=One-Click`` (form-encoded or multipart).

    Sets the person's own digest policy to ``off``, keeping whatever else their person policy says.
    """
    claim = verify(signing_key(engine.settings), token, purpose=UNSUBSCRIBE)
    body = await request.body()
    if not is_one_click(request.headers.get("content-type", ""), body):
        raise NotOneClick("the body must be the form field List-Unsubscribe=One-Click (RFC 8058)")
    await run_in_threadpool(turn_off_digest, engine, claim.person, now=datetime.now(UTC))
    return _page(done=True, token=token)


def is_one_click(content_type: str, body: bytes) -> bool:
    """Whether a form body (url-encoded or multipart) carries ``List-Unsubscribe=One-Click``."""
    name, value = ONE_CLICK
    if content_type.split(";")[0].strip().lower() == "multipart/form-data":
        # The stdlib MIME parser reads form-data well enough for one small field: no python-multipart needed.
        message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode("latin-1") + body)
        if not message.is_multipart():
            return False
        for part in message.iter_parts():
            if part.get_param("name", header="content-disposition") == name:
                payload = part.get_payload(decode=True) or b""
                if payload.decode("utf-8", "replace").strip() == value:
                    return True
        return False
    fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    return value in fields.get(name, [])


def turn_off_digest(engine: Engine, person_id: str, *, now: datetime) -> None:
    """Merge ``digest="off"`` into the person's policy. A forgotten person gets nothing anyway: no write."""
    store = engine.store
    try:
        store.person(person_id)
    except NotFound:
        return
    scope = person_scope(person_id)
    current = store.controls().policy_map().get(scope)
    policy = (
        Policy(scope=scope, digest="off", updated_at=now)
        if current is None
        else replace(current, digest="off", updated_at=now)
    )
    store.upsert(GraphDelta(policies=(policy,)))


def _page(*, done: bool, token: str) -> HTMLResponse:
    html = templates().get_template("unsubscribe.html.j2").render(done=done, token=token)
    return HTMLResponse(html, headers=PAGE_HEADERS)
