"""The control commands of ``weaktie`` on a copy of the small imported organisation's data directory."""

from __future__ import annotations

import json
import shutil
import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from typer.testing import CliRunner

from api.cli import app
from api.engine import Engine, open_store
from api.settings import get_settings
from api.tokens import issue_token
from extractors.synthetic import PlantedMatch
from graph.delta import GraphDelta, Person
from tests.api.conftest import Imported


@pytest.fixture(autouse=True)
def offline_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.setenv("WEAKTIE_DATA_DIR", str(tmp_path / "default-data"))
    monkeypatch.setenv("WEAKTIE_SPACY_MODEL", "none")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def data_dir(imported: Imported, tmp_path: Path) -> Path:
    copy = tmp_path / "data"
    shutil.copytree(imported.settings.data_dir, copy, ignore=shutil.ignore_patterns("lock"))
    return copy


def run(data_dir: Path, *args: str) -> Result:
    return CliRunner().invoke(app, [*args, "--data-dir", str(data_dir)], catch_exceptions=False)


def ok(data_dir: Path, *args: str) -> Result:
    result = run(data_dir, *args)
    assert result.exit_code == 0, result.output
    return result


def as_json(data_dir: Path, *args: str) -> Any:
    return json.loads(ok(data_dir, *args, "--json").stdout)


def _introduction(imported: Imported) -> PlantedMatch:
    return next(match for match in imported.org.planted if match.kind == "introduction")


def _suggested(data_dir: Path, person: str) -> set[str]:
    return {item["candidate"]["id"] for item in as_json(data_dir, "suggest", person)["suggestions"]}


def test_feedback_dismiss_means_never_again(data_dir: Path, imported: Imported) -> None:
    case = _introduction(imported)
    assert case.expert in _suggested(data_dir, case.person)

    stored = as_json(data_dir, "feedback", case.person, case.expert, "--kind", "not-relevant")

    assert stored["kind"] == "not_relevant" and stored["candidate"] == case.expert
    assert case.expert not in _suggested(data_dir, case.person)
    assert "dismiss" in ok(data_dir, "feedback", case.person, case.expert, "--kind", "dismiss").stdout
    bad = run(data_dir, "feedback", case.person, case.expert, "--kind", "hate")
    assert bad.exit_code == 2 and "dismiss" in bad.output
    self_feedback = run(data_dir, "feedback", case.person, case.person, "--kind", "met")
    assert self_feedback.exit_code == 1 and self_feedback.stderr.startswith("weaktie: error:")


def test_topics_confirm_hide_add_and_list(data_dir: Path, imported: Imported) -> None:
    expert = _introduction(imported).expert
    listed = as_json(data_dir, "topics", "list", expert)["topics"]
    assert listed and {item["status"] for item in listed} == {"inferred"}
    first, second = listed[0]["topic"], listed[1]["topic"]

    assert as_json(data_dir, "topics", "hide", expert, first)["action"] == "hide"
    ok(data_dir, "topics", "confirm", expert, second)
    assert "self-declared" in ok(data_dir, "topics", "add", expert, "Tax Law").stdout

    statuses = {item["topic"]: item["status"] for item in as_json(data_dir, "topics", "list", expert)["topics"]}
    assert (statuses[first], statuses[second], statuses["tax law"]) == ("hidden", "confirmed", "self-declared")
    table = ok(data_dir, "topics", "list", expert).stdout
    assert "hidden" in table and "self-declared" in table
    unknown = run(data_dir, "topics", "hide", expert, "underwater origami")
    assert unknown.exit_code == 1 and "underwater origami" in unknown.stderr
    with open_store(get_settings().model_copy(update={"data_dir": data_dir})) as store:
        knows = Engine(store, settings=get_settings()).profile(expert).neighbourhood.knows
    assert first not in {item.topic for item in knows}
    assert [item.topic for item in knows if item.declared] == ["tax law"]


def test_policy_set_and_show_follow_precedence(data_dir: Path, imported: Imported) -> None:
    case = _introduction(imported)
    team = next(p["team"] for p in imported.org.people if p["id"] == case.person)
    teammate = next(p["id"] for p in imported.org.people if p.get("team") == team and p["id"] != case.person)

    ok(data_dir, "policy", "set", "--org", "--digest", "monthly")
    team_policy = as_json(data_dir, "policy", "set", "--team", team, "--no-suggest", "--no-infer")
    ok(data_dir, "policy", "set", "--person", case.person, "--suggest")

    assert team_policy == {
        "scope": f"team:{team}",
        "suggest": False,
        "infer": False,
        "digest": None,
        "updated_at": team_policy["updated_at"],
    }
    mine = as_json(data_dir, "policy", "show", case.person)
    theirs = as_json(data_dir, "policy", "show", teammate)
    assert mine["effective"] == {"suggest": True, "infer": False, "digest": "monthly"}
    assert mine["own"]["suggest"] is True and mine["own"]["infer"] is None
    assert theirs == {
        "person": teammate,
        "effective": {"suggest": False, "infer": False, "digest": "monthly"},
        "own": None,
    }
    assert as_json(data_dir, "suggest", teammate)["suggestions"] == []
    assert "suggest no" in ok(data_dir, "policy", "show", teammate).stdout
    for bad in (
        ("policy", "set", "--org", "--team", team, "--no-suggest"),
        ("policy", "set", "--no-suggest"),
        ("policy", "set", "--org"),
        ("policy", "set", "--org", "--digest", "hourly"),
    ):
        assert run(data_dir, *bad).exit_code == 2, bad
    assert run(data_dir, "policy", "set", "--team", "nowhere", "--no-suggest").exit_code == 1


def test_opting_out_of_suggestions_from_the_command_line(data_dir: Path, imported: Imported) -> None:
    case = _introduction(imported)
    assert case.expert in _suggested(data_dir, case.person)
    ok(data_dir, "policy", "set", "--person", case.expert, "--no-suggest")
    assert case.expert not in _suggested(data_dir, case.person)
    assert _suggested(data_dir, case.expert) == set()


def test_opting_out_of_inference_from_the_command_line(data_dir: Path, imported: Imported) -> None:
    expert = _introduction(imported).expert
    ok(data_dir, "policy", "set", "--person", expert, "--no-infer")
    with open_store(get_settings().model_copy(update={"data_dir": data_dir})) as store:
        shown = Engine(store, settings=get_settings()).profile(expert).neighbourhood
    assert (shown.knows, shown.asks) == ((), ())


def test_do_not_pair_add_list_remove(data_dir: Path, imported: Imported) -> None:
    case = _introduction(imported)
    assert case.expert in _suggested(data_dir, case.person)

    entry = as_json(data_dir, "do-not-pair", "add", case.expert, case.person)

    assert {entry["a"], entry["b"]} == {case.expert, case.person}
    assert [(e["a"], e["b"]) for e in as_json(data_dir, "do-not-pair", "list")] == [(entry["a"], entry["b"])]
    assert case.expert not in _suggested(data_dir, case.person)
    assert case.person not in _suggested(data_dir, case.expert)
    ok(data_dir, "do-not-pair", "remove", case.person, case.expert)
    assert as_json(data_dir, "do-not-pair", "list") == []
    assert "No do-not-pair" in ok(data_dir, "do-not-pair", "list").stdout
    again = run(data_dir, "do-not-pair", "remove", case.person, case.expert)
    assert again.exit_code == 1 and "no do-not-pair entry" in again.stderr
    assert run(data_dir, "do-not-pair", "add", case.person, case.person).exit_code == 1


def test_person_export_writes_a_private_json_file_without_secrets(data_dir: Path, imported: Imported) -> None:
    case = _introduction(imported)
    settings = get_settings().model_copy(update={"data_dir": data_dir})
    with open_store(settings) as store:
        token, secret = issue_token(store, scope="person", person=case.expert, now=datetime.now(UTC))
    ok(data_dir, "topics", "add", case.expert, "tax law")
    target = data_dir.parent / "export.json"

    ok(data_dir, "person", "export", case.expert, "--out", str(target))

    text = target.read_text()
    data = json.loads(text)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert data["person"]["id"] == case.expert and data["posts"] and data["expertise"]
    assert [c["topic"] for c in data["corrections"]] == ["tax law"]
    assert [t["id"] for t in data["tokens"]] == [token.id]
    assert token.digest not in text and secret not in text
    assert json.loads(ok(data_dir, "person", "export", case.expert).stdout)["person"]["id"] == case.expert


def test_person_forget_needs_yes_and_survives_a_reimport(data_dir: Path, imported: Imported) -> None:
    case = _introduction(imported)
    refused = run(data_dir, "person", "forget", case.expert)
    assert refused.exit_code == 1 and "--yes" in refused.stderr
    assert as_json(data_dir, "stats")["nodes"]["Person"] == len(imported.org.people)

    ok(data_dir, "person", "forget", case.expert, "--yes")

    assert as_json(data_dir, "stats")["nodes"]["Person"] == len(imported.org.people) - 1
    report = as_json(data_dir, "ingest", str(imported.export))
    source = report["sources"][0]
    assert source["suppressed"] == 1 + sum(1 for post in imported.org.posts if post["author"] == case.expert)
    assert (source["imported_people"], source["imported_posts"]) == (0, 0)
    assert as_json(data_dir, "stats")["nodes"]["Person"] == len(imported.org.people) - 1
    gone = run(data_dir, "person", "export", case.expert)
    assert gone.exit_code == 1 and case.expert in gone.stderr
    assert case.expert not in _suggested(data_dir, case.person)


def test_stats_of_a_graph_smaller_than_the_minimum_group_are_suppressed(tmp_path: Path) -> None:
    data_dir = tmp_path / "tiny"
    settings = get_settings().model_copy(update={"data_dir": data_dir})
    with open_store(settings) as store:
        store.upsert(GraphDelta(people=tuple(Person(id=f"t{i}", name=f"T {i}", team="a") for i in range(3))))

    counts = as_json(data_dir, "stats")

    assert counts["suppressed"] is True and counts["nodes"]["Person"] == 0 and counts["total"] == 0
    assert "MIN_GROUP_SIZE" in ok(data_dir, "stats").stdout
