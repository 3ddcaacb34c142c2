"""What an evaluation run returns: tables of metrics with confidence intervals per method, targets, and notes.

Everything converts to plain JSON (``as_dict``): results keyed by method, weaktie's own under ``"weaktie"``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from recommender.evaluation.acceptance import Acceptance
from recommender.evaluation.metrics import Estimate
from recommender.evaluation.splits import Cut

OURS = "weaktie"


@dataclass(frozen=True, slots=True)
class MethodResult:
    metrics: Mapping[str, Estimate]
    details: Mapping[str, object] = field(default_factory=dict)
    """Figures without an interval, e.g. the distribution of mutual colleagues per suggestion."""


@dataclass(frozen=True, slots=True)
class Comparison:
    """weaktie against the best same-run baseline on the table's headline metric, paired over the same units."""

    metric: str
    baseline: str
    difference: Estimate
    ratio: float | None

    @property
    def within_noise(self) -> bool:
        return self.difference.low <= 0.0 <= self.difference.high

    def as_dict(self) -> dict[str, object]:
        return {
            "metric": self.metric,
            "best_baseline": self.baseline,
            "difference": self.difference.as_dict(),
            "ratio": None if self.ratio is None else float(self.ratio),
            "within_noise": self.within_noise,
        }


@dataclass(frozen=True, slots=True)
class Table:
    key: str
    title: str
    test_size: Mapping[str, int]
    """What the ranking metrics average over (e.g. people with a new tie) and how much truth there is."""
    columns: tuple[str, ...]
    results: Mapping[str, MethodResult]
    comparison: Comparison | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "title": self.title,
            "test_size": dict(self.test_size),
            "results": {
                method: {
                    **{name: estimate.as_dict() for name, estimate in result.metrics.items()},
                    **({"details": dict(result.details)} if result.details else {}),
                }
                for method, result in self.results.items()
            },
            "comparison": None if self.comparison is None else self.comparison.as_dict(),
        }


@dataclass(frozen=True, slots=True)
class Target:
    """One goal of the issue, checked in the same run as its baselines."""

    name: str
    value: float
    threshold: float
    met: bool
    note: str = ""

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "value": float(self.value),
            "threshold": float(self.threshold),
            "met": bool(self.met),
            "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class EvaluationReport:
    task: str
    dataset: str
    cut: Cut | None
    """The temporal split; ``None`` for a task that scores the whole history (topics)."""
    tables: tuple[Table, ...]
    targets: tuple[Target, ...] = ()
    notes: tuple[str, ...] = ()
    settings: Mapping[str, object] = field(default_factory=dict)
    acceptance: Acceptance | None = None
    """People task: how recorded suggestions were received (``feedback_acceptance``); None for other tasks."""

    def table(self, key: str) -> Table:
        for table in self.tables:
            if table.key == key:
                return table
        raise KeyError(key)

    def as_dict(self) -> dict[str, object]:
        return {
            "task": self.task,
            "dataset": self.dataset,
            "split": None if self.cut is None else self.cut.as_dict(),
            "settings": dict(self.settings),
            "tables": {table.key: table.as_dict() for table in self.tables},
            "targets": [target.as_dict() for target in self.targets],
            "notes": list(self.notes),
            **({"acceptance": self.acceptance.as_dict()} if self.acceptance is not None else {}),
        }
