"""Who can answer: "already done" evidence combined with each person's answering activity, with weights learned
from the projection's own past questions (logistic regression over a handful of signals).

Fitting replays the recent past: an :class:`AlreadyDone` index of the posts before an inner cut ranks the people
for each question asked after it, and the model learns how much the match, the volume and the recency of
someone's answers say about who actually replied. Those weights then rank people for new questions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Self

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from graph.delta import Person, Post
from graph.store import Projection
from recommender.already_done import AlreadyDone, post_tokens
from recommender.errors import NotFitted, RecommenderError
from recommender.explain import Match
from recommender.timeline import SECONDS_PER_DAY, latest_instant, seconds

ANSWER_FEATURES: tuple[str, ...] = (
    "match",
    "log_match",
    "match_rank",
    "log_answers",
    "recent_answers",
    "recency",
    "log_posts",
)
FALLBACK_WEIGHTS = np.array([1.0, 0.0, 0.0, 0.1, 0.1, 0.0, 0.0])
"""Used when the history holds too few answered questions to learn from: the match, then activity to break ties."""


class WhoCanAnswer(BaseEstimator):
    """Rank people for a question by what they have done (``AlreadyDone``) and how they answer.

    ``already_done`` holds the :class:`AlreadyDone` hyperparameters (the analyzer is passed separately). Answers are
    public replies to root posts; ``recent_half_life_days`` sets how fast "recent answers" and "recency" fade.
    The last ``inner_share`` of the answered questions (at least ``min_questions``) are replayed to learn the
    weights; each contributes its repliers as positives and the rest of its ``pool`` best candidates as negatives.
    """

    def __init__(
        self,
        *,
        analyzer: Callable[[str], Sequence[str]],
        already_done: dict[str, object] | None = None,
        recent_half_life_days: float = 30.0,
        inner_share: float = 0.3,
        min_questions: int = 30,
        pool: int = 50,
        regularisation: float = 1.0,
        random_state: int = 0,
    ) -> None:
        self.analyzer = analyzer
        self.already_done = already_done
        self.recent_half_life_days = recent_half_life_days
        self.inner_share = inner_share
        self.min_questions = min_questions
        self.pool = pool
        self.regularisation = regularisation
        self.random_state = random_state

    def fit(self, projection: Projection, *, as_of: datetime | None = None) -> Self:
        if not 0.0 < self.inner_share < 1.0 or self.pool < 1 or self.recent_half_life_days <= 0:
            raise RecommenderError("inner_share must lie in (0, 1); pool and recent_half_life_days must be positive")
        as_of = latest_instant(projection) if as_of is None else as_of
        self.index_ = AlreadyDone(analyzer=self.analyzer, **(self.already_done or {})).fit(projection, as_of=as_of)
        self.activity_ = _activity(projection, self.index_.people_, seconds(as_of), self.recent_half_life_days)
        self.learned_ = self._learn(projection)
        return self

    def query(self, text: str, *, asker: str | None = None, viewer: str | None = None, k: int = 5) -> list[Match]:
        """The ``k`` people most likely to answer ``text``, with the evidence ``AlreadyDone`` finds for them."""
        if not hasattr(self, "index_"):
            raise NotFitted(type(self).__name__)
        if k <= 0:
            return []
        tokens = self.index_.query_tokens(text)
        scores = self._rank(self.index_, self.activity_, tokens, asker=asker, viewer=viewer)
        order = np.lexsort((np.arange(len(scores)), -scores))
        best = [int(i) for i in order[:k] if scores[i] > 0]
        found = {m.person.id: m for m in self.index_.query(text, asker=asker, viewer=viewer, k=max(self.pool, k))}
        asking = None if asker is None else self.index_.people_[self.index_.index_[asker]]
        return [self._match(person, float(scores[person]), found, asking) for person in best]

    def _rank(
        self,
        index: AlreadyDone,
        activity: np.ndarray,
        tokens: set[str],
        *,
        asker: str | None,
        viewer: str | None,
    ) -> np.ndarray:
        """Scores over ``index.people_`` (0 for everyone outside the candidate pool, the asker, opted-out people)."""
        match = index.person_scores(tokens, asker=asker, viewer=viewer)
        candidates, values = _features(match, activity, self.pool)
        if asker is not None:
            keep = candidates != index.index_[asker]
            candidates, values = candidates[keep], values[keep]
        keep = ~index.excluded_[candidates]
        candidates, values = candidates[keep], values[keep]
        scores = np.zeros(len(match))
        if len(candidates):
            if self.learned_ is not None:
                scaler, classifier = self.learned_
                scores[candidates] = classifier.predict_proba(scaler.transform(values))[:, 1]
            else:
                scores[candidates] = np.maximum(values @ FALLBACK_WEIGHTS, 1e-12)
        return scores

    def _learn(self, projection: Projection) -> tuple[StandardScaler, LogisticRegression] | None:
        questions = _answered_questions(projection)
        if len(questions) < 2 * self.min_questions:
            return None
        split = max(self.min_questions, round(len(questions) * self.inner_share))
        inner = questions[-split:]
        cut = inner[0][0].created_at
        before = replace(projection, posts=tuple(p for p in projection.posts if seconds(p.created_at) < seconds(cut)))
        index = AlreadyDone(analyzer=self.analyzer, **(self.already_done or {})).fit(before, as_of=cut)
        activity = _activity(before, index.people_, seconds(cut), self.recent_half_life_days)
        rows, labels = [], []
        for question, repliers in inner:
            match = index.person_scores(set(post_tokens(question)), asker=question.author)
            candidates, values = _features(match, activity, self.pool)
            keep = candidates != index.index_.get(question.author, -1)
            truth = {index.index_[p] for p in repliers if p in index.index_}
            rows.append(values[keep])
            labels.append(np.isin(candidates[keep], list(truth)))
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

    def _match(self, person: int, score: float, found: dict[str, Match], asking: Person | None) -> Match:
        who = self.index_.people_[person]
        known = found.get(who.id)
        cross_team = asking is not None and (who.team is None or who.team != asking.team)
        return Match(person=who, score=score, cross_team=cross_team, evidence=known.evidence if known else ())


def _features(match: np.ndarray, activity: np.ndarray, pool: int) -> tuple[np.ndarray, np.ndarray]:
    """The candidate pool (best ``pool`` by match, then by answers) and one row of ANSWER_FEATURES each."""
    by_match = _best(match, pool)
    by_answers = _best(activity[:, 0], pool)
    candidates = np.union1d(by_match, by_answers).astype(np.int64)
    top = float(match.max()) if len(match) and match.max() > 0 else 1.0
    rank = np.empty(len(match))
    rank[np.lexsort((np.arange(len(match)), -match))] = np.arange(1, len(match) + 1)
    values = np.column_stack(
        [
            match[candidates] / top,
            np.log1p(match[candidates]),
            np.where(match[candidates] > 0, 1.0 / rank[candidates], 0.0),
            np.log1p(activity[candidates, 0]),
            np.log1p(activity[candidates, 1]),
            activity[candidates, 2],
            np.log1p(activity[candidates, 3]),
        ]
    )
    return candidates, values


def _best(values: np.ndarray, n: int) -> np.ndarray:
    positive = np.flatnonzero(values > 0)
    if len(positive) > n:
        positive = positive[np.argpartition(-values[positive], n - 1)[:n]]
    return positive


def _activity(projection: Projection, people: Sequence[Person], now: float, half_life_days: float) -> np.ndarray:
    """Per person: answers, decayed answers, recency of the last public post, posts (public ones only)."""
    index = {person.id: i for i, person in enumerate(people)}
    roots = {post.id for post in projection.posts if post.reply_to is None}
    out = np.zeros((len(people), 4))
    last = np.full(len(people), -np.inf)
    for post in projection.posts:
        where = index.get(post.author)
        if where is None or not post.is_public:
            continue
        at = seconds(post.created_at)
        out[where, 3] += 1
        last[where] = max(last[where], at)
        if post.reply_to in roots:
            out[where, 0] += 1
            out[where, 1] += 0.5 ** (max(now - at, 0.0) / (half_life_days * SECONDS_PER_DAY))
    seen = np.isfinite(last)
    out[seen, 2] = np.power(0.5, np.maximum(now - last[seen], 0.0) / (half_life_days * SECONDS_PER_DAY))
    return out


def _answered_questions(projection: Projection) -> list[tuple[Post, set[str]]]:
    """Public root posts answered by someone other than their author, oldest first, with who answered."""
    roots = {post.id: post for post in projection.posts if post.reply_to is None and post.is_public}
    repliers: dict[str, set[str]] = {}
    for post in projection.posts:
        parent = roots.get(post.reply_to) if post.reply_to else None
        if parent is not None and post.author != parent.author:
            repliers.setdefault(parent.id, set()).add(post.author)
    answered = [(roots[q], people) for q, people in repliers.items()]
    return sorted(answered, key=lambda item: (seconds(item[0].created_at), item[0].id))
