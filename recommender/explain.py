"""The recommender's result types: suggestions and matches, each carrying the reasons and evidence behind it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from graph.delta import Person, Post

ReasonKind = Literal["shared_topics", "complementary_topics", "mutual_colleagues", "team", "recent_work"]
CORE_KINDS: frozenset[ReasonKind] = frozenset({"shared_topics", "complementary_topics", "mutual_colleagues"})
"""Reasons that can justify a suggestion on their own; team and recent work only add context."""
REPLY_PREFIX = "Re: "
"""How an untitled reply is titled after its thread: ``Re: <the thread's title>``, as e-mail does."""

_MENTION_MARKUP = re.compile(
    r"@_?\*\*([^*|\n]+)(?:\|[^*\n]*)?(?:\*\*|$)|@[\"“]([^\"”\n]{1,80})(?:[\"”]|$)|<@[^<>\s|]*(?:\|([^<>\n]*))?>"
)
"""Zulip ``@**Name**`` (``@_**Name|12**``), ``@"Full Name"`` and Slack ``<@U1|name>``; also when a snippet cuts one."""
_REPLY = re.compile(r"^\s*(?:re|aw|sv|fw|fwd)\s*:", re.IGNORECASE)


def readable(text: str) -> str:
    """``text`` as a quote shows it: mention markup reads as the plain name (``@"Ana Lee"``, ``@**Ana Lee**`` and
    ``<@U1|Ana Lee>`` read ``Ana Lee``; a bare ``<@U1>`` is only an id and goes) and whitespace collapses.

    Imports clean their snippets the same way (``extractors.cleaning.text_for_display``); this keeps posts stored
    before that readable too.
    """
    if "@" in text:
        text = _MENTION_MARKUP.sub(lambda match: next((g for g in match.groups() if g), ""), text)
    return " ".join(text.split())


@dataclass(frozen=True, slots=True)
class Evidence:
    """A post shown to back a claim; only ever built from posts the viewer may see."""

    post_id: str
    title: str | None
    """The post's title; for an untitled reply, ``Re:`` and the title of the thread it answers, when known."""
    snippet: str
    url: str | None
    """The post's own link (for a reply: the reply, not its thread)."""
    created_at: datetime

    @classmethod
    def of(cls, post: Post, *, thread: Post | None = None) -> Evidence:
        """``post`` as evidence; ``thread`` is the titled post it replies to (see
        :func:`recommender.substance.thread_of`), which titles an untitled reply. The viewer must be allowed to see
        both."""
        title = post.title or (thread_title(thread.title) if thread is not None and thread.title else None)
        return cls(
            post_id=post.id,
            title=readable(title) if title else title,
            snippet=readable(post.snippet),
            url=post.url,
            created_at=post.created_at,
        )


def thread_title(title: str) -> str:
    """An untitled reply's title after its thread's: ``Re: <title>``, once (a title that already says "Re:" stays)."""
    return title if _REPLY.match(title) else REPLY_PREFIX + title


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
    """Strongest first: the first is the reason that matters most (see :func:`recommender.reasons.explain_pair`)."""
    evidence_at: datetime | None
    """The newest evidence the suggestion rests on; showing it again needs newer evidence."""

    @property
    def lead(self) -> Reason | None:
        """The reason a card shows first: the strongest that can justify the suggestion on its own."""
        return next((reason for reason in self.reasons if reason.kind in CORE_KINDS), None)

    @property
    def stated(self) -> tuple[Reason, ...]:
        """The reasons a card states, the lead first: all but recent work, which only ever adds a quote."""
        return tuple(reason for reason in self.reasons if reason.kind != "recent_work")

    @property
    def quote(self) -> Evidence | None:
        """The one post a card quotes: the lead reason's first evidence, else the first of any reason."""
        lead = self.lead
        if lead is not None and lead.evidence:
            return lead.evidence[0]
        return next((reason.evidence[0] for reason in self.reasons if reason.evidence), None)


@dataclass(frozen=True, slots=True)
class Match:
    """``person`` has already done something like what was asked about."""

    person: Person
    score: float
    cross_team: bool
    """Whether ``person`` sits outside the asker's team (always False without an asker)."""
    evidence: tuple[Evidence, ...]
