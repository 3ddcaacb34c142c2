"""Interactions between people found in posts (mentions, replies, co-authorship) and their decayed tie strengths."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from itertools import permutations
from typing import Literal

from graph.delta import Post, Tie

InteractionKind = Literal["mention", "reply", "co_author"]


@dataclass(frozen=True, slots=True)
class Interaction:
    """One directed event: ``source`` addressed, answered or wrote with ``target`` in ``post`` at ``at``."""

    source: str
    target: str
    kind: InteractionKind
    at: datetime
    post: str
    weight: float = 1.0


@dataclass(frozen=True, slots=True)
class InteractionWeights:
    mention: float = 1.0
    reply: float = 1.0
    co_author: float = 1.0


def interactions(
    posts: Iterable[Post],
    *,
    parents: Mapping[str, Post] | None = None,
    weights: InteractionWeights = InteractionWeights(),
) -> list[Interaction]:
    """Events of ``posts``: author → each mentioned person, replier → the parent's author, and every ordered pair
    of a post's authors. A parent is looked up among ``posts`` first, then in ``parents``. Nobody interacts with
    themselves."""
    posts = list(posts)
    by_id = {post.id: post for post in posts}
    parents = parents or {}
    events: list[Interaction] = []
    for post in posts:
        at, author = post.created_at, post.author
        for person in post.mentions:
            if person != author:
                events.append(Interaction(author, person, "mention", at, post.id, weights.mention))
        if post.reply_to is not None:
            parent = by_id.get(post.reply_to) or parents.get(post.reply_to)
            if parent is not None and parent.author != author:
                events.append(Interaction(author, parent.author, "reply", at, post.id, weights.reply))
        if post.co_authors:
            for source, target in permutations(dict.fromkeys(post.authors), 2):
                events.append(Interaction(source, target, "co_author", at, post.id, weights.co_author))
    return events


def aggregate_ties(events: Iterable[Interaction], *, half_life_days: float) -> tuple[Tie, ...]:
    """One :class:`Tie` increment per directed pair: weights decayed to the pair's last event, counts summed.

    Events are grouped by pair in one pass; sorted by (source, target).
    """
    grouped: dict[tuple[str, str], list[Interaction]] = {}
    for event in events:
        if event.source != event.target:
            key = (event.source, event.target)
            group = grouped.get(key)
            if group is None:
                grouped[key] = [event]
            else:
                group.append(event)
    seconds = half_life_days * 86_400.0
    pairs = sorted(grouped)
    weights: list[float] = []
    counts: list[int] = []
    lasts: list[datetime] = []
    for pair in pairs:
        group = grouped[pair]
        if len(group) == 1:
            # Most pairs meet once: the sum below reduces to this (0.5 ** 0.0 is exactly 1.0).
            (event,) = group
            weights.append(0 + event.weight * 1.0)
            lasts.append(event.at)
        else:
            last = max(e.at for e in group)
            weights.append(sum(e.weight * 0.5 ** ((last - e.at).total_seconds() / seconds) for e in group))
            lasts.append(last)
        counts.append(len(group))
    sources = [source for source, _ in pairs]
    targets = [target for _, target in pairs]
    return tuple(map(Tie, sources, targets, weights, counts, lasts))
