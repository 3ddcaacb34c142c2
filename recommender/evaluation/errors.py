"""Errors of the evaluation harness, under the recommender's root so the CLI reports them in one line."""

from __future__ import annotations

from recommender.errors import RecommenderError


class EvaluationError(RecommenderError):
    """A data set or an option the evaluation cannot work with; the message says what was expected."""
