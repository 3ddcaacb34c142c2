"""The intranet widget (``/widget.js``) and the demo intranet page (``/demo``): open, no token needed to load.

``weaktie serve --demo`` imports the generated organisation with :func:`prepare_demo` and leaves a
:class:`DemoPage` in ``app.state.demo_page``; without one, ``/demo`` is a 404 problem saying how to get it.
"""

from __future__ import annotations

import hashlib
import pathlib
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.dependencies import EngineDep
from api.engine import Engine, open_store
from api.errors import ApiError
from api.settings import Settings
from api.tokens import issue_token
from extractors.synthetic import PlantedMatch, SyntheticOrg, write_canonical

WIDGET_JS = pathlib.Path(__file__).with_name("static") / "widget.js"
TEMPLATES_DIR = pathlib.Path(__file__).with_name("templates")
JS_MEDIA_TYPE = "application/javascript; charset=utf-8"
WIDGET_MAX_AGE = 600
"""Seconds intranet pages may reuse ``/widget.js`` before revalidating it (by ETag) after an upgrade."""

DEMO_SUGGESTIONS = 4
"""Cards the demo page asks for; the demo person is one who gets at least this many (if anyone does)."""

router = APIRouter()


class NoDemoPerson(ApiError):
    """Nobody in the imported demo organisation gets suggestions, so the demo page would be empty."""


_templates = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR), autoescape=select_autoescape(default=True), auto_reload=False
)


@dataclass(frozen=True, slots=True)
class DemoPage:
    """Whom the demo intranet page is shown as: a person of the demo organisation and their person token."""

    person: str
    token: str = field(repr=False)
    """The plaintext bearer token, minted at start-up; it is embedded in the page and never logged."""


@router.api_route("/widget.js", methods=["GET", "HEAD"], include_in_schema=False)
def widget_js(request: Request) -> Response:
    """The widget script, cacheable and revalidated by ETag; loadable from any intranet origin."""
    body = WIDGET_JS.read_bytes()
    etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    headers = {
        "Cache-Control": f"public, max-age={WIDGET_MAX_AGE}",
        "ETag": etag,
        "X-Content-Type-Options": "nosniff",
        # Pages that isolate themselves (COEP) may still load the script from the weaktie origin.
        "Cross-Origin-Resource-Policy": "cross-origin",
    }
    if etag in _etags(request.headers.get("if-none-match", "")):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=JS_MEDIA_TYPE, headers=headers)


def _etags(header: str) -> set[str]:
    return {part.strip().removeprefix("W/") for part in header.split(",") if part.strip()}


@router.get("/demo", include_in_schema=False, response_class=HTMLResponse)
def demo_page(request: Request, engine: EngineDep) -> HTMLResponse:
    """A plain intranet home page with both widgets, shown as the demo person (``weaktie serve --demo`` only)."""
    page: DemoPage | None = getattr(request.app.state, "demo_page", None)
    if page is None:
        raise StarletteHTTPException(
            404, "This server has no demo page: start it with `weaktie serve --demo` to get one at /demo."
        )
    html = _templates.get_template("widget-demo.html.j2").render(
        person=engine.person(page.person), token=page.token, origin=str(request.base_url).rstrip("/")
    )
    # The page carries a bearer token: keep it out of caches and out of Referer headers.
    return HTMLResponse(html, headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})


def prepare_demo(
    org: SyntheticOrg,
    settings: Settings,
    *,
    now: datetime,
    progress: Callable[[int, int], None] | None = None,
) -> DemoPage:
    """Import ``org`` into the store of ``settings``, pick a demo person and mint their person token.

    The store is closed again before returning, so the service can open it (the embedded store allows one
    process at a time).
    """
    with tempfile.TemporaryDirectory(prefix="weaktie-demo-export-") as tmp:
        export = pathlib.Path(tmp) / "export"
        write_canonical(org, export)
        store = open_store(settings)
        try:
            engine = Engine(store, settings=settings)
            engine.ingest(export, progress=progress)
            person = choose_demo_person(engine, org.planted)
            _, secret = issue_token(store, scope="person", person=person, label="demo page", now=now)
        finally:
            store.close()
    return DemoPage(person=person, token=secret)


def choose_demo_person(engine: Engine, planted: Sequence[PlantedMatch], *, k: int = DEMO_SUGGESTIONS) -> str:
    """Someone whose cards show weaktie at its best: the generator's planted introduction found, and a full list.

    Falls back to the planted person with the most suggestions, then to anyone with suggestions.
    """
    best: tuple[int, str] | None = None
    for match in planted:
        if match.kind != "introduction":
            continue
        found = engine.suggestions(match.person, k=k)
        if len(found) >= k and any(item.candidate.id == match.expert for item in found):
            return match.person
        if best is None or len(found) > best[0]:
            best = (len(found), match.person)
    if best is not None and best[0] > 0:
        return best[1]
    for person in engine.store.people():
        if not person.opted_out and engine.suggestions(person.id, k=k):
            return person.id
    raise NoDemoPerson(
        "nobody in the demo organisation gets suggestions; expected a generated organisation with posts "
        "(try the defaults of `weaktie serve --demo`)"
    )
