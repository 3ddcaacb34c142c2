"""Apply what people and admins said (graph/controls.py) to a projection before anything is fitted on it."""

from __future__ import annotations

from graph.store import Projection


def apply_controls(projection: Projection) -> Projection:
    """The projection the recommenders may see (stub: returns it unchanged until built)."""
    return projection
