"""Ranking and beyond-accuracy metrics as small pure functions, plus seeded bootstrap confidence intervals.

Ranking metrics take one ranked list and the set of relevant items and return a number in [0, 1]; list-level
metrics (coverage, Gini, novelty) take the suggestions of a whole run. Everything is plain Python or numpy.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Hashable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

DEFAULT_RESAMPLES = 1000
DEFAULT_SEED = 20240601
DEFAULT_LEVEL = 0.95


def recall_at_k(ranked: Sequence[Hashable], relevant: Collection[Hashable], k: int) -> float:
    """Share of the relevant items found in the first ``k``; 0 when nothing is relevant."""
    if not relevant:
        return 0.0
    return len(set(ranked[:k]) & set(relevant)) / len(relevant)


def precision_at_k(ranked: Sequence[Hashable], relevant: Collection[Hashable], k: int) -> float:
    """Share of the first ``k`` slots holding a relevant item (a short list still counts ``k`` slots)."""
    if k <= 0:
        return 0.0
    return len(set(ranked[:k]) & set(relevant)) / k


def reciprocal_rank(ranked: Sequence[Hashable], relevant: Collection[Hashable]) -> float:
    """1 / the position of the first relevant item; 0 when none is ranked."""
    wanted = set(relevant)
    for position, item in enumerate(ranked, start=1):
        if item in wanted:
            return 1.0 / position
    return 0.0


def ndcg_at_k(ranked: Sequence[Hashable], relevant: Collection[Hashable], k: int) -> float:
    """Binary-relevance nDCG over the first ``k`` positions (log2 discount), normalised by the ideal list."""
    wanted = set(relevant)
    if not wanted or k <= 0:
        return 0.0
    gain = sum(1.0 / math.log2(position + 1) for position, item in enumerate(ranked[:k], start=1) if item in wanted)
    ideal = sum(1.0 / math.log2(position + 1) for position in range(1, min(len(wanted), k) + 1))
    return gain / ideal


def gini(counts: Sequence[float] | np.ndarray) -> float:
    """Gini coefficient of non-negative counts: 0 when all are equal, towards 1 when one item takes everything.

    Items never exposed must be included as zeros: unevenness over the whole catalogue is the point.
    """
    values = np.sort(np.asarray(counts, dtype=np.float64))
    n = len(values)
    total = float(values.sum())
    if n == 0 or total <= 0:
        return 0.0
    ranks = np.arange(1, n + 1)
    return float((2.0 * np.sum(ranks * values)) / (n * total) - (n + 1.0) / n)


def coverage(suggested: Collection[Hashable], catalogue_size: int) -> float:
    """Share of the catalogue that was suggested at least once."""
    if catalogue_size <= 0:
        return 0.0
    return min(1.0, len(set(suggested)) / catalogue_size)


def novelty(suggested: Sequence[Hashable], popularity: dict[Hashable, float]) -> float:
    """Mean self-information ``-log2 p`` of the suggested items, ``p`` the share of users who already know them.

    Items with no popularity are taken at the smallest observed share, so an unseen item is as novel as the
    rarest known one rather than infinitely so.
    """
    if not suggested:
        return 0.0
    floor = min((p for p in popularity.values() if p > 0), default=1.0)
    return float(np.mean([-math.log2(max(popularity.get(item, 0.0), floor)) for item in suggested]))


@dataclass(frozen=True, slots=True)
class Estimate:
    """A metric's value with a bootstrap confidence interval and how many units (queries, people) it averages."""

    value: float
    low: float
    high: float
    n: int

    def as_dict(self) -> dict[str, float | int | list[float]]:
        return {"value": float(self.value), "ci": [float(self.low), float(self.high)], "n": int(self.n)}


def bootstrap_mean(
    values: Sequence[float] | np.ndarray,
    *,
    resamples: int = DEFAULT_RESAMPLES,
    level: float = DEFAULT_LEVEL,
    seed: int = DEFAULT_SEED,
) -> Estimate:
    """The mean of per-unit values with a percentile bootstrap interval (fixed seed: reruns agree)."""
    data = np.asarray(values, dtype=np.float64)
    if data.size == 0:
        return Estimate(0.0, 0.0, 0.0, 0)
    means = np.concatenate([data[block].mean(axis=1) for block in _resample_blocks(data.size, resamples, seed)])
    low, high = _percentiles(means, level)
    return Estimate(float(data.mean()), low, high, int(data.size))


def bootstrap_statistic(
    n_units: int,
    statistic: Callable[[np.ndarray], float],
    *,
    resamples: int = DEFAULT_RESAMPLES,
    level: float = DEFAULT_LEVEL,
    seed: int = DEFAULT_SEED,
    bounds: tuple[float, float] = (-math.inf, math.inf),
) -> Estimate:
    """Any statistic of resampled units: ``statistic(weights)`` gets how often each unit was drawn (all ones
    for the observed value), so list-level metrics such as Gini are bootstrapped over the people they serve.

    Drawing people with replacement shifts catalogue-level statistics by itself (a resample holds about 63% of
    the distinct people, so coverage drops); the interval is therefore the bootstrap spread around its median,
    placed on the observed value: it shows how much the figure moves with the test set, not that shift. It is
    clipped to ``bounds`` (e.g. ``(0, 1)`` for shares).
    """
    if n_units == 0:
        return Estimate(0.0, 0.0, 0.0, 0)
    observed = statistic(np.ones(n_units))
    values = np.array(
        [
            statistic(np.bincount(row, minlength=n_units).astype(np.float64))
            for block in _resample_blocks(n_units, resamples, seed)
            for row in block
        ]
    )
    low, high = _percentiles(values, level)
    middle = float(np.median(values))
    floor, ceiling = bounds
    return Estimate(
        float(observed),
        float(min(max(observed + low - middle, floor), ceiling)),
        float(min(max(observed + high - middle, floor), ceiling)),
        n_units,
    )


def paired_difference(
    ours: Sequence[float] | np.ndarray,
    theirs: Sequence[float] | np.ndarray,
    *,
    resamples: int = DEFAULT_RESAMPLES,
    level: float = DEFAULT_LEVEL,
    seed: int = DEFAULT_SEED,
) -> Estimate:
    """Mean of ``ours - theirs`` over the same units, with a paired bootstrap interval.

    An interval that contains 0 means the difference is within the noise of this test set.
    """
    a, b = np.asarray(ours, dtype=np.float64), np.asarray(theirs, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"paired values need the same units, got {a.shape} and {b.shape}")
    return bootstrap_mean(a - b, resamples=resamples, level=level, seed=seed)


def within_noise(difference: Estimate) -> bool:
    return difference.low <= 0.0 <= difference.high


def _resample_blocks(n: int, resamples: int, seed: int) -> Iterator[np.ndarray]:
    """Bootstrap draws (rows of unit indices) in blocks small enough to keep memory flat on large test sets."""
    rng = np.random.default_rng(seed)
    per_block = max(1, min(resamples, 2_000_000 // max(n, 1)))
    for start in range(0, resamples, per_block):
        yield rng.integers(0, n, size=(min(per_block, resamples - start), n))


def _percentiles(values: np.ndarray, level: float) -> tuple[float, float]:
    tail = (1.0 - level) / 2.0 * 100.0
    low, high = np.percentile(values, [tail, 100.0 - tail])
    return float(low), float(high)
