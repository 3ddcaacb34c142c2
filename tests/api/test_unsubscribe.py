"""Unsubscribe links: GET only shows a page, POST (RFC 8058 one-click) turns the digest off, forged tokens get 400."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.app import create_app
from api.digest import audience
from api.engine import open_store
from api.settings import Settings
from api.signing import UNSUBSCRIBE, sign
from graph.controls import Policy, effective_policy, person_scope
from graph.delta import GraphDelta
from tests.api.conftest import Imported
from tests.api.test_digest import PERIOD, copied_settings

SECRET = "unsubscribe-test-secret-" * 2
NOW = datetime(2026, 11, 2, tzinfo=UTC)
ONE_CLICK = {"content-type": "application/x-www-form-urlencoded"}


@pytest.fixture
def settings(imported: Imported, tmp_path: Path) -> Settings:
    copied = copied_settings(imported, tmp_path / "data")
    return copied.model_copy(update={"secret_key": SecretStr(SECRET)})


@pytest.fixture
def person(imported: Imported) -> str:
    return next(row["id"] for row in imported.org.people if row.get("email"))


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        yield client


def token_for(person_id: str, *, key: str = SECRET, purpose: str = UNSUBSCRIBE) -> str:
    return sign(key.encode(), person=person_id, purpose=purpose, now=NOW)


def person_policy(client: TestClient, person_id: str) -> Policy | None:
    return client.app.state.engine.store.controls().policy_map().get(person_scope(person_id))  # type: ignore[attr-defined]


def test_get_shows_a_confirmation_form_and_changes_nothing(client: TestClient, person: str) -> None:
    token = token_for(person)
    before = client.app.state.engine.store.controls()  # type: ignore[attr-defined]
    response = client.get("/unsubscribe", params={"token": token})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "no-store" in response.headers["cache-control"]
    assert 'method="post"' in response.text
    assert 'name="List-Unsubscribe" value="One-Click"' in response.text
    for _ in range(3):
        client.get("/unsubscribe", params={"token": token})
    assert client.app.state.engine.store.controls() == before  # type: ignore[attr-defined]

    # The page's own form (what a browser submits) unsubscribes.
    action = re.search(r'action="([^"]+)"', response.text)
    assert action is not None and action.group(1).startswith("?token=")
    submitted = client.post(
        "/unsubscribe" + action.group(1).replace("&amp;", "&"), content=b"List-Unsubscribe=One-Click", headers=ONE_CLICK
    )
    assert submitted.status_code == 200
    assert person_policy(client, person).digest == "off"  # type: ignore[union-attr]


def test_one_click_post_turns_the_digest_off_and_keeps_the_rest_of_the_policy(settings: Settings, person: str) -> None:
    store = open_store(settings)
    try:
        store.upsert(GraphDelta(policies=(Policy(scope=person_scope(person), infer=False, updated_at=NOW),)))
    finally:
        store.close()
    with TestClient(create_app(settings)) as client:
        response = client.post(
            "/unsubscribe",
            params={"token": token_for(person)},
            content=b"List-Unsubscribe=One-Click",
            headers=ONE_CLICK,
        )
        assert response.status_code == 200, response.text
        assert "unsubscribed" in response.text
        policy = person_policy(client, person)
        assert policy is not None and (policy.digest, policy.infer, policy.suggest) == ("off", False, None)
        assert policy.updated_at is not None and policy.updated_at != NOW
        # Again: still off, still 200 (a mail client may retry).
        again = client.post(
            "/unsubscribe",
            params={"token": token_for(person)},
            content=b"List-Unsubscribe=One-Click",
            headers=ONE_CLICK,
        )
        assert again.status_code == 200
        store = client.app.state.engine.store  # type: ignore[attr-defined]
        controls = store.controls()
        me = store.person(person)
        assert effective_policy(me, controls.policy_map()).digest == "off"
        found = audience(store.people(), controls.policy_map(), store.digests(), period=PERIOD, enabled=True)
        assert person in found.skipped["frequency_off"]


def test_multipart_one_click_works_too(client: TestClient, person: str) -> None:
    # RFC 8058 says clients SHOULD send multipart/form-data; no python-multipart is needed to read it.
    response = client.post(
        "/unsubscribe", params={"token": token_for(person)}, files={"List-Unsubscribe": (None, "One-Click")}
    )
    assert response.status_code == 200, response.text
    assert person_policy(client, person).digest == "off"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("body", "content_type"),
    [(b"", "application/x-www-form-urlencoded"), (b"List-Unsubscribe=Later", "application/x-www-form-urlencoded")],
)
def test_post_without_the_one_click_field_is_refused(
    client: TestClient, person: str, body: bytes, content_type: str
) -> None:
    response = client.post(
        "/unsubscribe", params={"token": token_for(person)}, content=body, headers={"content-type": content_type}
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "One-Click" in response.json()["detail"]
    assert person_policy(client, person) is None


def _forgeries(person: str, other: str) -> list[str]:
    real = token_for(person)
    payload, mac = real.split(".")
    other_payload = token_for(other).split(".")[0]
    return [
        token_for(person, key="some-other-key-entirely-0123456789"),
        f"{other_payload}.{mac}",  # someone else's id under this person's signature
        f"{payload}.{mac[:-2]}",
        token_for(person, purpose="preferences"),
        "not-a-token",
    ]


@pytest.mark.parametrize("index", range(5))
def test_forged_tokens_get_a_400_problem_and_change_nothing(
    client: TestClient, person: str, imported: Imported, index: int
) -> None:
    other = next(row["id"] for row in imported.org.people if row["id"] != person)
    forged = _forgeries(person, other)[index]
    for method in ("GET", "POST"):
        response = client.request(
            method, "/unsubscribe", params={"token": forged}, content=b"List-Unsubscribe=One-Click", headers=ONE_CLICK
        )
        assert response.status_code == 400, (method, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["status"] == 400
    assert person_policy(client, person) is None and person_policy(client, other) is None


def test_missing_token_is_a_validation_problem(client: TestClient) -> None:
    assert client.get("/unsubscribe").status_code == 422
    assert client.post("/unsubscribe", content=b"List-Unsubscribe=One-Click", headers=ONE_CLICK).status_code == 422


def test_a_forgotten_person_is_told_they_are_unsubscribed_and_nothing_is_written(client: TestClient) -> None:
    response = client.post(
        "/unsubscribe",
        params={"token": token_for("nobody-here")},
        content=b"List-Unsubscribe=One-Click",
        headers=ONE_CLICK,
    )
    assert response.status_code == 200
    assert person_policy(client, "nobody-here") is None
