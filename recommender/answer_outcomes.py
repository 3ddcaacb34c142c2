"""What a source knows about answers beyond their text: which replies are answers, which were accepted, their votes,
each stamped with the instant it became known so a replay never reads the future.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from recommender.timeline import seconds


@dataclass(frozen=True, slots=True)
class Vote:
    post: str
    known_at: datetime
    value: int
    """+1 or -1."""


@dataclass(frozen=True, slots=True)
class AnswerOutcomes:
    """Optional evidence about answers, for sources that record it (a Stack Exchange dump does; chat does not).

    ``answers`` are the ids of the replies that are answers (empty: every direct reply to a question counts, as
    without outcomes). ``accepted`` maps an accepted answer's id to when its acceptance became known, and ``votes``
    are up and down votes on posts. Instants must never be earlier than the event: a dump that stores only the day
    of a vote is read as known at the end of that day.
    """

    answers: frozenset[str] = frozenset()
    accepted: Mapping[str, datetime] = field(default_factory=dict)
    votes: tuple[Vote, ...] = ()

    @classmethod
    def of(
        cls,
        *,
        answers: Iterable[str] = (),
        accepted: Mapping[str, datetime] | None = None,
        votes: Iterable[Vote] = (),
    ) -> AnswerOutcomes:
        return cls(answers=frozenset(answers), accepted=dict(accepted or {}), votes=tuple(votes))


@dataclass(frozen=True, slots=True)
class OutcomeArrays:
    """:class:`AnswerOutcomes` aligned to a list of post ids: per post, when it was accepted (``inf`` if never), and
    the votes as (post position, value, known_at) arrays sorted by time."""

    accepted_at: np.ndarray
    vote_post: np.ndarray
    vote_value: np.ndarray
    vote_at: np.ndarray

    @classmethod
    def align(cls, outcomes: AnswerOutcomes | None, post_ids: Iterable[str]) -> OutcomeArrays:
        position = {post: i for i, post in enumerate(post_ids)}
        accepted_at = np.full(len(position), np.inf)
        if outcomes is None:
            return cls(accepted_at, np.zeros(0, np.int64), np.zeros(0), np.zeros(0))
        for post, at in outcomes.accepted.items():
            if post in position:
                accepted_at[position[post]] = seconds(at)
        votes = sorted(
            ((position[v.post], float(v.value), seconds(v.known_at)) for v in outcomes.votes if v.post in position),
            key=lambda row: row[2],
        )
        columns = list(zip(*votes, strict=True)) if votes else [(), (), ()]
        return cls(
            accepted_at,
            np.array(columns[0], dtype=np.int64),
            np.array(columns[1], dtype=np.float64),
            np.array(columns[2], dtype=np.float64),
        )
