"""People you should meet: cross-team introductions with reasons, allocated so no one is flooded.

Fitting scores everyone against everyone in dense row chunks, keeps each row's best candidates and hands
them out greedily by score under a per-candidate capacity; ``recommend`` then only reads that allocation and
writes the reasons for the viewer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Literal, Self

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator

from graph.delta import Person, SuggestionRecord
from graph.errors import NotFound
from graph.store import Projection
from recommender.allocation import activity_capacities, allocate, top_per_row
from recommender.controls import apply_controls, blocked_pairs, hidden_topics
from recommender.errors import NotFitted, RecommenderError
from recommender.explain import Suggestion
from recommender.features import Features, build_features, team_rarity
from recommender.modes import MentorMode, build_mode_features, explain_mode, mode_evidence_at, mode_pair, mode_totals
from recommender.reasons import CORE_KINDS, EvidenceIndex, explain_pair
from recommender.scoring import PairScore, ScoreWeights, evidence_times, score_block, score_pair
from recommender.tie_model import TieModel, pair_block
from recommender.timeline import seconds

NEWER_BY = 1e-3
"""Seconds by which evidence must be newer than a past suggestion's to count as new (absorbs float rounding)."""


Mode = Literal["peer", "mentor", "reverse", "mutual"]
MODES: tuple[Mode, ...] = ("peer", "mentor", "reverse", "mutual")


class PeopleToMeet(BaseEstimator):
    """Suggest people outside one's team who share or complement one's topics, or sit in the weak-tie band.

    A candidate is never the person, a teammate (people without a team have none; ``exclude_teammates=False``
    lets teammates in, for evaluation or in-team modes), opted out, or a strong tie
    (``exclude_strong_ties``): a tie is strong when its interaction count is at least ``strong_count`` or its
    decayed weight is above the ``strong_quantile`` quantile of the person's tie weights. A pair needs a real
    reason (topic affinity or mutual colleagues) before cross-team reach can add to its score. A candidate
    suggested before is skipped until the evidence behind the pair is newer than the stored ``evidence_at``
    (or, without one, than when it was shown). ``recommend`` returns at most ``k`` of the allocation made at fit time.

    Capacity: each person is handed to at most ``capacity`` others per fit when it is given. By default
    (``capacity=None``) the limit follows activity: at least ``max(3, 2 * k)``, and ``activity_slack`` times the
    person's share of all introductions in proportion to how many people they interact with, so people who talk a
    lot can take more introductions (see :func:`~recommender.allocation.activity_capacities`). ``activity_slack=0``
    gives everyone the flat ``max(3, 2 * k)``.

    ``learn_weights=True`` replaces the fixed score weights by a :class:`~recommender.tie_model.TieModel` fitted on
    the projection's own recently formed ties (when there are enough of them); candidates still need a real reason.
    """

    def __init__(
        self,
        *,
        k: int = 5,
        band_peak: float = 3.0,
        capacity: int | None = None,
        activity_slack: float = 1.5,
        half_life_days: float = 90.0,
        random_state: int = 0,
        shared_weight: float = 1.0,
        complementary_weight: float = 0.8,
        band_weight: float = 0.5,
        reach_weight: float = 0.3,
        strong_quantile: float = 0.75,
        strong_count: int = 3,
        exclude_strong_ties: bool = True,
        exclude_teammates: bool = True,
        learn_weights: bool = False,
        pool: int = 50,
        chunk_rows: int = 512,
    ) -> None:
        self.k = k
        self.band_peak = band_peak
        self.capacity = capacity
        self.activity_slack = activity_slack
        self.half_life_days = half_life_days
        self.random_state = random_state
        self.shared_weight = shared_weight
        self.complementary_weight = complementary_weight
        self.band_weight = band_weight
        self.reach_weight = reach_weight
        self.strong_quantile = strong_quantile
        self.strong_count = strong_count
        self.exclude_strong_ties = exclude_strong_ties
        self.exclude_teammates = exclude_teammates
        self.learn_weights = learn_weights
        self.pool = pool
        self.chunk_rows = chunk_rows

    def fit(self, projection: Projection, *, as_of: datetime | None = None) -> Self:
        """Build features as of ``as_of`` (default: the newest timestamp in the projection) and allocate.

        The projection's controls are obeyed (:func:`~recommender.controls.apply_controls`, which is idempotent, so
        an already controlled projection may be passed too).
        """
        self._check_params()
        projection = apply_controls(projection)
        features = build_features(projection, as_of=as_of, half_life_days=self.half_life_days)
        self.features_ = features
        self.weights_ = ScoreWeights(
            shared=self.shared_weight,
            complementary=self.complementary_weight,
            band=self.band_weight,
            reach=self.reach_weight,
        )
        self.rarity_ = team_rarity(features)
        self.tie_model_ = self._tie_model(features)
        self.capacity_ = self.capacity if self.capacity is not None else max(3, 2 * self.k)
        self.capacities_ = self._capacities(features)
        hidden = hidden_topics(projection.controls)
        self.evidence_ = EvidenceIndex.build(projection.posts, projection.expertise, hidden=hidden)
        blocked = self._strong_ties(features) if self.exclude_strong_ties else _empty(features.n_people)
        blocked = blocked + self._repeats(features, projection.suggestions)
        blocked = blocked + _pairs(features, blocked_pairs(projection.controls))
        self.blocked_ = blocked.tocsr()
        self.modes_ = build_mode_features(projection, features, half_life_days=self.half_life_days, hidden=hidden)
        rows, cols, scores = self._candidates(features, self.blocked_)
        self.allocation_ = allocate(
            rows, cols, scores, per_row=self.k, capacity=self.capacities_, random_state=self.random_state
        )
        return self

    def recommend(
        self, person_id: str, *, k: int | None = None, viewer: str | None = None, mode: Mode = "peer"
    ) -> list[Suggestion]:
        """Up to ``k`` suggestions for ``person_id``, best first, explained for ``viewer`` (default: the person).

        ``mode``: ``peer`` (weak ties across teams, allocated under capacity at fit time), or ``mentor``,
        ``reverse`` or ``mutual`` (scored on request by :mod:`recommender.modes`; see docs/recommender.md). Every
        mode keeps out the same people: teammates (unless ``exclude_teammates=False``), opted-out people, strong
        ties, repeats without new evidence, pairs with feedback and do-not-pair pairs.
        Raises :class:`graph.errors.NotFound` for an unknown person or viewer. Opted-out people get none.
        """
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        features = self._fitted()
        person = self._index(person_id)
        seen_by = features.people[self._index(viewer)] if viewer is not None else features.people[person]
        limit = self.k if k is None else k
        if features.people[person].opted_out or limit <= 0:
            return []
        if mode != "peer":
            return self._recommend_mode(person, mode, limit, seen_by)
        suggestions: list[Suggestion] = []
        for candidate, score in self.allocation_.get(person, ()):
            suggestion = self._suggestion(person, candidate, score, seen_by)
            if suggestion is not None:
                suggestions.append(suggestion)
            if len(suggestions) == limit:
                break
        return suggestions

    def score_parts(self, person_id: str, candidate_id: str) -> PairScore:
        """The score of one pair and what it is made of, whether or not the pair was allocated.

        With learned weights, ``total`` is the learned score; the parts are the same either way.
        """
        features = self._fitted()
        person, candidate = self._index(person_id), self._index(candidate_id)
        pair = score_pair(features, self.rarity_, person, candidate, weights=self.weights_, band_peak=self.band_peak)
        if self.tie_model_ is None or pair.total <= 0:
            return pair
        learned = self._learned_block(features, np.array([person]))[0, candidate]
        return replace(pair, total=float(learned))

    def records(self, suggestions: Sequence[Suggestion], *, at: datetime) -> tuple[SuggestionRecord, ...]:
        """Suggestions as they are stored once shown at ``at``, so the next fit does not repeat them."""
        return tuple(
            SuggestionRecord(
                person=item.person,
                candidate=item.candidate.id,
                score=float(item.score),
                reasons=tuple(reason.text for reason in item.reasons),
                at=at,
                evidence_at=item.evidence_at,
            )
            for item in suggestions
        )

    def _recommend_mode(self, person: int, mode: MentorMode, limit: int, viewer: Person) -> list[Suggestion]:
        """The best ``limit`` partners in a mentoring mode whose reasons ``viewer`` may see (no capacity applies)."""
        features, modes = self.features_, self.modes_
        totals = mode_totals(modes, features, mode, person)
        totals[~self._allowed(person)] = 0.0
        found = np.flatnonzero(totals > 0)
        suggestions: list[Suggestion] = []
        for candidate in found[np.lexsort((found, -totals[found]))][: self.pool].tolist():
            pair = mode_pair(modes, features, mode, person, candidate)
            reasons = explain_mode(
                features,
                modes,
                mode,
                pair,
                person,
                candidate,
                viewer=viewer,
                evidence=self.evidence_,
            )
            if not reasons:
                continue
            suggestions.append(
                Suggestion(
                    person=features.people[person].id,
                    candidate=features.people[candidate],
                    score=float(totals[candidate]),
                    reasons=reasons,
                    evidence_at=mode_evidence_at(features, pair, person, candidate),
                )
            )
            if len(suggestions) == limit:
                break
        return suggestions

    def _allowed(self, person: int) -> np.ndarray:
        """Who may be suggested to ``person`` at all: the same rules as the peer allocation, for one row."""
        features = self.features_
        allowed = ~np.array([other.opted_out for other in features.people], dtype=bool)
        allowed[person] = False
        if self.exclude_teammates and features.team_of[person] >= 0:
            allowed &= features.team_of != features.team_of[person]
        row = self.blocked_[person]
        allowed[row.indices[row.data > 0]] = False
        return allowed

    def _suggestion(self, person: int, candidate: int, score: float, viewer: Person) -> Suggestion | None:
        features = self.features_
        pair = score_pair(features, self.rarity_, person, candidate, weights=self.weights_, band_peak=self.band_peak)
        reasons = explain_pair(
            features, pair, person, candidate, viewer=viewer, evidence=self.evidence_, weights=self.weights_
        )
        # A suggestion whose only real reasons the viewer may not see is not shown at all.
        if not any(reason.kind in CORE_KINDS for reason in reasons):
            return None
        return Suggestion(
            person=features.people[person].id,
            candidate=features.people[candidate],
            score=float(score),
            reasons=reasons,
            evidence_at=None if pair.evidence_at is None else datetime.fromtimestamp(pair.evidence_at, UTC),
        )

    def _candidates(self, features: Features, blocked: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each person's best ``pool`` candidates, scored in dense chunks of ``chunk_rows`` rows."""
        n = features.n_people
        knows_t, asks_t = features.knows.T.tocsr(), features.asks.T.tocsr()
        opted_out = np.array([person.opted_out for person in features.people], dtype=bool)
        found: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        for start in range(0, n, self.chunk_rows):
            rows = np.arange(start, min(start + self.chunk_rows, n))
            if self.tie_model_ is not None:
                block = self._learned_block(features, rows)
            else:
                block = score_block(
                    features,
                    self.rarity_,
                    rows,
                    weights=self.weights_,
                    band_peak=self.band_peak,
                    knows_t=knows_t,
                    asks_t=asks_t,
                )
            if self.exclude_teammates:
                teams = features.team_of[rows]
                block[(teams[:, None] >= 0) & (teams[:, None] == features.team_of[None, :])] = 0.0
            block[np.arange(len(rows)), rows] = 0.0
            block[:, opted_out] = 0.0
            block[opted_out[rows], :] = 0.0
            excluded = blocked[rows].tocoo()
            block[excluded.row, excluded.col] = 0.0
            found.append(top_per_row(block, pool=self.pool, row_offset=start))
        if not found:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, np.zeros(0)
        return tuple(np.concatenate(parts) for parts in zip(*found, strict=True))  # type: ignore[return-value]

    def _capacities(self, features: Features) -> np.ndarray:
        """Each person's capacity: ``capacity`` for everyone when given, otherwise activity-proportional."""
        if self.capacity is not None:
            return np.full(features.n_people, self.capacity, dtype=np.int64)
        activity = np.diff(features.colleagues.indptr)
        return activity_capacities(activity, per_row=self.k, base=self.capacity_, slack=self.activity_slack)

    def _tie_model(self, features: Features) -> TieModel | None:
        """The learned pair score when ``learn_weights`` is on and the history holds enough recently formed ties to
        learn from; otherwise ``None`` and the fixed weights score every pair."""
        if not self.learn_weights:
            return None
        model = TieModel(band_peak=self.band_peak, half_life_days=self.half_life_days, random_state=self.random_state)
        model.fit(features, self.rarity_)
        return model if model.fitted_ else None

    def _learned_block(self, features: Features, rows: np.ndarray) -> np.ndarray:
        """Dense learned scores of ``rows`` against everyone; 0 where the pair has no mutual colleague or topic."""
        found = pair_block(features, self.rarity_, rows, band_peak=self.band_peak, half_life_days=self.half_life_days)
        block = np.zeros((len(rows), features.n_people))
        block[found.rows - rows[0], found.cols] = self.tie_model_.score(found)
        return block

    def _strong_ties(self, features: Features) -> sp.csr_matrix:
        """Pairs (person, other) where other is one of person's strong ties (see the class docstring)."""
        ties, counts = features.ties, features.tie_counts
        owner = np.repeat(np.arange(features.n_people), np.diff(ties.indptr))
        thresholds = row_quantiles(ties, self.strong_quantile)
        heavy = ties.copy()
        heavy.data = (ties.data > thresholds[owner]).astype(np.float64)
        frequent = (counts >= self.strong_count).astype(np.float64)
        return (heavy + frequent).tocsr()

    def _repeats(self, features: Features, records: Iterable[SuggestionRecord]) -> sp.csr_matrix:
        """Pairs suggested before whose evidence is not newer than what that suggestion rested on."""
        latest: dict[tuple[str, str], SuggestionRecord] = {}
        for record in records:
            key = (record.person, record.candidate)
            if key not in latest or seconds(record.at) > seconds(latest[key].at):
                latest[key] = record
        persons, candidates, shown_on = [], [], []
        for (person_id, candidate_id), record in latest.items():
            person, candidate = features.index.get(person_id), features.index.get(candidate_id)
            if person is not None and candidate is not None:
                persons.append(person)
                candidates.append(candidate)
                shown_on.append(seconds(record.evidence_at if record.evidence_at is not None else record.at))
        rows, cols = np.array(persons, dtype=np.int64), np.array(candidates, dtype=np.int64)
        newest = evidence_times(features, rows, cols, weights=self.weights_)
        stale = newest <= np.array(shown_on) + NEWER_BY
        n = features.n_people
        return sp.csr_matrix((np.ones(int(stale.sum())), (rows[stale], cols[stale])), shape=(n, n))

    def _check_params(self) -> None:
        if self.k < 1:
            raise RecommenderError(f"k must be at least 1, got {self.k}; ask for one suggestion or more")
        if self.capacity is not None and self.capacity < 1:
            raise RecommenderError(f"capacity must be at least 1 or None, got {self.capacity}")
        if self.band_peak <= 0:
            raise RecommenderError(f"band_peak must be positive, got {self.band_peak}; 2-4 mutual colleagues is usual")
        if not 0.0 <= self.strong_quantile <= 1.0:
            raise RecommenderError(f"strong_quantile must lie in [0, 1], got {self.strong_quantile}")
        if self.activity_slack < 0:
            raise RecommenderError(f"activity_slack must not be negative, got {self.activity_slack}; 0 turns it off")
        if self.pool < 1 or self.chunk_rows < 1 or self.half_life_days <= 0:
            raise RecommenderError("pool, chunk_rows and half_life_days must be positive")
        weights = (self.shared_weight, self.complementary_weight, self.band_weight, self.reach_weight)
        if min(weights) < 0:
            raise RecommenderError(f"score weights must not be negative, got {weights}")

    def _fitted(self) -> Features:
        if not hasattr(self, "features_"):
            raise NotFitted(type(self).__name__)
        return self.features_

    def _index(self, person_id: str) -> int:
        position = self.features_.index.get(person_id)
        if position is None:
            raise NotFound("person", person_id)
        return position


def row_quantiles(matrix: sp.csr_matrix, q: float) -> np.ndarray:
    """The ``q`` quantile of each row's stored values (numpy's linear method); +inf for empty rows."""
    n = matrix.shape[0]
    lengths = np.diff(matrix.indptr)
    owner = np.repeat(np.arange(n), lengths)
    ordered = matrix.data[np.lexsort((matrix.data, owner))]
    quantiles = np.full(n, np.inf)
    filled = lengths > 0
    position = q * (lengths[filled] - 1)
    low, high = np.floor(position).astype(np.int64), np.ceil(position).astype(np.int64)
    start = matrix.indptr[:-1][filled]
    below, above = ordered[start + low], ordered[start + high]
    quantiles[filled] = below + (position - low) * (above - below)
    return quantiles


def _empty(n: int) -> sp.csr_matrix:
    return sp.csr_matrix((n, n), dtype=np.float64)


def _pairs(features: Features, pairs: Iterable[tuple[str, str]]) -> sp.csr_matrix:
    """Directed (person, candidate) id pairs as a 0/1 matrix; pairs naming unknown people are ignored."""
    found = [(features.index[a], features.index[b]) for a, b in pairs if a in features.index and b in features.index]
    rows = np.array([a for a, _ in found], dtype=np.int64)
    cols = np.array([b for _, b in found], dtype=np.int64)
    n = features.n_people
    return sp.csr_matrix((np.ones(len(found)), (rows, cols)), shape=(n, n))
