"""AlreadyDone on random organisations: privacy holds exactly, and the index matches BM25 by hand."""

from __future__ import annotations

import dataclasses
import math

import pytest

from graph.delta import can_see
from recommender.already_done import AlreadyDone
from recommender.errors import NotFitted
from recommender.people import PeopleToMeet
from tests.recommender.builders import day, person, post, projection, random_org, terms


def words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


QUERIES = ["topic003 word0001 word0007", "topic010 word0002", "word0005 word0009 word0011 topic001", "topic021"]


@pytest.mark.parametrize("viewer", [None, "p00003", "p00010", "p00042"])
def test_results_equal_those_over_only_the_posts_the_viewer_may_see(viewer: str | None) -> None:
    org = random_org(seed=11, people=60, posts=800)
    by_id = {p.id: p for p in org.people}
    seen_by = by_id.get(viewer) if viewer else None
    visible = tuple(p for p in org.posts if can_see(p, seen_by))
    assert len(visible) < len(org.posts), "the organisation must hold posts this viewer may not see"
    full = AlreadyDone(analyzer=words).fit(org, as_of=day(400))
    only_visible = AlreadyDone(analyzer=words).fit(dataclasses.replace(org, posts=visible), as_of=day(400))
    for text in QUERIES:
        got = full.query(text, viewer=viewer, k=10)
        assert got, "every planted query matches something"
        expected = only_visible.query(text, viewer=viewer, k=10)
        assert [m.person.id for m in got] == [m.person.id for m in expected]
        assert [m.score for m in got] == pytest.approx([m.score for m in expected])
        shown = {e.post_id for m in got for e in m.evidence}
        assert shown <= {p.id for p in visible}


def test_score_is_bm25_times_recency_for_a_single_author() -> None:
    people = [person("a", "x"), person("b", "y")]
    posts = [post("p1", "a", day(0), "alpha beta"), post("p2", "b", day(365), "gamma delta delta")]
    model = AlreadyDone(analyzer=terms, half_life_days=365.0, k1=1.2, b=0.75).fit(projection(people, posts=posts))
    [match] = model.query("alpha")
    idf = math.log1p((2 - 1 + 0.5) / (1 + 0.5))
    length_norm = 1.2 * (1 - 0.75 + 0.75 * 2 / 2.5)
    expected = idf * (1 * 2.2) / (1 + length_norm) * 0.5
    assert match.person.id == "a"
    assert match.score == pytest.approx(expected)


def test_empty_projection_and_unfitted_use() -> None:
    with pytest.raises(NotFitted):
        AlreadyDone(analyzer=terms).query("anything")
    with pytest.raises(NotFitted):
        PeopleToMeet().recommend("anyone")
    empty = projection([])
    assert AlreadyDone(analyzer=terms).fit(empty).query("anything") == []
    assert PeopleToMeet().fit(empty).allocation_ == {}
