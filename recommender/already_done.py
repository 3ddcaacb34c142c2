"""Someone has already done that: rank people by the posts that match a text (Balog's document-centric model 2).

Posts are indexed by their terms and topics with BM25; a query's matching posts credit their authors,
co-authors and the people who replied to them, weighted by match score and recency, aggregated per person
with sparse products. Posts the viewer may not see are dropped before anything is credited.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Self

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.feature_extraction.text import CountVectorizer

from graph.delta import Person, Post, can_see
from graph.errors import NotFound
from graph.store import Projection
from recommender.errors import NotFitted, RecommenderError
from recommender.explain import Evidence, Match
from recommender.substance import MAX_SUBSTANCE, substance, thread_of
from recommender.timeline import SECONDS_PER_DAY, decay_factors, latest_instant, seconds

_NONE = np.zeros(0, dtype=np.int64)
TOPIC_PREFIX = "topic:"
"""Topic ids share the index with terms under this prefix, so a topic never collides with a plain word."""
MAX_TOPIC_WORDS = 4


def _tokens(document: Sequence[str]) -> Sequence[str]:
    """The identity analyzer: documents arrive already split into index tokens."""
    return document


def post_tokens(post: Post) -> list[str]:
    """What a post is indexed by: its normalised terms plus its topic ids."""
    return [*post.terms, *(TOPIC_PREFIX + topic for topic in post.topics)]


@dataclass(frozen=True, slots=True)
class _Credit:
    posts: np.ndarray
    """Post positions that earned credit."""
    match: np.ndarray
    """How well each post matches the query (for replies: the sum over the posts they answer)."""
    weights: np.ndarray
    """Credit per post before the role factor: ``match`` × the post's recency."""


class AlreadyDone(BaseEstimator):
    """Find the people who have already worked on what a text describes.

    ``analyzer`` turns the query text into the same normalised terms posts carry (``TopicAnalyzer.terms``).
    Authors earn full credit for a matching post, co-authors ``co_author_credit`` and repliers
    ``reply_credit``; the author of a *question* only ``question_credit`` (asking is not having done it).
    Each post counts by its BM25 match, relative to the query's best match and raised to ``sharpness``, times
    ``0.5 ** (age / half_life_days)``: sharpening keeps someone with one post that is exactly about the
    query ahead of a prolific writer with many posts that share a word or two with it. Opted-out people and
    the asker are never returned.

    A match's evidence is the posts that earned its credit, ranked by credit × :func:`~recommender.substance.substance`
    (on the query's topics), so the answer that did the work comes before a comment that merely matches; chatter
    still counts in the score but is never shown.
    """

    def __init__(
        self,
        *,
        analyzer: Callable[[str], Sequence[str]],
        half_life_days: float = 365.0,
        co_author_credit: float = 0.8,
        reply_credit: float = 0.6,
        question_credit: float = 0.2,
        sharpness: float = 2.0,
        k1: float = 1.2,
        b: float = 0.75,
        max_evidence: int = 3,
        max_posts: int = 1000,
    ) -> None:
        self.analyzer = analyzer
        self.half_life_days = half_life_days
        self.co_author_credit = co_author_credit
        self.reply_credit = reply_credit
        self.question_credit = question_credit
        self.sharpness = sharpness
        self.k1 = k1
        self.b = b
        self.max_evidence = max_evidence
        self.max_posts = max_posts

    def fit(self, projection: Projection, *, as_of: datetime | None = None) -> Self:
        """Index the projection's posts; recency is measured to ``as_of`` (default: its newest timestamp)."""
        if self.half_life_days <= 0 or self.k1 < 0 or not 0.0 <= self.b <= 1.0 or self.max_posts < 1:
            raise RecommenderError("half_life_days and max_posts must be positive, k1 non-negative and b within [0, 1]")
        as_of = latest_instant(projection) if as_of is None else as_of
        self.as_of_ = as_of
        self.people_ = tuple(sorted(projection.people, key=lambda person: person.id))
        self.index_ = {person.id: i for i, person in enumerate(self.people_)}
        self.posts_ = tuple(projection.posts)
        post_index = {post.id: i for i, post in enumerate(self.posts_)}
        self.positions_ = post_index
        self.created_ = np.array([seconds(post.created_at) for post in self.posts_], dtype=np.float64)
        self.recency_ = decay_factors(self.created_, seconds(as_of), half_life_days=self.half_life_days)
        self.public_ = np.array([post.is_public for post in self.posts_], dtype=bool)
        self.restricted_ = _restricted_index(self.posts_)
        self.bm25_, self.vocabulary_ = self._bm25([post_tokens(post) for post in self.posts_])
        self.topics_ = frozenset(topic.id for topic in projection.topics) | {
            topic for post in self.posts_ for topic in post.topics
        }
        self.credit_ = self._credit_matrix()
        self.credit_by_person_ = self.credit_.tocsc()
        self.replies_ = _reply_matrix(self.posts_, post_index)
        self.excluded_ = np.array([person.opted_out for person in self.people_], dtype=bool)
        return self

    def query(self, text: str, *, asker: str | None = None, viewer: str | None = None, k: int = 5) -> list[Match]:
        """The ``k`` people most likely to have done what ``text`` describes, with their visible evidence.

        ``viewer`` defaults to the asker (anonymous, public posts only, when there is neither). Raises
        :class:`graph.errors.NotFound` for an unknown asker or viewer.
        """
        if not hasattr(self, "bm25_"):
            raise NotFitted(type(self).__name__)
        asking = self._person(asker)
        seen_by = self._person(viewer) if viewer is not None else asking
        if k <= 0:
            return []
        tokens = self._query_tokens(text)
        matched, replies, scores = self._score(tokens, asking, seen_by)
        found = (matched, replies, _topics(tokens))
        return [self._match(person, float(scores[person]), found, asking, seen_by) for person in _top(scores, k)]

    def person_scores(
        self,
        tokens: Iterable[str],
        *,
        asker: str | None = None,
        viewer: str | None = None,
        before: datetime | None = None,
    ) -> np.ndarray:
        """Everyone's score (aligned with ``people_``) for a query already in index tokens (see :func:`post_tokens`).

        This is what :meth:`query` ranks by; it lets a past post be used as a query without re-analysing its text.
        ``before`` replays the past: only posts created before it count, and recency is measured to it, so the
        scores equal those of an index fitted on just those posts (up to the corpus statistics of BM25).
        """
        if not hasattr(self, "bm25_"):
            raise NotFitted(type(self).__name__)
        asking = self._person(asker)
        seen_by = self._person(viewer) if viewer is not None else asking
        return self._score(set(tokens), asking, seen_by, before=before)[2]

    def evidence(
        self, tokens: Iterable[str], people: Sequence[str], *, asker: str | None = None, viewer: str | None = None
    ) -> dict[str, tuple[Evidence, ...]]:
        """The posts that back each of ``people`` for a query in index tokens, as :meth:`query` would show them.

        Lets another ranking (who can answer) show the same visible evidence without ranking everyone twice.
        """
        if not hasattr(self, "bm25_"):
            raise NotFitted(type(self).__name__)
        asking = self._person(asker)
        seen_by = self._person(viewer) if viewer is not None else asking
        tokens = set(tokens)
        matched, replies, scores = self._score(tokens, asking, seen_by)
        credited = (matched, replies, _topics(tokens))
        found: dict[str, tuple[Evidence, ...]] = {}
        for person_id in people:
            position = self.index_.get(person_id)
            if position is None:
                raise NotFound("person", person_id)
            found[person_id] = self._match(position, float(scores[position]), credited, asking, seen_by).evidence
        return found

    def _score(
        self, tokens: set[str], asking: Person | None, seen_by: Person | None, *, before: datetime | None = None
    ) -> tuple[_Credit, _Credit, np.ndarray]:
        visible = self._visible(seen_by)
        if before is not None:
            visible &= self.created_ < seconds(before)
        matched = self._matches(tokens, visible)
        replies = self._replies(matched, visible)
        scores = self.credit_[matched.posts].T @ matched.weights
        scores += self.reply_credit * (self.credit_[replies.posts].T @ replies.weights)
        scores[self.excluded_] = 0.0
        if asking is not None:
            scores[self.index_[asking.id]] = 0.0
        if before is not None:
            # Recency was measured to as_of; one factor moves every visible post's to ``before``.
            scores *= 0.5 ** ((seconds(self.as_of_) - seconds(before)) / (self.half_life_days * SECONDS_PER_DAY))
        return matched, replies, scores

    def _matches(self, tokens: set[str], visible: np.ndarray) -> _Credit:
        """The ``max_posts`` best visible posts matching the text, weighted by BM25 × recency.

        Posts tied with the last one kept are kept too, so the cut does not depend on post order.
        """
        columns = sorted({self.vocabulary_[token] for token in tokens if token in self.vocabulary_})
        if not columns:
            return _no_credit()
        hits = self.bm25_[:, columns]
        posts, inverse = np.unique(hits.indices, return_inverse=True)
        match = np.bincount(inverse, weights=hits.data, minlength=len(posts))
        seen = visible[posts]
        posts, match = posts[seen], match[seen]
        if len(match):
            match = (match / match.max()) ** self.sharpness
        weights = match * self.recency_[posts]
        if len(posts) > self.max_posts:
            cutoff = np.partition(weights, len(weights) - self.max_posts)[len(weights) - self.max_posts]
            best = weights >= cutoff
            posts, match, weights = posts[best], match[best], weights[best]
        return _Credit(posts, match, weights)

    def _replies(self, matched: _Credit, visible: np.ndarray) -> _Credit:
        """Visible replies to matched posts, weighted by the parent's match and the reply's own recency."""
        if len(matched.posts) == 0:
            return _no_credit()
        links = self.replies_[matched.posts].tocoo()
        replies, inverse = np.unique(links.col, return_inverse=True)
        match = np.bincount(inverse, weights=matched.match[links.row], minlength=len(replies))
        seen = visible[replies]
        replies, match = replies[seen].astype(np.int64), match[seen]
        return _Credit(replies, match, match * self.recency_[replies])

    def _visible(self, viewer: Person | None) -> np.ndarray:
        """Which posts ``viewer`` may see: the rule of :func:`graph.delta.can_see`, as one boolean mask."""
        visible = self.public_.copy()
        if viewer is not None:
            for key in (viewer.id, None if viewer.team is None else f"team:{viewer.team}"):
                visible[self.restricted_.get(key, _NONE)] = True
        return visible

    def query_tokens(self, text: str) -> set[str]:
        """The index tokens of a query text: its terms plus the topics any run of them spells."""
        return self._query_tokens(text)

    def _query_tokens(self, text: str) -> set[str]:
        terms = [str(term) for term in self.analyzer(text)]
        tokens = set(terms)
        # Topic ids are normalised phrases; any run of query terms that spells one matches the topic.
        for size in range(1, MAX_TOPIC_WORDS + 1):
            for start in range(len(terms) - size + 1):
                phrase = " ".join(terms[start : start + size])
                if phrase in self.topics_:
                    tokens.add(TOPIC_PREFIX + phrase)
        return tokens

    def _match(
        self,
        person: int,
        score: float,
        credited: tuple[_Credit, _Credit, frozenset[str]],
        asking: Person | None,
        seen_by: Person | None,
    ) -> Match:
        """``person``'s match: the posts that earned them credit, the most substantive of the best matched first."""
        matched, replies, topics = credited
        who = self.people_[person]
        start, stop = self.credit_by_person_.indptr[person], self.credit_by_person_.indptr[person + 1]
        theirs, role = self.credit_by_person_.indices[start:stop], self.credit_by_person_.data[start:stop]
        contributions: dict[int, float] = {}
        for credit, factor in ((matched, 1.0), (replies, self.reply_credit)):
            _, mine, hit = np.intersect1d(theirs, credit.posts, assume_unique=True, return_indices=True)
            for post, value in zip(
                theirs[mine].tolist(), (factor * role[mine] * credit.weights[hit]).tolist(), strict=True
            ):
                contributions[post] = contributions.get(post, 0.0) + value
        best = self._most_substantive(contributions, topics, seen_by)
        evidence = tuple(
            Evidence.of(self.posts_[post], thread=thread_of(self.posts_[post], lambda pid: self._seen(pid, seen_by)))
            for post in best
        )
        cross_team = asking is not None and (who.team is None or who.team != asking.team)
        return Match(person=who, score=score, cross_team=cross_team, evidence=evidence)

    def _most_substantive(
        self, contributions: dict[int, float], topics: frozenset[str], seen_by: Person | None
    ) -> list[int]:
        """The ``max_evidence`` posts with the most credit × substance, chatter left out; ties go to the lower id.

        Posts are weighed in order of credit and the walk stops once even the most substantive post could not
        make the list: a prolific person's hundreds of matching posts are not all read.
        """
        order = sorted(contributions, key=lambda post: (-contributions[post], self.posts_[post].id))
        best: list[tuple[float, str, int]] = []
        for post in order:
            credit = contributions[post]
            if len(best) == self.max_evidence and credit * MAX_SUBSTANCE < -best[-1][0]:
                break
            item = self.posts_[post]
            worth = credit * substance(item, topics, parent=self._seen(item.reply_to, seen_by))
            if worth <= 0:
                continue  # chatter: it earned credit, but is never quoted
            best.append((-worth, item.id, post))
            best.sort()
            del best[self.max_evidence :]
        return [post for _, _, post in best]

    def _seen(self, post_id: str | None, viewer: Person | None) -> Post | None:
        """The indexed post ``post_id`` when ``viewer`` may see it (a thread's title is shown with a reply)."""
        position = None if post_id is None else self.positions_.get(post_id)
        if position is None:
            return None
        post = self.posts_[position]
        return post if can_see(post, viewer) else None

    def _bm25(self, documents: list[list[str]]) -> tuple[sp.csc_matrix, dict[str, int]]:
        """Posts×tokens BM25 weights (column-sliceable) and the token vocabulary.

        Document frequencies and the average length come from public posts only, so a restricted post
        never shifts anyone else's scores: results for a viewer equal those over just the posts they see.
        """
        if not any(documents):
            return sp.csc_matrix((len(documents), 0)), {}
        vectorizer = CountVectorizer(analyzer=_tokens)
        counts = vectorizer.fit_transform(documents).tocsr().astype(np.float64)
        length = np.asarray(counts.sum(axis=1)).ravel()
        public = counts[self.public_]
        public_length = length[self.public_]
        average = float(public_length.mean()) if public_length.size and public_length.mean() > 0 else 1.0
        df = np.bincount(public.indices, minlength=counts.shape[1])
        idf = np.log1p((public.shape[0] - df + 0.5) / (df + 0.5))
        row_norm = np.repeat(self.k1 * (1.0 - self.b + self.b * length / average), np.diff(counts.indptr))
        tf = counts.data
        counts.data = tf * (self.k1 + 1.0) / (tf + row_norm) * idf[counts.indices]
        vocabulary = {str(token): int(column) for token, column in vectorizer.vocabulary_.items()}
        return counts.tocsc(), vocabulary

    def _credit_matrix(self) -> sp.csr_matrix:
        """Posts×people: 1 for the author (``question_credit`` for a question's), ``co_author_credit`` for each
        co-author (the larger if both)."""
        credit: dict[tuple[int, int], float] = {}
        for i, post in enumerate(self.posts_):
            author = self.question_credit if post.is_question else 1.0
            for person_id, value in ((post.author, author), *((who, self.co_author_credit) for who in post.co_authors)):
                person = self.index_.get(person_id)
                if person is not None:
                    credit[(i, person)] = max(credit.get((i, person), 0.0), value)
        rows = np.array([key[0] for key in credit], dtype=np.int64)
        cols = np.array([key[1] for key in credit], dtype=np.int64)
        values = np.array(list(credit.values()), dtype=np.float64)
        return sp.csr_matrix((values, (rows, cols)), shape=(len(self.posts_), len(self.people_)))

    def _person(self, person_id: str | None) -> Person | None:
        if person_id is None:
            return None
        position = self.index_.get(person_id)
        if position is None:
            raise NotFound("person", person_id)
        return self.people_[position]


def _restricted_index(posts: Sequence[Post]) -> dict[str | None, np.ndarray]:
    """Restricted post positions by who may see them: author and co-author ids, audience entries."""
    found: dict[str | None, list[int]] = defaultdict(list)
    for i, post in enumerate(posts):
        if not post.is_public:
            for key in {*post.authors, *post.audience}:
                found[key].append(i)
    return {key: np.array(items, dtype=np.int64) for key, items in found.items()}


def _reply_matrix(posts: Sequence[Post], post_index: dict[str, int]) -> sp.csr_matrix:
    """Posts×posts: row = the post replied to, column = the reply."""
    pairs = [(post_index[post.reply_to], i) for i, post in enumerate(posts) if post.reply_to in post_index]
    rows = np.array([parent for parent, _ in pairs], dtype=np.int64)
    cols = np.array([reply for _, reply in pairs], dtype=np.int64)
    return sp.csr_matrix((np.ones(len(pairs)), (rows, cols)), shape=(len(posts), len(posts)))


def _topics(tokens: Iterable[str]) -> frozenset[str]:
    """The topic ids among a query's index tokens."""
    return frozenset(token.removeprefix(TOPIC_PREFIX) for token in tokens if token.startswith(TOPIC_PREFIX))


def _no_credit() -> _Credit:
    return _Credit(np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0))


def _top(scores: np.ndarray, k: int) -> list[int]:
    """Positions of the ``k`` highest positive scores, best first; ties go to the lower position (id order)."""
    positive = np.flatnonzero(scores > 0)
    if len(positive) > k:
        keep = np.argpartition(-scores[positive], k - 1)[:k]
        cutoff = scores[positive][keep].min()
        positive = positive[scores[positive] >= cutoff]
    order = np.lexsort((positive, -scores[positive]))
    return positive[order][:k].tolist()
