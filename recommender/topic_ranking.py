"""Which of a person's topics say the most about them: what they wrote or asked about specifically, not what
everyone's posts contain.

A topic's weight for a person is their evidence score times its specificity among people (a smoothed inverse
document frequency over people, per kind), so "quantum" on a quantum computing site or "checklist" in a company
where everyone keeps checklists ranks below the person's own subjects. "Knows" and "asks about" are counted apart.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from graph.delta import Expertise, ExpertiseKind


@dataclass(frozen=True, slots=True)
class RankedTopic:
    expertise: Expertise
    weight: float
    """Evidence score × specificity: the order a person's topics are shown in."""


@dataclass(frozen=True, slots=True)
class TopicSpecificity:
    """People per (topic, kind), counted once per projection, and each person's expertise."""

    people: int
    holders: Counter[tuple[str, ExpertiseKind]]
    by_person: dict[str, list[Expertise]]

    @classmethod
    def of(cls, expertise: Iterable[Expertise]) -> TopicSpecificity:
        holders: Counter[tuple[str, ExpertiseKind]] = Counter()
        by_person: dict[str, list[Expertise]] = defaultdict(list)
        for item in expertise:
            by_person[item.person].append(item)
            if item.score > 0:
                holders[(item.topic, item.kind)] += 1
        return cls(people=len(by_person), holders=holders, by_person=dict(by_person))

    def weight(self, topic: str, kind: ExpertiseKind) -> float:
        """1 for a topic everyone has, up to 1 + ln(people) for one person's own (the recommender's specificity)."""
        return math.log((1 + self.people) / (1 + self.holders.get((topic, kind), 0))) + 1.0

    def rank(self, person: str) -> list[RankedTopic]:
        """A person's expertise, most characteristic first; ties by topic id, "knows" first. A topic inside one
        already listed ("quantum error" after "quantum error correction", "computation" after "quantum
        computation") says nothing new and moves after the rest."""
        items = self.by_person.get(person, ())
        ranked = [RankedTopic(item, item.score * self.weight(item.topic, item.kind)) for item in items]
        ranked.sort(key=lambda r: (-r.weight, r.expertise.topic, r.expertise.kind != "knows"))
        return _inner_topics_last(ranked)


def _inner_topics_last(ranked: list[RankedTopic]) -> list[RankedTopic]:
    first: list[RankedTopic] = []
    later: list[RankedTopic] = []
    listed: list[str] = []
    for item in ranked:
        words = f" {item.expertise.topic} "
        if any(words in other and words != other for other in listed):
            later.append(item)
        else:
            first.append(item)
            listed.append(words)
    return first + later
