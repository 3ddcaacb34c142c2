"""A learned score for "will these two start interacting": logistic regression over pair features, fitted on the
graph's own recent past.

Fitting needs no labels from outside: the ties that were born recently (every interaction after an inner cut, read
from each tie's count, decayed weight and last instant) are held out, the features are rebuilt without them, and the
model learns to pick them out among every other candidate with a reason. So weights follow each organisation's
data (how much mutual colleagues, hubs, recency or team distance predict a new tie there), not constants.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Self

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from recommender.features import Features
from recommender.scoring import band_curve
from recommender.timeline import SECONDS_PER_DAY

PAIR_FEATURES: tuple[str, ...] = (
    "log_mutual",
    "band",
    "adamic_adar",
    "resource_allocation",
    "jaccard",
    "path_strength",
    "log_degree_person",
    "log_degree_candidate",
    "activity_candidate",
    "recency_candidate",
    "shared_topics",
    "complementary_topics",
    "reach",
    "same_team",
    "log_adamic_adar",
    "log_resource_allocation",
    "team_links_candidate",
    "team_links_person",
    "team_share_candidate",
    "team_share_person",
)
"""The last four: how many (and what share) of the person's team the candidate already talks to, and the other way
round. A cross-team tie often follows a team's existing contacts."""


LOG_FLOOR = 1e-3
"""Added before taking logs of Adamic–Adar and resource allocation, which are 0 for pairs with only topics."""


@dataclass(frozen=True, slots=True)
class PairBlock:
    """Candidate pairs of some rows (those with a reason: mutual colleagues or topics) and their features."""

    rows: np.ndarray
    cols: np.ndarray
    values: np.ndarray
    """One row of :data:`PAIR_FEATURES` per pair."""


class TieModel(BaseEstimator):
    """Logistic regression over :data:`PAIR_FEATURES`, fitted on ties born after an inner cut of the history.

    :attr:`typical_mutual_` is the median number of mutual colleagues among those ties (those with any), a
    diagnostic of where this organisation's band lies. It is not used as the band's peak: with ``log_mutual`` beside
    it, a peak near the median makes the band almost collinear with it, and on email-Eu-core that cost recall.

    The inner cut leaves ``holdout_share`` of the ties (by latest interaction) after it; of those, ties whose
    every interaction could lie after the cut are the positives. Each positive's person contributes at most
    ``negatives_per_positive`` other candidates as negatives. Too few positives (< ``min_positives``) and the
    model stays unfitted: :attr:`fitted_` is False and callers keep their fixed weights.
    """

    def __init__(
        self,
        *,
        band_peak: float = 3.0,
        half_life_days: float = 90.0,
        holdout_share: float = 0.15,
        negatives_per_positive: int = 20,
        min_positives: int = 50,
        regularisation: float = 1.0,
        random_state: int = 0,
    ) -> None:
        self.band_peak = band_peak
        self.half_life_days = half_life_days
        self.holdout_share = holdout_share
        self.negatives_per_positive = negatives_per_positive
        self.min_positives = min_positives
        self.regularisation = regularisation
        self.random_state = random_state

    def fit(self, features: Features, rarity: np.ndarray) -> Self:
        positives = self._recent_births(features)
        self.n_positives_ = int(positives.nnz // 2)
        self.typical_mutual_ = float("nan")
        self.fitted_ = self.n_positives_ >= self.min_positives
        if not self.fitted_:
            return self
        before = _without(features, positives)
        rows = np.unique(positives.tocoo().row)
        block = pair_block(before, rarity, rows, band_peak=self.band_peak, half_life_days=self.half_life_days)
        labels = np.asarray(positives[block.rows, block.cols]).ravel() > 0
        self.typical_mutual_ = _typical_mutual(block, labels)
        keep = self._sample(block.rows, labels)
        x, y = block.values[keep], labels[keep]
        if y.all() or not y.any():
            self.fitted_ = False
            return self
        self.scaler_ = StandardScaler().fit(x)
        self.classifier_ = LogisticRegression(C=self.regularisation, max_iter=1000).fit(self.scaler_.transform(x), y)
        return self

    def score(self, block: PairBlock) -> np.ndarray:
        """Probability-like scores in (0, 1) for the block's pairs."""
        if len(block.values) == 0:
            return np.zeros(0)
        return self.classifier_.predict_proba(self.scaler_.transform(block.values))[:, 1]

    @property
    def weights(self) -> dict[str, float]:
        """Standardised coefficient per feature: which signals this organisation's new ties follow."""
        return {name: float(c) for name, c in zip(PAIR_FEATURES, self.classifier_.coef_[0], strict=True)}

    def _recent_births(self, features: Features) -> sp.csr_matrix:
        """Symmetric 0/1 matrix of ties born after the inner cut."""
        last = features.tie_last.tocoo()
        if last.nnz == 0:
            return sp.csr_matrix(features.ties.shape)
        inner_cut = float(np.quantile(last.data, 1.0 - self.holdout_share))
        now = features.as_of.timestamp()
        counts = np.asarray(features.tie_counts[last.row, last.col]).ravel()
        weight_now = np.asarray(features.ties[last.row, last.col]).ravel()
        # Tie weights are decayed to ``as_of``; brought back to the last interaction, weight / count is the mean
        # decay factor of the tie's events, which is at least 0.5 ** (span / half-life) when all of them fall in
        # the ``span`` between the inner cut and the last one.
        weight_at_last = weight_now * np.power(0.5, -(now - last.data) / (self.half_life_days * SECONDS_PER_DAY))
        floor = np.power(0.5, (last.data - inner_cut) / (self.half_life_days * SECONDS_PER_DAY))
        born = (last.data >= inner_cut) & (weight_at_last / np.maximum(counts, 1.0) >= floor * (1.0 - 1e-9))
        matrix = sp.csr_matrix((np.ones(int(born.sum())), (last.row[born], last.col[born])), shape=features.ties.shape)
        return ((matrix + matrix.T) > 0).astype(np.float64).tocsr()

    def _sample(self, rows: np.ndarray, labels: np.ndarray) -> np.ndarray:
        """All positives and up to ``negatives_per_positive`` negatives per positive of the same person."""
        keep = labels.copy()
        if len(rows) == 0:
            return keep
        positives_of = np.bincount(rows[labels], minlength=int(rows.max()) + 1)
        negatives = np.flatnonzero(~labels)
        # A random order within each person, then the first ``cap`` of each person's negatives.
        shuffle = np.random.default_rng(self.random_state).random(len(negatives))
        ordered = negatives[np.lexsort((shuffle, rows[negatives]))]
        owners = rows[ordered]
        first = np.searchsorted(owners, owners, side="left")
        rank = np.arange(len(ordered)) - first
        keep[ordered[rank < self.negatives_per_positive * positives_of[owners]]] = True
        return keep


def pair_block(
    features: Features, rarity: np.ndarray, rows: np.ndarray, *, band_peak: float, half_life_days: float
) -> PairBlock:
    """Every pair (row, candidate) with mutual colleagues or topic overlap, and its feature values."""
    f = features
    colleagues = f.colleagues
    degree = np.asarray(colleagues.sum(axis=1)).ravel()
    mutual = (colleagues[rows] @ colleagues).tocsr()
    topical = (f.knows[rows] @ f.knows.T + f.asks[rows] @ f.knows.T + f.knows[rows] @ f.asks.T).tocsr()
    pattern = ((mutual + topical) != 0).tocoo()
    keep = rows[pattern.row] != pattern.col
    r_local, cols = pattern.row[keep], pattern.col[keep].astype(np.int64)
    persons = rows[r_local]
    count = _entries(mutual, r_local, cols)
    aa_weight = np.zeros(len(degree))
    aa_weight[degree > 1] = 1.0 / np.log(degree[degree > 1])
    ra_weight = np.divide(1.0, degree, out=np.zeros(len(degree)), where=degree > 0)
    aa = _entries((colleagues[rows] @ sp.diags(aa_weight) @ colleagues).tocsr(), r_local, cols)
    ra = _entries((colleagues[rows] @ sp.diags(ra_weight) @ colleagues).tocsr(), r_local, cols)
    strength = _entries((f.ties[rows] @ f.ties).tocsr(), r_local, cols)
    union = degree[persons] + degree[cols] - count
    activity = np.asarray(f.ties.sum(axis=1)).ravel()
    last_seen = np.asarray(f.tie_last.max(axis=1).todense()).ravel()
    age_days = np.maximum(f.as_of.timestamp() - last_seen, 0.0) / SECONDS_PER_DAY
    recency = np.where(last_seen > 0, np.power(0.5, age_days / half_life_days), 0.0)
    shared = _entries((f.knows[rows] @ f.knows.T).tocsr(), r_local, cols)
    complementary = _entries((f.asks[rows] @ f.knows.T + f.knows[rows] @ f.asks.T).tocsr(), r_local, cols)
    teams_p, teams_c = f.team_of[persons], f.team_of[cols]
    known = (teams_p >= 0) & (teams_c >= 0)
    links_candidate, share_candidate = _team_links(f, cols, teams_p)
    links_person, share_person = _team_links(f, persons, teams_c)
    reach = np.zeros(len(cols))
    if rarity.size:
        reach[known] = rarity[teams_p[known], teams_c[known]]
    values = np.column_stack(
        [
            np.log1p(count),
            band_curve(count, band_peak),
            aa,
            ra,
            np.divide(count, union, out=np.zeros(len(cols)), where=union > 0),
            np.log1p(strength),
            np.log1p(degree[persons]),
            np.log1p(degree[cols]),
            np.log1p(activity[cols]),
            recency[cols],
            shared,
            complementary,
            reach,
            (known & (teams_p == teams_c)).astype(np.float64),
            np.log(aa + LOG_FLOOR),
            np.log(ra + LOG_FLOOR),
            np.log1p(links_candidate),
            np.log1p(links_person),
            share_candidate,
            share_person,
        ]
    )
    return PairBlock(rows=persons, cols=cols, values=values)


def _typical_mutual(block: PairBlock, labels: np.ndarray) -> float:
    count = np.rint(np.expm1(block.values[labels, PAIR_FEATURES.index("log_mutual")]))
    count = count[count > 0]
    return float(np.median(count)) if len(count) else float("nan")


def _team_links(f: Features, people: np.ndarray, teams: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """How many members of ``teams[i]`` person ``people[i]`` has a tie with, and that as a share of the team."""
    links, share = np.zeros(len(people)), np.zeros(len(people))
    members = np.flatnonzero(f.team_of >= 0)
    known = teams >= 0
    if len(members) == 0 or not known.any():
        return links, share
    n_teams = len(f.team_ids)
    membership = sp.csr_matrix((np.ones(len(members)), (members, f.team_of[members])), shape=(f.n_people, n_teams))
    per_team = (f.colleagues @ membership).tocsr()
    sizes = np.bincount(f.team_of[members], minlength=n_teams).astype(np.float64)
    links[known] = _entries(per_team, people[known], teams[known])
    share[known] = links[known] / sizes[teams[known]]
    return links, share


def _entries(matrix: sp.csr_matrix, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    return np.asarray(matrix[rows, cols]).ravel() if len(rows) else np.zeros(0)


def _without(features: Features, removed: sp.csr_matrix) -> Features:
    """``features`` as if the ``removed`` ties had never happened (topics are kept: they change slowly)."""
    keep = (features.colleagues - features.colleagues.multiply(removed)).tocsr()
    keep.eliminate_zeros()
    ties = features.ties.multiply(keep).tocsr()
    counts = features.tie_counts.multiply(keep).tocsr()
    last = features.tie_last.multiply(keep).tocsr()
    for matrix in (keep, ties, counts, last):
        matrix.sort_indices()
    return replace(features, ties=ties, tie_counts=counts, tie_last=last, colleagues=keep)
