"""Interaction events from posts and their aggregation into decayed ties."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from extractors.interactions import Interaction, InteractionWeights, aggregate_ties, interactions
from graph.delta import Post

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _post(post_id: str, author: str, *, days: float = 0, **fields: object) -> Post:
    return Post(id=post_id, author=author, created_at=T0 + timedelta(days=days), **fields)


def _pairs(events: list[Interaction]) -> set[tuple[str, str, str]]:
    return {(e.source, e.target, e.kind) for e in events}


def test_mentions_replies_and_co_authors_become_events() -> None:
    root = _post("p1", "ann", mentions=("bob", "ann"))
    reply = _post("p2", "bob", days=1, reply_to="p1")
    joint = _post("p3", "cat", days=2, co_authors=("dan", "eve"))
    events = interactions([root, reply, joint])
    assert _pairs(events) == {
        ("ann", "bob", "mention"),
        ("bob", "ann", "reply"),
        *{(a, b, "co_author") for a in ("cat", "dan", "eve") for b in ("cat", "dan", "eve") if a != b},
    }
    reply_event = next(e for e in events if e.kind == "reply")
    assert (reply_event.post, reply_event.at) == ("p2", T0 + timedelta(days=1))


def test_a_reply_finds_its_parent_among_stored_posts() -> None:
    stored = {"old": _post("old", "ann", days=-30)}
    events = interactions([_post("p2", "bob", reply_to="old")], parents=stored)
    assert _pairs(events) == {("bob", "ann", "reply")}


def test_nobody_interacts_with_themselves_and_unknown_parents_give_nothing() -> None:
    posts = [_post("p1", "ann"), _post("p2", "ann", reply_to="p1", mentions=("ann",)), _post("p3", "bob", reply_to="x")]
    assert interactions(posts) == []


def test_event_weights_are_configurable() -> None:
    events = interactions([_post("p1", "ann", mentions=("bob",))], weights=InteractionWeights(mention=0.25))
    assert [e.weight for e in events] == [0.25]


def test_aggregate_decays_to_the_last_event_and_counts() -> None:
    events = [
        Interaction("ann", "bob", "mention", T0, "p1"),
        Interaction("ann", "bob", "reply", T0 + timedelta(days=90), "p2"),
        Interaction("bob", "ann", "reply", T0 + timedelta(days=10), "p3", weight=2.0),
    ]
    ann_bob, bob_ann = aggregate_ties(events, half_life_days=90)
    assert (ann_bob.source, ann_bob.target, ann_bob.count) == ("ann", "bob", 2)
    assert ann_bob.weight == pytest.approx(1.5)
    assert ann_bob.last_at == T0 + timedelta(days=90)
    assert (bob_ann.weight, bob_ann.count, bob_ann.last_at) == (2.0, 1, T0 + timedelta(days=10))


def test_aggregation_does_not_depend_on_event_order() -> None:
    events = [Interaction("a", "b", "mention", T0 + timedelta(days=d), f"p{d}") for d in (5, 1, 30, 12)]
    assert aggregate_ties(events, half_life_days=20) == aggregate_ties(
        sorted(events, key=lambda e: e.at), half_life_days=20
    )


def test_a_pair_seen_once_keeps_its_event_weight_as_a_float() -> None:
    # Most pairs meet once and take a shortcut; it must give what the decayed sum gives.
    once = [Interaction("a", "b", "mention", T0, "p1", weight=3)]
    twice = [*once, Interaction("a", "c", "mention", T0, "p2"), Interaction("a", "c", "reply", T0, "p3")]
    (tie,) = aggregate_ties(once, half_life_days=30)
    assert tie.weight == 3.0 and isinstance(tie.weight, float) and tie.count == 1
    a_b, a_c = aggregate_ties(twice, half_life_days=30)
    assert a_b == tie
    assert (a_c.weight, a_c.count) == (2.0, 2)
