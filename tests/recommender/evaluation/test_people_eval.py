"""The people-you-should-meet harness on a graph small enough to know every answer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from recommender.evaluation.baselines import LINK_BASELINES
from recommender.evaluation.chart import write_chart
from recommender.evaluation.datasets import load_interactions
from recommender.evaluation.people_eval import FIXED, PRODUCT, PeopleOptions, evaluate_people, training_projection
from recommender.evaluation.report import OURS

OPTIONS = PeopleOptions(resamples=50)


def test_truth_is_first_time_pairs_of_people_active_before_the_cut(edge_files: tuple[Path, Path]) -> None:
    report = evaluate_people(load_interactions(edge_files[0], labels=edge_files[1]), options=OPTIONS)
    assert (report.cut.train_events, report.cut.test_events) == (7, 3)
    # a–e and a–c are new; a–g is not judged because g was never active before the cut.
    assert report.table("all").test_size == {"people_with_new_ties": 3, "new_ties": 2, "people_served": 6}
    assert report.table("cross_team").test_size == {"people_with_new_ties": 2, "new_ties": 1, "people_served": 6}
    assert any("1 new pairs" in note for note in report.notes)


def test_every_method_is_reported_with_metrics_in_range(edge_files: tuple[Path, Path]) -> None:
    report = evaluate_people(load_interactions(edge_files[0], labels=edge_files[1]), options=OPTIONS)
    cross, everyone = report.table("cross_team"), report.table("all")
    assert set(cross.results) == {OURS, FIXED, *LINK_BASELINES}
    assert set(everyone.results) == {OURS, PRODUCT, *LINK_BASELINES}
    for table in (cross, everyone):
        for result in table.results.values():
            for name, estimate in result.metrics.items():
                if name not in ("mean_mutual", "novelty"):
                    assert 0.0 <= estimate.low <= estimate.value <= estimate.high <= 1.0, name
    # Limited to other teams, every method's suggestions are all cross-team; so is the product in the all view.
    assert all(r.metrics["cross_team_share"].value == 1.0 for r in cross.results.values())
    assert everyone.results[PRODUCT].metrics["cross_team_share"].value == 1.0
    # a's only cross-team candidate with a mutual colleague is e (through d): common neighbours finds the new tie.
    assert cross.results["common_neighbours"].metrics["recall@10"].value >= 0.5


def test_json_is_keyed_by_method_and_the_chart_is_a_png(edge_files: tuple[Path, Path], tmp_path: Path) -> None:
    report = evaluate_people(load_interactions(edge_files[0], labels=edge_files[1]), options=OPTIONS)
    data = json.loads(json.dumps(report.as_dict()))
    assert data["task"] == "people"
    assert data["split"]["train_events"] == 7
    weaktie = data["tables"]["cross_team"]["results"]["weaktie"]
    assert set(weaktie["recall@10"]) == {"value", "ci", "n"}
    assert weaktie["recall@10"]["n"] == 2
    assert {t["name"] for t in data["targets"]} >= {"share of suggestions that are cross-team >= 0.6"}
    chart = write_chart(report, tmp_path / "out" / "people.png")
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_training_projection_holds_only_the_past(edge_files: tuple[Path, Path]) -> None:
    data = load_interactions(edge_files[0], labels=edge_files[1])
    projection = training_projection(data, 8 * 86_400.0, half_life_days=90.0)
    assert {p.id for p in projection.people} == {"a", "b", "c", "d", "e", "f"}
    assert {(t.source, t.target) for t in projection.ties} == {
        ("a", "b"),
        ("b", "c"),
        ("a", "d"),
        ("d", "e"),
        ("b", "d"),
        ("c", "f"),
        ("e", "f"),
    }
    assert {p.team for p in projection.people} == {"X", "Y", "Z"}
    assert not projection.posts and not projection.topics


def test_a_cut_that_empties_one_side_is_refused(edge_files: tuple[Path, Path]) -> None:
    from datetime import UTC, datetime

    from recommender.evaluation.errors import EvaluationError

    data = load_interactions(edge_files[0], labels=edge_files[1])
    with pytest.raises(EvaluationError, match="one side empty"):
        evaluate_people(data, options=PeopleOptions(cut=datetime(2001, 1, 1, tzinfo=UTC), resamples=50))
