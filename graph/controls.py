"""Records people and admins control: feedback, topic corrections, privacy policies, do-not-pair lists,
API tokens, digest deliveries and the suppression list of forgotten people.

The first four travel in a :class:`~graph.delta.GraphDelta` and come back in the
:class:`~graph.store.Projection` (the recommender needs them); the rest have their own
:class:`~graph.store.GraphStore` methods because they are operational state, not graph.
:func:`effective_policy` resolves policies: the most specific scope that says something wins.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from graph.delta import Person

FeedbackKind = Literal["dismiss", "met", "not_relevant"]
FEEDBACK_KINDS: tuple[FeedbackKind, ...] = ("dismiss", "met", "not_relevant")
CorrectionAction = Literal["confirm", "hide", "add"]
CORRECTION_ACTIONS: tuple[CorrectionAction, ...] = ("confirm", "hide", "add")
Frequency = Literal["weekly", "biweekly", "monthly", "off"]
FREQUENCIES: tuple[Frequency, ...] = ("weekly", "biweekly", "monthly", "off")
TokenScope = Literal["person", "admin", "ingest"]
TOKEN_SCOPES: tuple[TokenScope, ...] = ("person", "admin", "ingest")
DigestState = Literal["reserved", "sent"]

ORG_SCOPE = "org"


def team_scope(team_id: str) -> str:
    return f"team:{team_id}"


def person_scope(person_id: str) -> str:
    return f"person:{person_id}"


@dataclass(frozen=True, slots=True)
class Feedback:
    """What ``person`` said about the suggestion of ``candidate``; the latest per pair is kept."""

    person: str
    candidate: str
    kind: FeedbackKind
    at: datetime


@dataclass(frozen=True, slots=True)
class TopicCorrection:
    """A person's own word on one of their topics; the latest per (person, topic) is kept.

    ``hide``: never used or shown; ``confirm``: shown as confirmed; ``add``: self-declared until evidence appears.
    ``topic`` is a topic id (normalised key); an added topic may not exist in the vocabulary yet.
    """

    person: str
    topic: str
    action: CorrectionAction
    at: datetime


@dataclass(frozen=True, slots=True)
class Policy:
    """Privacy and delivery settings for a scope: ``org``, ``team:<id>`` or ``person:<id>``.

    ``None`` means "not said here": the next less specific scope decides.
    """

    scope: str
    suggest: bool | None = None
    """May people in the scope be suggested to others (and receive suggestions)?"""
    infer: bool | None = None
    """May expertise be inferred from their posts?"""
    digest: Frequency | None = None
    """How often they get the serendipity e-mail."""
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class DoNotPair:
    """Two people who must never be suggested to each other, in either direction (``a < b``)."""

    a: str
    b: str
    at: datetime

    def __post_init__(self) -> None:
        if self.a == self.b:
            raise ValueError("a do-not-pair entry needs two different people")
        if self.a > self.b:
            first, second = self.b, self.a
            object.__setattr__(self, "a", first)
            object.__setattr__(self, "b", second)


@dataclass(frozen=True, slots=True)
class EffectivePolicy:
    suggest: bool = True
    infer: bool = True
    digest: Frequency = "weekly"


DEFAULT_POLICY = EffectivePolicy()


def effective_policy(person: Person, policies: dict[str, Policy]) -> EffectivePolicy:
    """What applies to ``person``: person scope over team over org over the defaults, field by field.

    ``Person.opted_out`` (from a directory or an import) is an opt-out of being suggested that no policy overrides.
    """
    chain = [policies.get(person_scope(person.id))]
    if person.team is not None:
        chain.append(policies.get(team_scope(person.team)))
    chain.append(policies.get(ORG_SCOPE))
    said = [policy for policy in chain if policy is not None]

    def first(field: str, default: object) -> object:
        for policy in said:
            value = getattr(policy, field)
            if value is not None:
                return value
        return default

    suggest = bool(first("suggest", DEFAULT_POLICY.suggest)) and not person.opted_out
    return EffectivePolicy(
        suggest=suggest,
        infer=bool(first("infer", DEFAULT_POLICY.infer)),
        digest=first("digest", DEFAULT_POLICY.digest),  # type: ignore[arg-type]
    )


@dataclass(frozen=True, slots=True)
class AccessToken:
    """An API token as stored: the secret itself is never kept, only its SHA-256 (see :func:`secret_digest`)."""

    id: str
    """Public, short: shown in listings and used to revoke."""
    digest: str
    scope: TokenScope
    person: str | None
    """The one person a ``person`` token acts for; ``None`` for other scopes."""
    created_at: datetime
    label: str = ""
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def secret_digest(secret: str) -> str:
    """How token secrets are stored. Secrets are 256-bit random, so a plain hash is enough (no password stretching)."""
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class DigestRecord:
    """One person's digest for one period: reserved before sending, marked sent after."""

    person: str
    period: str
    """ISO week, e.g. ``2026-W48``."""
    state: DigestState
    at: datetime


def suppression_keys(person: Person) -> frozenset[str]:
    """Hashes of what identifies a forgotten person (id, e-mail, handles), so re-imports can drop them.

    Only hashes are kept: the suppression list must not itself hold the data it suppresses.
    """
    values = [f"id:{person.id}"]
    if person.email:
        values.append(f"email:{person.email.strip().casefold()}")
    values.extend(f"handle:{handle.strip().casefold()}" for handle in person.handles)
    return frozenset(hashlib.sha256(value.encode()).hexdigest() for value in values)


def is_suppressed(person: Person, suppressed: frozenset[str] | set[str]) -> bool:
    return not suppressed.isdisjoint(suppression_keys(person))


@dataclass(frozen=True, slots=True)
class Controls:
    """Everything people and admins said that the recommender must obey."""

    feedback: tuple[Feedback, ...] = ()
    corrections: tuple[TopicCorrection, ...] = ()
    policies: tuple[Policy, ...] = ()
    do_not_pair: tuple[DoNotPair, ...] = ()

    def policy_map(self) -> dict[str, Policy]:
        return {policy.scope: policy for policy in self.policies}
