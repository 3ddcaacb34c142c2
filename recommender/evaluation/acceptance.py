"""Acceptance of shown suggestions: of the recorded suggestions people gave feedback on, the share they met."""

from __future__ import annotations

from dataclasses import dataclass

from graph.store import Projection
from recommender.timeline import seconds


@dataclass(frozen=True, slots=True)
class Acceptance:
    """``met / (met + dismiss + not_relevant)`` over suggested pairs with feedback (the latest per pair)."""

    met: int = 0
    dismiss: int = 0
    not_relevant: int = 0
    unsuggested: int = 0
    """Feedback on pairs with no recorded suggestion (shown but not recorded, e.g. a page view): not counted."""

    @property
    def judged(self) -> int:
        return self.met + self.dismiss + self.not_relevant

    @property
    def rate(self) -> float | None:
        return self.met / self.judged if self.judged else None

    def summary(self) -> str:
        if not self.judged:
            return "Acceptance: no feedback recorded on suggested pairs."
        return (
            f"Acceptance: {self.rate:.0%} met ({self.met} met, {self.dismiss} dismissed, "
            f"{self.not_relevant} not relevant, of {self.judged} suggestions with feedback)."
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "rate": self.rate,
            "met": self.met,
            "dismiss": self.dismiss,
            "not_relevant": self.not_relevant,
            "judged": self.judged,
            "unsuggested": self.unsuggested,
            "summary": self.summary(),
        }


def feedback_acceptance(projection: Projection) -> Acceptance:
    """Count the latest feedback of each (person, candidate) pair that was recorded as suggested."""
    suggested = {(record.person, record.candidate) for record in projection.suggestions}
    latest: dict[tuple[str, str], tuple[float, str]] = {}
    for item in projection.controls.feedback:
        key, at = (item.person, item.candidate), seconds(item.at)
        if key not in latest or at >= latest[key][0]:
            latest[key] = (at, item.kind)
    counts = {"met": 0, "dismiss": 0, "not_relevant": 0}
    unsuggested = 0
    for key, (_, kind) in latest.items():
        if key in suggested:
            counts[kind] += 1
        else:
            unsuggested += 1
    return Acceptance(**counts, unsuggested=unsuggested)
