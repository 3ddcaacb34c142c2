"""Merging increments with stored aggregates: the same totals whether evidence arrives at once or in parts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from extractors.expertise import expertise_increments
from extractors.interactions import aggregate_ties, interactions
from extractors.merge import merge_with_stored
from graph.delta import Expertise, GraphDelta, Person, Post, Tie

T0 = datetime(2026, 1, 1, tzinfo=UTC)
HALF_LIFE = 45.0


def _posts() -> list[Post]:
    people = ["ann", "bob", "cat"]
    posts = []
    for i in range(24):
        author = people[i % 3]
        posts.append(
            Post(
                id=f"p{i:02d}",
                author=author,
                created_at=T0 + timedelta(days=7 * i),
                topics=("kafka",) if i % 2 else ("kafka", "flink"),
                mentions=(people[(i + 1) % 3],),
                co_authors=(people[(i + 2) % 3],) if i % 5 == 0 else (),
                is_question=i % 4 == 0,
            )
        )
    return posts


def _delta(posts: list[Post]) -> GraphDelta:
    return GraphDelta(
        posts=tuple(posts),
        ties=aggregate_ties(interactions(posts), half_life_days=HALF_LIFE),
        expertise=expertise_increments(posts, half_life_days=HALF_LIFE),
    )


def _assert_same(merged: GraphDelta, whole: GraphDelta) -> None:
    ties = {(t.source, t.target): t for t in merged.ties}
    assert set(ties) == {(t.source, t.target) for t in whole.ties}
    for tie in whole.ties:
        got = ties[(tie.source, tie.target)]
        assert (got.count, got.last_at) == (tie.count, tie.last_at)
        assert got.weight == pytest.approx(tie.weight)
    rows = {(e.person, e.topic, e.kind): e for e in merged.expertise}
    for row in whole.expertise:
        got = rows[(row.person, row.topic, row.kind)]
        assert (got.evidence, got.last_at) == (row.evidence, row.last_at)
        assert got.score == pytest.approx(row.score)


def test_merging_in_two_halves_equals_merging_at_once() -> None:
    posts = _posts()
    first = merge_with_stored(_delta(posts[:11]), stored_ties={}, stored_expertise={}, half_life_days=HALF_LIFE)
    stored_ties = {(t.source, t.target): t for t in first.ties}
    stored_expertise = {(e.person, e.topic, e.kind): e for e in first.expertise}
    second = merge_with_stored(
        _delta(posts[11:]), stored_ties=stored_ties, stored_expertise=stored_expertise, half_life_days=HALF_LIFE
    )
    carried = {
        "ties": {**stored_ties, **{(t.source, t.target): t for t in second.ties}},
        "expertise": {**stored_expertise, **{(e.person, e.topic, e.kind): e for e in second.expertise}},
    }
    final = GraphDelta(ties=tuple(carried["ties"].values()), expertise=tuple(carried["expertise"].values()))
    _assert_same(final, _delta(posts))


def test_the_merge_adds_decayed_values_and_keeps_the_rest_of_the_delta() -> None:
    stored = Tie("ann", "bob", weight=2.0, count=3, last_at=T0)
    new = Tie("ann", "bob", weight=1.0, count=1, last_at=T0 + timedelta(days=HALF_LIFE))
    other = Tie("bob", "cat", weight=1.0, count=1, last_at=T0)
    person = Person("ann", "Ann")
    delta = GraphDelta(people=(person,), ties=(new, other))
    merged = merge_with_stored(
        delta, stored_ties={("ann", "bob"): stored}, stored_expertise={}, half_life_days=HALF_LIFE
    )
    tie, untouched = merged.ties
    assert (tie.count, tie.last_at) == (4, new.last_at)
    assert tie.weight == pytest.approx(2.0)
    assert untouched == other
    assert merged.people == (person,)
    assert delta.ties == (new, other)  # the input is left alone


def test_evidence_is_merged_newest_first_without_repeats_and_capped() -> None:
    stored = Expertise("ann", "kafka", "knows", 1.0, ("s3", "s2", "s1"), T0)
    new = Expertise("ann", "kafka", "knows", 1.0, ("n2", "s3", "n1"), T0 + timedelta(days=1))
    merged = merge_with_stored(
        GraphDelta(expertise=(new,)),
        stored_ties={},
        stored_expertise={("ann", "kafka", "knows"): stored},
        half_life_days=HALF_LIFE,
        max_evidence=4,
    )
    assert merged.expertise[0].evidence == ("n2", "s3", "n1", "s2")
    backfill = Expertise("ann", "kafka", "knows", 1.0, ("old",), T0 - timedelta(days=100))
    merged = merge_with_stored(
        GraphDelta(expertise=(backfill,)),
        stored_ties={},
        stored_expertise={("ann", "kafka", "knows"): stored},
        half_life_days=HALF_LIFE,
    )
    assert merged.expertise[0].evidence == ("s3", "s2", "s1", "old")
    assert merged.expertise[0].last_at == T0


def test_with_nothing_stored_the_increments_pass_through_capped() -> None:
    delta = _delta(_posts())
    merged = merge_with_stored(delta, stored_ties={}, stored_expertise={}, half_life_days=HALF_LIFE, max_evidence=2)
    assert merged.ties == delta.ties
    assert [e.evidence for e in merged.expertise] == [e.evidence[:2] for e in delta.expertise]
    assert any(len(e.evidence) > 2 for e in delta.expertise)
    assert merge_with_stored(delta, stored_ties={}, stored_expertise={}, half_life_days=HALF_LIFE) == delta
