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
        """A person's expertise, most characteristic first; ties by topic id, "knows" first. Topics that say
        nothing new move after the rest: one inside a topic listed before it ("quantum error" after "quantum error
        correction"), and one inside two or more of the person's :data:`HEAD` strongest topics ("quantum" next to
        "quantum computer" and "quantum error correction")."""
        items = self.by_person.get(person, ())
        ranked = [RankedTopic(item, item.score * self.weight(item.topic, item.kind)) for item in items]
        ranked.sort(key=lambda r: (-r.weight, r.expertise.topic, r.expertise.kind != "knows"))
        ranked = _last(ranked, _inside_earlier(ranked))
        return _last(ranked, _inside_two_of_the_head(ranked))


HEAD = 10
"""How many of a person's strongest topics are looked at for topics they already say (what a topic list shows)."""


def inside(inner: str, outer: str) -> bool:
    """Whether topic id ``inner`` is a run of whole words of a different topic id ``outer`` ("error correction" of
    "quantum error correction")."""
    return inner != outer and f" {inner} " in f" {outer} "


def _inside_earlier(ranked: list[RankedTopic]) -> list[bool]:
    listed: list[str] = []
    flags = []
    for item in ranked:
        topic = item.expertise.topic
        flags.append(any(inside(topic, other) for other in listed))
        if not flags[-1]:
            listed.append(topic)
    return flags


def _inside_two_of_the_head(ranked: list[RankedTopic]) -> list[bool]:
    head = [r.expertise.topic for r in ranked[:HEAD]]
    return [sum(inside(r.expertise.topic, other) for other in head) >= 2 for r in ranked]


def _last(ranked: list[RankedTopic], flags: list[bool]) -> list[RankedTopic]:
    """``ranked`` with the flagged items moved after the others, each group in its order."""
    return [r for r, f in zip(ranked, flags, strict=True) if not f] + [
        r for r, f in zip(ranked, flags, strict=True) if f
    ]
