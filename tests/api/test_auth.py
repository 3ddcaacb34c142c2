"""Who may call what: bearer tokens and their scopes on every endpoint, over a real embedded store."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.problems import MEDIA_TYPE
from api.tokens import issue_token, revoke_token
from extractors.synthetic import generate_organisation
from graph.controls import TokenScope
from graph.store import GraphStore
from tests.api.conftest import Imported, bearer, import_into

NOW = datetime(2026, 3, 2, tzinfo=UTC)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Imported:
    # Its own store: these tests revoke tokens and import posts.
    return import_into(tmp_path_factory.mktemp("auth"), generate_organisation(people=40, teams=4, posts=400, seed=5))


@pytest.fixture(scope="module")
def client(world: Imported) -> Iterator[TestClient]:
    with TestClient(create_app(world.settings)) as client:
        yield client


def _store(client: TestClient) -> GraphStore:
    return client.app.state.engine.store  # type: ignore[attr-defined]


def _token(client: TestClient, scope: TokenScope, person: str | None = None) -> dict[str, str]:
    return bearer(issue_token(_store(client), scope=scope, person=person, now=NOW)[1])


def _people(world: Imported) -> list[str]:
    return [person["id"] for person in world.org.people if not person.get("opted_out")]


def _problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(MEDIA_TYPE)
    body = response.json()
    assert body["status"] == status
    return body


def _unauthorized(response) -> dict:
    body = _problem(response, 401)
    assert body["type"] == "/problems/unauthorized"
    assert response.headers["www-authenticate"].startswith("Bearer")
    return body


def _calls(person: str) -> list[tuple[str, str, dict | None]]:
    """Every token-protected endpoint of this module's router, with a valid request."""
    return [
        ("GET", f"/v1/people/{person}", None),
        ("GET", f"/v1/people/{person}/suggestions", None),
        ("POST", "/v1/already-done", {"text": "a kafka consumer for payments"}),
        ("GET", "/v1/topics/kubernetes/people", None),
        ("GET", "/v1/stats", None),
    ]


def _call(client: TestClient, method: str, path: str, body: dict | None, headers: dict[str, str] | None = None):
    return client.request(method, path, json=body, headers=headers or {})


def test_health_needs_no_token(client: TestClient) -> None:
    assert client.get("/v1/health").status_code == 200


def test_without_a_token_every_other_endpoint_is_401(client: TestClient, world: Imported) -> None:
    person = _people(world)[0]
    for method, path, body in [*_calls(person), ("POST", "/v1/posts", None)]:
        detail = _unauthorized(_call(client, method, path, body))["detail"]
        assert "weaktie token issue" in detail, path


@pytest.mark.parametrize(
    "header",
    [
        "Bearer wt_0123456789ab_" + "A" * 43,  # well-formed, unknown
        "Bearer not-a-token",
        "Basic dXNlcjpwYXNz",  # another scheme is no token at all
        "Bearer ",
    ],
)
def test_invalid_tokens_are_401(client: TestClient, world: Imported, header: str) -> None:
    _unauthorized(client.get("/v1/stats", headers={"Authorization": header}))


def test_a_wrong_secret_for_a_real_id_is_401(client: TestClient) -> None:
    real = _token(client, "admin")["Authorization"]
    forged = real[:-4] + ("AAAA" if not real.endswith("AAAA") else "BBBB")
    _unauthorized(client.get("/v1/stats", headers={"Authorization": forged}))


def test_a_revoked_token_is_401_from_the_next_request_on(client: TestClient) -> None:
    record, plaintext = issue_token(_store(client), scope="admin", now=NOW)
    assert client.get("/v1/stats", headers=bearer(plaintext)).status_code == 200
    revoke_token(_store(client), record.id, now=NOW)
    assert "revoked" in _unauthorized(client.get("/v1/stats", headers=bearer(plaintext)))["detail"]


def test_an_admin_may_call_everything(client: TestClient, world: Imported) -> None:
    admin = _token(client, "admin")
    for method, path, body in _calls(_people(world)[0]):
        response = _call(client, method, path, body, admin)
        assert response.status_code in (200, 404), (path, response.text)  # 404: the topic may not exist
    assert client.get("/v1/stats", headers=admin).json()["nodes"]["Person"] == len(world.org.people)


def test_an_ingest_token_may_only_post_records(client: TestClient, world: Imported) -> None:
    ingest = _token(client, "ingest")
    for method, path, body in _calls(_people(world)[0]):
        assert "scope" in _problem(_call(client, method, path, body, ingest), 403)["detail"], path
    posted = client.post("/v1/posts", content=b"\n", headers={**ingest, "Content-Type": "application/x-ndjson"})
    assert posted.status_code == 400, posted.text  # past authorisation: an empty body is the caller's mistake


def test_a_person_token_may_not_post_records_or_read_stats(client: TestClient, world: Imported) -> None:
    own = _token(client, "person", _people(world)[0])
    assert _problem(client.post("/v1/posts", content=b"{}", headers=own), 403)["type"] == "/problems/forbidden"
    _problem(client.get("/v1/stats", headers=own), 403)


def test_a_person_token_reads_its_own_suggestions_only(client: TestClient, world: Imported) -> None:
    me, other = _people(world)[:2]
    own = _token(client, "person", me)
    mine = client.get(f"/v1/people/{me}/suggestions", headers=own)
    assert mine.status_code == 200, mine.text
    assert mine.json()["person"] == me
    assert client.get(f"/v1/people/{me}/suggestions", params={"viewer": me}, headers=own).json() == mine.json()
    detail = _problem(client.get(f"/v1/people/{other}/suggestions", headers=own), 403)["detail"]
    assert other in detail
    _problem(client.get(f"/v1/people/{me}/suggestions", params={"viewer": other}, headers=own), 403)
    # The token decides who reads, as an admin naming the viewer would.
    admin = _token(client, "admin")
    as_admin = client.get(f"/v1/people/{me}/suggestions", params={"viewer": me}, headers=admin)
    assert as_admin.json() == mine.json()


def test_a_person_token_reads_profiles_as_its_own_person(client: TestClient, world: Imported) -> None:
    author, reader = _restricted_pair(client, world)
    token = _token(client, "person", reader)
    admin = _token(client, "admin")
    as_reader = client.get(f"/v1/people/{author}", headers=token)
    assert as_reader.status_code == 200, as_reader.text
    assert as_reader.json() == client.get(f"/v1/people/{author}", params={"viewer": reader}, headers=admin).json()
    assert as_reader.json() != client.get(f"/v1/people/{author}", headers=admin).json()
    # Nobody reads as someone else with a person token, not even as the profile's owner.
    _problem(client.get(f"/v1/people/{author}", params={"viewer": author}, headers=token), 403)


def test_a_person_token_asks_already_done_as_its_own_person(client: TestClient, world: Imported) -> None:
    me, other = _people(world)[:2]
    own = _token(client, "person", me)
    admin = _token(client, "admin")
    text = {"text": "rotating kafka credentials without downtime", "k": 10}
    mine = client.post("/v1/already-done", json=text, headers=own)
    assert mine.status_code == 200, mine.text
    assert mine.json() == client.post("/v1/already-done", json={**text, "asker": me}, headers=admin).json()
    assert me not in {match["person"]["id"] for match in mine.json()["matches"]}
    _problem(client.post("/v1/already-done", json={**text, "asker": other}, headers=own), 403)


def test_a_person_token_may_read_topics(client: TestClient, world: Imported) -> None:
    own = _token(client, "person", _people(world)[0])
    admin = _token(client, "admin")
    topic = next(
        item["topic"]
        for person in _people(world)
        for item in client.get(f"/v1/people/{person}", headers=admin).json()["knows"]
    )
    response = client.get(f"/v1/topics/{topic}/people", headers=own)
    assert response.status_code == 200, response.text
    assert response.json()["topic"]["id"] == topic


def test_with_auth_off_everyone_is_an_admin(world: Imported, tmp_path: Path) -> None:
    settings = world.settings.model_copy(update={"auth": "off", "data_dir": tmp_path})
    with TestClient(create_app(settings)) as open_client:
        assert open_client.get("/v1/stats").json()["total"] == 0
        # Past authorisation: the empty store does not know the person.
        assert open_client.get("/v1/people/u0001/suggestions").status_code == 404
        assert open_client.get("/v1/stats", headers={"Authorization": "Bearer junk"}).status_code == 200


def test_the_openapi_schema_declares_the_bearer_scheme(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert schema["components"]["securitySchemes"]["token"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "An API token from `weaktie token issue`, sent as `Authorization: Bearer wt_…`.",
    }
    assert schema["paths"]["/v1/stats"]["get"]["security"] == [{"token": []}]
    assert "security" not in schema["paths"]["/v1/health"]["get"]


def test_the_plaintext_never_reaches_the_store(world: Imported, tmp_path: Path) -> None:
    settings = world.settings.model_copy(update={"data_dir": tmp_path})
    with TestClient(create_app(settings)) as fresh:
        record, plaintext = issue_token(_store(fresh), scope="admin", now=NOW)
        assert fresh.get("/v1/stats", headers=bearer(plaintext)).status_code == 200
        assert plaintext not in repr(_store(fresh).tokens())
    written = b"".join(path.read_bytes() for path in tmp_path.rglob("*") if path.is_file())
    assert record.digest.encode() in written
    assert plaintext.split("_", 2)[2].encode() not in written


def _restricted_pair(client: TestClient, world: Imported) -> tuple[str, str]:
    """An author and a reader who sees more of the author's recent posts than an anonymous reader does."""
    admin = _token(client, "admin")
    teams: dict[str, list[str]] = {}
    for person in world.org.people:
        teams.setdefault(f"team:{person.get('team')}", []).append(person["id"])
    visible = set(_people(world))
    for post in world.org.posts:
        audience = post.get("audience")
        if not isinstance(audience, list) or post["author"] not in visible:
            continue
        readers = [reader for entry in audience for reader in teams.get(entry, [entry])]
        for reader in readers:
            if reader == post["author"] or reader not in visible:
                continue
            anonymous = client.get(f"/v1/people/{post['author']}", headers=admin).json()
            seen = client.get(f"/v1/people/{post['author']}", params={"viewer": reader}, headers=admin).json()
            if seen != anonymous:
                return post["author"], reader
    raise AssertionError("the generated organisation has no restricted post among an author's recent posts")
