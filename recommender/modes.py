"""Mentoring modes: a mentor, a reverse mentor or a mutual exchange partner, scored per topic on fitted features.

Every mode compares *strength*: each person's decayed evidence on a topic relative to the strongest person on it
(1.0). A candidate "gives" where they are stronger than the person and "takes" where they are weaker; each mode is
a weighting of those gaps plus an experience rule, and its reasons name exactly the topics that carried weight.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import numpy as np
import scipy.sparse as sp

from graph.delta import Person
from graph.store import Projection
from recommender.explain import Reason
from recommender.features import Features
from recommender.reasons import EvidenceIndex, distinct_evidence, join_labels, join_parts, shown_topics
from recommender.timeline import decay_factors, seconds

MentorMode = Literal["mentor", "reverse", "mutual"]
NEW_TOPIC = 0.5
"""Newness at or above this (first seen within one half-life) is said out loud as "new here"."""


@dataclass(frozen=True, slots=True)
class ModeFeatures:
    strength: sp.csr_matrix
    """Person×topic knows-evidence, decayed, divided by the topic's strongest person: values in (0, 1]."""
    started: np.ndarray
    """Epoch seconds of ``Person.started_at``; NaN when unknown."""
    first_active: np.ndarray
    """Epoch seconds of each person's first post; +inf when they have none."""
    newness: np.ndarray
    """Per topic, ``0.5 ** (age / half-life)`` of its first post in the organisation; 0 when it has none."""
    hidden: sp.csr_matrix
    """Person×topic 1 where the person hid the topic: no gap on it counts for any pair they are in (their missing
    expertise there is their choice, not a weakness to point out)."""


@dataclass(frozen=True, slots=True)
class ModeScore:
    total: float
    gives: tuple[tuple[int, float], ...]
    """(topic, weighted gap) where the candidate is stronger than the person, largest first."""
    takes: tuple[tuple[int, float], ...]
    """(topic, weighted gap) where the person is stronger (mutual only), largest first."""


def build_mode_features(
    projection: Projection,
    features: Features,
    *,
    half_life_days: float,
    hidden: Iterable[tuple[str, str]] = (),
) -> ModeFeatures:
    """Strength, experience and topic newness as of ``features.as_of``; ``hidden`` (person, topic) pairs."""
    now = seconds(features.as_of)
    rows, cols, scores, lasts = [], [], [], []
    for item in projection.expertise:
        person = features.index.get(item.person)
        if item.kind != "knows" or person is None or item.score <= 0:
            continue
        rows.append(person)
        cols.append(features.topic_index[item.topic])
        scores.append(item.score)
        lasts.append(seconds(item.last_at))
    shape = (features.n_people, len(features.topic_ids))
    decayed = np.array(scores) * decay_factors(np.array(lasts, dtype=np.float64), now, half_life_days=half_life_days)
    strength = sp.csr_matrix((decayed, (np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64))), shape=shape)
    strength.sum_duplicates()
    strength.sort_indices()
    top = strength.max(axis=0).toarray().ravel() if strength.nnz else np.zeros(shape[1])
    strength.data /= top[strength.indices]
    started = np.array([np.nan if p.started_at is None else seconds(p.started_at) for p in features.people])
    first_active = np.full(features.n_people, np.inf)
    first_seen = np.full(shape[1], np.inf)
    for post in projection.posts:
        at = seconds(post.created_at)
        for author in post.authors:
            i = features.index.get(author)
            if i is not None and at < first_active[i]:
                first_active[i] = at
        for topic in post.topics:
            t = features.topic_index.get(topic)
            if t is not None and at < first_seen[t]:
                first_seen[t] = at
    known = np.isfinite(first_seen)
    newness = np.zeros(shape[1])
    newness[known] = decay_factors(first_seen[known], now, half_life_days=half_life_days)
    masked = [
        (features.index[person], features.topic_index[topic])
        for person, topic in hidden
        if person in features.index and topic in features.topic_index
    ]
    mask = sp.csr_matrix(
        (np.ones(len(masked)), ([i for i, _ in masked], [t for _, t in masked])), shape=shape, dtype=np.float64
    )
    return ModeFeatures(strength=strength, started=started, first_active=first_active, newness=newness, hidden=mask)


def senior_to(modes: ModeFeatures, person: int) -> np.ndarray:
    """Who has more experience than ``person``: an earlier ``started_at`` when both have one, else an earlier first
    post (someone who never posted is the newest)."""
    return _compare(modes, person, np.less)


def junior_to(modes: ModeFeatures, person: int) -> np.ndarray:
    return _compare(modes, person, np.greater)


def mode_totals(modes: ModeFeatures, features: Features, mode: MentorMode, person: int) -> np.ndarray:
    """Everyone's score as a ``mode`` partner of ``person`` (0 for people the mode rules out)."""
    give_w, take_w, allowed = _rule(modes, features, mode, person)
    own = modes.strength[person].toarray().ravel()
    gives = _gives(modes.strength, own, give_w)
    total = np.minimum(gives, _takes(modes.strength, own, take_w, modes.hidden)) if take_w is not None else gives
    return np.where(allowed, total, 0.0)


def mode_pair(modes: ModeFeatures, features: Features, mode: MentorMode, person: int, candidate: int) -> ModeScore:
    """The same score as :func:`mode_totals` for one pair, with the topics it is made of."""
    give_w, take_w, allowed = _rule(modes, features, mode, person)
    own = modes.strength[person].toarray().ravel()
    theirs = modes.strength[candidate].toarray().ravel()
    free = (modes.hidden[candidate].toarray().ravel() == 0) & (modes.hidden[person].toarray().ravel() == 0)
    gives = _ranked(free * give_w * np.maximum(theirs - own, 0.0))
    takes = _ranked(free * take_w * np.maximum(own - theirs, 0.0)) if take_w is not None else ()
    give_sum = sum(value for _, value in gives)
    total = min(give_sum, sum(value for _, value in takes)) if take_w is not None else give_sum
    return ModeScore(total=float(total) if allowed[candidate] else 0.0, gives=gives, takes=takes)


def explain_mode(
    features: Features,
    modes: ModeFeatures,
    mode: MentorMode,
    score: ModeScore,
    person: int,
    candidate: int,
    *,
    viewer: Person | None,
    evidence: EvidenceIndex,
) -> tuple[Reason, ...]:
    """The mode's topic reason (empty when none of its topics may be shown to ``viewer``) and the candidate's team."""
    who, me = features.people[candidate], features.people[person]
    gives = shown_topics(features, ((t, "knows") for t, _ in score.gives), who.id, viewer, evidence)
    takes = shown_topics(features, ((t, "knows") for t, _ in score.takes), me.id, viewer, evidence)
    if not gives or (mode == "mutual" and not takes):
        return ()
    # Newness weighs only in reverse mode, so only there is it said out loud.
    new = {features.topic_labels[t] for t, _ in score.gives if mode == "reverse" and modes.newness[t] >= NEW_TOPIC}

    def named(text: str) -> str:
        return f"{text} (new here)" if text in new else text

    proven = tuple(named(text) for text, _, claim in gives if not claim.declared)
    said = tuple(named(text) for text, _, claim in gives if claim.declared)
    which = {"mentor": _need_phrase(features, person), "reverse": "", "mutual": ""}[mode]
    parts = []
    if proven:
        parts.append(f"They know more than you about {join_labels(proven)}{which}")
    if said:
        parts.append(f"They say they know about {join_labels(said)}{which}")
    if takes:
        parts.append(f"You know more than them about {join_labels(tuple(text for text, _, _ in takes))}")
    parts.append(
        {"mentor": "They have been here longer than you", "reverse": "They are newer here than you"}.get(mode, "")
    )
    topic_reason = Reason(
        kind="complementary_topics",
        text=join_parts([part for part in parts if part]),
        topics=tuple(text for text, _, _ in gives) + tuple(text for text, _, _ in takes),
        evidence=distinct_evidence(item for _, _, claim in gives for item in claim.evidence),
        declared=tuple(text for text, _, claim in gives if claim.declared),
    )
    team = int(features.team_of[candidate])
    if team < 0:
        return (topic_reason,)
    return topic_reason, Reason(kind="team", text=f"Works in {features.team_names[team]}")


def mode_evidence_at(features: Features, score: ModeScore, person: int, candidate: int) -> datetime | None:
    """The newest knows-evidence of either person on the topics the score used."""
    topics = [t for t, _ in (*score.gives, *score.takes)]
    if not topics:
        return None
    newest = max(float(features.knows_last[i, t]) for i in (person, candidate) for t in topics)
    return datetime.fromtimestamp(newest, UTC) if newest > 0 else None


def _rule(
    modes: ModeFeatures, features: Features, mode: MentorMode, person: int
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """Per-topic weights of what the candidate gives and (mutual only) takes, and who the mode allows.

    The person's hidden topics weigh nothing here; the candidate's are masked per pair (see :func:`_takes`).
    """
    if mode == "mentor":
        give_w, take_w, allowed = _needs(features, person), None, senior_to(modes, person)
    elif mode == "reverse":
        give_w, take_w, allowed = features.knows_specificity * (1.0 + modes.newness), None, junior_to(modes, person)
    elif mode == "mutual":
        give_w = take_w = features.knows_specificity
        allowed = np.ones(features.n_people, dtype=bool)
    else:
        raise ValueError(f"mode must be mentor, reverse or mutual, not {mode!r}")
    mine = modes.hidden[person].toarray().ravel() == 0
    return give_w * mine, None if take_w is None else take_w * mine, allowed


def _needs(features: Features, person: int) -> np.ndarray:
    """What a mentee wants to learn: the topics they ask about, else the topics they work on (specificity-weighted)."""
    asks = features.asks[person]
    return (asks if asks.nnz else features.knows[person]).toarray().ravel()


def _need_phrase(features: Features, person: int) -> str:
    return ", which you asked about" if features.asks[person].nnz else ", which you work on"


def _gives(strength: sp.csr_matrix, own: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Per row: sum over its topics of ``weights * max(row - own, 0)``.

    A row's hidden topics hold no strength (apply_controls dropped that expertise), so nothing is given there.
    """
    owner = np.repeat(np.arange(strength.shape[0]), np.diff(strength.indptr))
    gap = weights[strength.indices] * np.maximum(strength.data - own[strength.indices], 0.0)
    return np.bincount(owner, weights=gap, minlength=strength.shape[0])


def _takes(strength: sp.csr_matrix, own: np.ndarray, weights: np.ndarray, hidden: sp.csr_matrix) -> np.ndarray:
    """Per row: sum over the person's topics of ``weights * max(own - row, 0)``, except the row's hidden topics."""
    topics = np.flatnonzero((own > 0) & (weights > 0))
    if len(topics) == 0:
        return np.zeros(strength.shape[0])
    theirs = strength[:, topics].toarray()
    free = hidden[:, topics].toarray() == 0
    return (free * weights[topics] * np.maximum(own[topics] - theirs, 0.0)).sum(axis=1)


def _ranked(contributions: np.ndarray) -> tuple[tuple[int, float], ...]:
    topics = np.flatnonzero(contributions > 0)
    order = np.lexsort((topics, -contributions[topics]))
    return tuple((int(topics[i]), float(contributions[topics[i]])) for i in order)


def _compare(modes: ModeFeatures, person: int, before: np.ufunc) -> np.ndarray:
    both = ~np.isnan(modes.started) & ~np.isnan(modes.started[person])
    with np.errstate(invalid="ignore"):
        by_start = before(modes.started, modes.started[person])
        by_activity = before(modes.first_active, modes.first_active[person])
    return np.where(both, by_start, by_activity)
