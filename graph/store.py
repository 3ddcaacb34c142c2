"""The GraphStore protocol: what every backend (embedded NetworkX, Neo4j) offers.

Writes are batched upserts of a :class:`~graph.delta.GraphDelta`; reads are either
small neighbourhood look-ups (API) or one :class:`Projection` of everything the
recommender fits on. Both backends pass ``tests/graph/test_store_contract.py``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from graph.controls import AccessToken, Controls, DigestRecord
from graph.delta import Expertise, ExpertiseKind, GraphDelta, Person, Post, SuggestionRecord, Team, Tie, Topic

NODE_LABELS = ("Person", "Team", "Topic", "Post")
RELATIONSHIP_TYPES = (
    "MEMBER_OF",
    "AUTHORED",
    "MENTIONS",
    "REPLY_TO",
    "ABOUT",
    "INTERACTS_WITH",
    "KNOWS_ABOUT",
    "ASKS_ABOUT",
    "SUGGESTED",
    "FEEDBACK",
    "CORRECTS",
    "DO_NOT_PAIR",
)


EXPERTISE_TYPES: dict[str, str] = {"knows": "KNOWS_ABOUT", "asks": "ASKS_ABOUT"}
"""The relationship type of each expertise kind."""


def expertise_type(kind: str) -> str:
    """``KNOWS_ABOUT`` or ``ASKS_ABOUT`` for an expertise kind; ValueError for anything else."""
    try:
        return EXPERTISE_TYPES[kind]
    except KeyError:
        raise ValueError(f"expertise kind must be 'knows' or 'asks', not {kind!r}") from None


def check_limit(limit: int) -> None:
    """Stores share one rule for ``limit`` arguments: zero or more."""
    if limit < 0:
        raise ValueError(f"limit must be zero or more, not {limit}")


def by_id(record: Any) -> str:
    """Sort key of every node record."""
    return record.id


@dataclass(frozen=True, slots=True)
class Projection:
    """Everything the recommender fits on, as plain records."""

    people: tuple[Person, ...]
    teams: tuple[Team, ...]
    topics: tuple[Topic, ...]
    posts: tuple[Post, ...]
    ties: tuple[Tie, ...]
    expertise: tuple[Expertise, ...]
    suggestions: tuple[SuggestionRecord, ...]
    controls: Controls = field(default_factory=Controls)
    """Feedback, topic corrections, policies and do-not-pair entries, as stored (not yet applied)."""


@dataclass(frozen=True, slots=True)
class Neighbourhood:
    """One person and what surrounds them: for profile pages and explanations."""

    person: Person
    team: Team | None
    ties: tuple[Tie, ...]
    """Ties in either direction, strongest first."""
    knows: tuple[Expertise, ...]
    asks: tuple[Expertise, ...]
    recent_posts: tuple[Post, ...]
    """Posts the person authored or co-authored, newest first."""


@dataclass(frozen=True, slots=True)
class GraphCounts:
    nodes: dict[str, int]
    relationships: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.nodes.values()) + sum(self.relationships.values())


@runtime_checkable
class GraphStore(Protocol):
    def upsert(self, delta: GraphDelta) -> None:
        """Write a delta in batches. Nodes are merged by id; aggregates are replaced. Safe to repeat."""

    def existing_post_ids(self, ids: Iterable[str]) -> set[str]:
        """Which of ``ids`` are already stored (the import skips them)."""

    def posts_by_id(self, ids: Iterable[str]) -> dict[str, Post]:
        """Stored posts among ``ids``; unknown ids are left out."""

    def ties_between(self, pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Tie]:
        """Stored ties for directed ``(source, target)`` pairs; missing pairs are left out."""

    def expertise_for(
        self, keys: Iterable[tuple[str, str, ExpertiseKind]]
    ) -> dict[tuple[str, str, ExpertiseKind], Expertise]:
        """Stored expertise for ``(person, topic, kind)`` keys; missing keys are left out."""

    def topics(self) -> list[Topic]:
        """The topic vocabulary learned so far."""

    def people(self) -> list[Person]: ...

    def person(self, person_id: str) -> Person:
        """Raises :class:`graph.errors.NotFound` for an unknown id."""

    def neighbourhood(self, person_id: str, *, limit: int = 10) -> Neighbourhood:
        """Raises :class:`graph.errors.NotFound` for an unknown id."""

    def topic_people(self, topic_id: str, *, kind: ExpertiseKind = "knows", limit: int = 10) -> list[Expertise]:
        """People with expertise (or interest) in a topic, highest score first. NotFound for an unknown topic."""

    def projection(self) -> Projection: ...

    def counts(self) -> GraphCounts:
        """Nodes per label and relationships per type (every label and type present, zero if none)."""

    # -- controls (graph/controls.py) -------------------------------------------------------------------------
    # Feedback, corrections, policies and do-not-pair entries are written with upsert() and read in
    # projection().controls; the latest record per key wins (feedback per pair, correction per person and topic,
    # policy per scope, do-not-pair per unordered pair).

    def controls(self) -> Controls:
        """All stored feedback, corrections, policies and do-not-pair entries (also in ``projection()``)."""

    def remove_do_not_pair(self, a: str, b: str) -> bool:
        """Drop a do-not-pair entry (either order); whether there was one."""

    def save_token(self, token: AccessToken) -> None:
        """Store a token, replacing one with the same id (revoking is saving it with ``revoked_at`` set)."""

    def token(self, token_id: str) -> AccessToken:
        """Raises :class:`graph.errors.NotFound` for an unknown id."""

    def tokens(self) -> list[AccessToken]:
        """Every token, revoked ones too, by id."""

    def reserve_digest(self, person_id: str, period: str, *, at: datetime) -> bool:
        """Atomically claim the digest of ``person_id`` for ``period``: True only for the first caller, ever.

        Once reserved, a (person, period) can never be reserved again, even if sending crashed: at most once.
        """

    def mark_digest_sent(self, person_id: str, period: str, *, at: datetime) -> None:
        """Record that the reserved digest went out. NotFound if it was never reserved."""

    def digests(self, period: str | None = None) -> list[DigestRecord]:
        """Digest records, of one period or all, by (period, person)."""

    def forget_person(self, person_id: str, *, suppress: Iterable[str]) -> None:
        """Erase a person: their node, posts they authored alone (co-authored posts lose them as co-author),
        mentions of them, other people's ``manager`` field when it names them, ties, expertise, suggestions to and
        of them, feedback, corrections, their person policy,
        do-not-pair entries, tokens and digest records. Adds ``suppress`` (see ``graph.controls.suppression_keys``)
        to the suppression list in the same write. NotFound for an unknown id.
        """

    def suppressed(self) -> frozenset[str]:
        """The suppression list: hashed identifiers of forgotten people, which imports must drop."""

    def close(self) -> None: ...
