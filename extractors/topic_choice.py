"""Which candidate phrases become topics, beyond how informative they are: spread over teams, phrases that cover
shorter ones, and phrases that are a topic plus an incidental ordinary word. Pure functions over counts."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from extractors.errors import ExtractorError
from extractors.phrase_index import fold

GROUP_BITS = np.uint64(20)
"""Texts per (phrase, group) are counted under one number: the phrase hash's top 44 bits and the group below them."""
COVER_SHARE = 0.8
"""A longer topic in at least this share of a shorter one's texts may cover it (see :func:`covered_topics`)."""
COMPOUND_SHARE = 0.25
"""An ordinary word used in a phrase at least this often (share of its texts) makes a compound with it."""


def covered_topics(scored: dict[str, tuple[float, int, str]], floor: int, *, keep: dict[str, str]) -> dict[str, str]:
    """Topics that hardly occur outside a longer topic: in fewer than ``floor`` texts more than it, and in at most
    1 / :data:`COVER_SHARE` times as many ("Carlo" of "Monte Carlo"). Not the part ``keep`` names for a phrase
    that goes itself (the "Monte Carlo" of "Monte Carlo simulation"); a shorter topic with a life of its own stays.
    Maps each to the commonest longer topic it sits in.
    """
    covered: dict[str, str] = {}
    for topic_id, (_, df, _) in scored.items():
        words = topic_id.split()
        for size in range(1, len(words)):
            for start in range(len(words) - size + 1):
                inner = " ".join(words[start : start + size])
                alone = scored[inner][1] - df if inner in scored else 0
                if (
                    inner in scored
                    and alone < floor
                    and df >= COVER_SHARE * scored[inner][1]
                    and keep.get(topic_id) != inner
                    and (inner not in covered or scored[covered[inner]][1] < df)
                ):
                    covered[inner] = topic_id
    return covered


def incidental_phrases(
    scored: dict[str, tuple[float, int, str]],
    ends: dict[str, tuple[float, int]],
    threshold: float,
    *,
    places: set[str],
    strict: bool,
    nouns: set[str] = frozenset(),
) -> dict[str, str]:
    """Phrases that are a topic (or a place) plus an ordinary word at one end ("original HHL paper", "Qiskit
    tutorial", "Finance space"): the end word says nothing on its own here, it is mostly used outside this phrase
    (under :data:`COMPOUND_SHARE` of its texts, or "quantum computer" and "complexity theory" would go) and the rest
    of the phrase is a topic at least twice as often. ``strict`` (no parts of speech to tell "handle" the verb from a
    noun): whenever the rest is a topic, however often ("handle CSAT scores"). A noun in front (one of ``nouns``)
    makes a compound, never an incidental phrase ("revenue forecasting"). Maps each such phrase to its rest."""
    incidental: dict[str, str] = {}
    for topic_id, (_, df, _) in scored.items():
        words = topic_id.split()
        if len(words) < 2:
            continue
        for end, rest in ((words[0], " ".join(words[1:])), (words[-1], " ".join(words[:-1]))):
            score, end_df = ends.get(end, (-math.inf, 0))
            if score >= threshold or (end == words[0] and end in nouns):
                continue
            if rest in places:
                incidental[topic_id] = rest
                continue
            inner = scored.get(rest)
            compound = df >= COMPOUND_SHARE * end_df
            if inner is not None and not compound and (strict or inner[1] >= 2 * df):
                incidental[topic_id] = rest
    return incidental


def group_codes(groups: Sequence[str | None] | None, n_texts: int) -> np.ndarray | None:
    """Each text's group as a small integer (-1 for none), or None when fewer than three groups hold texts."""
    if groups is None:
        return None
    if len(groups) != n_texts:
        raise ExtractorError(f"learn() got {len(groups)} groups for {n_texts} texts; give one group per text")
    codes: dict[str, int] = {}
    array = np.fromiter((-1 if g is None else codes.setdefault(g, len(codes)) for g in groups), np.int64, n_texts)
    return array if 3 <= len(codes) < 2 ** int(GROUP_BITS) else None


def fold_phrase(phrase: tuple[int, ...]) -> int:
    return fold(list(phrase))


@dataclass(frozen=True, slots=True)
class Spread:
    """Texts per (phrase, group), to tell a team's vocabulary from everyone's."""

    keys: np.ndarray
    """Sorted: the phrase hash's top 44 bits, shifted up, with the group in the low 20 bits."""
    counts: np.ndarray
    shares: np.ndarray
    """Each group's share of all grouped texts."""

    @classmethod
    def of(cls, counted: list[tuple[np.ndarray, ...]], group_of: np.ndarray) -> Spread:
        keys = np.concatenate([c[8] for c in counted])
        unique, inverse = np.unique(keys, return_inverse=True)
        counts = np.bincount(inverse, weights=np.concatenate([c[9] for c in counted]))
        sizes = np.bincount(group_of[group_of >= 0]).astype(np.float64)
        return cls(unique, counts, sizes / sizes.sum())

    def dispersion(self, key: int) -> float:
        """Gries' deviation of proportions: 0 when a phrase is spread over the groups exactly as texts are, near 1
        when it sits in one small group."""
        low_bits = (np.uint64(1) << GROUP_BITS) - np.uint64(1)
        high = (np.uint64(key) >> GROUP_BITS) << GROUP_BITS
        lo = int(np.searchsorted(self.keys, high))
        hi = int(np.searchsorted(self.keys, high | low_bits, side="right"))
        if hi <= lo:
            return 1.0
        groups = (self.keys[lo:hi] & low_bits).astype(np.int64)
        observed = self.counts[lo:hi] / self.counts[lo:hi].sum()
        expected = self.shares[groups]
        return float(0.5 * (np.abs(observed - expected).sum() + 1.0 - expected.sum()))
