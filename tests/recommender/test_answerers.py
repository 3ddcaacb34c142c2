"""WhoCanAnswer: the training replay sees only the past, substantive answers are what it learns, and privacy holds."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from recommender.already_done import AlreadyDone
from recommender.answerers import ANSWER_FEATURES, WhoCanAnswer, _answers
from recommender.errors import RecommenderError
from tests.recommender.builders import day, person, post, projection, random_org, terms

SUBJECTS = ("restart kubernetes pod", "vacuum postgres table", "rotate vault secret")


def chatty_org(questions: int):
    """Each subject has an expert who writes long answers; a chatty regular replies first to every question with a
    short remark, so by sheer number of replies the chatty one is the most active answerer of all."""
    people = [person(p, t) for p, t in (("ann", "a"), ("bob", "a"), ("kim", "b"), ("pat", "c"), ("viv", "d"))]
    people.append(person("chat", "e"))
    experts = ("kim", "pat", "viv")
    posts = []
    for i in range(questions):
        subject = i % 3
        asker = ("ann", "bob")[i % 2]
        posts.append(post(f"q{i}", asker, day(i), f"how to {SUBJECTS[subject]}?"))
        posts.append(post(f"c{i}", "chat", day(i + 0.1), "good question", reply_to=f"q{i}"))
        long = f"to {SUBJECTS[subject]} first check the logs then apply the documented steps and verify the result"
        posts.append(post(f"a{i}", experts[subject], day(i + 0.4), long, reply_to=f"q{i}"))
    return projection(people, posts=posts)


def handover_org():
    """One subject; ``old`` answered every question for sixty days, then stopped, and ``new`` took over."""
    people = [person(p, t) for p, t in (("ann", "a"), ("old", "b"), ("new", "c"))]
    posts = []
    for i in range(120):
        posts.append(post(f"q{i}", "ann", day(i), "how to restart kubernetes pod?"))
        answerer = "old" if i < 60 else "new"
        posts.append(post(f"a{i}", answerer, day(i + 0.3), "restart the kubernetes pod", reply_to=f"q{i}"))
    return projection(people, posts=posts)


def test_substantive_answers_beat_a_chatty_regular() -> None:
    model = WhoCanAnswer(analyzer=terms).fit(chatty_org(120))
    assert model.learned_ is not None
    for subject, expert in zip(SUBJECTS, ("kim", "pat", "viv"), strict=True):
        ranked = [m.person.id for m in model.query(f"trouble: {subject}", asker="ann", k=3)]
        assert ranked[0] == expert
    assert model.weights["log_answer_length"] > 0


def test_recent_answerers_come_before_people_who_stopped() -> None:
    model = WhoCanAnswer(analyzer=terms).fit(handover_org())
    assert model.learned_ is not None
    ranked = [m.person.id for m in model.query("kubernetes pod restarts", asker="ann", k=2)]
    assert ranked == ["new", "old"]


def test_the_replay_only_sees_what_came_before_each_question() -> None:
    org = handover_org()
    model = WhoCanAnswer(analyzer=terms).fit(org)
    question = next(p for p in org.posts if p.id == "q60")
    candidates, values = model._candidates(set(question.terms), asker="ann", viewer=None, before=question.created_at)
    names = [model.index_.people_[i].id for i in candidates]
    # 'new' answers q60 itself: before it they had never posted, so the replay cannot know them.
    assert names == ["old"]
    assert values[0, ANSWER_FEATURES.index("log_answers")] == pytest.approx(np.log1p(60))


def test_answers_are_public_direct_replies_by_someone_else() -> None:
    people = [person(p, "t") for p in ("ann", "kim", "pat")]
    posts = [
        post("q1", "ann", day(0), "question one"),
        post("a1", "ann", day(1), "answering myself", reply_to="q1"),
        post("a2", "kim", day(2), "kim answers with many words here", reply_to="q1"),
        post("a3", "pat", day(3), "pat too", reply_to="q1"),
        post("r1", "ann", day(4), "a reply to an answer", reply_to="a2"),
        post("q2", "pat", day(5), "private question", audience=("kim",)),
        post("a4", "kim", day(6), "private answer", reply_to="q2", audience=("pat",)),
    ]
    index = AlreadyDone(analyzer=terms).fit(projection(people, posts=posts))
    answers, exchanges = _answers(index)
    by_position = [index.posts_[i].id for i in answers.post]
    assert by_position == ["a2", "a3"]
    assert answers.first.tolist() == [1.0, 0.0]
    assert answers.length.tolist() == [len(terms("kim answers with many words here")), len(terms("pat too"))]
    # Exchanges count replies to answers too, but never to oneself and never a restricted post.
    pairs = {
        (index.people_[s].id, index.people_[t].id) for s, t in zip(exchanges.source, exchanges.target, strict=True)
    }
    assert pairs == {("kim", "ann"), ("pat", "ann"), ("ann", "kim")}


def test_restricted_posts_change_nothing_for_an_anonymous_asker() -> None:
    org = random_org(seed=5, people=50, posts=900)
    public = dataclasses.replace(org, posts=tuple(p for p in org.posts if p.is_public))
    assert len(public.posts) < len(org.posts)
    words = lambda text: tuple(text.split())  # noqa: E731
    full = WhoCanAnswer(analyzer=words, min_questions=10).fit(org, as_of=day(400))
    only_public = WhoCanAnswer(analyzer=words, min_questions=10).fit(public, as_of=day(400))
    assert full.learned_ is not None
    assert full.weights == pytest.approx(only_public.weights)
    for text in ("topic003 word0001", "topic010 word0002 word0005"):
        got = full.query(text, k=5)
        assert got and [m.person.id for m in got] == [m.person.id for m in only_public.query(text, k=5)]
        assert all(e.post_id in {p.id for p in public.posts} for m in got for e in m.evidence)


def test_asker_and_opted_out_people_are_never_ranked() -> None:
    org = chatty_org(90)
    people = tuple(dataclasses.replace(p, opted_out=p.id == "kim") for p in org.people)
    model = WhoCanAnswer(analyzer=terms).fit(dataclasses.replace(org, people=people))
    ranked = {m.person.id for m in model.query("restart kubernetes pod", asker="ann", k=6)}
    assert ranked and not ranked & {"ann", "kim"}


def test_bad_hyperparameters_say_what_is_expected() -> None:
    with pytest.raises(RecommenderError, match="substantive_share"):
        WhoCanAnswer(analyzer=terms, substantive_share=1.5).fit(chatty_org(3))


def test_without_outcomes_every_outcome_feature_is_zero() -> None:
    # Then the model is exactly the one that never heard of acceptances and votes, whatever the weights.
    model = WhoCanAnswer(analyzer=terms).fit(chatty_org(60))
    _, values = model._candidates(set(terms("restart kubernetes pod")), asker="ann", viewer=None, before=None)
    outcome = [ANSWER_FEATURES.index(name) for name in ("log_accepted", "accept_rate", "log_votes", "accepted_match")]
    assert len(values) > 0
    assert not values[:, outcome].any()
