"""Store-neutral records: what extractors emit and what every GraphStore persists.

A :class:`GraphDelta` is a batch of frozen records. Nodes (people, teams, topics,
posts) are upserted by id. The derived aggregates (:class:`Tie` for
``INTERACTS_WITH``, :class:`Expertise` for ``KNOWS_ABOUT``/``ASKS_ABOUT``) carry
their *final* values: the import pipeline merges new evidence into what is stored
before it builds the delta, so a store simply replaces them.

Decayed quantities (``Tie.weight``, ``Expertise.score``) are expressed *as of*
their ``last_at``; :func:`decayed` brings them to any later instant. That makes
merging exact and order-independent (see :func:`merge_decayed`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from graph.controls import DoNotPair, Feedback, Policy, TopicCorrection

ExpertiseKind = Literal["knows", "asks"]
EVERYONE: tuple[str, ...] = ()
"""An empty audience means every member of the organisation may see the post."""


@dataclass(frozen=True, slots=True)
class Person:
    id: str
    name: str
    email: str | None = None
    handles: tuple[str, ...] = ()
    team: str | None = None
    department: str | None = None
    title: str | None = None
    location: str | None = None
    manager: str | None = None
    started_at: datetime | None = None
    opted_out: bool = False


@dataclass(frozen=True, slots=True)
class Team:
    id: str
    name: str
    department: str | None = None


@dataclass(frozen=True, slots=True)
class Topic:
    id: str
    """The normalised key, e.g. ``"kubernetes cluster"``: what texts are matched on."""
    label: str
    """The surface form people use most, for display."""


@dataclass(frozen=True, slots=True)
class Post:
    id: str
    author: str
    created_at: datetime
    co_authors: tuple[str, ...] = ()
    space: str | None = None
    title: str | None = None
    snippet: str = ""
    """A short excerpt shown as evidence; never the whole body."""
    url: str | None = None
    reply_to: str | None = None
    audience: tuple[str, ...] = EVERYONE
    """Person ids and ``team:<id>`` entries that may see the post; empty means everyone."""
    is_question: bool = False
    topics: tuple[str, ...] = ()
    """Ids of the topics the post is ABOUT."""
    terms: tuple[str, ...] = ()
    """Normalised content terms (a bag, in no particular order) used to match texts to posts."""
    mentions: tuple[str, ...] = ()
    """Ids of the people the post mentions."""
    text: str | None = None
    """The full body, kept only when the deployment asks for it."""

    @property
    def authors(self) -> tuple[str, ...]:
        return (self.author, *self.co_authors)

    @property
    def is_public(self) -> bool:
        return not self.audience


@dataclass(frozen=True, slots=True)
class Tie:
    """``(source)-[:INTERACTS_WITH]->(target)``: decayed interaction strength."""

    source: str
    target: str
    weight: float
    """Sum of event weights, decayed to ``last_at``."""
    count: int
    last_at: datetime


@dataclass(frozen=True, slots=True)
class Expertise:
    """``(person)-[:KNOWS_ABOUT|ASKS_ABOUT]->(topic)`` with its evidence posts."""

    person: str
    topic: str
    kind: ExpertiseKind
    score: float
    """Contribution-weighted evidence, decayed to ``last_at``."""
    evidence: tuple[str, ...]
    """Post ids, most recent first (a handful, not all)."""
    last_at: datetime
    declared: bool = False
    """Self-declared by the person (a ``TopicCorrection`` "add") with no evidence yet; never stored as such."""


@dataclass(frozen=True, slots=True)
class SuggestionRecord:
    """``(person)-[:SUGGESTED]->(candidate)``: an introduction that was shown."""

    person: str
    candidate: str
    score: float
    reasons: tuple[str, ...]
    at: datetime
    evidence_at: datetime | None = None
    """The newest evidence the suggestion rested on; a repeat needs newer evidence."""


@dataclass(frozen=True, slots=True)
class GraphDelta:
    people: tuple[Person, ...] = ()
    teams: tuple[Team, ...] = ()
    topics: tuple[Topic, ...] = ()
    posts: tuple[Post, ...] = ()
    ties: tuple[Tie, ...] = ()
    expertise: tuple[Expertise, ...] = ()
    suggestions: tuple[SuggestionRecord, ...] = field(default=())
    # What people and admins control (graph/controls.py): upserted like the rest, latest per key wins.
    feedback: tuple[Feedback, ...] = ()
    corrections: tuple[TopicCorrection, ...] = ()
    policies: tuple[Policy, ...] = ()
    do_not_pair: tuple[DoNotPair, ...] = ()

    def __bool__(self) -> bool:
        return any(
            (
                self.people,
                self.teams,
                self.topics,
                self.posts,
                self.ties,
                self.expertise,
                self.suggestions,
                self.feedback,
                self.corrections,
                self.policies,
                self.do_not_pair,
            )
        )


def decayed(value: float, since: datetime, until: datetime, *, half_life_days: float) -> float:
    """``value`` observed at ``since``, decayed with the given half-life to ``until``."""
    days = (until - since).total_seconds() / 86_400.0
    if days <= 0:
        return value
    return value * math.pow(0.5, days / half_life_days)


def merge_decayed(
    a: float, a_at: datetime, b: float, b_at: datetime, *, half_life_days: float
) -> tuple[float, datetime]:
    """Add two decayed quantities; the result is expressed as of the later instant."""
    at = max(a_at, b_at)
    return (
        decayed(a, a_at, at, half_life_days=half_life_days) + decayed(b, b_at, at, half_life_days=half_life_days),
        at,
    )


def can_see(post: Post, viewer: Person | None) -> bool:
    """Whether ``viewer`` may see ``post``: public posts, or the viewer is an author or in its audience.

    ``viewer=None`` is an anonymous reader and sees public posts only.
    """
    if not post.audience:
        return True
    if viewer is None:
        return False
    if viewer.id in post.authors or viewer.id in post.audience:
        return True
    return viewer.team is not None and f"team:{viewer.team}" in post.audience
