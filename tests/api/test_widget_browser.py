"""The widget in a real headless Chromium against the real service on loopback, over a generated organisation
whose planted experts carry a hostile display name (markup that would run script if it were ever parsed).

Every test runs twice: on the embedded store and on the real Neo4j test server.
"""

from __future__ import annotations

import dataclasses
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from api.app import create_app
from api.routes_widget import DemoPage, prepare_demo
from api.settings import Settings
from extractors.synthetic import SyntheticOrg, generate_organisation
from tests.neo4j_server import TestServer

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
HOSTILE = '<img src=x onerror="window.__pwned=1">'
SCREENSHOT = Path(__file__).resolve().parents[2] / "build" / "widget-screenshot.png"
RED = "rgb(255, 0, 0)"


@dataclass(frozen=True)
class Served:
    url: str
    app: FastAPI
    page: DemoPage
    org: SyntheticOrg

    def api(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.page.token}"}
        return httpx.request(method, self.url + path, headers=headers, timeout=30, **kwargs)

    def suggestions(self) -> list[dict]:
        response = self.api("GET", f"/v1/people/{self.page.person}/suggestions", params={"k": 4})
        assert response.status_code == 200, response.text
        return response.json()["suggestions"]

    def name_of(self, person_id: str) -> str:
        return next(row["name"] for row in self.org.people if row["id"] == person_id)


def _hostile(org: SyntheticOrg) -> SyntheticOrg:
    """The organisation with every planted introduction's expert renamed to start with an <img onerror> tag."""
    experts = {match.expert for match in org.planted if match.kind == "introduction"}
    people = [{**row, "name": HOSTILE + row["name"]} if row["id"] in experts else row for row in org.people]
    return dataclasses.replace(org, people=people)


def _settings(request: pytest.FixtureRequest, data_dir: Path) -> Settings:
    """Embedded, or the shared Neo4j test server wiped first; tokens on (the default) either way."""
    if request.param == "embedded":
        return Settings(data_dir=data_dir, spacy_model="none")
    server: TestServer = request.getfixturevalue("neo4j_server")
    server.fresh_store().close()  # an empty database for this module
    return server.settings(data_dir)


@pytest.fixture(scope="module", params=["embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    org = _hostile(generate_organisation(people=150, teams=8, posts=1500, seed=11))
    settings = _settings(request, tmp_path_factory.mktemp("widget") / "data")
    page = prepare_demo(org, settings, now=datetime.now(UTC))
    app = create_app(settings)
    app.state.demo_page = page
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))  # a free port, held from now on: no race with another process
    port = listener.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the service did not start"
        time.sleep(0.05)
    try:
        yield Served(url=f"http://127.0.0.1:{port}", app=app, page=page, org=org)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        listener.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"Debian chromium is not installed at {CHROMIUM}: run `make system-deps` (as root) to get it")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is a dev extra: pip install -e .[dev]")
    with sync_api.sync_playwright() as playwright:
        # The Debian browser, never one downloaded by Playwright.
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield opened
    finally:
        context.close()
    assert not errors, f"script errors on the page: {errors}"


def _cards(page: Any) -> Any:
    # Playwright's CSS engine pierces open shadow roots, as a user's eyes do.
    return page.locator("weaktie-people-to-meet .wt-card")


def _open_demo(page: Any, served: Served) -> Any:
    page.goto(served.url + "/demo")
    cards = _cards(page)
    cards.first.wait_for(state="visible", timeout=30_000)
    return cards


def _shadow(page: Any, element: str, script: str) -> Any:
    return page.evaluate(f"() => {{ const root = document.querySelector('{element}').shadowRoot; {script} }}")


def test_cards_show_people_with_reasons_despite_the_hostile_stylesheet(
    page: Any, served: Served, tmp_path: Path
) -> None:
    expected = served.suggestions()
    assert len(expected) >= 3, "the demo person should get a full list"
    cards = _open_demo(page, served)
    assert cards.count() == min(4, len(expected))
    for index, suggestion in enumerate(expected[: cards.count()]):
        card = cards.nth(index)
        assert card.locator(".wt-name").text_content() == suggestion["candidate"]["name"]
        assert card.locator(".wt-reason").text_content() == suggestion["reasons"][0]["text"]
        _assert_one_quote(card, suggestion["reasons"])
        for label in ("Dismiss", "We met", "Not relevant"):
            assert card.get_by_role("button", name=label).is_visible()  # the page hides every <button> of its own
    first = cards.first.locator(".wt-name")
    assert first.evaluate("node => getComputedStyle(node).color") != RED
    assert first.evaluate("node => getComputedStyle(node).textTransform") == "none"
    assert page.locator("main h1").evaluate("node => getComputedStyle(node).color") == RED  # the trap is armed
    page.screenshot(path=str(tmp_path / "widget.png"), full_page=True)


def _assert_one_quote(card: Any, reasons: list[dict]) -> None:
    """The card quotes one post, with its link: the lead reason's first evidence, else the first of any reason."""
    evidence = [r["evidence"][0] for r in reasons if r["evidence"]]
    expected = reasons[0]["evidence"][0] if reasons[0]["evidence"] else evidence[0] if evidence else None
    quotes = card.locator(".wt-quote")
    if expected is None:
        assert quotes.count() == 0
        return
    assert quotes.count() == 1
    link = quotes.locator("a")
    assert link.get_attribute("href") == expected["url"]
    whole, shown = " ".join((expected["title"] or expected["snippet"]).split()), link.text_content()
    assert shown == whole or (shown.endswith("…") and whole.startswith(shown[:-1])), (shown, whole)
    mutual = next((r for r in reasons[1:] if r["kind"] == "mutual_colleagues"), None)
    if mutual is not None:
        assert card.locator(".wt-mutual").text_content() == mutual["text"]


def test_hostile_name_is_shown_as_text_and_never_runs(page: Any, served: Served) -> None:
    hostile = [s for s in served.suggestions() if s["candidate"]["name"].startswith(HOSTILE)]
    assert hostile, "the demo person's suggestions should include a planted expert with the hostile name"
    cards = _open_demo(page, served)
    names = [cards.nth(i).locator(".wt-name").text_content() for i in range(cards.count())]
    assert hostile[0]["candidate"]["name"] in names
    assert any(name.startswith("<img") for name in names)
    assert _shadow(page, "weaktie-people-to-meet", "return root.querySelectorAll('img').length;") == 0
    assert page.evaluate("() => typeof window.__pwned") == "undefined"


def test_dismiss_removes_the_card_and_records_the_feedback(page: Any, served: Served) -> None:
    expected = served.suggestions()
    cards = _open_demo(page, served)
    before = cards.count()
    candidate = expected[0]["candidate"]
    cards.first.get_by_role("button", name="Dismiss").click()
    status = page.locator("weaktie-people-to-meet .wt-status")
    status.filter(has_text="Dismissed").wait_for(timeout=10_000)
    assert status.get_attribute("aria-live") == "polite"
    assert cards.count() == before - 1
    assert candidate["name"] not in [cards.nth(i).locator(".wt-name").text_content() for i in range(cards.count())]
    stored = served.app.state.engine.store.controls().feedback
    assert [(f.person, f.candidate, f.kind) for f in stored] == [(served.page.person, candidate["id"], "dismiss")]
    reloaded = _open_demo(page, served)  # a dismissed person is not suggested again
    assert candidate["name"] not in [
        reloaded.nth(i).locator(".wt-name").text_content() for i in range(reloaded.count())
    ]


def test_already_done_lists_who_did_a_planted_text(page: Any, served: Served, tmp_path: Path) -> None:
    case = next(m for m in served.org.planted if m.kind == "already_done" and m.expert != served.page.person)
    _open_demo(page, served)
    widget = page.locator("weaktie-already-done")
    widget.get_by_label("Your draft post").fill(case.query)
    widget.get_by_role("button", name="Check who already did it").click()
    results = widget.locator(".wt-card")
    results.first.wait_for(state="visible", timeout=30_000)
    names = [results.nth(i).locator(".wt-name").text_content() for i in range(results.count())]
    assert any(name.startswith(served.name_of(case.expert)) for name in names), names
    expert = results.nth(next(i for i, n in enumerate(names) if n.startswith(served.name_of(case.expert))))
    snippets = expert.locator(".wt-snippet").all_text_contents()
    assert snippets and all(snippet.strip() for snippet in snippets)
    assert "already did this" in widget.locator(".wt-status").text_content()
    path = tmp_path / "widget-already-done.png"
    page.screenshot(path=str(path), full_page=True)
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, SCREENSHOT)


def test_a_rejected_token_reads_as_a_short_human_message(page: Any, served: Served) -> None:
    _open_demo(page, served)
    page.evaluate("() => document.querySelector('weaktie-people-to-meet').setAttribute('token', 'wt_nobody000_x')")
    error = page.locator("weaktie-people-to-meet .wt-error")
    error.wait_for(timeout=10_000)
    assert "Reload the page" in error.text_content()
    assert error.get_attribute("role") == "alert"
    assert _cards(page).count() == 0


def test_an_unreachable_service_offers_to_try_again(page: Any, served: Served) -> None:
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there now
    _open_demo(page, served)
    page.evaluate(
        f"() => document.querySelector('weaktie-people-to-meet').setAttribute('api', 'http://127.0.0.1:{port}')"
    )
    widget = page.locator("weaktie-people-to-meet")
    widget.locator(".wt-error").wait_for(timeout=10_000)
    assert "Cannot reach weaktie" in widget.locator(".wt-error").text_content()
    assert widget.get_by_role("button", name="Try again").is_visible()


def test_the_widget_works_under_a_strict_content_security_policy(page: Any, served: Served) -> None:
    policy = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'"

    def strict(route: Any) -> None:
        response = route.fetch()
        route.fulfill(response=response, headers={**response.headers, "content-security-policy": policy})

    page.route("**/demo", strict)
    cards = _open_demo(page, served)
    assert cards.count() >= 3
    # The constructed stylesheet applies under style-src 'self': the card keeps its rounded border.
    assert cards.first.evaluate("node => getComputedStyle(node).borderTopLeftRadius") == "8px"
