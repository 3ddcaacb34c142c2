"""Acceptance of suggestions: met over all feedback on recorded suggestions, with the counts behind it."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from graph.controls import Controls, Feedback
from graph.delta import SuggestionRecord
from recommender.evaluation.acceptance import feedback_acceptance
from recommender.evaluation.datasets import load_interactions
from recommender.evaluation.people_eval import PeopleOptions, evaluate_people
from tests.recommender.builders import day, introductions_org


def shown(person: str, candidate: str) -> SuggestionRecord:
    return SuggestionRecord(person=person, candidate=candidate, score=1.0, reasons=("r",), at=day(10))


def said(person: str, candidate: str, kind: str, at: int = 11) -> Feedback:
    return Feedback(person=person, candidate=candidate, kind=kind, at=day(at))  # type: ignore[arg-type]


def test_acceptance_is_met_over_all_feedback_on_suggested_pairs() -> None:
    org = dataclasses.replace(
        introductions_org(),
        suggestions=tuple(shown("alice", c) for c in ("dave", "erin", "frank", "hank", "judy")),
        controls=Controls(
            feedback=(
                said("alice", "dave", "dismiss", at=11),
                said("alice", "dave", "met", at=12),  # the latest word on a pair counts
                said("alice", "erin", "met"),
                said("alice", "frank", "dismiss"),
                said("alice", "hank", "not_relevant"),
                said("bob", "carol", "met"),  # never recorded as suggested: not counted
            )
        ),
    )
    acceptance = feedback_acceptance(org)
    assert (acceptance.met, acceptance.dismiss, acceptance.not_relevant) == (2, 1, 1)
    assert acceptance.judged == 4 and acceptance.unsuggested == 1
    assert acceptance.rate == pytest.approx(0.5)
    assert acceptance.summary().startswith("Acceptance: 50% met (2 met, 1 dismissed, 1 not relevant")
    assert json.loads(json.dumps(acceptance.as_dict()))["rate"] == pytest.approx(0.5)


def test_without_feedback_the_report_says_so(edge_files: tuple[Path, Path]) -> None:
    assert feedback_acceptance(introductions_org()).rate is None
    report = evaluate_people(
        load_interactions(edge_files[0], labels=edge_files[1]), options=PeopleOptions(resamples=20)
    )
    assert report.acceptance is not None and report.acceptance.judged == 0
    assert "no feedback recorded" in report.as_dict()["acceptance"]["summary"]
    assert any("no feedback recorded" in note for note in report.notes)
