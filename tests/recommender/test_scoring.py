"""The chunked score equals the per-pair score, and the band and allocation behave as documented."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from recommender.allocation import allocate, top_per_row
from recommender.features import build_features, team_rarity
from recommender.people import PeopleToMeet, row_quantiles
from recommender.scoring import ScoreWeights, band_curve, evidence_times, score_block, score_pair
from tests.recommender.builders import random_org


def test_band_is_zero_at_none_peaks_at_peak_and_fades() -> None:
    values = band_curve(np.arange(0, 13), 3.0)
    assert values[0] == 0.0
    assert values[3] == pytest.approx(1.0)
    assert np.all(np.diff(values[:4]) > 0) and np.all(np.diff(values[3:]) < 0)


@pytest.mark.parametrize("weights", [ScoreWeights(), ScoreWeights(band=0.0), ScoreWeights(shared=0.0, reach=0.0)])
def test_block_scores_match_pair_scores(weights: ScoreWeights) -> None:
    f = build_features(random_org(seed=4))
    rarity = team_rarity(f)
    rows = np.arange(0, 20)
    block = score_block(
        f, rarity, rows, weights=weights, band_peak=3.0, knows_t=f.knows.T.tocsr(), asks_t=f.asks.T.tocsr()
    )
    assert np.count_nonzero(block) > 20
    for r in rows:
        for c in range(f.n_people):
            pair = score_pair(f, rarity, int(r), c, weights=weights, band_peak=3.0)
            assert block[r, c] == pytest.approx(pair.total, abs=1e-12)


@pytest.mark.parametrize("weights", [ScoreWeights(), ScoreWeights(band=0.0), ScoreWeights(complementary=0.0)])
def test_bulk_evidence_times_match_pair_evidence(weights: ScoreWeights) -> None:
    f = build_features(random_org(seed=6))
    rarity = team_rarity(f)
    persons, candidates = np.meshgrid(np.arange(f.n_people), np.arange(f.n_people), indexing="ij")
    persons, candidates = persons.ravel(), candidates.ravel()
    bulk = evidence_times(f, persons, candidates, weights=weights)
    assert np.count_nonzero(bulk) > f.n_people
    for p, c, got in zip(persons.tolist(), candidates.tolist(), bulk.tolist(), strict=True):
        if p != c:
            expected = score_pair(f, rarity, p, c, weights=weights, band_peak=3.0).evidence_at
            assert got == (expected or 0.0)


def test_allocated_scores_are_the_pair_scores_and_respect_k_and_capacity() -> None:
    org = random_org(seed=2, people=80)
    model = PeopleToMeet(k=3, capacity=4, chunk_rows=16).fit(org)
    load: dict[str, int] = {}
    for p in org.people:
        got = model.recommend(p.id)
        assert len(got) <= 3
        for s in got:
            assert s.score == pytest.approx(model.score_parts(p.id, s.candidate.id).total)
            assert isinstance(s.score, float)
            load[s.candidate.id] = load.get(s.candidate.id, 0) + 1
    assert load and max(load.values()) <= 4


def test_chunk_size_does_not_change_results() -> None:
    org = random_org(seed=5)
    a = PeopleToMeet(k=4, chunk_rows=7).fit(org)
    b = PeopleToMeet(k=4, chunk_rows=512).fit(org)
    assert a.allocation_ == b.allocation_


def test_top_per_row_keeps_only_positive_best_entries() -> None:
    block = np.array([[0.0, 3.0, 1.0, 2.0], [0.0, 0.0, 0.0, 0.5]])
    rows, cols, scores = top_per_row(block, pool=2, row_offset=10)
    got = sorted(zip(rows.tolist(), cols.tolist(), scores.tolist(), strict=True))
    assert got == [(10, 1, 3.0), (10, 3, 2.0), (11, 3, 0.5)]


def test_allocate_prefers_high_scores_under_capacity() -> None:
    rows = np.array([0, 0, 1, 1, 2])
    cols = np.array([9, 8, 9, 7, 9])
    scores = np.array([0.9, 0.1, 0.8, 0.2, 0.5])
    given = allocate(rows, cols, scores, per_row=1, capacity=1)
    assert given == {0: [(9, 0.9)], 1: [(7, 0.2)], 2: []}


def test_row_quantiles_agree_with_numpy() -> None:
    rng = np.random.default_rng(1)
    matrix = sp.random(40, 30, density=0.2, format="csr", random_state=rng)
    for q in (0.0, 0.3, 0.75, 1.0):
        got = row_quantiles(matrix, q)
        for i in range(40):
            values = matrix.data[matrix.indptr[i] : matrix.indptr[i + 1]]
            assert got[i] == (pytest.approx(np.quantile(values, q)) if len(values) else np.inf)
