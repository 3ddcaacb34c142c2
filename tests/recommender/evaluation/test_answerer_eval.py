"""The who-can-answer harness on a small export whose answerers are known."""

from __future__ import annotations

import json
from pathlib import Path

from recommender.evaluation.answerer_eval import ALREADY_DONE, AnswererOptions, evaluate_answerers, load_questions
from recommender.evaluation.baselines import ANSWERER_BASELINES
from recommender.evaluation.report import OURS

OPTIONS = AnswererOptions(spacy_model="none", resamples=50)


def test_questions_answers_and_no_accepted_answer_outside_stack_exchange(qa_export: Path) -> None:
    data = load_questions(qa_export)
    assert [q.id for q in data.questions] == [f"q{i}" for i in range(12)]
    assert data.answerers["q3"] == ("p3",) and data.answerers["q11"] == ("late",)
    assert data.accepted == {}
    assert len(data.answers) == 12


def test_test_set_is_the_answered_questions_after_the_cut(qa_export: Path) -> None:
    report = evaluate_answerers(load_questions(qa_export), options=OPTIONS)
    assert report.cut.train_events == 9
    assert [t.key for t in report.tables] == ["any"]  # no accepted answers in a plain export
    table = report.table("any")
    # q9–q11; q11's answerer had never posted before it, so no method can rank them.
    assert table.test_size == {"questions": 3, "truth_seen_before": 2}
    assert set(table.results) == {OURS, ALREADY_DONE, *ANSWERER_BASELINES}
    for result in table.results.values():
        for estimate in result.metrics.values():
            assert 0.0 <= estimate.value <= 1.0


def test_only_the_past_is_used_and_the_expert_comes_first(qa_export: Path) -> None:
    table = evaluate_answerers(load_questions(qa_export), options=OPTIONS).table("any")
    ours = table.results[OURS].metrics
    # The subject's expert is first for q9 and q10; nobody can name 'late' for q11 before they ever posted.
    assert ours["p@1"].value == 2 / 3
    assert ours["recall@10"].value == 2 / 3


def test_refitting_in_chunks_only_loses_information(qa_export: Path) -> None:
    chunked = evaluate_answerers(
        load_questions(qa_export), options=AnswererOptions(spacy_model="none", resamples=50, refit_every=3)
    )
    data = json.loads(json.dumps(chunked.as_dict()))
    assert data["settings"]["refit_every"] == 3
    assert data["tables"]["any"]["results"]["weaktie"]["p@1"]["value"] <= 2 / 3
    assert any("chunk of 3" in note for note in data["notes"])
