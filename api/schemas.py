"""Pydantic models at the HTTP edge: request bodies (``XQuery``) and responses (``XPublic``), plain scalars only."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from api.engine import Profile, TopicExperts
from graph.delta import Expertise, Person, Post, Team, Tie, Topic
from graph.store import GraphCounts
from recommender.explain import Evidence, Match, Reason, Suggestion


class _Public(BaseModel):
    model_config = ConfigDict(frozen=True)


class PersonPublic(_Public):
    id: str
    name: str
    team: str | None = None
    department: str | None = None
    title: str | None = None
    location: str | None = None

    @classmethod
    def of(cls, person: Person) -> PersonPublic:
        return cls(
            id=person.id,
            name=person.name,
            team=person.team,
            department=person.department,
            title=person.title,
            location=person.location,
        )


class TeamPublic(_Public):
    id: str
    name: str
    department: str | None = None

    @classmethod
    def of(cls, team: Team) -> TeamPublic:
        return cls(id=team.id, name=team.name, department=team.department)


class TopicPublic(_Public):
    id: str
    label: str

    @classmethod
    def of(cls, topic: Topic) -> TopicPublic:
        return cls(id=topic.id, label=topic.label)


class EvidencePublic(_Public):
    post_id: str
    title: str | None
    snippet: str
    url: str | None
    created_at: datetime

    @classmethod
    def of(cls, evidence: Evidence) -> EvidencePublic:
        return cls(
            post_id=evidence.post_id,
            title=evidence.title,
            snippet=evidence.snippet,
            url=evidence.url,
            created_at=evidence.created_at,
        )


class PostPublic(_Public):
    id: str
    title: str | None
    snippet: str
    url: str | None
    created_at: datetime
    space: str | None
    topics: list[str]
    is_question: bool

    @classmethod
    def of(cls, post: Post) -> PostPublic:
        return cls(
            id=post.id,
            title=post.title,
            snippet=post.snippet,
            url=post.url,
            created_at=post.created_at,
            space=post.space,
            topics=list(post.topics),
            is_question=bool(post.is_question),
        )


class TiePublic(_Public):
    person: PersonPublic
    weight: float
    count: int
    last_at: datetime


class ExpertisePublic(_Public):
    topic: str
    score: float
    evidence: list[str]
    """Post ids, most recent first."""
    last_at: datetime

    @classmethod
    def of(cls, item: Expertise) -> ExpertisePublic:
        return cls(topic=item.topic, score=float(item.score), evidence=list(item.evidence), last_at=item.last_at)


class ProfilePublic(_Public):
    person: PersonPublic
    team: TeamPublic | None
    ties: list[TiePublic]
    knows: list[ExpertisePublic]
    asks: list[ExpertisePublic]
    recent_posts: list[PostPublic]

    @classmethod
    def of(cls, profile: Profile) -> ProfilePublic:
        hood = profile.neighbourhood
        return cls(
            person=PersonPublic.of(hood.person),
            team=TeamPublic.of(hood.team) if hood.team else None,
            ties=[_tie(tie, hood.person.id, profile.people) for tie in hood.ties],
            knows=[ExpertisePublic.of(item) for item in hood.knows],
            asks=[ExpertisePublic.of(item) for item in hood.asks],
            recent_posts=[PostPublic.of(post) for post in hood.recent_posts],
        )


def _tie(tie: Tie, me: str, people: Mapping[str, Person]) -> TiePublic:
    other = tie.target if tie.source == me else tie.source
    person = people.get(other)
    return TiePublic(
        person=PersonPublic.of(person) if person else PersonPublic(id=other, name=other),
        weight=float(tie.weight),
        count=int(tie.count),
        last_at=tie.last_at,
    )


class ReasonPublic(_Public):
    kind: Literal["shared_topics", "complementary_topics", "mutual_colleagues", "team", "recent_work"]
    text: str
    topics: list[str]
    people: list[str]
    evidence: list[EvidencePublic]

    @classmethod
    def of(cls, reason: Reason) -> ReasonPublic:
        return cls(
            kind=reason.kind,
            text=reason.text,
            topics=list(reason.topics),
            people=list(reason.people),
            evidence=[EvidencePublic.of(item) for item in reason.evidence],
        )


class SuggestionPublic(_Public):
    candidate: PersonPublic
    score: float
    reasons: list[ReasonPublic]
    evidence_at: datetime | None

    @classmethod
    def of(cls, suggestion: Suggestion) -> SuggestionPublic:
        return cls(
            candidate=PersonPublic.of(suggestion.candidate),
            score=float(suggestion.score),
            reasons=[ReasonPublic.of(reason) for reason in suggestion.reasons],
            evidence_at=suggestion.evidence_at,
        )


class SuggestionsPublic(_Public):
    person: str
    suggestions: list[SuggestionPublic]


class AlreadyDoneQuery(_Public):
    text: str = Field(min_length=1, max_length=20_000, description="What you are working on or about to start.")
    asker: str | None = Field(default=None, description="Your person id: excludes you, flags cross-team matches.")
    k: int = Field(default=5, ge=1, le=50)


class MatchPublic(_Public):
    person: PersonPublic
    score: float
    cross_team: bool
    evidence: list[EvidencePublic]

    @classmethod
    def of(cls, match: Match) -> MatchPublic:
        return cls(
            person=PersonPublic.of(match.person),
            score=float(match.score),
            cross_team=bool(match.cross_team),
            evidence=[EvidencePublic.of(item) for item in match.evidence],
        )


class AlreadyDonePublic(_Public):
    matches: list[MatchPublic]


class TopicExpertPublic(_Public):
    person: PersonPublic
    score: float
    evidence: list[str]
    last_at: datetime


class TopicPeoplePublic(_Public):
    topic: TopicPublic
    kind: Literal["knows", "asks"]
    people: list[TopicExpertPublic]

    @classmethod
    def of(cls, found: TopicExperts) -> TopicPeoplePublic:
        return cls(
            topic=TopicPublic.of(found.topic),
            kind=found.kind,
            people=[
                TopicExpertPublic(
                    person=PersonPublic.of(person),
                    score=float(item.score),
                    evidence=list(item.evidence),
                    last_at=item.last_at,
                )
                for person, item in found.experts
            ],
        )


class StatsPublic(_Public):
    nodes: dict[str, int]
    relationships: dict[str, int]
    total: int

    @classmethod
    def of(cls, counts: GraphCounts) -> StatsPublic:
        return cls(
            nodes={label: int(n) for label, n in counts.nodes.items()},
            relationships={kind: int(n) for kind, n in counts.relationships.items()},
            total=int(counts.total),
        )


class HealthPublic(_Public):
    status: Literal["ok"]
    store: str
    version: str


class ProblemPublic(BaseModel):
    """RFC 9457 problem details, served as ``application/problem+json``."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
