"""Errors the recommender raises on purpose, all under :class:`graph.errors.WeaktieError`."""

from __future__ import annotations

from graph.errors import WeaktieError


class RecommenderError(WeaktieError):
    """A recommender was misconfigured or misused."""


class NotFitted(RecommenderError):
    """A recommender was asked for results before ``fit`` was called."""

    def __init__(self, name: str) -> None:
        super().__init__(f"{name} is not fitted yet; call fit(projection) before asking for results")
