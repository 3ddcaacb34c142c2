"""Sparse person-level matrices built from a :class:`graph.store.Projection`: ties, colleagues, expertise."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import scipy.sparse as sp
from sklearn.preprocessing import normalize

from graph.delta import Expertise, ExpertiseKind, Person, Tie
from graph.store import Projection
from recommender.timeline import decay_factors, latest_instant, seconds


@dataclass(frozen=True, slots=True)
class Features:
    """Row ``i`` of every person-indexed matrix is ``people[i]``; people are sorted by id for reproducibility."""

    as_of: datetime
    people: tuple[Person, ...]
    index: Mapping[str, int]
    team_ids: tuple[str, ...]
    team_names: tuple[str, ...]
    team_of: np.ndarray
    """Team position of each person in ``team_ids``; -1 for people without a team."""
    topic_ids: tuple[str, ...]
    topic_labels: tuple[str, ...]
    topic_index: Mapping[str, int]
    ties: sp.csr_matrix
    """Symmetric person×person interaction weight (both directions summed), decayed to ``as_of``."""
    tie_counts: sp.csr_matrix
    """Symmetric person×person interaction counts."""
    tie_last: sp.csr_matrix
    """Epoch seconds of the latest interaction in either direction."""
    colleagues: sp.csr_matrix
    """Binary "knows" adjacency: 1 where any tie exists, no diagonal."""
    knows: sp.csr_matrix
    """Person×topic expertise, decayed, weighted by topic specificity, rows L2-normalised."""
    asks: sp.csr_matrix
    """Person×topic interest (questions), built like ``knows``."""
    knows_last: sp.csr_matrix
    asks_last: sp.csr_matrix
    """Epoch seconds of the latest evidence per person×topic."""
    knows_specificity: np.ndarray
    asks_specificity: np.ndarray
    knows_holders: np.ndarray
    asks_holders: np.ndarray
    """People with each topic (of that kind)."""
    knows_active: int
    asks_active: int
    """People with any topic (of that kind): who wrote anything, not every account."""

    @property
    def n_people(self) -> int:
        return len(self.people)


def build_features(projection: Projection, *, as_of: datetime | None = None, half_life_days: float = 90.0) -> Features:
    """Turn a projection into sparse matrices; ``as_of`` defaults to the projection's newest timestamp."""
    as_of = latest_instant(projection) if as_of is None else as_of
    now = seconds(as_of)
    people = tuple(sorted(projection.people, key=lambda person: person.id))
    index = {person.id: i for i, person in enumerate(people)}
    team_ids, team_names, team_of = _teams(people, {team.id: team.name for team in projection.teams})
    topic_ids, topic_labels = _topics(projection)
    topic_index = {topic: i for i, topic in enumerate(topic_ids)}
    ties, counts, last = _tie_matrices(projection.ties, index, now, half_life_days=half_life_days)
    colleagues = (ties > 0).astype(np.float64).tocsr()
    knows, knows_last, knows_spec = _expertise_matrix(
        projection.expertise, "knows", index, topic_index, now, half_life_days=half_life_days
    )
    asks, asks_last, asks_spec = _expertise_matrix(
        projection.expertise, "asks", index, topic_index, now, half_life_days=half_life_days
    )
    for matrix in (ties, counts, last, colleagues, knows, asks, knows_last, asks_last):
        # Row look-ups bisect the column indices, so every matrix is kept in canonical (sorted) form.
        matrix.sum_duplicates()
        matrix.sort_indices()
    return Features(
        as_of=as_of,
        people=people,
        index=index,
        team_ids=team_ids,
        team_names=team_names,
        team_of=team_of,
        topic_ids=topic_ids,
        topic_labels=topic_labels,
        topic_index=topic_index,
        ties=ties,
        tie_counts=counts,
        tie_last=last,
        colleagues=colleagues,
        knows=knows,
        asks=asks,
        knows_last=knows_last,
        asks_last=asks_last,
        knows_specificity=knows_spec,
        asks_specificity=asks_spec,
        knows_holders=_holders(knows),
        asks_holders=_holders(asks),
        knows_active=int(np.count_nonzero(np.diff(knows.indptr))),
        asks_active=int(np.count_nonzero(np.diff(asks.indptr))),
    )


def team_rarity(features: Features) -> np.ndarray:
    """Team×team rarity of interaction in [0, 1]: 1 for teams that never interact, 0.5 at the average density.

    Density is tie weight between two teams divided by the number of possible pairs, so large teams are not
    mistaken for close ones; it is compared with the mean density over all pairs of distinct teams.
    """
    n_teams = len(features.team_ids)
    if n_teams == 0:
        return np.zeros((0, 0))
    members = np.flatnonzero(features.team_of >= 0)
    membership = sp.csr_matrix(
        (np.ones(len(members)), (members, features.team_of[members])), shape=(features.n_people, n_teams)
    )
    weight = np.asarray((membership.T @ features.ties @ membership).todense())
    sizes = np.bincount(features.team_of[members], minlength=n_teams).astype(np.float64)
    pairs = np.outer(sizes, sizes)
    density = np.divide(weight, pairs, out=np.zeros_like(weight), where=pairs > 0)
    off_diagonal = ~np.eye(n_teams, dtype=bool)
    reference = float(density[off_diagonal].mean()) if n_teams > 1 else 0.0
    if reference <= 0:
        return np.ones((n_teams, n_teams))
    return 1.0 / (1.0 + density / reference)


def _teams(people: tuple[Person, ...], names: Mapping[str, str]) -> tuple[tuple[str, ...], tuple[str, ...], np.ndarray]:
    team_ids = tuple(sorted({person.team for person in people if person.team is not None}))
    position = {team: i for i, team in enumerate(team_ids)}
    team_of = np.array([position.get(person.team, -1) for person in people], dtype=np.int64)
    return team_ids, tuple(names.get(team, team) for team in team_ids), team_of


def _topics(projection: Projection) -> tuple[tuple[str, ...], tuple[str, ...]]:
    labels = {topic.id: topic.label for topic in projection.topics}
    for item in projection.expertise:
        labels.setdefault(item.topic, item.topic)
    ids = tuple(sorted(labels))
    return ids, tuple(labels[topic] for topic in ids)


def _tie_matrices(
    ties: Iterable[Tie], index: Mapping[str, int], now: float, *, half_life_days: float
) -> tuple[sp.csr_matrix, sp.csr_matrix, sp.csr_matrix]:
    rows, cols, weights, counts, lasts = [], [], [], [], []
    for tie in ties:
        source, target = index.get(tie.source), index.get(tie.target)
        if source is None or target is None or source == target:
            continue
        rows.append(source)
        cols.append(target)
        weights.append(tie.weight)
        counts.append(tie.count)
        lasts.append(seconds(tie.last_at))
    n = len(index)
    # Each directed tie lands in both (s, t) and (t, s): the matrices are symmetric by construction.
    r = np.array(rows + cols, dtype=np.int64)
    c = np.array(cols + rows, dtype=np.int64)
    last = np.array(lasts + lasts, dtype=np.float64)
    weight = np.array(weights + weights, dtype=np.float64) * decay_factors(last, now, half_life_days=half_life_days)
    count = np.array(counts + counts, dtype=np.float64)
    return (
        sp.csr_matrix((weight, (r, c)), shape=(n, n)),
        sp.csr_matrix((count, (r, c)), shape=(n, n)),
        _max_matrix(r, c, last, (n, n)),
    )


def _expertise_matrix(
    expertise: Iterable[Expertise],
    kind: ExpertiseKind,
    index: Mapping[str, int],
    topic_index: Mapping[str, int],
    now: float,
    *,
    half_life_days: float,
) -> tuple[sp.csr_matrix, sp.csr_matrix, np.ndarray]:
    rows, cols, scores, lasts = [], [], [], []
    for item in expertise:
        person = index.get(item.person)
        if item.kind != kind or person is None or item.score <= 0:
            continue
        rows.append(person)
        cols.append(topic_index[item.topic])
        scores.append(item.score)
        lasts.append(seconds(item.last_at))
    shape = (len(index), len(topic_index))
    r, c = np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64)
    last = np.array(lasts, dtype=np.float64)
    score = np.array(scores, dtype=np.float64) * decay_factors(last, now, half_life_days=half_life_days)
    matrix = sp.csr_matrix((score, (r, c)), shape=shape)
    specificity = _specificity(matrix)
    weighted = (matrix @ sp.diags(specificity)).tocsr()
    if weighted.shape[1] > 0:
        weighted = normalize(weighted, norm="l2", axis=1, copy=False).tocsr()
    return weighted, _max_matrix(r, c, last, shape), specificity


def _specificity(matrix: sp.csr_matrix) -> np.ndarray:
    """Smoothed idf over people: a topic everyone has counts ~1, a rare one up to ~1 + ln(n)."""
    n = matrix.shape[0]
    return np.log((1.0 + n) / (1.0 + _holders(matrix))) + 1.0


def _holders(matrix: sp.csr_matrix) -> np.ndarray:
    """People per topic: the stored entries of each column."""
    return np.bincount(matrix.indices, minlength=matrix.shape[1]).astype(np.float64)


def _max_matrix(rows: np.ndarray, cols: np.ndarray, values: np.ndarray, shape: tuple[int, int]) -> sp.csr_matrix:
    """A CSR matrix keeping the largest of duplicate entries (scipy would add them)."""
    if len(values) == 0:
        return sp.csr_matrix(shape, dtype=np.float64)
    order = np.lexsort((-values, cols, rows))
    rows, cols, values = rows[order], cols[order], values[order]
    first = np.ones(len(rows), dtype=bool)
    first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
    return sp.csr_matrix((values[first], (rows[first], cols[first])), shape=shape)
