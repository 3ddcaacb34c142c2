"""Candidate pools and capacity-bounded allocation: who is shown to whom when everyone wants the same few."""

from __future__ import annotations

import numpy as np


def top_per_row(block: np.ndarray, *, pool: int, row_offset: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ``pool`` highest positive entries of each row of a dense score block, as (rows, cols, scores)."""
    n_rows, n_cols = block.shape
    if n_rows == 0 or n_cols == 0 or pool <= 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0)
    if pool < n_cols:
        cols = np.argpartition(-block, pool - 1, axis=1)[:, :pool]
    else:
        cols = np.broadcast_to(np.arange(n_cols), (n_rows, n_cols))
    scores = np.take_along_axis(block, cols, axis=1)
    keep = scores > 0
    rows = np.broadcast_to(np.arange(n_rows)[:, None], cols.shape)
    return rows[keep] + row_offset, cols[keep].astype(np.int64), scores[keep]


def activity_capacities(activity: np.ndarray, *, per_row: int, base: int, slack: float) -> np.ndarray:
    """Per-person capacity: at least ``base``, and ``slack`` times the person's activity-proportional share of the
    introductions (everyone asks for ``per_row``, so a person of average activity takes ``slack * per_row``).

    People who talk to many others can take more introductions; exposure then follows activity instead of being
    either flat or concentrated on whoever scores highest everywhere.
    """
    activity = np.asarray(activity, dtype=np.float64)
    active = activity > 0
    if not active.any() or slack <= 0:
        return np.full(len(activity), base, dtype=np.int64)
    share = activity / activity[active].mean()
    return np.maximum(base, np.ceil(slack * per_row * share - 1e-9)).astype(np.int64)


def allocate(
    rows: np.ndarray,
    cols: np.ndarray,
    scores: np.ndarray,
    *,
    per_row: int,
    capacity: int | np.ndarray,
    random_state: int = 0,
) -> dict[int, list[tuple[int, float]]]:
    """Greedy global allocation: the best-scored pairs first, each row gets ``per_row``, each column ``capacity``
    (one number for everyone, or one per column index).

    Equal scores are ordered by a permutation drawn from ``random_state``, so the result is reproducible and
    no one wins every tie just by sorting first. Each row's list comes out best first.
    """
    tiebreak = np.random.default_rng(random_state).permutation(len(scores))
    order = np.lexsort((tiebreak, -scores))
    limit = capacity if isinstance(capacity, np.ndarray) else None
    given: dict[int, list[tuple[int, float]]] = {}
    load: dict[int, int] = {}
    for row, col, score in zip(rows[order].tolist(), cols[order].tolist(), scores[order].tolist(), strict=True):
        chosen = given.setdefault(row, [])
        if len(chosen) >= per_row or load.get(col, 0) >= (capacity if limit is None else limit[col]):
            continue
        chosen.append((col, score))
        load[col] = load.get(col, 0) + 1
    return given
