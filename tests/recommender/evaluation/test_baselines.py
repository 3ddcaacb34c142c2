"""Link-prediction baselines agree with networkx; ranking helpers keep only what they should."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from recommender.evaluation.baselines import link_scores, most_active, random_people, top_k, undirected_adjacency

EDGES = [(0, 1), (0, 2), (1, 2), (2, 3), (3, 4), (1, 3), (4, 5), (5, 6), (2, 5), (1, 0)]
N = 8  # node 7 never interacts


def _graph() -> tuple[nx.Graph, np.ndarray]:
    graph = nx.Graph()
    graph.add_nodes_from(range(N))
    graph.add_edges_from(EDGES)
    source = np.array([a for a, _ in EDGES])
    target = np.array([b for _, b in EDGES])
    return graph, undirected_adjacency(N, source, target)


@pytest.mark.parametrize(
    ("method", "reference"),
    [
        ("jaccard", nx.jaccard_coefficient),
        ("adamic_adar", nx.adamic_adar_index),
        ("resource_allocation", nx.resource_allocation_index),
        ("preferential_attachment", nx.preferential_attachment),
    ],
)
def test_scores_equal_networkx(method: str, reference) -> None:
    graph, adjacency = _graph()
    scores = link_scores(adjacency, np.arange(N), method)
    pairs = [(u, v) for u in range(N) for v in range(N) if u < v]
    for u, v, expected in reference(graph, pairs):
        assert scores[u, v] == pytest.approx(expected), (u, v)
        assert scores[v, u] == pytest.approx(expected), (v, u)


def test_common_neighbours_equal_networkx() -> None:
    graph, adjacency = _graph()
    scores = link_scores(adjacency, np.arange(N), "common_neighbours")
    for u in range(N):
        for v in range(N):
            if u != v:
                assert scores[u, v] == len(list(nx.common_neighbors(graph, u, v)))


def test_adjacency_is_binary_symmetric_without_loops_or_repeats() -> None:
    adjacency = undirected_adjacency(3, np.array([0, 1, 0, 2]), np.array([1, 0, 1, 2]))
    assert adjacency.toarray().tolist() == [[0, 1, 0], [1, 0, 0], [0, 0, 0]]


def test_popularity_and_random_rows() -> None:
    _, adjacency = _graph()
    popular = link_scores(adjacency, np.array([0, 7]), "popularity")
    assert popular[0].tolist() == popular[1].tolist() == [2, 3, 4, 3, 2, 3, 1, 0]
    a = link_scores(adjacency, np.array([0, 1]), "random", random_state=3)
    assert np.array_equal(a, link_scores(adjacency, np.array([0, 1]), "random", random_state=3))
    assert not np.array_equal(a, link_scores(adjacency, np.array([0, 1]), "random", random_state=4))
    with pytest.raises(ValueError, match="unknown link baseline"):
        link_scores(adjacency, np.array([0]), "katz")


def test_top_k_keeps_allowed_positive_scores_best_first_with_seeded_ties() -> None:
    scores = np.array([[0.0, 3.0, 1.0, 3.0, 2.0]])
    allowed = np.array([[True, True, True, True, False]])
    assert top_k(scores, allowed, 3, tiebreak=np.array([0, 1, 2, 3, 4])) == [[1, 3, 2]]
    assert top_k(scores, allowed, 3, tiebreak=np.array([0, 9, 2, 3, 4])) == [[3, 1, 2]]
    # Zero scores are no evidence: fewer than k come back rather than arbitrary fillers.
    assert top_k(scores, allowed, 5, tiebreak=np.arange(5)) == [[1, 3, 2]]


def test_most_active_and_random_people_exclude_the_asker() -> None:
    assert most_active(np.array([3, 0, 5, 3]), exclude=[2], k=3) == [0, 3]
    drawn = random_people(np.array([0, 1, 2, 3]), rng=np.random.default_rng(0), exclude=[1], k=10)
    assert sorted(drawn) == [0, 2, 3]
