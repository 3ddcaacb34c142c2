"""Activity-proportional capacity: people who interact with many others can take more introductions."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.allocation import activity_capacities, allocate
from recommender.errors import RecommenderError
from recommender.people import PeopleToMeet
from tests.recommender.builders import random_org


def test_activity_capacities_follow_activity_above_the_base() -> None:
    activity = np.array([0, 1, 2, 4, 13])  # mean over the active: 5
    caps = activity_capacities(activity, per_row=10, base=6, slack=1.5)
    # 1.5 x 10 x share: 3, 6, 12 and 39 for the active ones; the base of 6 is a floor.
    assert caps.tolist() == [6, 6, 6, 12, 39]


def test_activity_capacities_are_flat_without_slack_or_activity() -> None:
    assert activity_capacities(np.array([1, 5, 9]), per_row=3, base=4, slack=0.0).tolist() == [4, 4, 4]
    assert activity_capacities(np.zeros(3), per_row=3, base=4, slack=2.0).tolist() == [4, 4, 4]


def test_allocate_honours_a_capacity_per_column() -> None:
    # Three rows all prefer column 9, then column 8; column 9 may take two, column 8 one.
    rows = np.array([0, 0, 1, 1, 2, 2])
    cols = np.array([9, 8, 9, 8, 9, 8])
    scores = np.array([0.9, 0.1, 0.8, 0.2, 0.7, 0.3])
    capacity = np.zeros(10, dtype=np.int64)
    capacity[9], capacity[8] = 2, 1
    given = allocate(rows, cols, scores, per_row=1, capacity=capacity)
    assert given == {0: [(9, 0.9)], 1: [(9, 0.8)], 2: [(8, 0.3)]}


def test_default_capacity_lets_active_people_take_more_introductions() -> None:
    org = random_org(seed=2, people=80)
    model = PeopleToMeet(k=3).fit(org)
    degree = np.diff(model.features_.colleagues.indptr)
    assert model.capacities_.min() == model.capacity_ == 6
    busiest = int(np.argmax(degree))
    assert model.capacities_[busiest] > 6, "the busiest person should be allowed more than the base"
    assert model.capacities_[busiest] == max(6, int(np.ceil(1.5 * 3 * degree[busiest] / degree[degree > 0].mean())))
    load = np.zeros(model.features_.n_people, dtype=np.int64)
    for given in model.allocation_.values():
        for candidate, _ in given:
            load[candidate] += 1
    assert np.all(load <= model.capacities_)


def test_a_given_capacity_is_the_same_for_everyone() -> None:
    model = PeopleToMeet(k=3, capacity=4).fit(random_org(seed=2, people=80))
    assert set(model.capacities_.tolist()) == {4}
    flat = PeopleToMeet(k=3, activity_slack=0.0).fit(random_org(seed=2, people=80))
    assert set(flat.capacities_.tolist()) == {6}


def test_negative_activity_slack_is_refused() -> None:
    with pytest.raises(RecommenderError, match="activity_slack"):
        PeopleToMeet(activity_slack=-1.0).fit(random_org(seed=2, people=10))
