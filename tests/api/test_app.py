"""The HTTP API end to end over a real embedded store holding a small imported organisation."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import STATIC_DIR, create_app
from api.engine import Engine
from api.errors import ConfigurationError
from api.problems import MEDIA_TYPE
from api.settings import Settings
from api.tokens import issue_token
from extractors.synthetic import PlantedMatch, generate_organisation
from graph.embedded import EmbeddedStore
from graph.errors import StoreError, StoreUnavailable
from tests.api.conftest import Imported, Tokens, bearer, import_into


@pytest.fixture(scope="module")
def client(imported: Imported, tokens: Tokens) -> Iterator[TestClient]:
    app = create_app(imported.settings)
    # An admin token: who may call what is tests/api/test_auth.py's subject; these test what the endpoints answer.
    with TestClient(app, headers=bearer(tokens.admin)) as client:  # the lifespan opens the store here, closes after
        yield client
    assert not hasattr(app.state, "engine")


def _teams(imported: Imported) -> dict[str, str | None]:
    return {person["id"]: person.get("team") for person in imported.org.people}


def _planted(imported: Imported, kind: str) -> list[PlantedMatch]:
    found = [match for match in imported.org.planted if match.kind == kind]
    assert found, f"the generated organisation has no planted {kind} case"
    return found


def _problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(MEDIA_TYPE)
    body = response.json()
    assert body["status"] == status
    assert {"type", "title", "detail", "instance"} <= body.keys()
    return body


def test_health(client: TestClient) -> None:
    body = client.get("/v1/health").json()
    assert body["status"] == "ok"
    assert body["store"] == "embedded"


def test_stats_count_the_imported_organisation(client: TestClient, imported: Imported) -> None:
    body = client.get("/v1/stats").json()
    assert body["nodes"]["Person"] == len(imported.org.people)
    assert body["nodes"]["Post"] == imported.report.imported_posts > 0
    assert body["total"] == sum(body["nodes"].values()) + sum(body["relationships"].values())


def test_profile_shows_the_person_their_team_and_topics(client: TestClient, imported: Imported) -> None:
    expert = _planted(imported, "already_done")[0].expert
    body = client.get(f"/v1/people/{expert}").json()
    assert body["person"]["id"] == expert
    assert body["person"]["team"] == _teams(imported)[expert]
    assert body["knows"], "an expert with evidence posts should know about something"
    assert all(isinstance(item["score"], float) for item in body["knows"])
    assert body["recent_posts"]


def test_profile_hides_restricted_posts_from_other_readers(client: TestClient, imported: Imported) -> None:
    restricted = [post for post in imported.org.posts if post.get("audience")]
    assert restricted, "the generated organisation must hold restricted posts for this test to mean anything"
    author = restricted[0]["author"]
    own_posts = {post["id"] for post in restricted if post["author"] == author}
    anonymous = {post["id"] for post in client.get(f"/v1/people/{author}").json()["recent_posts"]}
    as_author = client.get(f"/v1/people/{author}", params={"viewer": author}).json()
    assert not own_posts & anonymous
    assert {post["id"] for post in as_author["recent_posts"]} >= anonymous


def test_suggestions_come_with_reasons_and_never_a_teammate(client: TestClient, imported: Imported) -> None:
    teams = _teams(imported)
    seen_any = False
    for person in sorted(teams)[:40]:
        body = client.get(f"/v1/people/{person}/suggestions", params={"k": 3}).json()
        assert body["person"] == person
        assert len(body["suggestions"]) <= 3
        for suggestion in body["suggestions"]:
            seen_any = True
            assert suggestion["candidate"]["id"] != person
            if teams[person] is not None:
                assert suggestion["candidate"]["team"] != teams[person]
            assert suggestion["reasons"] and all(reason["text"] for reason in suggestion["reasons"])
    assert seen_any


def test_planted_introduction_is_suggested(client: TestClient, imported: Imported) -> None:
    case = _planted(imported, "introduction")[0]
    body = client.get(f"/v1/people/{case.person}/suggestions").json()
    assert case.expert in [item["candidate"]["id"] for item in body["suggestions"]]


def test_reading_suggestions_does_not_record_them(client: TestClient, imported: Imported) -> None:
    person = _planted(imported, "introduction")[0].person
    before = client.get("/v1/stats").json()["relationships"]["SUGGESTED"]
    first = client.get(f"/v1/people/{person}/suggestions").json()
    again = client.get(f"/v1/people/{person}/suggestions").json()
    assert first == again
    assert client.get("/v1/stats").json()["relationships"]["SUGGESTED"] == before


def test_already_done_finds_the_planted_expert(client: TestClient, imported: Imported) -> None:
    case = _planted(imported, "already_done")[0]
    # The ranking bar (top 3 for every planted case) is checked in tests/test_end_to_end.py; this checks the edge.
    response = client.post("/v1/already-done", json={"text": case.query, "asker": case.person, "k": 5})
    matches = response.json()["matches"]
    assert 0 < len(matches) <= 5
    by_id = {match["person"]["id"]: match for match in matches}
    assert case.expert in by_id
    assert by_id[case.expert]["cross_team"] is True
    assert by_id[case.expert]["evidence"], "a match must show the posts it rests on"
    assert case.person not in by_id


def test_topic_people_lists_experts_by_score(client: TestClient, imported: Imported) -> None:
    expert = _planted(imported, "already_done")[0].expert
    topic = client.get(f"/v1/people/{expert}").json()["knows"][0]["topic"]
    body = client.get(f"/v1/topics/{topic}/people", params={"limit": 100}).json()
    assert body["topic"]["id"] == topic
    scores = [item["score"] for item in body["people"]]
    assert scores == sorted(scores, reverse=True)
    assert expert in [item["person"]["id"] for item in body["people"]]
    by_label = client.get(f"/v1/topics/{body['topic']['label'].upper()}/people").json()
    assert by_label["topic"]["id"] == topic


def test_unknown_person_is_a_404_problem_naming_the_id(client: TestClient) -> None:
    for path in ("/v1/people/nobody-42", "/v1/people/nobody-42/suggestions"):
        body = _problem(client.get(path), 404)
        assert "nobody-42" in body["detail"]
        assert body["instance"] == path
    body = _problem(client.post("/v1/already-done", json={"text": "a kafka consumer", "asker": "nobody-42"}), 404)
    assert "nobody-42" in body["detail"]


def test_unknown_topic_is_a_404_problem(client: TestClient) -> None:
    assert "quantum basket weaving" in _problem(client.get("/v1/topics/quantum basket weaving/people"), 404)["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [({"text": ""}, "text"), ({"text": "a kafka consumer", "k": 0}, "k"), ({"asker": "p1"}, "text")],
)
def test_invalid_body_is_a_422_problem(client: TestClient, body: dict, field: str) -> None:
    problem = _problem(client.post("/v1/already-done", json=body), 422)
    assert ["body", field] in [error["loc"] for error in problem["errors"]]


def test_invalid_query_parameter_is_a_422_problem(client: TestClient, imported: Imported) -> None:
    person = imported.org.people[0]["id"]
    problem = _problem(client.get(f"/v1/people/{person}/suggestions", params={"k": "many"}), 422)
    assert problem["errors"][0]["loc"] == ["query", "k"]


def test_openapi_and_docs_are_served(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert {
        "/v1/health",
        "/v1/people/{person_id}",
        "/v1/people/{person_id}/suggestions",
        "/v1/already-done",
        "/v1/topics/{topic}/people",
        "/v1/stats",
    } <= paths.keys()
    assert "text/html" in client.get("/docs").headers["content-type"]


def test_neo4j_without_a_password_is_refused_with_a_clear_error(imported: Imported) -> None:
    app = create_app(imported.settings.model_copy(update={"store": "neo4j", "neo4j_password": None}))
    with pytest.raises(ConfigurationError, match="NEO4J_PASSWORD"), TestClient(app):
        pass


@pytest.mark.parametrize("name", ["browser-guide.html", "weaktie.grass"])
@pytest.mark.parametrize("origin", ["http://localhost:7474", "http://127.0.0.1:7474"])
def test_the_neo4j_browser_may_fetch_the_guide_and_style(client: TestClient, name: str, origin: str) -> None:
    response = client.get(f"/static/{name}", headers={"Origin": origin})
    assert response.status_code == 200
    assert response.content == (STATIC_DIR / name).read_bytes()
    assert response.headers["access-control-allow-origin"] == origin


def test_other_origins_and_the_api_get_no_cors_header(client: TestClient) -> None:
    foreign = client.get("/static/weaktie.grass", headers={"Origin": "http://evil.example"})
    assert foreign.status_code == 200
    assert "access-control-allow-origin" not in foreign.headers
    api = client.get("/v1/health", headers={"Origin": "http://localhost:7474"})
    assert "access-control-allow-origin" not in api.headers


def test_blank_text_is_a_400_problem_saying_what_to_do(client: TestClient) -> None:
    body = _problem(client.post("/v1/already-done", json={"text": "   "}), 400)
    assert body["type"] == "/problems/invalid-request"
    assert "describe" in body["detail"]


def test_unknown_viewer_is_a_404_problem(client: TestClient, imported: Imported) -> None:
    person = imported.org.people[0]["id"]
    body = _problem(client.get(f"/v1/people/{person}/suggestions", params={"viewer": "ghost-7"}), 404)
    assert "ghost-7" in body["detail"]


def test_opted_out_people_show_no_activity_and_are_never_suggested(client: TestClient, imported: Imported) -> None:
    opted_out = {person["id"] for person in imported.org.people if person.get("opted_out")}
    assert opted_out, "the generated organisation must hold opted-out people for this test to mean anything"
    for person in opted_out:
        body = client.get(f"/v1/people/{person}").json()
        assert body["person"]["id"] == person
        assert (body["ties"], body["knows"], body["asks"], body["recent_posts"]) == ([], [], [], [])
    for person in sorted({p["id"] for p in imported.org.people} - opted_out)[:40]:
        suggested = client.get(f"/v1/people/{person}/suggestions").json()["suggestions"]
        assert not opted_out & {item["candidate"]["id"] for item in suggested}


def test_a_deferred_engine_opens_its_store_on_first_use_and_retries_after_a_failure(tmp_path: Path) -> None:
    attempts: list[int] = []

    def opener() -> EmbeddedStore:
        attempts.append(1)
        if len(attempts) == 1:
            raise StoreUnavailable("down")
        return EmbeddedStore()

    engine = Engine(opener=opener, settings=Settings(data_dir=tmp_path, spacy_model="none"))
    assert attempts == []  # building it touches nothing
    with pytest.raises(StoreUnavailable):
        engine.check_store()
    engine.check_store()
    engine.check_store()
    assert len(attempts) == 2  # opened once it worked, then kept
    engine.close()
    with pytest.raises(StoreError, match="closed"):
        engine.check_store()


# -- POST /v1/posts: its own store, since it writes -----------------------------------------------------------------


@pytest.fixture(scope="module")
def writable(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Imported]]:
    world = import_into(tmp_path_factory.mktemp("posts"), generate_organisation(people=30, teams=3, posts=200, seed=2))
    with TestClient(create_app(world.settings)) as client:
        store = client.app.state.engine.store  # type: ignore[attr-defined]
        client.headers.update(bearer(issue_token(store, scope="ingest", now=datetime.now(UTC))[1]))
        yield client, world


def _lines(*records: object) -> bytes:
    return b"\n".join(record if isinstance(record, bytes) else json.dumps(record).encode() for record in records)


def test_posted_records_are_imported_and_rejects_name_their_line(writable: tuple[TestClient, Imported]) -> None:
    client, world = writable
    known = world.org.people[0]["id"]
    body = _lines(
        {"kind": "person", "id": "new-1", "name": "Noor Haddad", "team": "platform"},
        {"id": "np-1", "author": "new-1", "created_at": "2026-03-01T09:30:00Z", "text": "Rotating Kafka credentials"},
        b"",
        b"{not json",
        {"kind": "post", "id": "np-2", "author": "nobody-9", "created_at": "2026-03-01T10:00:00Z", "text": "hi"},
        {"kind": "person", "id": "new-2"},
        {"id": "np-3", "author": known, "created_at": "yesterday", "text": "x"},
    )
    response = client.post("/v1/posts", content=body, headers={"Content-Type": "application/x-ndjson"})
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["read"], report["imported_people"], report["imported_posts"]) == (6, 1, 1)
    assert report["rejected"] == len(report["rejects"]) == 4
    by_line = {reject["line"]: reject for reject in report["rejects"]}
    assert by_line.keys() == {4, 5, 6, 7}
    assert (by_line[5]["record"], by_line[5]["record_id"]) == ("post", "np-2")
    assert (by_line[6]["record"], by_line[6]["field"]) == ("person", "name")
    assert (by_line[7]["field"], by_line[7]["record_id"]) == ("created_at", "np-3")
    assert str(world.settings.data_dir) not in response.text, "the server's paths stay on the server"
    admin = bearer(issue_token(client.app.state.engine.store, scope="admin", now=datetime.now(UTC))[1])  # type: ignore[attr-defined]
    profile = client.get("/v1/people/new-1", headers=admin).json()
    assert [post["id"] for post in profile["recent_posts"]] == ["np-1"]
    again = client.post("/v1/posts", content=body).json()
    assert (again["imported_posts"], again["imported_people"], again["skipped_known"]) == (0, 0, 1)


@pytest.mark.parametrize(
    ("body", "says"),
    [(b"", "no records"), (b"\n \n", "no records"), (_lines({"kind": "team", "id": "t"}), "line 1")],
)
def test_posting_something_else_is_a_400_problem(writable: tuple[TestClient, Imported], body: bytes, says: str) -> None:
    client, _ = writable
    problem = _problem(client.post("/v1/posts", content=body), 400)
    assert says in problem["detail"]
