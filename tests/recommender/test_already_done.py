"""AlreadyDone on random organisations: privacy holds exactly, and the index matches BM25 by hand."""

from __future__ import annotations

import dataclasses

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


def test_score_is_sharpened_bm25_times_recency() -> None:
    people = [person("a", "x"), person("b", "y")]
    posts = [post("p1", "a", day(0), "alpha beta"), post("p2", "b", day(365), "alpha gamma gamma delta")]
    model = AlreadyDone(analyzer=terms, half_life_days=365.0, k1=1.2, b=0.75, sharpness=2.0)
    model.fit(projection(people, posts=posts))
    scores = {m.person.id: m.score for m in model.query("alpha")}

    def bm25(length: int) -> float:  # tf = 1 in both posts; the idf cancels out after normalising
        return 2.2 / (1 + 1.2 * (1 - 0.75 + 0.75 * length / 3.0))

    best = bm25(2)
    assert scores["a"] == pytest.approx((bm25(2) / best) ** 2 * 0.5)  # a year old: half the credit
    assert scores["b"] == pytest.approx((bm25(4) / best) ** 2 * 1.0)


def test_asking_a_question_earns_less_than_answering_it() -> None:
    people = [person("asker", "x"), person("answerer", "y")]
    question = dataclasses.replace(post("q", "asker", day(0), "alpha beta"), is_question=True)
    answer = dataclasses.replace(post("r", "answerer", day(1), "gamma delta"), reply_to="q")
    model = AlreadyDone(analyzer=terms, question_credit=0.2, reply_credit=0.6)
    ranked = model.fit(projection(people, posts=[question, answer])).query("alpha beta")
    assert [m.person.id for m in ranked] == ["answerer", "asker"]


def test_empty_projection_and_unfitted_use() -> None:
    with pytest.raises(NotFitted):
        AlreadyDone(analyzer=terms).query("anything")
    with pytest.raises(NotFitted):
        PeopleToMeet().recommend("anyone")
    empty = projection([])
    assert AlreadyDone(analyzer=terms).fit(empty).query("anything") == []
    assert PeopleToMeet().fit(empty).allocation_ == {}


def test_scores_before_an_instant_ignore_later_posts_and_match_scores_at_the_end() -> None:
    org = random_org(seed=3, people=40, posts=500)
    index = AlreadyDone(analyzer=words).fit(org, as_of=day(400))
    tokens = set(words("topic003 word0001 word0007"))
    assert index.person_scores(tokens, before=day(400)) == pytest.approx(index.person_scores(tokens))
    cut = sorted(p.created_at for p in org.posts)[len(org.posts) // 2]
    early = index.person_scores(tokens, before=cut)
    later_only = {p.author for p in org.posts} - {p.author for p in org.posts if p.created_at < cut}
    later_only |= {who for p in org.posts if p.created_at >= cut for who in p.co_authors} - {
        who for p in org.posts if p.created_at < cut for who in p.authors
    }
    assert early.sum() > 0
    for person_id in later_only:
        assert early[index.index_[person_id]] == 0.0


def test_evidence_is_what_the_query_shows() -> None:
    org = random_org(seed=4, people=40, posts=500)
    index = AlreadyDone(analyzer=words).fit(org, as_of=day(400))
    text = "topic003 word0001 word0007"
    shown = index.query(text, viewer="p00003", k=5)
    evidence = index.evidence(index.query_tokens(text), [m.person.id for m in shown], viewer="p00003")
    assert shown and all(evidence[m.person.id] == m.evidence for m in shown)
