"""Who can answer: "already done" evidence, the questions someone answered before and how they answer, combined by
a logistic regression fitted by replaying the projection's own past questions.

Fitting replays every answered question of the training period as it stood when it was asked: each signal is
computed from the posts created before the question only, and the model learns which candidates wrote its
substantive answers. Those weights then rank people for new questions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Self

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from graph.delta import Person, Post
from graph.store import Projection
from recommender.already_done import AlreadyDone, post_tokens
from recommender.answer_outcomes import AnswerOutcomes, OutcomeArrays
from recommender.errors import NotFitted, RecommenderError
from recommender.explain import Evidence, Match
from recommender.timeline import SECONDS_PER_DAY, latest_instant, seconds

ANSWER_FEATURES: tuple[str, ...] = (
    "match",
    "match_rank",
    "log_match",
    "answered",
    "answered_rank",
    "authored",
    "authored_rank",
    "log_answers",
    "log_answer_length",
    "recent_answers",
    "recency",
    "first_share",
    "log_posts",
    "asker_ties",
    "log_accepted",
    "accept_rate",
    "log_votes",
    "accepted_match",
)
FALLBACK_WEIGHTS = np.array([1.0, 0.0, 0.0, 0.3, 0.0, 0.0, 0.0, 0.1, 0.0, 0.1, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0])
"""Used when the history holds too few answered questions to learn from: the match, then what someone answered
before, then activity to break ties."""


@dataclass(frozen=True, slots=True)
class _Answers:
    """The public answers in a projection (direct replies to a public root post by someone other than its author),
    as arrays aligned with each other and with the positions of an :class:`AlreadyDone` index."""

    post: np.ndarray
    author: np.ndarray
    question: np.ndarray
    """Position of the question answered."""
    at: np.ndarray
    length: np.ndarray
    """Number of terms: how substantive the answer is (a quick remark is short)."""
    first: np.ndarray
    """Whether it was the first answer to its question."""
    accepted_at: np.ndarray
    """When its acceptance became known (``inf``: not accepted, or not known)."""


@dataclass(frozen=True, slots=True)
class _Exchanges:
    """Public replies between two people (``source`` replied to a post by ``target``), for asker ↔ candidate ties."""

    source: np.ndarray
    target: np.ndarray
    at: np.ndarray


class WhoCanAnswer(BaseEstimator):
    """Rank people for a question by what they have done (``AlreadyDone``), what they answered and how they answer.

    ``already_done`` holds the :class:`AlreadyDone` hyperparameters (the analyzer is passed separately). Answers are
    public replies to root posts by someone other than the asker; ``recent_half_life_days`` sets how fast "recent
    answers" and "recency" fade. Up to ``max_questions`` of the most recent answered questions are replayed, each
    with only the posts before it, to learn the weights: the people who wrote a substantive answer (at least
    ``substantive_share`` of the length of the question's longest answer) are the positives, the rest of the
    candidates the negatives. Candidates are the best ``pool`` people by each text signal and by answers.
    With fewer than ``2 * min_questions`` answered questions the :data:`FALLBACK_WEIGHTS` rank instead.
    """

    def __init__(
        self,
        *,
        analyzer: Callable[[str], Sequence[str]],
        already_done: dict[str, object] | None = None,
        recent_half_life_days: float = 30.0,
        max_questions: int = 500,
        min_questions: int = 30,
        pool: int = 30,
        substantive_share: float = 0.5,
        regularisation: float = 1.0,
        random_state: int = 0,
    ) -> None:
        self.analyzer = analyzer
        self.already_done = already_done
        self.recent_half_life_days = recent_half_life_days
        self.max_questions = max_questions
        self.min_questions = min_questions
        self.pool = pool
        self.substantive_share = substantive_share
        self.regularisation = regularisation
        self.random_state = random_state

    def fit(
        self,
        projection: Projection,
        *,
        as_of: datetime | None = None,
        outcomes: AnswerOutcomes | None = None,
        weights_from: WhoCanAnswer | None = None,
    ) -> Self:
        """Index ``projection`` as of ``as_of`` and learn the weights by replaying its answered questions.

        ``outcomes`` (optional) says which replies are answers, which were accepted and how they were voted on; each
        is used only once known (before the replayed question, or before ``as_of`` for the labels).
        ``weights_from`` reuses the weights of an earlier fit instead of replaying: for loops that refresh the index
        more often than the weights (the weights then rest on less history, never on more).
        """
        if self.pool < 1 or self.recent_half_life_days <= 0 or self.max_questions < 1:
            raise RecommenderError("pool, max_questions and recent_half_life_days must be positive")
        if not 0.0 <= self.substantive_share <= 1.0:
            raise RecommenderError(f"substantive_share must lie in [0, 1], got {self.substantive_share}")
        as_of = latest_instant(projection) if as_of is None else as_of
        self.as_of_ = as_of
        self.index_ = AlreadyDone(analyzer=self.analyzer, **(self.already_done or {})).fit(projection, as_of=as_of)
        self.model2_ = _model2(self.index_)
        arrays = OutcomeArrays.align(outcomes, (post.id for post in self.index_.posts_))
        self.answers_, self.exchanges_ = _answers(
            self.index_, only=outcomes.answers if outcomes is not None else frozenset(), accepted_at=arrays.accepted_at
        )
        self.votes_ = arrays
        # Without outcomes every outcome feature must be exactly zero, or the model differs from one that never
        # heard of them (an acceptance rate of 1 / (answers + 3) would be a new transform of the answer count).
        self.has_outcomes_ = outcomes is not None
        self.authors_ = np.array(
            [self.index_.index_.get(post.author, -1) for post in self.index_.posts_], dtype=np.int64
        )
        self.n_questions_ = len(np.unique(self.answers_.question))
        if weights_from is not None and not hasattr(weights_from, "learned_"):
            raise NotFitted(type(weights_from).__name__)
        self.learned_ = self._learn() if weights_from is None else weights_from.learned_
        return self

    def query(self, text: str, *, asker: str | None = None, viewer: str | None = None, k: int = 5) -> list[Match]:
        """The ``k`` people most likely to answer ``text``, with the evidence ``AlreadyDone`` finds for them."""
        if not hasattr(self, "index_"):
            raise NotFitted(type(self).__name__)
        if k <= 0:
            return []
        tokens = self.index_.query_tokens(text)
        scores = self.scores(tokens, asker=asker, viewer=viewer)
        order = np.lexsort((np.arange(len(scores)), -scores))
        best = [int(i) for i in order[:k] if scores[i] > 0]
        people = self.index_.people_
        evidence = self.index_.evidence(tokens, [people[i].id for i in best], asker=asker, viewer=viewer)
        asking = None if asker is None else people[self.index_.index_[asker]]
        return [self._match(people[i], float(scores[i]), evidence[people[i].id], asking) for i in best]

    def scores(self, tokens: set[str], *, asker: str | None = None, viewer: str | None = None) -> np.ndarray:
        """Scores over ``index_.people_`` for a query in index tokens; 0 outside the candidates, for the asker and
        for opted-out people."""
        if not hasattr(self, "index_"):
            raise NotFitted(type(self).__name__)
        candidates, values = self._candidates(tokens, asker=asker, viewer=viewer, before=None)
        out = np.zeros(len(self.index_.people_))
        if len(candidates):
            out[candidates] = self._score(values)
        return out

    def _score(self, values: np.ndarray) -> np.ndarray:
        if self.learned_ is None:
            return np.maximum(values @ FALLBACK_WEIGHTS, 1e-12)
        scaler, classifier = self.learned_
        return classifier.predict_proba(scaler.transform(values))[:, 1]

    def _candidates(
        self, tokens: set[str], *, asker: str | None, viewer: str | None, before: datetime | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The candidate pool and one row of :data:`ANSWER_FEATURES` each, from the posts before ``before``.

        The replay passes ``before`` and reads as an anonymous viewer: what the model learns never rests on a
        restricted post, whoever asked.
        """
        index = self.index_
        at = seconds(self.as_of_ if before is None else before)
        if before is None:
            match = index.person_scores(tokens, asker=asker, viewer=viewer)
        else:
            match = index.person_scores(tokens, before=before)
            if asker in index.index_:
                match[index.index_[asker]] = 0.0
        post_match = self.model2_(tokens, at)
        answers = self.answers_
        done = answers.at < at
        n = len(index.people_)
        answered = np.bincount(answers.author[done], weights=post_match[answers.question[done]], minlength=n)
        authored = np.bincount(answers.author[done], weights=post_match[answers.post[done]], minlength=n)
        count = np.bincount(answers.author[done], minlength=n).astype(np.float64)
        half_life = self.recent_half_life_days * SECONDS_PER_DAY
        fade = np.power(0.5, (at - answers.at[done]) / half_life)
        recent = np.bincount(answers.author[done], weights=fade, minlength=n)
        candidates = np.unique(
            np.concatenate([_best(signal, self.pool) for signal in (match, answered, authored, count, recent)])
        )
        drop = index.excluded_[candidates]
        if asker is not None:
            drop |= candidates == index.index_.get(asker, -1)
        candidates = candidates[~drop]
        if not len(candidates):
            return candidates, np.zeros((0, len(ANSWER_FEATURES)))
        length = np.bincount(answers.author[done], weights=answers.length[done], minlength=n)
        first = np.bincount(answers.author[done], weights=answers.first[done], minlength=n)
        last = np.full(n, -np.inf)
        np.maximum.at(last, answers.author[done], answers.at[done])
        posted = self.authors_[index.public_ & (index.created_ < at) & (self.authors_ >= 0)]
        authors = np.bincount(posted, minlength=n).astype(np.float64)
        ties = np.zeros(n)
        if asker in index.index_:
            ties = self._ties(index.index_[asker], at, n)
        accepted_before = done & (answers.accepted_at < at)
        accepted = np.bincount(answers.author[accepted_before], minlength=n).astype(np.float64)
        accepted_match = np.bincount(
            answers.author[accepted_before], weights=post_match[answers.question[accepted_before]], minlength=n
        )
        votes = self._votes(at, n)
        c = candidates
        values = np.column_stack(
            [
                _relative(match)[c],
                _reciprocal_rank(match)[c],
                np.log1p(match[c]),
                _relative(answered)[c],
                _reciprocal_rank(answered)[c],
                _relative(authored)[c],
                _reciprocal_rank(authored)[c],
                np.log1p(count[c]),
                np.log1p(np.divide(length[c], count[c], out=np.zeros(len(c)), where=count[c] > 0)),
                np.log1p(recent[c]),
                np.where(
                    np.isfinite(last[c]),
                    np.power(0.5, (at - np.where(np.isfinite(last[c]), last[c], at)) / half_life),
                    0.0,
                ),
                (first[c] + 1.0) / (count[c] + 2.0),
                np.log1p(authors[c]),
                np.log1p(ties[c]),
                np.log1p(accepted[c]),
                (accepted[c] + 1.0) / (count[c] + 3.0) if self.has_outcomes_ else np.zeros(len(c)),
                np.sign(votes[c]) * np.log1p(np.abs(votes[c])),
                _relative(accepted_match)[c],
            ]
        )
        return candidates, values

    def _votes(self, at: float, n: int) -> np.ndarray:
        """Net votes each person's answers had received before ``at``."""
        votes, answers = self.votes_, self.answers_
        known = votes.vote_at < at
        author = np.full(len(self.index_.posts_), -1, dtype=np.int64)
        author[answers.post] = answers.author
        who = author[votes.vote_post[known]]
        mine = who >= 0
        return np.bincount(who[mine], weights=votes.vote_value[known][mine], minlength=n)

    def _ties(self, asker: int, at: float, n: int) -> np.ndarray:
        """Public replies between the asker and each person before ``at``, both ways."""
        ex = self.exchanges_
        before = ex.at < at
        theirs = np.bincount(ex.source[before & (ex.target == asker)], minlength=n)
        mine = np.bincount(ex.target[before & (ex.source == asker)], minlength=n)
        return (theirs + mine).astype(np.float64)

    def _learn(self) -> tuple[StandardScaler, LogisticRegression] | None:
        if self.n_questions_ < 2 * self.min_questions:
            return None
        index, answers = self.index_, self.answers_
        questions = np.unique(answers.question)
        questions = questions[np.argsort(index.created_[questions], kind="stable")][-self.max_questions :]
        rows, labels = [], []
        for question in questions.tolist():
            post = index.posts_[question]
            mine = answers.question == question
            # An acceptance known by now names the answer the asker wanted; otherwise substantive replies stand in.
            chosen = mine & (answers.accepted_at < seconds(self.as_of_))
            if chosen.any():
                wrote = answers.author[chosen]
            else:
                longest = answers.length[mine].max()
                wrote = answers.author[mine][answers.length[mine] >= self.substantive_share * longest]
            candidates, values = self._candidates(
                set(post_tokens(post)), asker=post.author, viewer=None, before=post.created_at
            )
            if not len(candidates):
                continue
            rows.append(values)
            labels.append(np.isin(candidates, wrote))
        if not rows:
            return None
        x, y = np.vstack(rows), np.concatenate(labels)
        if y.all() or not y.any():
            return None
        scaler = StandardScaler().fit(x)
        classifier = LogisticRegression(C=self.regularisation, max_iter=1000).fit(scaler.transform(x), y)
        return scaler, classifier

    @property
    def weights(self) -> dict[str, float]:
        """Standardised coefficient per signal (the fallback weights when nothing was learned)."""
        coef = FALLBACK_WEIGHTS if self.learned_ is None else self.learned_[1].coef_[0]
        return {name: float(c) for name, c in zip(ANSWER_FEATURES, coef, strict=True)}

    def _match(self, who: Person, score: float, evidence: tuple[Evidence, ...], asking: Person | None) -> Match:
        cross_team = asking is not None and (who.team is None or who.team != asking.team)
        return Match(person=who, score=score, cross_team=cross_team, evidence=evidence)


def _model2(index: AlreadyDone) -> Callable[[set[str], float], np.ndarray]:
    """Plain BM25 match of a query against every public post created before an instant (0 for the rest)."""

    def match(tokens: set[str], at: float) -> np.ndarray:
        columns = sorted({index.vocabulary_[t] for t in tokens if t in index.vocabulary_})
        out = np.zeros(len(index.posts_))
        if columns:
            out = np.asarray(index.bm25_[:, columns].sum(axis=1)).ravel()
        return np.where(index.public_ & (index.created_ < at), out, 0.0)

    return match


def _answers(
    index: AlreadyDone, *, only: frozenset[str] = frozenset(), accepted_at: np.ndarray | None = None
) -> tuple[_Answers, _Exchanges]:
    """The public answers and reply exchanges among the index's posts, by position.

    ``only`` (when not empty) names the replies that are answers; other direct replies to a question (comments) are
    exchanges but not answers.
    """
    posts = index.posts_
    position = {post.id: i for i, post in enumerate(posts)}
    rows: list[tuple[int, int, int, float, int]] = []
    sources, targets, ats = [], [], []
    for i, post in enumerate(posts):
        parent_at = position.get(post.reply_to) if post.reply_to else None
        if parent_at is None or not post.is_public:
            continue
        parent: Post = posts[parent_at]
        if not parent.is_public:
            continue
        author, parent_author = index.index_.get(post.author), index.index_.get(parent.author)
        if author is None or parent_author is None or author == parent_author:
            continue
        sources.append(author)
        targets.append(parent_author)
        ats.append(index.created_[i])
        if parent.reply_to is None and (not only or post.id in only):
            rows.append((i, author, parent_at, index.created_[i], len(post.terms)))
    rows.sort(key=lambda row: (row[3], row[0]))
    seen: set[int] = set()
    first = []
    for row in rows:
        first.append(row[2] not in seen)
        seen.add(row[2])
    columns = list(zip(*rows, strict=True)) if rows else [(), (), (), (), ()]
    answers = _Answers(
        post=np.array(columns[0], dtype=np.int64),
        author=np.array(columns[1], dtype=np.int64),
        question=np.array(columns[2], dtype=np.int64),
        at=np.array(columns[3], dtype=np.float64),
        length=np.array(columns[4], dtype=np.float64),
        first=np.array(first, dtype=np.float64),
        accepted_at=(
            np.full(len(rows), np.inf) if accepted_at is None else accepted_at[np.array(columns[0], dtype=np.int64)]
        ),
    )
    exchanges = _Exchanges(
        source=np.array(sources, dtype=np.int64),
        target=np.array(targets, dtype=np.int64),
        at=np.array(ats, dtype=np.float64),
    )
    return answers, exchanges


def _best(values: np.ndarray, n: int) -> np.ndarray:
    positive = np.flatnonzero(values > 0)
    if len(positive) > n:
        positive = positive[np.argpartition(-values[positive], n - 1)[:n]]
    return positive


def _relative(values: np.ndarray) -> np.ndarray:
    top = float(values.max()) if len(values) else 0.0
    return values / top if top > 0 else np.zeros_like(values)


def _reciprocal_rank(values: np.ndarray) -> np.ndarray:
    """1 / rank among everyone (ties by position), 0 for people with no score."""
    rank = np.empty(len(values))
    rank[np.lexsort((np.arange(len(values)), -values))] = np.arange(1, len(values) + 1)
    return np.where(values > 0, 1.0 / rank, 0.0)
