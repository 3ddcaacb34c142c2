"""Baselines measured in the same run as weaktie: link-prediction scores for people, activity and BM25 for answerers.

Link scores follow networkx's definitions (``networkx.algorithms.link_prediction``) on the undirected training
graph, computed for many rows at once with sparse products; the unit tests check them against networkx.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

LINK_BASELINES: tuple[str, ...] = (
    "random",
    "popularity",
    "common_neighbours",
    "jaccard",
    "adamic_adar",
    "resource_allocation",
    "preferential_attachment",
)
ANSWERER_BASELINES: tuple[str, ...] = ("random", "most_active", "bm25")


def undirected_adjacency(n: int, source: np.ndarray, target: np.ndarray) -> sp.csr_matrix:
    """Binary symmetric adjacency of the pairs that interacted in either direction, without self-loops."""
    keep = source != target
    rows = np.concatenate([source[keep], target[keep]])
    cols = np.concatenate([target[keep], source[keep]])
    matrix = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    matrix.data = np.ones_like(matrix.data)
    matrix.sum_duplicates()
    matrix.data = np.ones_like(matrix.data)
    return matrix


def link_scores(adjacency: sp.csr_matrix, rows: np.ndarray, method: str, *, random_state: int = 0) -> np.ndarray:
    """Dense scores of ``rows`` against every node by ``method`` (one of :data:`LINK_BASELINES`).

    ``random`` draws from a generator seeded with ``random_state`` and the first row, so chunking is reproducible.
    """
    degree = np.asarray(adjacency.sum(axis=1)).ravel()
    block = adjacency[rows]
    if method == "random":
        seed = (random_state, int(rows[0]) if len(rows) else 0)
        return np.random.default_rng(seed).random((len(rows), adjacency.shape[0])) + 1e-12
    if method == "popularity":
        return np.broadcast_to(degree, (len(rows), len(degree))).astype(np.float64).copy()
    if method == "preferential_attachment":
        return np.outer(degree[rows], degree)
    if method == "common_neighbours":
        return (block @ adjacency).toarray()
    if method == "jaccard":
        common = (block @ adjacency).toarray()
        union = degree[rows][:, None] + degree[None, :] - common
        return np.divide(common, union, out=np.zeros_like(common), where=union > 0)
    if method in ("adamic_adar", "resource_allocation"):
        # A common neighbour w weighs 1/log(deg w) (Adamic–Adar) or 1/deg w (resource allocation); any common
        # neighbour has degree >= 2, so neither weight divides by zero.
        weight = np.zeros_like(degree, dtype=np.float64)
        linked = degree > 1
        weight[linked] = 1.0 / (np.log(degree[linked]) if method == "adamic_adar" else degree[linked])
        return (block @ sp.diags(weight) @ adjacency).toarray()
    raise ValueError(f"unknown link baseline {method!r}; expected one of {', '.join(LINK_BASELINES)}")


def top_k(
    scores: np.ndarray, allowed: np.ndarray, k: int, *, tiebreak: np.ndarray, positive_only: bool = True
) -> list[list[int]]:
    """Each row's ``k`` best allowed columns, best first; equal scores are ordered by ``tiebreak`` (lower first).

    ``positive_only`` leaves out candidates with no evidence at all (score 0), as a recommender would.
    """
    masked = np.where(allowed, scores, -np.inf)
    if positive_only:
        masked[masked <= 0] = -np.inf
    result: list[list[int]] = []
    n_cols = masked.shape[1]
    take = min(k, n_cols)
    for row in masked:
        best = np.argpartition(-row, take - 1)[:take] if take < n_cols else np.arange(n_cols)
        best = best[np.isfinite(row[best])]
        order = np.lexsort((tiebreak[best], -row[best]))
        result.append(best[order].tolist())
    return result


def most_active(counts: np.ndarray, *, exclude: Sequence[int] = (), k: int = 10) -> list[int]:
    """People with the most answers so far, most first (ties to the lower index); nobody with none."""
    scores = np.asarray(counts, dtype=np.float64).copy()
    scores[list(exclude)] = 0.0
    positive = np.flatnonzero(scores > 0)
    order = np.lexsort((positive, -scores[positive]))
    return positive[order][:k].tolist()


def random_people(
    candidates: np.ndarray, *, rng: np.random.Generator, exclude: Sequence[int] = (), k: int = 10
) -> list[int]:
    """``k`` people drawn without replacement from ``candidates`` (minus ``exclude``)."""
    pool = np.setdiff1d(candidates, np.asarray(exclude, dtype=np.int64))
    if len(pool) == 0:
        return []
    return rng.choice(pool, size=min(k, len(pool)), replace=False).tolist()
