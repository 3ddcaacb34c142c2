"""Abuse resistance: body size (413), rate limits (429), CORS for the API, and 500s that leak nothing."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.engine import Engine
from api.limits import BodyLimit, TokenBuckets
from api.problems import MEDIA_TYPE
from api.settings import Settings
from api.tokens import issue_token
from tests.api.conftest import bearer

NOW = datetime(2026, 3, 2, tzinfo=UTC)
LIMIT = 1_024
INTRANET = "https://intranet.example"


def _settings(tmp_path: Path, **overrides: object) -> Settings:
    return Settings(data_dir=tmp_path, spacy_model="none", **overrides)


@pytest.fixture
def app_with(tmp_path: Path) -> Iterator:
    """Start an app on an empty store with some settings changed; yields a factory of (client, admin headers)."""
    clients: list[TestClient] = []

    def start(**overrides: object) -> tuple[TestClient, dict[str, str]]:
        client = TestClient(create_app(_settings(tmp_path / str(len(clients)), **overrides)))
        client.__enter__()
        clients.append(client)
        store = client.app.state.engine.store  # type: ignore[attr-defined]
        return client, bearer(issue_token(store, scope="admin", now=NOW)[1])

    yield start
    for client in clients:
        client.__exit__(None, None, None)


def _problem(response, status: int, slug: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(MEDIA_TYPE)
    body = response.json()
    assert (body["status"], body["type"]) == (status, f"/problems/{slug}")
    return body


def _records(size: int) -> bytes:
    """JSON lines of people, about ``size`` bytes."""
    lines, total, n = [], 0, 0
    while total < size:
        line = json.dumps({"kind": "person", "id": f"x{n}", "name": f"Person {n}"}).encode()
        lines.append(line)
        total += len(line) + 1
        n += 1
    return b"\n".join(lines)


# -- body size ----------------------------------------------------------------------------------------------------


def test_a_declared_length_over_the_limit_is_413_and_nothing_is_imported(app_with) -> None:
    client, admin = app_with(max_body_bytes=LIMIT)
    body = _records(LIMIT * 2)
    problem = _problem(client.post("/v1/posts", content=body, headers=admin), 413, "body-too-large")
    assert f"{LIMIT:,}" in problem["detail"]
    assert client.get("/v1/stats", headers=admin).json()["nodes"]["Person"] == 0
    # Just under the limit goes through.
    small = _records(LIMIT // 2)
    assert client.post("/v1/posts", content=small, headers=admin).json()["imported_people"] == small.count(b"\n") + 1


def test_a_streamed_body_is_counted_while_it_arrives(app_with) -> None:
    client, admin = app_with(max_body_bytes=LIMIT)
    body = _records(LIMIT * 3)
    chunks = [body[i : i + 256] for i in range(0, len(body), 256)]
    # An iterator is sent chunked, without Content-Length: only counting can catch it.
    response = client.post("/v1/posts", content=iter(chunks), headers=admin)
    assert "content-length" not in response.request.headers
    _problem(response, 413, "body-too-large")
    # FastAPI's own body parsing turns a failed read into a 400; the limit's 413 replaces it.
    text = json.dumps({"text": "x" * (LIMIT * 2)}).encode()
    parsed = client.post("/v1/already-done", content=iter([text[:512], text[512:]]), headers=admin)
    _problem(parsed, 413, "body-too-large")
    assert client.get("/v1/stats", headers=admin).json()["nodes"]["Person"] == 0


def test_the_application_never_receives_more_than_the_limit() -> None:
    seen: list[int] = []

    async def reader(scope, receive, send) -> None:
        while True:
            message = await receive()
            seen.append(len(message.get("body", b"")))
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    chunks = [b"x" * 400] * 10
    pending = [{"type": "http.request", "body": chunk, "more_body": i < 9} for i, chunk in enumerate(chunks)]

    async def receive() -> dict:
        return pending.pop(0)

    sent: list[dict] = []

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/v1/posts", "headers": []}
    asyncio.run(BodyLimit(reader, max_bytes=LIMIT)(scope, receive, send))
    assert sum(seen) <= LIMIT  # the chunk that crossed the limit never reached the application
    assert len(pending) == 10 - 3  # and the rest was never read
    assert sent[0]["status"] == 413
    assert json.loads(sent[1]["body"])["type"] == "/problems/body-too-large"


# -- rate ---------------------------------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_allows_a_burst_then_one_request_per_interval() -> None:
    clock = Clock()
    buckets = TokenBuckets(per_minute=6, clock=clock)
    assert [buckets.take("a") for _ in range(6)] == [0.0] * 6
    assert buckets.take("a") == pytest.approx(10.0)  # 6 a minute: one every 10 s
    assert buckets.take("b") == 0.0  # keys do not share
    clock.now += 5
    assert buckets.take("a") == pytest.approx(5.0)
    clock.now += 5
    assert buckets.take("a") == 0.0
    assert buckets.take("a") == pytest.approx(10.0)
    clock.now += 3600
    assert [buckets.take("a") for _ in range(7)][-2:] == [0.0, pytest.approx(10.0)]  # refills to the burst only


def test_buckets_stay_bounded_under_a_flood_of_keys() -> None:
    clock = Clock()
    buckets = TokenBuckets(per_minute=60, clock=clock, max_keys=100)
    for n in range(1000):
        buckets.take(f"address:{n}")
        clock.now += 0.001
    assert len(buckets._levels) <= 101


def test_too_many_requests_with_one_token_are_429_with_retry_after(app_with) -> None:
    client, admin = app_with(rate_limit_per_minute=3)
    statuses = [client.get("/v1/stats", headers=admin).status_code for _ in range(4)]
    # The first request of a token not yet seen is charged to the address; then the token has its own 3.
    assert statuses == [200, 200, 200, 200]
    response = client.get("/v1/stats", headers=admin)
    problem = _problem(response, 429, "rate-limited")
    assert 1 <= int(response.headers["retry-after"]) <= 20
    assert "3 requests a minute" in problem["detail"]
    other = bearer(issue_token(client.app.state.engine.store, scope="admin", now=NOW)[1])  # type: ignore[attr-defined]
    assert client.get("/v1/stats", headers=other).status_code == 200  # another token, another bucket


def test_made_up_tokens_share_their_address_bucket(app_with) -> None:
    client, _ = app_with(rate_limit_per_minute=3)
    # The admin fixture's token was issued without a request, so the address bucket is full.
    made_up = [bearer(f"wt_{n:012x}_{'A' * 43}") for n in range(4)]
    statuses = [client.get("/v1/stats", headers=headers).status_code for headers in made_up]
    assert statuses == [401, 401, 401, 429]
    _problem(client.get("/v1/health"), 429, "rate-limited")  # the address itself is out of requests too


# -- CORS ---------------------------------------------------------------------------------------------------------


def _preflight(client: TestClient, origin: str):
    return client.options(
        "/v1/stats",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )


def test_a_configured_origin_may_call_the_api(app_with) -> None:
    client, admin = app_with(cors_origins=(INTRANET,))
    preflight = _preflight(client, INTRANET)
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == INTRANET
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
    assert set(preflight.headers["access-control-allow-methods"].split(", ")) == {"GET", "POST", "PUT", "DELETE"}
    response = client.get("/v1/stats", headers={**admin, "Origin": INTRANET})
    assert response.headers["access-control-allow-origin"] == INTRANET
    # Errors are readable by the page too.
    assert client.get("/v1/stats", headers={"Origin": INTRANET}).headers["access-control-allow-origin"] == INTRANET


def test_other_origins_are_refused(app_with) -> None:
    client, admin = app_with(cors_origins=(INTRANET,))
    preflight = _preflight(client, "https://evil.example")
    assert preflight.status_code == 400
    assert "access-control-allow-origin" not in preflight.headers
    response = client.get("/v1/stats", headers={**admin, "Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in response.headers


def test_no_origin_may_call_the_api_by_default(app_with) -> None:
    client, admin = app_with()
    assert "access-control-allow-origin" not in _preflight(client, INTRANET).headers
    assert "access-control-allow-origin" not in client.get("/v1/stats", headers={**admin, "Origin": INTRANET}).headers
    # The Neo4j Browser keeps its access to the static files.
    static = client.get("/static/weaktie.grass", headers={"Origin": "http://localhost:7474"})
    assert static.headers["access-control-allow-origin"] == "http://localhost:7474"


def test_the_api_origins_do_not_open_the_static_files(app_with) -> None:
    client, _ = app_with(cors_origins=(INTRANET,))
    static = client.get("/static/weaktie.grass", headers={"Origin": INTRANET})
    assert static.status_code == 200
    assert "access-control-allow-origin" not in static.headers


# -- unexpected errors --------------------------------------------------------------------------------------------


def test_an_unexpected_error_is_a_generic_500_without_its_message(tmp_path: Path) -> None:
    secret = "bolt://admin:hunter2@db.internal:7687"

    def broken() -> object:
        raise RuntimeError(f"cannot open {secret}")

    settings = _settings(tmp_path, auth="off")
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        client.app.state.engine = Engine(opener=broken, settings=settings)  # type: ignore[attr-defined]
        response = client.get("/v1/stats")
        assert response.status_code == 500
        assert response.headers["content-type"].startswith(MEDIA_TYPE)
        body = response.json()
        assert (body["type"], body["status"], body["instance"]) == ("about:blank", 500, "/v1/stats")
        assert secret not in response.text
        assert "RuntimeError" not in response.text and "Traceback" not in response.text
        client.app.state.engine = Engine(opener=broken, settings=settings.model_copy(update={"auth": "tokens"}))  # type: ignore[attr-defined]
        # Checking a token needs the store too: the same generic answer, not a 401 that blames the caller.
        checked = client.get("/v1/stats", headers=bearer("wt_0123456789ab_" + "A" * 43))
        assert checked.status_code == 500
        assert secret not in checked.text
