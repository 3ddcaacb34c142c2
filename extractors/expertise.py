"""Person → topic evidence from posts: who knows about a topic (writes, co-writes, answers) and who asks about it.

Only public posts count (restricted posts must not reveal what someone works on); contributions are weighted by
their type and decayed with a half-life, then grouped per (person, topic, kind) with numpy.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import pairwise
from operator import attrgetter

import numpy as np

from graph.delta import Expertise, ExpertiseKind, Post

_KINDS: tuple[ExpertiseKind, ExpertiseKind] = ("asks", "knows")
_ASKS, _KNOWS = 0, 1


@dataclass(frozen=True, slots=True)
class ContributionWeights:
    """How much one post says about its people, by what they did in it."""

    authored: float = 1.0
    co_authored: float = 0.7
    replied: float = 0.5
    mentioned: float = 0.2


def expertise_increments(
    posts: Iterable[Post],
    *,
    half_life_days: float,
    parents: Mapping[str, Post] | None = None,
    weights: ContributionWeights = ContributionWeights(),
    max_evidence: int = 5,
) -> tuple[Expertise, ...]:
    """Expertise increments from ``posts``: scores decayed to each group's newest post, evidence newest first.

    The author (and co-authors) of a root post that reads as a question *ask* about its topics; everyone else who
    wrote, co-wrote or answered *knows* about them, and people mentioned get a little "knows" evidence.
    Sorted by (person, topic, kind).
    """
    posts = sorted((p for p in posts if p.is_public), key=attrgetter("created_at", "id"))
    by_id = {post.id: post for post in posts}
    parents = parents or {}
    people: dict[str, int] = {}
    role_person: list[str] = []
    role_kind: list[int] = []
    role_weight: list[float] = []
    role_post: list[int] = []
    topic_names: list[str] = []
    topic_counts: list[int] = []
    asks, knows = (_ASKS, weights.authored), (_KNOWS, weights.authored)
    replied = (_KNOWS, weights.replied)
    for ordinal, post in enumerate(posts):
        topics = post.topics or _inherited_topics(post, by_id, parents)
        topic_counts.append(len(topics))
        if not topics:
            continue
        topic_names.extend(topics)
        if post.co_authors or post.mentions:
            for (person, kind), weight in _roles(post, weights).items():
                role_person.append(person)
                role_kind.append(kind)
                role_weight.append(weight)
                role_post.append(ordinal)
            continue
        # The common case, one role and no bookkeeping: see _roles.
        is_reply = post.reply_to is not None
        kind, weight = replied if is_reply else (asks if post.is_question else knows)
        role_person.append(post.author)
        role_kind.append(kind)
        role_weight.append(weight)
        role_post.append(ordinal)
    if not role_person:
        return ()
    topic_index: dict[str, int] = {}
    topic_flat = [topic_index.setdefault(t, len(topic_index)) for t in topic_names]
    person_codes = [people.setdefault(person, len(people)) for person in role_person]
    return _aggregate(
        posts,
        person_ids=list(people),
        topic_ids=list(topic_index),
        roles=(np.array(person_codes), np.array(role_kind), np.array(role_weight), np.array(role_post)),
        topics=(np.array(topic_flat, dtype=np.int64), np.array(topic_counts, dtype=np.int64)),
        half_life_days=half_life_days,
        max_evidence=max_evidence,
    )


def _inherited_topics(post: Post, by_id: Mapping[str, Post], parents: Mapping[str, Post]) -> tuple[str, ...]:
    # A reply with no topic words of its own ("bumping the memory limit fixed it for us") still answers the
    # thread's question, so it is evidence about the thread's topics; the lower reply weight keeps "+1" replies
    # from counting much. Only a public parent lends topics, or the reply would leak a restricted thread.
    if post.reply_to is None:
        return ()
    parent = by_id.get(post.reply_to) or parents.get(post.reply_to)
    if parent is None or not parent.is_public:
        return ()
    return parent.topics


def _roles(post: Post, weights: ContributionWeights) -> dict[tuple[str, int], float]:
    """(person, kind) → weight for one post with co-authors or mentions; a person keeps their strongest role.

    A post by its author alone has one role, which :func:`expertise_increments` gives without this bookkeeping.
    """
    is_reply = post.reply_to is not None
    roles: dict[tuple[str, int], float] = {}

    def give(person: str, kind: int, weight: float) -> None:
        if weight > roles.get((person, kind), 0.0):
            roles[(person, kind)] = weight

    if post.is_question and not is_reply:
        give(post.author, _ASKS, weights.authored)
        for person in post.co_authors:
            give(person, _ASKS, weights.co_authored)
    else:
        give(post.author, _KNOWS, weights.replied if is_reply else weights.authored)
        for person in post.co_authors:
            give(person, _KNOWS, weights.replied if is_reply else weights.co_authored)
    authors = set(post.authors)
    for person in post.mentions:
        if person not in authors:
            give(person, _KNOWS, weights.mentioned)
    return roles


def _aggregate(
    posts: list[Post],
    *,
    person_ids: list[str],
    topic_ids: list[str],
    roles: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    topics: tuple[np.ndarray, np.ndarray],
    half_life_days: float,
    max_evidence: int,
) -> tuple[Expertise, ...]:
    role_person, role_kind, role_weight, role_post = roles
    topic_flat, topic_counts = topics
    offsets = np.cumsum(topic_counts) - topic_counts
    # One row per (role, topic of the role's post): expand the roles by their post's topic count.
    counts = topic_counts[role_post]
    row_role = np.repeat(np.arange(len(role_post)), counts)
    within = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    row_topic = topic_flat[np.repeat(offsets[role_post], counts) + within]
    row_post = role_post[row_role]
    # Rank people and topics by id so that sorting keys sorts the output by (person, topic, kind).
    person_rank = _ranks(person_ids)
    topic_rank = _ranks(topic_ids)
    key = (person_rank[role_person[row_role]] * len(topic_ids) + topic_rank[row_topic]) * 2 + role_kind[row_role]
    order = np.lexsort((-row_post, key))
    key, row_post, row_weight = key[order], row_post[order], role_weight[row_role][order]
    boundary = np.r_[True, key[1:] != key[:-1]]
    starts = np.flatnonzero(boundary)
    group_of_row = np.cumsum(boundary) - 1
    seconds = np.array([p.created_at.timestamp() for p in posts])
    newest = seconds[row_post[starts]]
    age_days = (newest[group_of_row] - seconds[row_post]) / 86_400.0
    scores = np.add.reduceat(row_weight * np.power(0.5, age_days / half_life_days), starts).tolist()
    group_keys = key[starts]
    kinds = np.asarray(_KINDS, dtype=object)[group_keys % 2].tolist()
    people = np.asarray(person_ids, dtype=object)[np.argsort(person_rank)][group_keys // 2 // len(topic_ids)].tolist()
    topics = np.asarray(topic_ids, dtype=object)[np.argsort(topic_rank)][group_keys // 2 % len(topic_ids)].tolist()
    # Evidence: the first max_evidence rows of each group (rows are newest first within a group).
    rank_in_group = np.arange(len(key)) - starts[group_of_row]
    picked = rank_in_group < max_evidence
    post_ids = np.fromiter((p.id for p in posts), dtype=object, count=len(posts))
    evidence_ids = post_ids[row_post[picked]].tolist()
    bounds = np.searchsorted(group_of_row[picked], np.arange(len(starts) + 1)).tolist()
    evidence = [tuple(evidence_ids[a:b]) for a, b in pairwise(bounds)]
    created = np.fromiter((p.created_at for p in posts), dtype=object, count=len(posts))
    newest_at = created[row_post[starts]].tolist()
    # Positional map: a third of the cost of keyword construction for ~10^5 records.
    return tuple(map(Expertise, people, topics, kinds, scores, evidence, newest_at))


def _ranks(ids: list[str]) -> np.ndarray:
    """Position of each id (by index) in sorted order."""
    order = sorted(range(len(ids)), key=ids.__getitem__)
    ranks = np.empty(len(ids), dtype=np.int64)
    ranks[order] = np.arange(len(ids))
    return ranks
