"""Metrics on hand-made rankings whose values can be worked out on paper."""

from __future__ import annotations

import math

import numpy as np
import pytest

from recommender.evaluation.metrics import (
    bootstrap_mean,
    bootstrap_statistic,
    coverage,
    gini,
    ndcg_at_k,
    novelty,
    paired_difference,
    precision_at_k,
    recall_at_k,
    reciprocal_rank,
    within_noise,
)


def test_recall_counts_relevant_items_in_the_first_k() -> None:
    assert recall_at_k(["a", "b", "c", "d"], {"b", "d", "z"}, 2) == pytest.approx(1 / 3)
    assert recall_at_k(["a", "b", "c", "d"], {"b", "d", "z"}, 4) == pytest.approx(2 / 3)
    assert recall_at_k(["a"], set(), 10) == 0.0


def test_precision_counts_k_slots_even_for_a_short_list() -> None:
    assert precision_at_k(["x"], {"x"}, 1) == 1.0
    assert precision_at_k(["x"], {"x"}, 2) == 0.5
    assert precision_at_k(["y", "x"], {"x"}, 1) == 0.0


def test_reciprocal_rank_is_one_over_the_first_hit() -> None:
    assert reciprocal_rank(["a", "b", "c"], {"c", "b"}) == 0.5
    assert reciprocal_rank(["a", "b", "c"], {"z"}) == 0.0
    assert reciprocal_rank(["a"], {"a"}) == 1.0


def test_ndcg_matches_a_hand_computed_value() -> None:
    # Hits at ranks 2 and 3 of two relevant items; the ideal has them at 1 and 2.
    expected = (1 / math.log2(3) + 1 / math.log2(4)) / (1 + 1 / math.log2(3))
    assert ndcg_at_k(["a", "b", "c"], {"b", "c"}, 3) == pytest.approx(expected)
    assert ndcg_at_k(["b", "c", "a"], {"b", "c"}, 3) == pytest.approx(1.0)
    # Only the first k positions count: a hit at rank 4 earns nothing at k=3.
    assert ndcg_at_k(["a", "d", "e", "b"], {"b"}, 3) == 0.0


def test_gini_is_zero_for_equal_exposure_and_high_when_one_takes_all() -> None:
    assert gini([5, 5, 5, 5]) == pytest.approx(0.0)
    assert gini([0, 0, 0, 10]) == pytest.approx(0.75)  # (n - 1) / n for n = 4
    assert gini([1, 2, 3]) == pytest.approx(2 / 9)
    assert gini([]) == 0.0


def test_coverage_and_novelty() -> None:
    assert coverage(["a", "a", "b"], 4) == 0.5
    popularity = {"a": 0.5, "b": 0.125}
    assert novelty(["a", "b"], popularity) == pytest.approx((1 + 3) / 2)
    # An item nobody knew counts as the rarest known one, not as infinitely novel.
    assert novelty(["c"], popularity) == pytest.approx(3.0)


def test_bootstrap_is_seeded_and_brackets_the_mean() -> None:
    values = np.r_[np.ones(30), np.zeros(70)]
    first, again = bootstrap_mean(values, resamples=300), bootstrap_mean(values, resamples=300)
    assert first == again
    assert first.value == pytest.approx(0.3)
    assert first.low < 0.3 < first.high
    assert first.high - first.low < 0.25
    assert bootstrap_mean([]).n == 0


def test_bootstrap_statistic_sees_unit_weights() -> None:
    counts = np.array([[1, 0], [0, 1], [1, 0]], dtype=float)
    estimate = bootstrap_statistic(3, lambda w: gini(w @ counts), resamples=200)
    assert estimate.value == pytest.approx(gini([2, 1]))
    assert estimate.low <= estimate.value <= estimate.high
    # Coverage of a resample is lower by construction; the interval still sits on the observed value.
    shown = np.eye(50)
    covered = bootstrap_statistic(
        50, lambda w: float(np.count_nonzero(w @ shown) / 50), resamples=200, bounds=(0.0, 1.0)
    )
    assert covered.value == 1.0
    assert covered.low < 1.0 == covered.high


def test_paired_difference_says_when_a_gap_is_noise() -> None:
    rng = np.random.default_rng(1)
    base = rng.random(200)
    assert not within_noise(paired_difference(base + 0.2, base, resamples=300))
    noisy = paired_difference(base + rng.normal(0, 0.5, 200), base, resamples=300)
    assert noisy.low < noisy.value < noisy.high
    with pytest.raises(ValueError):
        paired_difference([1.0], [1.0, 2.0])
