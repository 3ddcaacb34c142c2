"""Pydantic models at the HTTP edge: request bodies (``XQuery``) and responses (``XPublic``), plain scalars only."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from api.engine import PersonTopic, Profile, TopicExperts
from api.team_report import TeamReport, TeamRow
from graph.controls import DoNotPair, EffectivePolicy, Feedback, Policy, TopicCorrection
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
    declared: bool = False
    """Self-declared by the person, with no evidence yet (``evidence`` is empty)."""

    @classmethod
    def of(cls, item: Expertise) -> ExpertisePublic:
        return cls(
            topic=item.topic,
            score=float(item.score),
            evidence=list(item.evidence),
            last_at=item.last_at,
            declared=bool(item.declared),
        )


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
    suppressed: bool = False
    """True while the graph holds fewer than ``WEAKTIE_MIN_GROUP_SIZE`` people: every count is then reported as 0."""

    @classmethod
    def of(cls, counts: GraphCounts) -> StatsPublic:
        return cls(
            nodes={label: int(n) for label, n in counts.nodes.items()},
            relationships={kind: int(n) for kind, n in counts.relationships.items()},
            total=int(counts.total),
            suppressed=bool(getattr(counts, "suppressed", False)),
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


class RejectPublic(_Public):
    """A record ``POST /v1/posts`` did not import, and why."""

    record: Literal["person", "post"]
    line: int
    """1-based line of the request body."""
    field: str | None
    reason: str
    record_id: str | None


class IngestPublic(_Public):
    """What ``POST /v1/posts`` imported; ``rejects`` lists at most the first 1,000 of ``rejected``."""

    read: int
    imported_posts: int
    imported_people: int
    rejected: int
    skipped_known: int
    unresolved_mentions: int
    topics_learned: int
    suppressed: int = Field(default=0, description="Records dropped because they are about forgotten people.")
    elapsed: float
    rejects: list[RejectPublic]


# -- controls: feedback, topic corrections, preferences and policies, do-not-pair, team report (docs/privacy.md) --


class FeedbackQuery(_Public):
    candidate: str = Field(min_length=1, max_length=200, description="The person id of the suggested candidate.")
    kind: Literal["dismiss", "met", "not_relevant"] = Field(
        description="dismiss and not_relevant: never suggest them again; met: you have met."
    )


class FeedbackPublic(_Public):
    person: str
    candidate: str
    kind: Literal["dismiss", "met", "not_relevant"]
    at: datetime

    @classmethod
    def of(cls, item: Feedback) -> FeedbackPublic:
        return cls(person=item.person, candidate=item.candidate, kind=item.kind, at=item.at)


class TopicCorrectionQuery(_Public):
    topic: str = Field(min_length=1, max_length=200, description="A topic id or label; `add` accepts a new one.")
    action: Literal["confirm", "hide", "add"]


class TopicCorrectionPublic(_Public):
    person: str
    topic: str
    """The topic id (its normalised key)."""
    action: Literal["confirm", "hide", "add"]
    at: datetime

    @classmethod
    def of(cls, item: TopicCorrection) -> TopicCorrectionPublic:
        return cls(person=item.person, topic=item.topic, action=item.action, at=item.at)


class PersonTopicPublic(_Public):
    topic: str
    label: str
    status: Literal["inferred", "confirmed", "hidden", "self-declared"]
    kind: Literal["knows", "asks"] | None
    score: float

    @classmethod
    def of(cls, item: PersonTopic) -> PersonTopicPublic:
        return cls(topic=item.topic, label=item.label, status=item.status, kind=item.kind, score=float(item.score))


class PersonTopicsPublic(_Public):
    person: str
    topics: list[PersonTopicPublic]


class PolicyQuery(_Public):
    """What to change; a field left out (or null) keeps what is said at this scope."""

    suggest: bool | None = Field(default=None, description="May be suggested to others and receive suggestions.")
    infer: bool | None = Field(default=None, description="May expertise be inferred from their posts.")
    digest: Literal["weekly", "biweekly", "monthly", "off"] | None = None


class PolicyPublic(_Public):
    """What is said at one scope; null means "not said here" (the less specific scope decides)."""

    scope: str
    suggest: bool | None
    infer: bool | None
    digest: Literal["weekly", "biweekly", "monthly", "off"] | None
    updated_at: datetime | None

    @classmethod
    def of(cls, policy: Policy) -> PolicyPublic:
        return cls(
            scope=policy.scope,
            suggest=policy.suggest,
            infer=policy.infer,
            digest=policy.digest,
            updated_at=policy.updated_at,
        )


class EffectivePolicyPublic(_Public):
    suggest: bool
    infer: bool
    digest: Literal["weekly", "biweekly", "monthly", "off"]

    @classmethod
    def of(cls, policy: EffectivePolicy) -> EffectivePolicyPublic:
        return cls(suggest=policy.suggest, infer=policy.infer, digest=policy.digest)


class PreferencesPublic(_Public):
    """What applies to a person (``effective``) and what they said themselves (``own``, null if nothing)."""

    person: str
    effective: EffectivePolicyPublic
    own: PolicyPublic | None


class DoNotPairQuery(_Public):
    a: str = Field(min_length=1, max_length=200)
    b: str = Field(min_length=1, max_length=200)


class DoNotPairPublic(_Public):
    a: str
    b: str
    at: datetime

    @classmethod
    def of(cls, entry: DoNotPair) -> DoNotPairPublic:
        return cls(a=entry.a, b=entry.b, at=entry.at)


class DoNotPairListPublic(_Public):
    entries: list[DoNotPairPublic]


class TeamRowPublic(_Public):
    team: str | None
    """The team id; null for people without a team and for the merged row (``merged``)."""
    name: str
    merged: bool
    """The row of teams too small to show alone, merged together."""
    teams: int
    people: int
    active_people: int
    posts: int
    top_topics: list[str]
    cross_team_ties: int

    @classmethod
    def of(cls, row: TeamRow) -> TeamRowPublic:
        return cls(
            team=row.team,
            name=row.name,
            merged=row.merged,
            teams=row.teams,
            people=row.people,
            active_people=row.active_people,
            posts=row.posts,
            top_topics=list(row.top_topics),
            cross_team_ties=row.cross_team_ties,
        )


class TeamReportPublic(_Public):
    teams: list[TeamRowPublic]
    left_out: int
    """People in teams too small to show, even merged together."""
    min_group_size: int
    active_days: int

    @classmethod
    def of(cls, report: TeamReport) -> TeamReportPublic:
        return cls(
            teams=[TeamRowPublic.of(row) for row in report.rows],
            left_out=report.left_out,
            min_group_size=report.min_group_size,
            active_days=report.active_days,
        )
