"""Answer outcomes (which replies are answers, acceptances, votes): read from a dump, used only once known."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from recommender.already_done import post_tokens
from recommender.answer_outcomes import AnswerOutcomes, OutcomeArrays, Vote
from recommender.answerers import ANSWER_FEATURES, WhoCanAnswer
from recommender.evaluation.answerer_eval import AnswererOptions, evaluate_answerers, load_questions
from recommender.evaluation.datasets import read_stackexchange_outcomes
from tests.recommender.builders import day, person, post, projection, terms

POSTS = """<?xml version="1.0" encoding="utf-8"?>
<posts>
  <row Id="1" PostTypeId="1" AcceptedAnswerId="2" CreationDate="2024-01-01T10:00:00.000" OwnerUserId="10"
       Title="How do I restart a pod?" Body="&lt;p&gt;It hangs.&lt;/p&gt;" Tags="&lt;kubernetes&gt;" />
  <row Id="2" PostTypeId="2" ParentId="1" CreationDate="2024-01-01T11:00:00.000" OwnerUserId="11"
       Body="&lt;p&gt;Delete it.&lt;/p&gt;" />
  <row Id="3" PostTypeId="2" ParentId="1" CreationDate="2024-01-01T12:00:00.000" OwnerUserId="12"
       Body="&lt;p&gt;Scale it down.&lt;/p&gt;" />
</posts>
"""
VOTES = """<?xml version="1.0" encoding="utf-8"?>
<votes>
  <row Id="1" PostId="2" VoteTypeId="1" CreationDate="2024-01-02T00:00:00.000" />
  <row Id="2" PostId="2" VoteTypeId="2" CreationDate="2024-01-01T00:00:00.000" />
  <row Id="3" PostId="3" VoteTypeId="3" CreationDate="2024-01-03T00:00:00.000" />
  <row Id="4" PostId="3" VoteTypeId="5" UserId="10" CreationDate="2024-01-03T00:00:00.000" />
</votes>
"""


def test_a_dump_gives_answers_acceptances_and_votes_known_at_the_end_of_their_day(tmp_path: Path) -> None:
    (tmp_path / "Posts.xml").write_text(POSTS)
    (tmp_path / "Votes.xml").write_text(VOTES)
    outcomes = read_stackexchange_outcomes(tmp_path)
    assert outcomes.answers == {"se:post:2", "se:post:3"}
    assert outcomes.accepted == {"se:post:2": datetime(2024, 1, 3, tzinfo=UTC)}
    # Favourites (type 5) are not votes on quality; an upvote cast on 1 January counts from 2 January.
    assert sorted((v.post, v.value, v.known_at.day) for v in outcomes.votes) == [
        ("se:post:2", 1, 2),
        ("se:post:3", -1, 4),
    ]
    (tmp_path / "Votes.xml").unlink()
    assert read_stackexchange_outcomes(tmp_path).accepted == {}


def test_the_harness_carries_a_dumps_outcomes(tmp_path: Path) -> None:
    (tmp_path / "Posts.xml").write_text(POSTS)
    (tmp_path / "Votes.xml").write_text(VOTES)
    data = load_questions(tmp_path)
    assert data.outcomes is not None and set(data.outcomes.accepted) == {"se:post:2"}
    assert data.accepted == {"se:post:1": "se:11"}


def test_outcomes_align_to_post_positions_in_time_order() -> None:
    outcomes = AnswerOutcomes.of(
        accepted={"b": day(3)},
        votes=[Vote("a", day(5), 1), Vote("b", day(1), -1), Vote("gone", day(0), 1)],
    )
    arrays = OutcomeArrays.align(outcomes, ["a", "b"])
    assert arrays.accepted_at[0] == np.inf and arrays.accepted_at[1] == day(3).timestamp()
    assert arrays.vote_post.tolist() == [1, 0] and arrays.vote_value.tolist() == [-1.0, 1.0]
    assert len(OutcomeArrays.align(None, ["a"]).vote_at) == 0


def two_answerers_org(questions: int):
    """``acc`` and ``other`` answer every question alike (same words, same length, ``other`` first); only the
    asker's acceptance tells them apart. A third person comments on every question."""
    people = [person(p, t) for p, t in (("ann", "a"), ("acc", "b"), ("other", "c"), ("chat", "d"))]
    posts, answers, accepted = [], [], {}
    for i in range(questions):
        posts.append(post(f"q{i}", "ann", day(i), "how to restart kubernetes pod?"))
        posts.append(post(f"o{i}", "other", day(i + 0.1), "restart the kubernetes pod with kubectl", reply_to=f"q{i}"))
        posts.append(post(f"a{i}", "acc", day(i + 0.2), "restart the kubernetes pod with kubectl", reply_to=f"q{i}"))
        posts.append(post(f"c{i}", "chat", day(i + 0.05), "is the pod restarting kubernetes", reply_to=f"q{i}"))
        answers += [f"o{i}", f"a{i}"]
        accepted[f"a{i}"] = day(i + 1)
    return projection(people, posts=posts), AnswerOutcomes.of(answers=answers, accepted=accepted)


def test_acceptances_teach_whose_answers_the_askers_want() -> None:
    org, outcomes = two_answerers_org(80)
    without = WhoCanAnswer(analyzer=terms).fit(org)
    ranked = [m.person.id for m in without.query("kubernetes pod stuck", asker="ann", k=3)]
    assert ranked[0] != "acc"  # without outcomes the earlier, identical answer wins
    model = WhoCanAnswer(analyzer=terms).fit(org, outcomes=outcomes)
    assert model.query("kubernetes pod stuck", asker="ann", k=1)[0].person.id == "acc"
    # Comments are not answers once the source says which replies are answers.
    chat = model.index_.index_["chat"]
    assert chat not in model.answers_.author and chat in without.answers_.author


def test_an_acceptance_counts_only_once_known() -> None:
    org, outcomes = two_answerers_org(80)
    model = WhoCanAnswer(analyzer=terms).fit(org, outcomes=outcomes)
    question = next(p for p in model.index_.posts_ if p.id == "q10")
    acc = model.index_.index_["acc"]
    column = ANSWER_FEATURES.index("log_accepted")

    def accepted_before(at: datetime) -> float:
        candidates, values = model._candidates(set(post_tokens(question)), asker="ann", viewer=None, before=at)
        return float(values[candidates.tolist().index(acc), column])

    # Answers to q0..q9 were accepted on days 1..10: on day 10 at noon, nine acceptances are known, not ten.
    assert accepted_before(day(10) - timedelta(hours=12)) == np.log1p(9)
    assert accepted_before(day(10) + timedelta(hours=1)) == np.log1p(10)


def test_weights_can_be_reused_while_the_index_moves_on() -> None:
    org, outcomes = two_answerers_org(80)
    first = WhoCanAnswer(analyzer=terms).fit(org, as_of=day(60), outcomes=outcomes)
    later = WhoCanAnswer(analyzer=terms).fit(org, outcomes=outcomes, weights_from=first)
    assert later.learned_ is first.learned_ and later.as_of_ > first.as_of_


def test_relearning_less_often_is_recorded(qa_export: Path) -> None:
    options = AnswererOptions(spacy_model="none", resamples=20, relearn_every=2)
    report = evaluate_answerers(load_questions(qa_export), options=options)
    assert report.settings["relearn_every"] == 2 and report.settings["outcomes"] is False
    assert any("relearned only every 2 refits" in note for note in report.notes)
