"""The control endpoints over HTTP with real tokens, on a copy of the small imported organisation per test."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from api.app import create_app
from api.engine import Engine
from api.problems import MEDIA_TYPE
from api.tokens import issue_token
from extractors.synthetic import PlantedMatch
from graph.delta import GraphDelta, Person
from tests.api.conftest import Imported


@dataclass
class Service:
    client: TestClient
    engine: Engine
    admin: dict[str, str]
    token_for: Callable[..., dict[str, str]]

    def get(self, path: str, headers: dict[str, str] | None = None, **kwargs: Any) -> Response:
        return self.client.get(path, headers=self.admin if headers is None else headers, **kwargs)

    def post(self, path: str, headers: dict[str, str] | None = None, **kwargs: Any) -> Response:
        return self.client.post(path, headers=self.admin if headers is None else headers, **kwargs)

    def put(self, path: str, headers: dict[str, str] | None = None, **kwargs: Any) -> Response:
        return self.client.put(path, headers=self.admin if headers is None else headers, **kwargs)

    def delete(self, path: str, headers: dict[str, str] | None = None, **kwargs: Any) -> Response:
        return self.client.delete(path, headers=self.admin if headers is None else headers, **kwargs)


@pytest.fixture
def service(imported: Imported, tmp_path: Path) -> Iterator[Service]:
    data_dir = tmp_path / "data"
    shutil.copytree(imported.settings.data_dir, data_dir, ignore=shutil.ignore_patterns("lock"))
    settings = imported.settings.model_copy(update={"data_dir": data_dir, "rate_limit_per_minute": 100_000})
    app = create_app(settings)
    with TestClient(app) as client:
        engine: Engine = app.state.engine

        def token_for(scope: str = "person", person: str | None = None) -> dict[str, str]:
            _, secret = issue_token(engine.store, scope=scope, person=person, now=datetime.now(UTC))  # type: ignore[arg-type]
            return {"Authorization": f"Bearer {secret}"}

        yield Service(client, engine, token_for("admin"), token_for)


def _introduction(imported: Imported) -> PlantedMatch:
    return next(match for match in imported.org.planted if match.kind == "introduction")


def _suggested(service: Service, person: str, headers: dict[str, str] | None = None) -> set[str]:
    response = service.get(f"/v1/people/{person}/suggestions", headers)
    assert response.status_code == 200, response.text
    return {item["candidate"]["id"] for item in response.json()["suggestions"]}


def _problem(response: Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(MEDIA_TYPE)
    return response.json()


def _someone_else(imported: Imported, *not_these: str) -> str:
    return next(p["id"] for p in imported.org.people if p["id"] not in not_these and not p.get("opted_out"))


def test_feedback_dismiss_is_stored_and_the_candidate_never_returns(service: Service, imported: Imported) -> None:
    case = _introduction(imported)
    mine = service.token_for(person=case.person)
    assert case.expert in _suggested(service, case.person, mine)

    response = service.post(
        f"/v1/people/{case.person}/feedback", mine, json={"candidate": case.expert, "kind": "dismiss"}
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["person"], body["candidate"], body["kind"]) == (case.person, case.expert, "dismiss")
    assert body["at"]
    assert case.expert not in _suggested(service, case.person, mine)
    assert case.expert not in _suggested(service, case.person)


def test_feedback_is_refused_for_someone_else_and_checked(service: Service, imported: Imported) -> None:
    case = _introduction(imported)
    other = service.token_for(person=_someone_else(imported, case.person, case.expert))
    body = {"candidate": case.expert, "kind": "met"}
    assert _problem(service.post(f"/v1/people/{case.person}/feedback", other, json=body), 403)["status"] == 403
    ingest = service.token_for("ingest")
    _problem(service.post(f"/v1/people/{case.person}/feedback", ingest, json=body), 403)
    _problem(service.client.post(f"/v1/people/{case.person}/feedback", json=body), 401)
    _problem(service.post(f"/v1/people/{case.person}/feedback", json={"candidate": "nobody-9", "kind": "met"}), 404)
    _problem(service.post(f"/v1/people/{case.person}/feedback", json={"candidate": case.person, "kind": "met"}), 400)
    _problem(service.post(f"/v1/people/{case.person}/feedback", json={"candidate": case.expert, "kind": "x"}), 422)
    assert service.engine.controls().feedback == ()


def test_topic_corrections_hide_add_and_list(service: Service, imported: Imported) -> None:
    expert = _introduction(imported).expert
    mine = service.token_for(person=expert)
    knows = service.get(f"/v1/people/{expert}", mine).json()["knows"]
    assert knows and not any(item["declared"] for item in knows)
    hidden = knows[0]["topic"]

    hide = service.post(f"/v1/people/{expert}/topics", mine, json={"topic": hidden, "action": "hide"})
    add = service.post(f"/v1/people/{expert}/topics", mine, json={"topic": "Tax  Law", "action": "add"})

    assert hide.status_code == add.status_code == 201
    assert add.json()["topic"] == "tax law"
    profile = service.get(f"/v1/people/{expert}", mine).json()
    topics = {item["topic"]: item for item in profile["knows"] + profile["asks"]}
    assert hidden not in topics
    assert topics["tax law"]["declared"] is True and topics["tax law"]["evidence"] == []
    listed = service.get(f"/v1/people/{expert}/topics", mine).json()
    statuses = {item["topic"]: item["status"] for item in listed["topics"]}
    assert statuses[hidden] == "hidden" and statuses["tax law"] == "self-declared"
    assert "inferred" in statuses.values()
    people = service.get(f"/v1/topics/{hidden}/people", params={"limit": 100}).json()["people"]
    assert expert not in {item["person"]["id"] for item in people}
    other = service.token_for(person=_someone_else(imported, expert))
    _problem(service.get(f"/v1/people/{expert}/topics", other), 403)
    _problem(service.post(f"/v1/people/{expert}/topics", other, json={"topic": hidden, "action": "confirm"}), 403)
    _problem(service.post(f"/v1/people/{expert}/topics", json={"topic": "no such topic zz", "action": "hide"}), 404)


def test_preferences_opt_out_of_suggestions(service: Service, imported: Imported) -> None:
    case = _introduction(imported)
    mine = service.token_for(person=case.expert)
    before = service.get(f"/v1/people/{case.expert}/preferences", mine).json()
    assert before == {
        "person": case.expert,
        "effective": {"suggest": True, "infer": True, "digest": "weekly"},
        "own": None,
    }
    assert case.expert in _suggested(service, case.person)

    response = service.put(f"/v1/people/{case.expert}/preferences", mine, json={"suggest": False})

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["effective"] == {"suggest": False, "infer": True, "digest": "weekly"}
    assert (body["own"]["scope"], body["own"]["suggest"], body["own"]["infer"]) == (
        f"person:{case.expert}",
        False,
        None,
    )
    assert service.get(f"/v1/people/{case.expert}/preferences", mine).json() == body
    assert _suggested(service, case.expert, mine) == set()
    assert case.expert not in _suggested(service, case.person)
    # Another field later keeps the first.
    later = service.put(f"/v1/people/{case.expert}/preferences", mine, json={"digest": "off"}).json()
    assert later["effective"] == {"suggest": False, "infer": True, "digest": "off"}
    other = service.token_for(person=case.person)
    _problem(service.put(f"/v1/people/{case.expert}/preferences", other, json={"suggest": True}), 403)
    _problem(service.get(f"/v1/people/{case.expert}/preferences", other), 403)


def test_preferences_opt_out_of_inference(service: Service, imported: Imported) -> None:
    expert = _introduction(imported).expert
    mine = service.token_for(person=expert)
    topic = service.get(f"/v1/people/{expert}").json()["knows"][0]["topic"]

    service.put(f"/v1/people/{expert}/preferences", mine, json={"infer": False})

    profile = service.get(f"/v1/people/{expert}").json()
    assert (profile["knows"], profile["asks"]) == ([], [])
    people = service.get(f"/v1/topics/{topic}/people", params={"limit": 100}).json()["people"]
    assert expert not in {item["person"]["id"] for item in people}


def test_team_policy_applies_unless_the_person_says_otherwise(service: Service, imported: Imported) -> None:
    case = _introduction(imported)
    team = service.engine.person(case.person).team
    teammate = next(p["id"] for p in imported.org.people if p.get("team") == team and p["id"] != case.person)

    response = service.put(f"/v1/policies/team:{team}", json={"suggest": False, "digest": "monthly"})
    assert response.status_code == 200, response.text
    assert response.json()["scope"] == f"team:{team}"
    service.put(f"/v1/people/{case.person}/preferences", json={"suggest": True})
    service.put("/v1/policies/org", json={"digest": "off", "infer": False})

    mine = service.get(f"/v1/people/{case.person}/preferences").json()["effective"]
    theirs = service.get(f"/v1/people/{teammate}/preferences").json()["effective"]
    assert mine == {"suggest": True, "infer": False, "digest": "monthly"}
    assert theirs == {"suggest": False, "infer": False, "digest": "monthly"}
    assert _suggested(service, teammate) == set()
    person = service.token_for(person=case.person)
    _problem(service.put("/v1/policies/org", person, json={"suggest": False}), 403)
    _problem(service.put("/v1/policies/team:nowhere", json={"suggest": False}), 404)
    _problem(service.put("/v1/policies/planet:earth", json={"suggest": False}), 400)


def test_do_not_pair_is_for_admins_and_works_both_ways(service: Service, imported: Imported) -> None:
    case = _introduction(imported)
    assert case.expert in _suggested(service, case.person)

    added = service.post("/v1/do-not-pair", json={"a": case.person, "b": case.expert})

    assert added.status_code == 201, added.text
    assert {added.json()["a"], added.json()["b"]} == {case.person, case.expert}
    assert len(service.get("/v1/do-not-pair").json()["entries"]) == 1
    assert case.expert not in _suggested(service, case.person)
    assert case.person not in _suggested(service, case.expert)
    person = service.token_for(person=case.person)
    _problem(service.post("/v1/do-not-pair", person, json={"a": case.person, "b": case.expert}), 403)
    _problem(service.get("/v1/do-not-pair", person), 403)
    _problem(service.delete("/v1/do-not-pair", person, params={"a": case.expert, "b": case.person}), 403)

    removed = service.delete("/v1/do-not-pair", params={"a": case.expert, "b": case.person})
    assert removed.status_code == 204
    assert service.get("/v1/do-not-pair").json()["entries"] == []
    assert case.expert in _suggested(service, case.person)
    _problem(service.delete("/v1/do-not-pair", params={"a": case.expert, "b": case.person}), 404)


def test_restricted_evidence_is_shown_only_to_its_audience(service: Service, imported: Imported) -> None:
    restricted = {post["id"]: post for post in imported.org.posts if post.get("audience")}
    author = sorted({post["author"] for post in restricted.values()})[0]
    own = {pid for pid, post in restricted.items() if post["author"] == author}
    team = service.engine.person(author).team
    outsider = next(p["id"] for p in imported.org.people if p.get("team") != team and p["id"] != author)
    as_outsider = service.get(f"/v1/people/{author}", service.token_for(person=outsider)).json()
    as_author = service.get(f"/v1/people/{author}", service.token_for(person=author)).json()
    shown_out = {post["id"] for post in as_outsider["recent_posts"]} | {
        pid for item in as_outsider["knows"] + as_outsider["asks"] for pid in item["evidence"]
    }
    assert not shown_out & own
    assert {post["id"] for post in as_author["recent_posts"]} & own
    for person in sorted(p["id"] for p in imported.org.people)[:25]:
        reader = service.engine.person(person)
        found = service.get(f"/v1/people/{person}/suggestions", service.token_for(person=person)).json()
        ids = [e["post_id"] for s in found["suggestions"] for r in s["reasons"] for e in r["evidence"]]
        for post in service.engine.store.posts_by_id(ids).values():
            assert post.is_public or _sees(reader, post.audience, post.authors)


def _sees(reader: Person, audience: tuple[str, ...], authors: tuple[str, ...]) -> bool:
    return reader.id in authors or reader.id in audience or f"team:{reader.team}" in audience


def test_export_has_the_persons_data_and_no_token_secrets(service: Service, imported: Imported) -> None:
    case = _introduction(imported)
    _, secret = issue_token(service.engine.store, scope="person", person=case.expert, now=datetime.now(UTC))
    mine = {"Authorization": f"Bearer {secret}"}
    service.post(f"/v1/people/{case.expert}/feedback", mine, json={"candidate": case.person, "kind": "met"})

    response = service.get(f"/v1/people/{case.expert}/export", mine)

    assert response.status_code == 200, response.text
    data = response.json()
    assert data["person"]["id"] == case.expert
    assert data["posts"] and data["ties"] and data["expertise"]
    assert data["feedback_given"][0]["candidate"] == case.person
    stored = {token.id: token for token in service.engine.store.tokens()}
    assert data["tokens"] and all(token["id"] in stored for token in data["tokens"])
    assert all(stored[token["id"]].person == case.expert for token in data["tokens"])
    for token in stored.values():
        assert token.digest not in response.text
    assert secret not in response.text
    assert "text" not in data["posts"][0]
    other = service.token_for(person=case.person)
    _problem(service.get(f"/v1/people/{case.expert}/export", other), 403)
    _problem(service.get("/v1/people/nobody-3/export"), 404)


def test_forget_is_for_admins_and_erases_the_person(service: Service, imported: Imported) -> None:
    case = _introduction(imported)
    person = service.token_for(person=case.expert)
    _problem(service.delete(f"/v1/people/{case.expert}", person), 403)

    response = service.delete(f"/v1/people/{case.expert}")

    assert response.status_code == 204
    _problem(service.get(f"/v1/people/{case.expert}"), 404)
    assert case.expert not in _suggested(service, case.person)
    # Their token went with them.
    _problem(service.get(f"/v1/people/{case.expert}/preferences", person), 401)
    _problem(service.delete(f"/v1/people/{case.expert}"), 404)
    stats = service.get("/v1/stats").json()
    assert stats["nodes"]["Person"] == len(imported.org.people) - 1 and stats["suppressed"] is False


def test_team_report_is_for_admins_and_hides_small_groups(service: Service, imported: Imported) -> None:
    response = service.get("/v1/teams/report")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["min_group_size"] == service.engine.settings.min_group_size == 5
    assert body["left_out"] == 0 and body["active_days"] == 90
    assert sum(row["people"] for row in body["teams"]) == len(imported.org.people)
    assert all(row["people"] >= 5 and not row["merged"] for row in body["teams"])
    _problem(service.get("/v1/teams/report", service.token_for(person=_introduction(imported).person)), 403)


def test_the_new_endpoints_are_documented(service: Service) -> None:
    paths = service.client.get("/openapi.json").json()["paths"]
    assert {
        "/v1/people/{person_id}/feedback",
        "/v1/people/{person_id}/topics",
        "/v1/people/{person_id}/preferences",
        "/v1/people/{person_id}/export",
        "/v1/do-not-pair",
        "/v1/teams/report",
        "/v1/policies/{scope}",
    } <= paths.keys()
    assert "delete" in paths["/v1/people/{person_id}"]


def test_stats_of_a_graph_smaller_than_the_minimum_group_are_suppressed(imported: Imported, tmp_path: Path) -> None:
    settings = imported.settings.model_copy(update={"data_dir": tmp_path / "tiny"})
    app = create_app(settings)
    with TestClient(app) as client:
        engine: Engine = app.state.engine
        engine.store.upsert(GraphDelta(people=tuple(Person(id=f"t{i}", name=f"T {i}", team="a") for i in range(4))))
        _, secret = issue_token(engine.store, scope="admin", now=datetime.now(UTC))
        admin = {"Authorization": f"Bearer {secret}"}
        body = client.get("/v1/stats", headers=admin).json()
        assert body["suppressed"] is True and body["total"] == 0 and body["nodes"]["Person"] == 0
        report = client.get("/v1/teams/report", headers=admin).json()
        assert (report["teams"], report["left_out"]) == ([], 4)
        engine.store.upsert(GraphDelta(people=(Person(id="t4", name="T 4", team="b"),)))
        engine.refresh()
        body = client.get("/v1/stats", headers=admin).json()
        assert body["suppressed"] is False and body["nodes"]["Person"] == 5
        rows = client.get("/v1/teams/report", headers=admin).json()["teams"]
        assert [(row["name"], row["people"], row["merged"]) for row in rows] == [("smaller teams", 5, True)]
