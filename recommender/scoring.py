"""The people-to-meet score: topic affinity, a weak-tie band over mutual colleagues and cross-team reach.

:func:`score_block` scores many rows at once for fitting; :func:`score_pair` scores one pair and keeps the
parts, so reasons and the "newest evidence" of a suggestion come from exactly what the score used.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from recommender.features import Features


@dataclass(frozen=True, slots=True)
class ScoreWeights:
    shared: float = 1.0
    """Both know the same topics (cosine of specificity-weighted expertise)."""
    complementary: float = 0.8
    """One asks about what the other knows, either way round."""
    band: float = 0.5
    """Mutual colleagues, peaking at ``band_peak`` and fading for well-connected pairs."""
    reach: float = 0.3
    """Their teams rarely interact."""


@dataclass(frozen=True, slots=True)
class PairScore:
    """One pair's score and the parts it is made of (unweighted, except ``total``)."""

    shared: float
    complementary: float
    mutual: int
    band: float
    reach: float
    total: float
    shared_topics: tuple[tuple[int, float], ...]
    """(topic, contribution), largest first."""
    they_know: tuple[tuple[int, float], ...]
    """Topics the person asks about and the candidate knows."""
    they_ask: tuple[tuple[int, float], ...]
    """Topics the candidate asks about and the person knows."""
    mutual_people: tuple[int, ...]
    """Mutual colleagues, strongest combined tie first."""
    evidence_at: float | None
    """Epoch seconds of the newest evidence behind the parts that count (positive weight)."""

    @property
    def has_reason(self) -> bool:
        return self.total > 0 and (self.shared > 0 or self.complementary > 0 or self.band > 0)


def band_curve(mutual: np.ndarray, peak: float) -> np.ndarray:
    """Inverted U over mutual-colleague counts: 0 at none, 1 at ``peak``, then fading (weak ties, not cliques)."""
    ratio = np.asarray(mutual, dtype=np.float64) / peak
    return ratio * np.exp(1.0 - ratio)


def reach_block(features: Features, rarity: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Rarity of interaction between each row's team and every person's team; 0 when either has no team."""
    row_teams, col_teams = features.team_of[rows], features.team_of
    if rarity.size == 0:
        return np.zeros((len(rows), features.n_people))
    block = rarity[np.clip(row_teams, 0, None)][:, np.clip(col_teams, 0, None)]
    block[row_teams < 0, :] = 0.0
    block[:, col_teams < 0] = 0.0
    return block


def score_block(
    features: Features,
    rarity: np.ndarray,
    rows: np.ndarray,
    *,
    weights: ScoreWeights,
    band_peak: float,
    knows_t: sp.csr_matrix,
    asks_t: sp.csr_matrix,
) -> np.ndarray:
    """Dense scores of ``rows`` against everyone; 0 where the pair has no real reason (topics or mutual colleagues).

    ``knows_t`` / ``asks_t`` are the transposed expertise matrices, passed in so they are built once per fit.
    """
    score = np.zeros((len(rows), features.n_people))
    # Products stay sparse and are added where they are non-zero: most pairs share nothing.
    if weights.shared > 0:
        _add(score, features.knows[rows] @ knows_t, weights.shared)
    if weights.complementary > 0:
        _add(score, features.asks[rows] @ knows_t, weights.complementary)
        _add(score, features.knows[rows] @ asks_t, weights.complementary)
    if weights.band > 0:
        mutual = (features.colleagues[rows] @ features.colleagues).tocsr()
        mutual.data = band_curve(mutual.data, band_peak)
        _add(score, mutual, weights.band)
    has_reason = score > 0
    if weights.reach > 0:
        score += weights.reach * reach_block(features, rarity, rows)
    score[~has_reason] = 0.0
    return score


def _add(dense: np.ndarray, product: sp.spmatrix, weight: float) -> None:
    coo = product.tocoo()
    # A product of canonical CSR matrices has no duplicate entries, so fancy-index += adds each once.
    dense[coo.row, coo.col] += weight * coo.data


def score_pair(
    features: Features,
    rarity: np.ndarray,
    person: int,
    candidate: int,
    *,
    weights: ScoreWeights,
    band_peak: float,
) -> PairScore:
    """The same score as :func:`score_block` for one pair, with its parts and the evidence behind them."""
    f = features
    shared = _overlap(f.knows, person, f.knows, candidate) if weights.shared > 0 else ()
    they_know = _overlap(f.asks, person, f.knows, candidate) if weights.complementary > 0 else ()
    they_ask = _overlap(f.knows, person, f.asks, candidate) if weights.complementary > 0 else ()
    mutual_people = _mutual(f, person, candidate) if weights.band > 0 else ()
    shared_value = sum(value for _, value in shared)
    complementary = sum(value for _, value in they_know) + sum(value for _, value in they_ask)
    band = float(band_curve(np.array(len(mutual_people)), band_peak)) if mutual_people else 0.0
    topical = weights.shared * shared_value + weights.complementary * complementary + weights.band * band
    reach = _reach(f, rarity, person, candidate)
    total = topical + weights.reach * reach if topical > 0 else 0.0
    return PairScore(
        shared=float(shared_value),
        complementary=float(complementary),
        mutual=len(mutual_people),
        band=band,
        reach=reach,
        total=float(total),
        shared_topics=shared,
        they_know=they_know,
        they_ask=they_ask,
        mutual_people=mutual_people,
        evidence_at=_evidence_at(f, person, candidate, shared, they_know, they_ask, mutual_people),
    )


def evidence_times(
    features: Features, persons: np.ndarray, candidates: np.ndarray, *, weights: ScoreWeights
) -> np.ndarray:
    """``PairScore.evidence_at`` for many pairs at once (epoch seconds, 0 where there is none)."""
    f = features
    sides: list[tuple[sp.csr_matrix, np.ndarray, sp.csr_matrix, np.ndarray]] = []
    if weights.shared > 0:
        sides += [(f.knows_last, persons, f.knows, candidates), (f.knows_last, candidates, f.knows, persons)]
    if weights.complementary > 0:
        sides += [
            (f.asks_last, persons, f.knows, candidates),
            (f.knows_last, candidates, f.asks, persons),
            (f.knows_last, persons, f.asks, candidates),
            (f.asks_last, candidates, f.knows, persons),
        ]
    if weights.band > 0:
        # One side's tie times to the other side's colleagues: exactly the mutual colleagues.
        sides += [(f.tie_last, persons, f.colleagues, candidates), (f.tie_last, candidates, f.colleagues, persons)]
    newest = np.zeros(len(persons))
    for times, owners, present, others in sides:
        mask = present[others].tocsr()
        mask.data = np.ones_like(mask.data)
        shared = times[owners].multiply(mask).tocsr()
        if shared.nnz:
            newest = np.maximum(newest, shared.max(axis=1).toarray().ravel())
    return newest


# The per-pair helpers below run on every explained suggestion (an API request explains five). Rows hold a few
# dozen entries, where Python's dicts and sets beat numpy's per-call overhead several times; the values and the
# order are the same as the vectorised score_block computes.


def _overlap(left: sp.csr_matrix, person: int, right: sp.csr_matrix, candidate: int) -> tuple[tuple[int, float], ...]:
    theirs = _row_dict(right, candidate)
    if not theirs:
        return ()
    a_idx, a_val = _row(left, person)
    found = [
        (topic, product)
        for topic, value in zip(a_idx.tolist(), a_val.tolist(), strict=True)
        if topic in theirs and (product := value * theirs[topic]) > 0
    ]
    found.sort(key=lambda item: (-item[1], item[0]))
    return tuple(found)


def _mutual(f: Features, person: int, candidate: int) -> tuple[int, ...]:
    common = set(_row(f.colleagues, person)[0].tolist())
    common.intersection_update(_row(f.colleagues, candidate)[0].tolist())
    common.discard(person)
    common.discard(candidate)
    if not common:
        return ()
    mine, theirs = _row_dict(f.ties, person), _row_dict(f.ties, candidate)
    strength = {other: mine.get(other, 0.0) + theirs.get(other, 0.0) for other in common}
    return tuple(sorted(common, key=lambda other: (-strength[other], other)))


def _reach(f: Features, rarity: np.ndarray, person: int, candidate: int) -> float:
    team_p, team_c = int(f.team_of[person]), int(f.team_of[candidate])
    if team_p < 0 or team_c < 0:
        return 0.0
    return float(rarity[team_p, team_c])


def _evidence_at(
    f: Features,
    person: int,
    candidate: int,
    shared: tuple[tuple[int, float], ...],
    they_know: tuple[tuple[int, float], ...],
    they_ask: tuple[tuple[int, float], ...],
    mutual_people: tuple[int, ...],
) -> float | None:
    instants = [0.0]
    pairs = (
        (f.knows_last, f.knows_last, [topic for topic, _ in shared]),
        (f.asks_last, f.knows_last, [topic for topic, _ in they_know]),
        (f.knows_last, f.asks_last, [topic for topic, _ in they_ask]),
        (f.tie_last, f.tie_last, list(mutual_people)),
    )
    for person_side, candidate_side, ids in pairs:
        if ids:
            instants += [_newest(person_side, person, ids), _newest(candidate_side, candidate, ids)]
    newest = float(max(instants))
    return newest if newest > 0 else None


def _newest(matrix: sp.csr_matrix, i: int, cols: list[int]) -> float:
    """The largest of ``matrix[i, cols]`` (0 where absent)."""
    row = _row_dict(matrix, i)
    return max(row.get(col, 0.0) for col in cols)


def _row(matrix: sp.csr_matrix, i: int) -> tuple[np.ndarray, np.ndarray]:
    start, stop = matrix.indptr[i], matrix.indptr[i + 1]
    return matrix.indices[start:stop], matrix.data[start:stop]


def _row_dict(matrix: sp.csr_matrix, i: int) -> dict[int, float]:
    idx, val = _row(matrix, i)
    return dict(zip(idx.tolist(), val.tolist(), strict=True))
