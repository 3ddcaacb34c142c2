"""Both recommenders follow the scikit-learn estimator contract the house style asks for."""

from __future__ import annotations

import pytest
from sklearn.base import clone

from recommender.already_done import AlreadyDone
from recommender.errors import NotFitted, RecommenderError
from recommender.people import PeopleToMeet
from tests.recommender.builders import already_done_org, introductions_org, terms


@pytest.mark.parametrize(
    ("estimator", "org"),
    [
        (PeopleToMeet(k=2, capacity=5, band_weight=0.1), introductions_org),
        (AlreadyDone(analyzer=terms), already_done_org),
    ],
)
def test_params_clone_and_fit_returns_self(estimator, org) -> None:
    params = estimator.get_params()
    copy = clone(estimator)
    assert copy.get_params() == params
    assert not any(name.endswith("_") for name in vars(copy))
    assert copy.fit(org()) is copy
    assert any(name.endswith("_") for name in vars(copy))


def test_bad_hyperparameters_fail_at_fit_with_a_helpful_message() -> None:
    with pytest.raises(RecommenderError, match="k must be at least 1"):
        PeopleToMeet(k=0).fit(introductions_org())
    with pytest.raises(RecommenderError, match="capacity"):
        PeopleToMeet(capacity=0).fit(introductions_org())
    with pytest.raises(RecommenderError, match="half_life_days"):
        AlreadyDone(analyzer=terms, half_life_days=0).fit(already_done_org())
    with pytest.raises(NotFitted, match="call fit"):
        PeopleToMeet().score_parts("alice", "dave")
