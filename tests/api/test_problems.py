"""Every error leaves the API as RFC 9457 problem+json, with the right status and no internals."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.auth import Forbidden
from api.errors import ConfigurationError
from api.problems import MEDIA_TYPE, PROBLEM_TYPES, install_problems
from api.tokens import Unauthorized
from graph.errors import NotFound, StoreError, StoreUnavailable, WeaktieError

SECRET = "bolt://admin:hunter2@db.internal:7687"


def _raiser(exc: Exception):
    def endpoint() -> None:
        raise exc

    return endpoint


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = FastAPI()
    install_problems(app)
    routes = {
        "/not-found": NotFound("person", "p-missing"),
        "/unavailable": StoreUnavailable(f"cannot reach {SECRET}"),
        "/store-error": StoreError(f"write failed on {SECRET}"),
        "/config": ConfigurationError(f"bad uri {SECRET}"),
        "/input": WeaktieError("the text is empty; describe the work in a sentence"),
        "/crash": RuntimeError(f"bug near {SECRET}"),
        "/unauthorized": Unauthorized("the bearer token is not valid; ask an administrator for a new one"),
        "/forbidden": Forbidden("this endpoint needs a token with scope admin; this one has scope person"),
    }
    for path, exc in routes.items():
        app.add_api_route(path, _raiser(exc), methods=["GET"])

    @app.get("/typed/{n}")
    def typed(n: int) -> dict[str, int]:
        return {"n": n}

    return TestClient(app, raise_server_exceptions=False)


def _problem(response, status: int) -> dict:
    assert response.status_code == status
    assert response.headers["content-type"].startswith(MEDIA_TYPE)
    body = response.json()
    assert {"type", "title", "status", "detail", "instance"} <= body.keys()
    assert body["status"] == status
    assert "Traceback" not in response.text
    return body


@pytest.mark.parametrize(
    ("path", "status", "slug"),
    [
        ("/not-found", 404, "not-found"),
        ("/unavailable", 503, "store-unavailable"),
        ("/store-error", 500, "store-error"),
        ("/config", 500, "configuration-error"),
        ("/input", 400, "invalid-request"),
        ("/unauthorized", 401, "unauthorized"),
        ("/forbidden", 403, "forbidden"),
    ],
)
def test_weaktie_errors_map_to_their_status(client: TestClient, path: str, status: int, slug: str) -> None:
    body = _problem(client.get(path), status)
    assert body["type"] == f"/problems/{slug}"
    assert body["title"] == PROBLEM_TYPES[slug][0]
    assert body["instance"] == path
    assert SECRET not in body["detail"]


def test_not_found_names_the_id(client: TestClient) -> None:
    body = _problem(client.get("/not-found"), 404)
    assert "p-missing" in body["detail"]
    assert (body["kind"], body["id"]) == ("person", "p-missing")


def test_unauthorized_challenges_for_a_bearer_token(client: TestClient) -> None:
    response = client.get("/unauthorized")
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert "ask an administrator" in _problem(response, 401)["detail"]
    assert "www-authenticate" not in client.get("/forbidden").headers


def test_unavailable_store_says_when_to_retry(client: TestClient) -> None:
    assert client.get("/unavailable").headers["retry-after"].isdigit()


def test_caller_errors_keep_their_message(client: TestClient) -> None:
    assert "describe the work" in _problem(client.get("/input"), 400)["detail"]


def test_unexpected_errors_leak_nothing(client: TestClient) -> None:
    body = _problem(client.get("/crash"), 500)
    assert body["type"] == "about:blank"
    assert SECRET not in client.get("/crash").text


def test_validation_errors_are_problems_listing_the_field(client: TestClient) -> None:
    body = _problem(client.get("/typed/not-a-number"), 422)
    assert body["type"] == "/problems/validation-error"
    assert body["errors"][0]["loc"] == ["path", "n"]
    assert "not-a-number" not in str(body["errors"])


def test_unknown_route_is_a_problem_too(client: TestClient) -> None:
    body = _problem(client.get("/nowhere"), 404)
    assert body["type"] == "about:blank"
    assert body["title"] == "Not Found"


def test_problem_types_are_described_at_their_uri(client: TestClient) -> None:
    response = client.get("/problems/store-unavailable")
    assert response.status_code == 200
    assert PROBLEM_TYPES["store-unavailable"][1] in response.text
    _problem(client.get("/problems/no-such-type"), 404)
