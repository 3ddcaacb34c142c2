"""The recommender's result types: suggestions and matches, each carrying the reasons and evidence behind it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from graph.delta import Person, Post

ReasonKind = Literal["shared_topics", "complementary_topics", "mutual_colleagues", "team", "recent_work"]


@dataclass(frozen=True, slots=True)
class Evidence:
    """A post shown to back a claim; only ever built from posts the viewer may see."""

    post_id: str
    title: str | None
    snippet: str
    url: str | None
    created_at: datetime

    @classmethod
    def of(cls, post: Post) -> Evidence:
        return cls(post_id=post.id, title=post.title, snippet=post.snippet, url=post.url, created_at=post.created_at)


@dataclass(frozen=True, slots=True)
class Reason:
    kind: ReasonKind
    text: str
    topics: tuple[str, ...] = ()
    """Topic labels, most important first."""
    people: tuple[str, ...] = ()
    """Names of the people the reason mentions (mutual colleagues)."""
    evidence: tuple[Evidence, ...] = ()
    declared: tuple[str, ...] = ()
    """Topic labels (among ``topics``) the candidate only says they know: no evidence yet."""


@dataclass(frozen=True, slots=True)
class Suggestion:
    """``candidate`` is someone ``person`` should meet."""

    person: str
    candidate: Person
    score: float
    reasons: tuple[Reason, ...]
    evidence_at: datetime | None
    """The newest evidence the suggestion rests on; showing it again needs newer evidence."""


@dataclass(frozen=True, slots=True)
class Match:
    """``person`` has already done something like what was asked about."""

    person: Person
    score: float
    cross_team: bool
    """Whether ``person`` sits outside the asker's team (always False without an asker)."""
    evidence: tuple[Evidence, ...]
