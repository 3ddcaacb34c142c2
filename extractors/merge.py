"""Merging extracted increments with what the store holds, so the delta carries final tie and expertise values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from graph.delta import Expertise, GraphDelta, Tie, merge_decayed


def merge_with_stored(
    delta: GraphDelta,
    *,
    stored_ties: Mapping[tuple[str, str], Tie],
    stored_expertise: Mapping[tuple[str, str, str], Expertise],
    half_life_days: float,
    max_evidence: int = 5,
) -> GraphDelta:
    """``delta`` with each tie and expertise increment added to its stored value (decayed to the later instant,
    counts summed, evidence merged newest first and capped). Pairs and keys that are not stored pass through."""
    # A first import has nothing stored: the increments pass through as they are, without a look-up each.
    ties = tuple(delta.ties)
    if stored_ties:
        ties = tuple(
            _merge_tie(stored_ties[(t.source, t.target)], t, half_life_days)
            if (t.source, t.target) in stored_ties
            else t
            for t in ties
        )
    expertise = tuple(delta.expertise)
    if stored_expertise or any(len(e.evidence) > max_evidence for e in expertise):
        expertise = tuple(
            _merge_expertise(stored_expertise[(e.person, e.topic, e.kind)], e, half_life_days, max_evidence)
            if (e.person, e.topic, e.kind) in stored_expertise
            else (e if len(e.evidence) <= max_evidence else replace(e, evidence=e.evidence[:max_evidence]))
            for e in expertise
        )
    return replace(delta, ties=ties, expertise=expertise)


def _merge_tie(stored: Tie, new: Tie, half_life_days: float) -> Tie:
    weight, at = merge_decayed(stored.weight, stored.last_at, new.weight, new.last_at, half_life_days=half_life_days)
    return Tie(source=new.source, target=new.target, weight=weight, count=stored.count + new.count, last_at=at)


def _merge_expertise(stored: Expertise, new: Expertise, half_life_days: float, max_evidence: int) -> Expertise:
    score, at = merge_decayed(stored.score, stored.last_at, new.score, new.last_at, half_life_days=half_life_days)
    # Evidence ids carry no dates; each side is already newest first, so the side whose newest post is newer
    # goes first (exact when imports arrive in time order, the usual case).
    first, second = (new, stored) if new.last_at >= stored.last_at else (stored, new)
    evidence = tuple(dict.fromkeys((*first.evidence, *second.evidence)))[:max_evidence]
    return replace(new, score=score, evidence=evidence, last_at=at)
