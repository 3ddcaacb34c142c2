"""Person → topic expertise: contribution weights, asks versus knows, privacy, evidence and decay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from extractors.expertise import ContributionWeights, expertise_increments
from graph.delta import Expertise, Post

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _post(
    post_id: str, author: str, *, days: float = 0, topics: tuple[str, ...] = ("kafka",), **fields: object
) -> Post:
    return Post(id=post_id, author=author, created_at=T0 + timedelta(days=days), topics=topics, **fields)


def _by_key(rows: tuple[Expertise, ...]) -> dict[tuple[str, str, str], Expertise]:
    return {(e.person, e.topic, e.kind): e for e in rows}


def test_question_authors_ask_and_answerers_know() -> None:
    question = _post("q", "ann", is_question=True)
    answer = _post("a", "bob", days=1, reply_to="q", topics=())
    rows = _by_key(expertise_increments([question, answer], half_life_days=90))
    assert ("ann", "kafka", "asks") in rows
    assert ("ann", "kafka", "knows") not in rows
    assert rows[("bob", "kafka", "knows")].score == pytest.approx(0.5)


def test_contribution_types_are_weighted() -> None:
    post = _post("p", "ann", co_authors=("bob",), mentions=("cat", "ann"))
    rows = _by_key(expertise_increments([post], half_life_days=90))
    assert {k: e.score for k, e in rows.items()} == pytest.approx(
        {("ann", "kafka", "knows"): 1.0, ("bob", "kafka", "knows"): 0.7, ("cat", "kafka", "knows"): 0.2}
    )


def test_weights_are_keyword_configurable() -> None:
    post = _post("p", "ann", co_authors=("bob",))
    weights = ContributionWeights(authored=2.0, co_authored=0.1)
    rows = _by_key(expertise_increments([post], half_life_days=90, weights=weights))
    assert rows[("ann", "kafka", "knows")].score == 2.0
    assert rows[("bob", "kafka", "knows")].score == pytest.approx(0.1)


def test_restricted_posts_feed_no_expertise() -> None:
    secret = _post("s", "ann", audience=("team:payments",))
    assert expertise_increments([secret], half_life_days=90) == ()


def test_a_reply_without_topics_inherits_only_a_public_parents_topics() -> None:
    public_parent = _post("q1", "ann", topics=("kafka", "schema registry"))
    secret_parent = _post("q2", "ann", topics=("layoffs",), audience=("ann",))
    replies = [_post("r1", "bob", reply_to="q1", topics=()), _post("r2", "bob", reply_to="q2", topics=())]
    rows = _by_key(expertise_increments(replies, half_life_days=90, parents={"q1": public_parent, "q2": secret_parent}))
    assert set(rows) == {("bob", "kafka", "knows"), ("bob", "schema registry", "knows")}


def test_a_reply_with_its_own_topics_keeps_them() -> None:
    parent = _post("q", "ann", topics=("kafka",))
    reply = _post("r", "bob", reply_to="q", topics=("flink",))
    rows = _by_key(expertise_increments([parent, reply], half_life_days=90))
    assert ("bob", "flink", "knows") in rows and ("bob", "kafka", "knows") not in rows


def test_scores_decay_to_the_newest_post_and_evidence_is_newest_first_capped() -> None:
    posts = [_post(f"p{d}", "ann", days=d) for d in (0, 30, 60, 90, 120, 150, 180)]
    (row,) = expertise_increments(posts, half_life_days=30)
    assert row.last_at == T0 + timedelta(days=180)
    assert row.score == pytest.approx(sum(0.5**k for k in range(7)))
    assert row.evidence == ("p180", "p150", "p120", "p90", "p60")
    (capped,) = expertise_increments(posts, half_life_days=30, max_evidence=2)
    assert capped.evidence == ("p180", "p150")


def test_a_person_counts_once_per_post_with_their_strongest_role() -> None:
    post = _post("p", "ann", co_authors=("bob",), mentions=("bob",))
    rows = _by_key(expertise_increments([post], half_life_days=90))
    assert rows[("bob", "kafka", "knows")].score == pytest.approx(0.7)
    assert rows[("bob", "kafka", "knows")].evidence == ("p",)


def test_output_is_sorted_and_independent_of_input_order() -> None:
    posts = [_post("p1", "zed", topics=("b", "a")), _post("p2", "amy", days=1, topics=("c",), is_question=True)]
    rows = expertise_increments(posts, half_life_days=90)
    assert [(e.person, e.topic, e.kind) for e in rows] == [
        ("amy", "c", "asks"),
        ("zed", "a", "knows"),
        ("zed", "b", "knows"),
    ]
    assert expertise_increments(list(reversed(posts)), half_life_days=90) == rows
