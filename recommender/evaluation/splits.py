"""Temporal splits: fit on the past, score on what happened next. The cut is a share of events or an instant."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from recommender.evaluation.errors import EvaluationError

DEFAULT_TRAIN_SHARE = 0.7


@dataclass(frozen=True, slots=True)
class Cut:
    """Events strictly before ``at`` (epoch seconds) are the past; events at or after it are the future."""

    at: float
    train_events: int
    test_events: int
    first: float
    last: float
    how: str
    """How the cut was chosen, for the report (e.g. ``"first 70% of events"``)."""

    @property
    def instant(self) -> datetime:
        return datetime.fromtimestamp(self.at, UTC)

    @property
    def time_share(self) -> float:
        """Where the cut falls in the time span (0 = first event, 1 = last): shows gaps in the data."""
        return 0.0 if self.last <= self.first else (self.at - self.first) / (self.last - self.first)

    def as_dict(self) -> dict[str, object]:
        return {
            "at": self.instant.isoformat(),
            "how": self.how,
            "train_events": self.train_events,
            "test_events": self.test_events,
            "share_of_time_span": round(self.time_share, 4),
        }


def cut_by_share(times: np.ndarray, share: float = DEFAULT_TRAIN_SHARE, *, unit: str = "events") -> Cut:
    """The cut after the first ``share`` of ``times`` (in time order).

    Events sharing the instant of the first test event all go to the future, so the realised training share can
    fall slightly below ``share`` when many events share one timestamp.
    """
    if not 0.0 < share < 1.0:
        raise EvaluationError(f"the training share must lie strictly between 0 and 1, got {share}; 0.7 is usual")
    ordered = np.sort(np.asarray(times, dtype=np.float64))
    if len(ordered) < 2:
        raise EvaluationError(f"need at least two {unit} to split in time, got {len(ordered)}")
    position = min(max(math.ceil(share * len(ordered)), 1), len(ordered) - 1)
    return _cut(ordered, float(ordered[position]), how=f"first {share:.0%} of {unit}")


def cut_at(times: np.ndarray, instant: datetime, *, unit: str = "events") -> Cut:
    """The cut at a given instant (a naive datetime is taken as UTC)."""
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    ordered = np.sort(np.asarray(times, dtype=np.float64))
    if len(ordered) == 0:
        raise EvaluationError(f"no {unit} to split")
    return _cut(ordered, instant.timestamp(), how=f"{unit} before {instant.isoformat()}")


def _cut(ordered: np.ndarray, at: float, *, how: str) -> Cut:
    train = int(np.searchsorted(ordered, at, side="left"))
    if train == 0 or train == len(ordered):
        raise EvaluationError(
            f"the cut at {datetime.fromtimestamp(at, UTC).isoformat()} leaves one side empty "
            f"({train} of {len(ordered)} events before it); choose a cut inside the data's time span"
        )
    return Cut(
        at=at,
        train_events=train,
        test_events=len(ordered) - train,
        first=float(ordered[0]),
        last=float(ordered[-1]),
        how=how,
    )
