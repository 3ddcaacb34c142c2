"""Temporal cuts by share of events and at an instant."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from recommender.evaluation.errors import EvaluationError
from recommender.evaluation.splits import cut_at, cut_by_share


def test_share_cut_puts_the_first_share_of_events_before_it_whatever_the_gaps() -> None:
    # Nine early events, then a long gap, then one late event: a cut at 70% of the *time* would leave 9 vs 1.
    times = np.r_[np.arange(9.0), 1000.0]
    cut = cut_by_share(times, 0.7)
    assert (cut.train_events, cut.test_events) == (7, 3)
    assert cut.at == 7.0
    assert 0 < cut.time_share < 0.01


def test_events_sharing_the_cut_instant_all_go_to_the_future() -> None:
    cut = cut_by_share(np.array([1.0, 2.0, 2.0, 2.0, 3.0]), 0.5)
    assert cut.at == 2.0
    assert (cut.train_events, cut.test_events) == (1, 4)


def test_cut_at_an_instant_and_its_errors() -> None:
    times = np.array([datetime(2020, m, 1, tzinfo=UTC).timestamp() for m in range(1, 7)])
    cut = cut_at(times, datetime(2020, 4, 15))
    assert (cut.train_events, cut.test_events) == (4, 2)
    assert cut.as_dict()["train_events"] == 4
    with pytest.raises(EvaluationError, match="one side empty"):
        cut_at(times, datetime(2030, 1, 1, tzinfo=UTC))
    with pytest.raises(EvaluationError, match="strictly between"):
        cut_by_share(times, 1.0)
    with pytest.raises(EvaluationError, match="at least two"):
        cut_by_share(np.array([1.0]), 0.5)
