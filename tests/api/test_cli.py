"""The ``weaktie`` command line against real stores: demo, ingest (twice, and with a bad record), errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from api.settings import get_settings
from tests.api.conftest import PEOPLE, POSTS, SEED, Imported


@pytest.fixture(autouse=True)
def offline_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Commands read settings from the environment; keep them off the real home directory and the spaCy model.
    monkeypatch.setenv("WEAKTIE_DATA_DIR", str(tmp_path / "default-data"))
    monkeypatch.setenv("WEAKTIE_SPACY_MODEL", "none")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def run(*args: str) -> object:
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def test_demo_explains_a_suggestion_and_an_already_done_match() -> None:
    result = run("demo", "--people", str(PEOPLE), "--posts", str(POSTS), "--seed", str(SEED))
    assert result.exit_code == 0, result.output
    assert "→ meet" in result.stdout
    assert "•" in result.stdout, "each suggestion lists its reasons"
    assert "Already done?" in result.stdout
    assert "Someone already did that" in result.stdout


def test_demo_json_has_reasons_and_matches() -> None:
    result = run("demo", "--people", str(PEOPLE), "--posts", str(POSTS), "--seed", str(SEED), "--json")
    assert result.exit_code == 0, result.output
    tour = json.loads(result.stdout)
    assert tour["ingest"]["imported_posts"] > 0
    suggestions = [s for intro in tour["introductions"] for s in intro["suggestions"]]
    assert suggestions and all(s["reasons"] for s in suggestions)
    assert tour["already_done"]["matches"]


def test_demo_record_keeps_the_suggestions_it_showed(tmp_path: Path) -> None:
    data_dir = tmp_path / "demo-data"
    args = ("demo", "--people", str(PEOPLE), "--posts", str(POSTS), "--seed", str(SEED), "--data-dir", str(data_dir))
    tour = json.loads(run(*args, "--record", "--json").stdout)
    shown = sum(len(intro["suggestions"]) for intro in tour["introductions"])
    assert shown > 0
    assert _stats(data_dir)["relationships"]["SUGGESTED"] == shown


def _stats(data_dir: Path) -> dict:
    result = run("stats", "--data-dir", str(data_dir), "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _ingest(export: Path, data_dir: Path) -> dict:
    result = run("ingest", str(export), "--data-dir", str(data_dir), "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_ingesting_twice_imports_nothing_the_second_time(imported: Imported, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    first = _ingest(imported.export, data_dir)
    assert first["imported_posts"] > 0 and first["imported_people"] == len(imported.org.people)
    counts = _stats(data_dir)
    second = _ingest(imported.export, data_dir)
    assert (second["imported_posts"], second["imported_people"]) == (0, 0)
    assert second["skipped_known"] == first["imported_posts"]
    assert _stats(data_dir) == counts


def test_ingest_prints_a_summary_table(imported: Imported, tmp_path: Path) -> None:
    result = run("ingest", str(imported.export), "--data-dir", str(tmp_path / "data"))
    assert result.exit_code == 0, result.output
    assert "imported posts" in result.stdout
    assert f"{imported.report.imported_posts:,}" in result.stdout


def test_a_bad_record_is_rejected_and_explained(imported: Imported, tmp_path: Path) -> None:
    export = tmp_path / "export"
    export.mkdir()
    (export / "people.jsonl").write_text((imported.export / "people.jsonl").read_text())
    posts = (imported.export / "posts.jsonl").read_text().splitlines()[:3]
    broken = json.loads(posts[2])
    broken["created_at"] = "sometime last spring"
    posts[2] = json.dumps(broken)
    (export / "posts.jsonl").write_text("\n".join(posts) + "\n")

    report = _ingest(export, tmp_path / "data")
    assert report["rejected"] == 1
    assert report["imported_posts"] == 2
    rejects = [json.loads(line) for line in Path(report["rejects_path"]).read_text().splitlines()]
    assert len(rejects) == 1
    assert rejects[0]["line"] == 3
    assert rejects[0]["file"].endswith("posts.jsonl")
    assert rejects[0]["reason"]


def test_suggest_and_already_done(imported: Imported) -> None:
    data_dir = str(imported.settings.data_dir)
    intro = next(match for match in imported.org.planted if match.kind == "introduction")
    result = run("suggest", intro.person, "--data-dir", data_dir, "--json")
    assert result.exit_code == 0, result.output
    assert intro.expert in [item["candidate"]["id"] for item in json.loads(result.stdout)["suggestions"]]

    case = next(match for match in imported.org.planted if match.kind == "already_done")
    result = run("already-done", case.query, "--asker", case.person, "--data-dir", data_dir, "--json")
    assert result.exit_code == 0, result.output
    assert case.expert in [match["person"]["id"] for match in json.loads(result.stdout)["matches"]]

    table = run("suggest", intro.person, "--data-dir", data_dir)
    assert table.exit_code == 0 and "should meet" in table.stdout


def test_suggest_record_stores_what_was_shown(imported: Imported, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    _ingest(imported.export, data_dir)
    person = next(match for match in imported.org.planted if match.kind == "introduction").person
    shown = json.loads(run("suggest", person, "--data-dir", str(data_dir), "--record", "--json").stdout)
    assert shown["suggestions"]
    assert _stats(data_dir)["relationships"]["SUGGESTED"] == len(shown["suggestions"])
    again = json.loads(run("suggest", person, "--data-dir", str(data_dir), "--json").stdout)
    repeated = {s["candidate"]["id"] for s in shown["suggestions"]} & {
        s["candidate"]["id"] for s in again["suggestions"]
    }
    assert not repeated, "a recorded suggestion is not shown again without newer evidence"


def test_unknown_person_fails_with_one_line(imported: Imported) -> None:
    result = run("suggest", "nobody-42", "--data-dir", str(imported.settings.data_dir))
    assert result.exit_code != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "nobody-42" in lines[0]
    assert "Traceback" not in result.output


def test_missing_directory_fails_with_one_line(tmp_path: Path) -> None:
    result = run("ingest", str(tmp_path / "missing"), "--data-dir", str(tmp_path / "data"))
    assert result.exit_code != 0
    assert len(result.stderr.strip().splitlines()) == 1


def test_stats_table(imported: Imported) -> None:
    result = run("stats", "--data-dir", str(imported.settings.data_dir))
    assert result.exit_code == 0
    assert "Person" in result.stdout and f"{len(imported.org.people):,}" in result.stdout
