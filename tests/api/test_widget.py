"""The widget's routes without a browser: how ``/widget.js`` is served, what it may never do, and ``/demo``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.cli import app as cli
from api.engine import Engine, open_store
from api.problems import MEDIA_TYPE
from api.routes_widget import WIDGET_JS, DemoPage, choose_demo_person
from api.settings import get_settings
from api.tokens import verify_token
from recommender.explain import CORE_KINDS
from recommender.substance import is_chatter
from tests.api.conftest import Imported

# Any way of turning a string into markup: the widget builds nodes and sets textContent only.
HTML_SINKS = re.compile(r"\.(innerHTML|outerHTML)\s*\+?=|insertAdjacentHTML|document\.write|createContextualFragment")


@pytest.fixture(scope="module")
def app_client(imported: Imported) -> Iterator[TestClient]:
    app = create_app(imported.settings.model_copy(update={"auth": "off"}))
    with TestClient(app) as client:
        yield client


def test_widget_js_is_javascript_cacheable_and_open(app_client: TestClient) -> None:
    response = app_client.get("/widget.js")  # no Authorization header: the script is public
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/javascript")
    assert "max-age=" in response.headers["cache-control"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.content == WIDGET_JS.read_bytes()
    assert 'customElements.define("weaktie-people-to-meet"' in response.text
    assert 'customElements.define("weaktie-already-done"' in response.text


def test_widget_js_revalidates_by_etag(app_client: TestClient) -> None:
    etag = app_client.get("/widget.js").headers["etag"]
    again = app_client.get("/widget.js", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    changed = app_client.get("/widget.js", headers={"If-None-Match": '"something-else"'})
    assert changed.status_code == 200


def test_widget_js_never_parses_data_as_html() -> None:
    source = WIDGET_JS.read_text(encoding="utf-8")
    code = re.sub(r"/\*.*?\*/", "", source, flags=re.DOTALL)  # the header comment may name what is avoided
    assert not HTML_SINKS.search(code), HTML_SINKS.search(code)
    assert "textContent" in code
    assert "attachShadow" in code


def test_widget_routes_stay_out_of_the_openapi_schema(app_client: TestClient) -> None:
    paths = app_client.get("/openapi.json").json()["paths"]
    assert "/widget.js" not in paths
    assert "/demo" not in paths


def test_demo_page_without_demo_is_a_problem_naming_the_flag(app_client: TestClient) -> None:
    response = app_client.get("/demo")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith(MEDIA_TYPE)
    assert "weaktie serve --demo" in response.json()["detail"]


def test_demo_page_embeds_both_elements_for_the_demo_person(app_client: TestClient, imported: Imported) -> None:
    person = imported.org.people[0]
    token = 'wt_demo0001_"><script>alert(1)</script>'  # a token is data too: escaped, never markup
    app_client.app.state.demo_page = DemoPage(person=person["id"], token=token)
    try:
        response = app_client.get("/demo")
    finally:
        del app_client.app.state.demo_page
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-store"
    page = response.text
    assert '<script src="/widget.js"' in page
    assert '<weaktie-people-to-meet token="wt_demo0001_&#34;&gt;&lt;script&gt;' in page
    assert "<script>alert(1)" not in page
    assert f'person="{person["id"]}"' in page
    assert "<weaktie-already-done" in page
    assert "color: red !important" in page  # the hostile stylesheet the widget must withstand


def test_demo_person_gets_a_full_list_with_their_planted_introduction(
    app_client: TestClient, imported: Imported
) -> None:
    engine: Engine = app_client.app.state.engine  # the embedded store admits one opener per process
    chosen = choose_demo_person(engine, imported.org.planted, k=4)
    found = engine.suggestions(chosen, k=4)
    planted = {match.person: match.expert for match in imported.org.planted if match.kind == "introduction"}
    assert chosen in planted
    assert len(found) == 4
    assert planted[chosen] in {item.candidate.id for item in found}


def test_the_payload_puts_the_strongest_reason_first_and_never_quotes_chatter(
    app_client: TestClient, imported: Imported
) -> None:
    engine: Engine = app_client.app.state.engine
    posts = {post.id: post for post in engine.projection().posts}
    chatter_posts = sum(1 for post in posts.values() if is_chatter(post))
    assert chatter_posts, "the generated organisation has chatter replies for this test to be about"
    cards = 0
    for row in imported.org.people[:30]:
        response = app_client.get(f"/v1/people/{row['id']}/suggestions", params={"k": 4})
        assert response.status_code == 200
        for suggestion in response.json()["suggestions"]:
            cards += 1
            reasons = suggestion["reasons"]
            lead = reasons[0]
            assert lead["kind"] in CORE_KINDS, "the card shows the first reason: it must be one that stands alone"
            topical = [r for r in reasons if r["kind"] in ("shared_topics", "complementary_topics")]
            if any(r["evidence"] for r in topical):
                assert lead in topical and lead["evidence"], "topics with visible evidence lead"
            for item in (item for reason in reasons for item in reason["evidence"]):
                assert not is_chatter(posts[item["post_id"]]), item["snippet"]
                assert "@**" not in item["snippet"] and '@"' not in item["snippet"]
    assert cards >= 30


def test_widget_js_answers_head_for_link_checkers(app_client: TestClient) -> None:
    response = app_client.head("/widget.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/javascript")


@pytest.mark.slow
def test_serve_demo_imports_the_demo_organisation_and_mints_a_person_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    served: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: served.update(app=app, **options))
    monkeypatch.setenv("WEAKTIE_SPACY_MODEL", "none")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(
            cli, ["serve", "--demo", "--host", "0.0.0.0", "--port", "18123", "--data-dir", str(tmp_path)]
        )
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:18123/demo" in result.output
    assert (served["host"], served["port"]) == ("0.0.0.0", 18123)
    page: DemoPage = served["app"].state.demo_page
    assert page.token not in result.output  # the secret reaches the page only
    store = open_store(get_settings().model_copy(update={"data_dir": tmp_path, "store": "embedded"}))
    try:
        token = verify_token(store, page.token)
        assert (token.scope, token.person) == ("person", page.person)
        assert len(store.people()) == 300  # the organisation of `weaktie demo`
    finally:
        store.close()
