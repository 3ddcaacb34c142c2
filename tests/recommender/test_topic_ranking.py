"""A person's topics, most characteristic first: specificity among people, and nothing said twice on top."""

from __future__ import annotations

from datetime import UTC, datetime

from graph.delta import Expertise
from recommender.topic_ranking import TopicSpecificity

AT = datetime(2026, 1, 1, tzinfo=UTC)


def _e(person: str, topic: str, score: float, kind: str = "knows") -> Expertise:
    return Expertise(person=person, topic=topic, kind=kind, score=score, evidence=("p",), last_at=AT)  # type: ignore[arg-type]


def _order(specificity: TopicSpecificity, person: str) -> list[tuple[str, str]]:
    return [(r.expertise.topic, r.expertise.kind) for r in specificity.rank(person)]


def test_a_topic_everyone_has_ranks_below_the_persons_own_even_with_more_evidence() -> None:
    everyone = [_e(f"p{i}", "quantum", 5.0) for i in range(20)]
    specificity = TopicSpecificity.of([*everyone, _e("p0", "surface code", 2.0)])
    assert _order(specificity, "p0") == [("surface code", "knows"), ("quantum", "knows")]
    assert specificity.weight("surface code", "knows") > 2 * specificity.weight("quantum", "knows")


def test_a_topic_inside_one_already_listed_moves_after_the_rest() -> None:
    others = [_e(f"p{i}", topic, 1.0) for i in range(1, 6) for topic in ("computation", "decoherence")]
    mine = [_e("p0", "quantum computation", 3.0), _e("p0", "computation", 4.0), _e("p0", "decoherence", 1.5)]
    order = [topic for topic, _ in _order(TopicSpecificity.of([*others, *mine]), "p0")]
    assert order == ["quantum computation", "decoherence", "computation"]


def test_knows_and_asks_about_stay_apart() -> None:
    specificity = TopicSpecificity.of([_e("a", "qiskit", 2.0, "asks"), _e("a", "qiskit", 1.0), _e("b", "qiskit", 1.0)])
    assert sorted(_order(specificity, "a")) == [("qiskit", "asks"), ("qiskit", "knows")]
    assert specificity.holders[("qiskit", "knows")] == 2 and specificity.holders[("qiskit", "asks")] == 1


def test_a_word_that_two_of_the_strongest_topics_already_say_moves_after_them() -> None:
    others = [_e(f"p{i}", "quantum", 1.0) for i in range(1, 4)]
    mine = [
        _e("p0", "quantum", 9.0),
        _e("p0", "quantum computer", 3.0),
        _e("p0", "quantum error correction", 2.5),
        _e("p0", "anyon", 1.0),
    ]
    order = [topic for topic, _ in _order(TopicSpecificity.of([*others, *mine]), "p0")]
    assert order == ["quantum computer", "quantum error correction", "anyon", "quantum"]
