"""Time as plain numbers for vectorised decay: instants become epoch seconds, decay follows ``graph.delta.decayed``."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import numpy as np

from graph.store import Projection

SECONDS_PER_DAY = 86_400.0
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def seconds(instant: datetime) -> float:
    """Epoch seconds; a naive datetime is taken to be UTC so mixed inputs still compare."""
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return instant.timestamp()


def latest_instant(projection: Projection) -> datetime:
    """The newest data timestamp in a projection (posts, ties, expertise); the epoch when it holds none.

    Fitting "as of" this instant instead of the wall clock keeps results reproducible.
    """
    instants: Iterable[datetime] = (
        *(post.created_at for post in projection.posts),
        *(tie.last_at for tie in projection.ties),
        *(item.last_at for item in projection.expertise),
    )
    return max(instants, key=seconds, default=EPOCH)


def decay_factors(since: np.ndarray, until: float, *, half_life_days: float) -> np.ndarray:
    """Factor by which values observed at ``since`` (epoch seconds) shrink by ``until``; never above 1."""
    days = np.maximum(until - since, 0.0) / SECONDS_PER_DAY
    return np.power(0.5, days / half_life_days)
