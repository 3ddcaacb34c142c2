"""Features built from a projection: decayed symmetric ties, colleagues, topic-specific expertise."""

from __future__ import annotations

import numpy as np
import pytest

from graph.delta import decayed
from recommender.features import build_features, team_rarity
from tests.recommender.builders import asks, day, knows, person, projection, tie


def small():
    people = [person("a", "x"), person("b", "x"), person("c", "y"), person("d", None)]
    ties = [
        tie("a", "c", weight=4.0, count=4, at=day(0)),
        tie("c", "a", weight=2.0, count=1, at=day(10)),
        tie("b", "a", weight=1.0, count=1, at=day(5)),
    ]
    expertise = [
        knows("a", "common", ["e1"], at=day(10)),
        knows("b", "common", ["e2"], at=day(10)),
        knows("c", "common", ["e3"], at=day(10)),
        knows("c", "rare", ["e4"], score=1.0, at=day(10)),
        knows("a", "rare", ["e5"], score=1.0, at=day(10)),
        asks("d", "rare", ["e6"], score=3.0, at=day(20)),
    ]
    return projection(people, ties=ties, expertise=expertise)


def test_as_of_is_the_newest_data_timestamp() -> None:
    assert build_features(small()).as_of == day(20)


def test_ties_are_symmetric_and_decayed_like_graph_delta() -> None:
    f = build_features(small(), half_life_days=30.0)
    a, c = f.index["a"], f.index["c"]
    expected = decayed(4.0, day(0), day(20), half_life_days=30.0) + decayed(2.0, day(10), day(20), half_life_days=30.0)
    assert f.ties[a, c] == pytest.approx(expected)
    assert (f.ties != f.ties.T).nnz == 0
    assert f.tie_counts[a, c] == 5
    assert f.tie_last[a, c] == pytest.approx(day(10).timestamp())


def test_colleagues_are_binary_without_self_loops() -> None:
    f = build_features(small())
    dense = f.colleagues.toarray()
    assert set(np.unique(dense)) <= {0.0, 1.0}
    assert np.trace(dense) == 0
    assert dense[f.index["a"], f.index["b"]] == 1 and dense[f.index["b"], f.index["c"]] == 0


def test_rows_are_unit_length_and_rare_topics_weigh_more() -> None:
    f = build_features(small())
    norms = np.sqrt(np.asarray(f.knows.multiply(f.knows).sum(axis=1)).ravel())
    assert norms[[f.index["a"], f.index["b"], f.index["c"]]] == pytest.approx([1.0, 1.0, 1.0])
    assert norms[f.index["d"]] == 0
    common, rare = f.topic_index["common"], f.topic_index["rare"]
    assert f.knows_specificity[rare] > f.knows_specificity[common]
    a = f.index["a"]
    assert f.knows[a, rare] > f.knows[a, common], "equal raw scores, but the rarer topic counts more"


def test_people_without_team_have_no_team_position() -> None:
    f = build_features(small())
    assert f.team_of[f.index["d"]] == -1
    assert f.team_names == ("Team X", "Team Y")


def test_team_rarity_is_lower_for_teams_that_interact() -> None:
    people = [person(f"{t}{i}", t) for t in "xyz" for i in range(2)]
    ties = [tie("x0", "y0", weight=5.0, count=5), tie("x1", "y1", weight=5.0, count=5)]
    f = build_features(projection(people, ties=ties))
    rarity = team_rarity(f)
    x, y, z = (f.team_ids.index(t) for t in "xyz")
    assert rarity[x, z] == 1.0
    assert rarity[x, y] < 0.5
