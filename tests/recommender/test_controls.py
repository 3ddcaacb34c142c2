"""What people and admins say is obeyed: hidden and added topics, inference and suggestion opt-outs, feedback and
do-not-pair, resolved person over team over org."""

from __future__ import annotations

import dataclasses

import pytest

from graph.controls import Controls, DoNotPair, Feedback, Policy, TopicCorrection
from graph.store import Projection
from recommender.already_done import AlreadyDone
from recommender.controls import DECLARED_SCORE, apply_controls
from recommender.people import MODES, PeopleToMeet
from tests.recommender.builders import already_done_org, day, introductions_org, knows, post, terms


def controlled(org: Projection, **controls: object) -> Projection:
    return dataclasses.replace(org, controls=Controls(**controls))


def ids(suggestions) -> list[str]:
    return [item.candidate.id for item in suggestions]


def fit(org: Projection) -> PeopleToMeet:
    return PeopleToMeet(k=10, capacity=100).fit(org)


def everything_shown(model: PeopleToMeet, org: Projection) -> list:
    """Every suggestion anyone gets, in every mode."""
    return [s for mode in MODES for p in org.people for s in model.recommend(p.id, mode=mode)]


def hide(person: str, topic: str, at: int = 6) -> TopicCorrection:
    return TopicCorrection(person=person, topic=topic, action="hide", at=day(at))


# --- topic corrections ----------------------------------------------------------------------------------------


def test_a_hidden_topic_is_never_used_or_shown() -> None:
    # Dave's newest post is about Kubernetes: without the correction it is his "recent work". Spark keeps him around.
    ops = dataclasses.replace(post("p-dave-ops", "dave", day(6), "Cluster ops"), topics=("kubernetes",))
    org = introductions_org(
        extra_posts=[ops, post("p-dave-spark", "dave", day(4), "Spark on EMR")],
        extra_expertise=[knows("dave", "spark", ["p-dave-spark"], at=day(4))],
    )
    assert "Kubernetes" in fit(org).recommend("alice")[0].reasons[0].topics
    hidden = controlled(org, corrections=(hide("dave", "kubernetes"),))
    model = fit(hidden)
    parts = model.score_parts("alice", "dave")
    used = [t for t, _ in (*parts.shared_topics, *parts.they_know, *parts.they_ask)]
    assert used and model.features_.topic_index["kubernetes"] not in used
    shown = [s for s in everything_shown(model, hidden) if s.candidate.id == "dave"]
    assert {s.person for s in shown} >= {"alice"}, "Dave is still suggested, for Spark"
    for suggestion in shown:
        for reason in suggestion.reasons:
            assert "Kubernetes" not in reason.topics and "kubernetes" not in reason.text.lower()
            assert all(e.post_id not in ("p-dave-k8s", "p-dave-old", "p-dave-ops") for e in reason.evidence)
    recent = next(r for r in model.recommend("alice")[0].reasons if r.kind == "recent_work")
    assert recent.text == "Recently: Spark on EMR"
    assert not any(e.topic == "kubernetes" and e.person == "dave" for e in apply_controls(hidden).expertise)


def test_the_latest_correction_wins_so_confirming_unhides() -> None:
    org = introductions_org()
    corrections = (hide("dave", "kubernetes", at=6), TopicCorrection("dave", "kubernetes", "confirm", day(7)))
    again = apply_controls(controlled(org, corrections=corrections))
    dave = [e for e in again.expertise if e.person == "dave" and e.topic == "kubernetes"]
    assert len(dave) == 1 and not dave[0].declared and dave[0].evidence, "confirming keeps the evidence as it was"
    assert dave[0] in org.expertise


def test_an_added_topic_is_marked_self_declared_until_evidence_exists() -> None:
    add = TopicCorrection(person="erin", topic="spark", action="add", at=day(6))
    said = controlled(introductions_org(), corrections=(add,))
    erin = next(s for s in fit(said).recommend("alice") if s.candidate.id == "erin")
    shared = next(r for r in erin.reasons if r.kind == "shared_topics")
    assert shared.text == "They say they know about Spark, as you do"
    assert shared.declared == ("Spark",) and shared.evidence == ()
    record = next(e for e in apply_controls(said).expertise if e.person == "erin" and e.topic == "spark")
    assert record.declared and record.score == DECLARED_SCORE and record.kind == "knows"

    shown = introductions_org(
        extra_posts=[post("p-erin-spark", "erin", day(4), "Tuning spark shuffles")],
        extra_expertise=[knows("erin", "spark", ["p-erin-spark"], at=day(4))],
    )
    erin = next(s for s in fit(controlled(shown, corrections=(add,))).recommend("alice") if s.candidate.id == "erin")
    shared = next(r for r in erin.reasons if r.kind == "shared_topics")
    assert shared.text == "You both know about Spark"
    assert shared.declared == () and [e.post_id for e in shared.evidence] == ["p-erin-spark"]


def test_a_declaration_made_long_after_the_data_does_not_move_as_of() -> None:
    late = TopicCorrection(person="erin", topic="spark", action="add", at=day(900))
    org = controlled(introductions_org(), corrections=(late,))
    assert PeopleToMeet().fit(org).features_.as_of == day(5)


def test_apply_controls_is_idempotent_and_a_no_op_without_controls() -> None:
    org = introductions_org()
    assert apply_controls(org) is org
    said = controlled(
        org,
        corrections=(hide("dave", "terraform"), TopicCorrection("erin", "spark", "add", day(6))),
        policies=(Policy(scope="person:gina", infer=False), Policy(scope="person:hank", suggest=False)),
    )
    once = apply_controls(said)
    assert apply_controls(once) == once
    assert once != said


# --- policies -------------------------------------------------------------------------------------------------


def test_infer_opt_out_drops_expertise_and_posts_but_keeps_ties() -> None:
    org = introductions_org(extra_posts=[post("p-pair", "alice", day(3), "Spark tuning", co_authors=("dave",))])
    silent = controlled(org, policies=(Policy(scope="person:dave", infer=False),))
    applied = apply_controls(silent)
    assert not [e for e in applied.expertise if e.person == "dave"]
    assert not [p for p in applied.posts if p.author == "dave"]
    assert next(p for p in applied.posts if p.id == "p-pair").co_authors == ()
    assert applied.ties == org.ties
    model = fit(silent)
    assert model.score_parts("alice", "dave").shared == 0
    assert all(
        r.kind != "recent_work" for s in everything_shown(model, silent) for r in s.reasons if s.candidate.id == "dave"
    )


def test_infer_opt_out_keeps_their_posts_out_of_already_done() -> None:
    query = "How do we migrate postgres to aurora?"
    assert AlreadyDone(analyzer=terms).fit(already_done_org()).query(query, asker="alice")[0].person.id == "eve"
    silent = controlled(already_done_org(), policies=(Policy(scope="person:eve", infer=False),))
    matches = AlreadyDone(analyzer=terms).fit(apply_controls(silent)).query(query, asker="alice", k=10)
    assert matches and "eve" not in [m.person.id for m in matches]
    assert all(e.post_id != "p-eve" for m in matches for e in m.evidence)


def test_suggest_opt_out_neither_suggested_nor_suggested_to() -> None:
    org = introductions_org()
    assert "dave" in ids(fit(org).recommend("alice"))
    quiet = controlled(org, policies=(Policy(scope="person:dave", suggest=False),))
    model = fit(quiet)
    for mode in MODES:
        assert model.recommend("dave", mode=mode) == []
    assert all(s.candidate.id != "dave" for s in everything_shown(model, quiet))


def test_person_policy_over_team_over_org() -> None:
    policies = (
        Policy(scope="org", suggest=False),
        Policy(scope="team:infra", suggest=True),
        Policy(scope="person:erin", suggest=False),
    )
    people = {p.id: p for p in apply_controls(controlled(introductions_org(), policies=policies)).people}
    assert not people["dave"].opted_out and not people["frank"].opted_out, "their team says yes over the org's no"
    assert people["erin"].opted_out, "her own no beats her team's yes"
    assert people["alice"].opted_out and people["judy"].opted_out, "the org's no for everyone else"
    assert people["ivan"].opted_out
    model = fit(controlled(introductions_org(), policies=policies))
    assert model.recommend("alice") == []
    assert {s.candidate.id for p in ("dave", "frank") for s in model.recommend(p)} <= {"dave", "frank"}


# --- feedback and do-not-pair ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["dismiss", "not_relevant", "met"])
def test_a_pair_with_feedback_never_returns_for_that_person(kind: str) -> None:
    org = introductions_org()
    assert ids(fit(org).recommend("alice"))[0] == "dave"
    said = controlled(org, feedback=(Feedback(person="alice", candidate="dave", kind=kind, at=day(6)),))
    model = fit(said)
    for mode in MODES:
        assert "dave" not in ids(model.recommend("alice", mode=mode))
    assert ids(model.recommend("alice")), "Alice still gets her other suggestions"
    assert "alice" in ids(fit(org).recommend("dave"))
    # Dismissing is Alice's say about Dave, not Dave's about her; having met blocks both ways.
    assert ("alice" in ids(model.recommend("dave"))) is (kind != "met")


def test_do_not_pair_blocks_both_directions_in_every_mode() -> None:
    org = introductions_org()
    assert "alice" in ids(fit(org).recommend("dave"))
    apart = controlled(org, do_not_pair=(DoNotPair(a="dave", b="alice", at=day(6)),))
    model = fit(apart)
    for mode in MODES:
        assert "dave" not in ids(model.recommend("alice", mode=mode))
        assert "alice" not in ids(model.recommend("dave", mode=mode))
