"""Planted-answer tests: small organisations where the right introduction and the right expert are known."""

from __future__ import annotations

import dataclasses
import random
from datetime import timedelta

import pytest

from graph.errors import NotFound
from recommender.already_done import AlreadyDone
from recommender.people import PeopleToMeet
from tests.recommender.builders import (
    already_done_org,
    day,
    introductions_org,
    knows,
    popular_expert_org,
    post,
    terms,
)


def ids(suggestions) -> list[str]:
    return [item.candidate.id for item in suggestions]


# --- people to meet -------------------------------------------------------------------------------------------


def test_the_planted_introduction_comes_first() -> None:
    model = PeopleToMeet(k=3).fit(introductions_org())
    suggestions = model.recommend("alice")
    assert suggestions, "Alice should get at least the planted introduction"
    assert suggestions[0].candidate.id == "dave"
    assert suggestions[0].person == "alice"
    assert [s.score for s in suggestions] == sorted((s.score for s in suggestions), reverse=True)


def test_teammate_with_the_same_topic_is_never_suggested() -> None:
    model = PeopleToMeet(k=5).fit(introductions_org())
    assert model.score_parts("alice", "bob").shared > 0, "Bob shares Kubernetes, so only the team rule keeps him out"
    assert "bob" not in ids(model.recommend("alice"))
    assert "alice" not in ids(model.recommend("bob"))


def test_strong_tie_is_not_suggested_unless_the_option_is_off() -> None:
    kept_out = PeopleToMeet(k=5).fit(introductions_org())
    assert "gina" not in ids(kept_out.recommend("alice"))
    allowed = PeopleToMeet(k=5, exclude_strong_ties=False).fit(introductions_org())
    assert "gina" in ids(allowed.recommend("alice"))


def test_strong_tie_by_quantile_of_the_persons_ties() -> None:
    # With a count threshold nobody reaches, Gina (weight 5 of 2, 5, 6) is still above the 0.4 quantile.
    by_quantile = PeopleToMeet(k=5, strong_count=100, strong_quantile=0.4).fit(introductions_org())
    assert "gina" not in ids(by_quantile.recommend("alice"))
    never_strong = PeopleToMeet(k=5, strong_count=100, strong_quantile=1.0).fit(introductions_org())
    assert "gina" in ids(never_strong.recommend("alice"))


def test_opted_out_person_is_never_suggested_and_gets_nothing() -> None:
    model = PeopleToMeet(k=10, capacity=100).fit(introductions_org())
    everyone = [p.id for p in introductions_org().people]
    for pid in everyone:
        assert "ivan" not in ids(model.recommend(pid))
    assert model.recommend("ivan") == []


def test_people_without_a_team_can_be_suggested_to_anyone() -> None:
    model = PeopleToMeet(k=10, capacity=100).fit(introductions_org())
    assert "judy" in ids(model.recommend("gina")), "Judy shares Hank as a colleague with Gina and has no team"


def test_every_suggestion_needs_a_real_reason() -> None:
    model = PeopleToMeet(k=10, capacity=100).fit(introductions_org())
    for pid in [p.id for p in introductions_org().people]:
        for suggestion in model.recommend(pid):
            parts = model.score_parts(pid, suggestion.candidate.id)
            assert parts.shared > 0 or parts.complementary > 0 or parts.mutual > 0
    # Carol has no topic or colleague in common with Frank: reach alone never makes a suggestion.
    assert "frank" not in ids(model.recommend("carol"))


def test_unknown_person_or_viewer_raises_not_found() -> None:
    model = PeopleToMeet().fit(introductions_org())
    with pytest.raises(NotFound):
        model.recommend("nobody")
    with pytest.raises(NotFound):
        model.recommend("alice", viewer="nobody")


# --- reasons --------------------------------------------------------------------------------------------------


def reason(suggestion, kind):
    found = [r for r in suggestion.reasons if r.kind == kind]
    return found[0] if found else None


def test_reasons_name_the_shared_topic_with_the_candidates_visible_evidence() -> None:
    dave = PeopleToMeet(k=3).fit(introductions_org()).recommend("alice")[0]
    shared = reason(dave, "shared_topics")
    assert shared is not None and shared.topics == ("Kubernetes",)
    assert {e.post_id for e in shared.evidence} <= {"p-dave-k8s", "p-dave-old"}
    assert 1 <= len(shared.evidence) <= 2
    team = reason(dave, "team")
    assert team is not None and "Team Infra" in team.text


def test_restricted_evidence_is_not_shown_to_an_outsider_but_is_to_an_insider() -> None:
    model = PeopleToMeet(k=3).fit(introductions_org())
    for_alice = model.recommend("alice")[0]
    assert model.score_parts("alice", "dave").complementary > 0, "Terraform does count in the score"
    assert reason(for_alice, "complementary_topics") is None, "but its only evidence is private to Infra"
    recent = reason(for_alice, "recent_work")
    assert recent is not None and recent.evidence[0].post_id == "p-dave-k8s"
    shown_to_erin = next(s for s in model.recommend("alice", viewer="erin") if s.candidate.id == "dave")
    complementary = reason(shown_to_erin, "complementary_topics")
    assert complementary is not None and complementary.topics == ("Terraform",)
    assert [e.post_id for e in complementary.evidence] == ["p-dave-tf"]
    assert reason(shown_to_erin, "recent_work").evidence[0].post_id == "p-dave-tf"


def test_every_reason_shown_is_one_the_score_used() -> None:
    org = introductions_org()
    for weights in [
        {},
        {"band_weight": 0.0},
        {"shared_weight": 0.0},
        {"complementary_weight": 0.0},
        {"reach_weight": 0.0},
    ]:
        model = PeopleToMeet(k=10, capacity=100, **weights).fit(org)
        for pid in [p.id for p in org.people]:
            for suggestion in model.recommend(pid, viewer="dave"):
                parts = model.score_parts(pid, suggestion.candidate.id)
                assert suggestion.score == pytest.approx(parts.total)
                kinds = {r.kind for r in suggestion.reasons}
                if "shared_topics" in kinds:
                    assert model.shared_weight > 0 and parts.shared > 0
                if "complementary_topics" in kinds:
                    assert model.complementary_weight > 0 and parts.complementary > 0
                if "mutual_colleagues" in kinds:
                    assert model.band_weight > 0 and parts.band > 0
                    assert reason(suggestion, "mutual_colleagues").text.startswith(f"{parts.mutual} mutual")
                if "rarely" in (reason(suggestion, "team") or reason(suggestion, "recent_work")).text:
                    assert model.reach_weight > 0 and parts.reach > 0


def test_mutual_colleagues_reason_names_them_and_vanishes_with_band_weight_zero() -> None:
    org = introductions_org()
    with_band = PeopleToMeet(k=10, capacity=100).fit(org)
    hank = next(s for s in with_band.recommend("alice") if s.candidate.id == "hank")
    mutual = reason(hank, "mutual_colleagues")
    assert mutual is not None and mutual.people == ("Gina",) and mutual.text.startswith("1 mutual colleague")
    without = PeopleToMeet(k=10, capacity=100, band_weight=0.0).fit(org)
    assert "hank" not in ids(without.recommend("alice")), "Hank's only reason was the mutual colleague"


# --- capacity, repeats, determinism ---------------------------------------------------------------------------


def test_capacity_keeps_a_popular_expert_from_being_given_to_everyone() -> None:
    org = popular_expert_org(seekers=8)
    seekers = [p.id for p in org.people if p.id.startswith("seeker")]
    unlimited = PeopleToMeet(k=1, capacity=100).fit(org)
    assert sum(ids(unlimited.recommend(s)) == ["guru"] for s in seekers) > 2, "without a cap most get the guru"
    capped = PeopleToMeet(k=1, capacity=2).fit(org)
    firsts = [ids(capped.recommend(s)) for s in seekers]
    assert sum(first == ["guru"] for first in firsts) == 2
    assert all(first for first in firsts), "the others still get their next-best match"


def test_default_capacity_is_max_of_three_and_twice_k() -> None:
    assert PeopleToMeet(k=1).fit(popular_expert_org(seekers=2)).capacity_ == 3
    assert PeopleToMeet(k=5).fit(popular_expert_org(seekers=2)).capacity_ == 10


def test_no_repeat_without_new_evidence_but_repeat_once_there_is() -> None:
    org = introductions_org()
    model = PeopleToMeet(k=3).fit(org)
    first = model.recommend("alice")
    assert first[0].candidate.id == "dave"
    assert first[0].evidence_at == day(5), "the newest evidence behind Alice-Dave is the Terraform expertise"
    shown = model.records(first, at=day(40))
    assert {r.candidate for r in shown} == set(ids(first))
    assert all(r.reasons and r.evidence_at is not None for r in shown)

    again = PeopleToMeet(k=3).fit(dataclasses.replace(org, suggestions=shown))
    assert "dave" not in ids(again.recommend("alice"))

    newer = introductions_org(
        extra_posts=[post("p-dave-new", "dave", day(50), "Kubernetes operators")],
        extra_expertise=[knows("dave", "kubernetes", ["p-dave-new", "p-dave-k8s"], at=day(50))],
    )
    newer = dataclasses.replace(newer, suggestions=shown)
    assert ids(PeopleToMeet(k=3).fit(newer).recommend("alice"))[0] == "dave"


def test_results_do_not_depend_on_input_order_or_repeated_fits() -> None:
    org = introductions_org()
    shuffled_parts = {}
    rng = random.Random(3)
    for name in ("people", "posts", "ties", "expertise"):
        items = list(getattr(org, name))
        rng.shuffle(items)
        shuffled_parts[name] = tuple(items)
    shuffled = dataclasses.replace(org, **shuffled_parts)
    everyone = [p.id for p in org.people]
    a = PeopleToMeet(k=3, random_state=5).fit(org)
    b = PeopleToMeet(k=3, random_state=5).fit(shuffled)
    for pid in everyone:
        assert a.recommend(pid) == b.recommend(pid)


def test_random_state_only_breaks_exact_ties() -> None:
    # Two seekers are exact mirror images; with capacity 1 exactly one of them gets the guru.
    org = popular_expert_org(seekers=2)
    winners = set()
    for seed in range(12):
        model = PeopleToMeet(k=1, capacity=1, random_state=seed).fit(org)
        got = [s for s in ("seeker00", "seeker01") if ids(model.recommend(s)) == ["guru"]]
        assert len(got) == 1
        assert model.recommend(got[0]) == PeopleToMeet(k=1, capacity=1, random_state=seed).fit(org).recommend(got[0])
        winners.add(got[0])
    assert winners == {"seeker00", "seeker01"}


def test_as_of_defaults_to_the_data_not_the_wall_clock() -> None:
    org = introductions_org()
    model = PeopleToMeet().fit(org)
    assert model.features_.as_of == day(5)
    later = PeopleToMeet().fit(org, as_of=day(5) + timedelta(days=3650))
    assert ids(later.recommend("alice")) == ids(model.recommend("alice"))


# --- someone has already done that ----------------------------------------------------------------------------


def already_done() -> AlreadyDone:
    return AlreadyDone(analyzer=terms).fit(already_done_org())


def test_the_person_who_already_did_it_is_found_across_teams() -> None:
    matches = already_done().query("How do we migrate postgres to aurora?", asker="alice")
    assert matches[0].person.id == "eve"
    assert matches[0].cross_team is True
    assert matches[0].evidence[0].post_id == "p-eve"
    assert matches[0].evidence[0].url == "https://chat.example/p-eve"
    assert isinstance(matches[0].score, float)


def test_the_asker_is_excluded_and_teammates_are_not_cross_team() -> None:
    matches = already_done().query("migrate postgres to aurora", asker="alice", k=10)
    assert "alice" not in [m.person.id for m in matches]
    bob = next(m for m in matches if m.person.id == "bob")
    assert bob.cross_team is False
    assert "alice" in [m.person.id for m in already_done().query("migrate postgres to aurora", asker="eve", k=10)]


def test_a_restricted_post_is_not_shown_to_an_outsider() -> None:
    model = already_done()
    outsider = model.query("postgres aurora migration runbook", asker="alice", k=10)
    assert "frank" not in [m.person.id for m in outsider]
    assert all(e.post_id != "p-frank" for m in outsider for e in m.evidence)
    anonymous = model.query("postgres aurora migration runbook", k=10)
    assert "frank" not in [m.person.id for m in anonymous]
    insider = model.query("postgres aurora migration runbook", asker="eve", k=10)
    assert insider[0].person.id == "frank"
    assert insider[0].evidence[0].post_id == "p-frank"
    assert insider[0].cross_team is False


def test_repliers_get_credit_below_the_author() -> None:
    matches = already_done().query("migrate postgres to aurora", asker="alice", k=10)
    by_id = {m.person.id: m for m in matches}
    assert "gina" in by_id, "Gina replied to Eve's matching post"
    assert by_id["gina"].score < by_id["eve"].score
    assert [e.post_id for e in by_id["gina"].evidence] == ["p-gina-reply"]


def test_co_authors_get_less_credit_than_authors() -> None:
    org = already_done_org()
    shared = post("p-pair", "hank", day(10), "Blue green deploys with argo", co_authors=("olga",))
    model = AlreadyDone(analyzer=terms).fit(dataclasses.replace(org, posts=(*org.posts, shared)))
    by_id = {m.person.id: m.score for m in model.query("argo blue green deploys", k=5)}
    assert by_id["olga"] == pytest.approx(0.8 * by_id["hank"])


def test_recent_work_ranks_above_identical_old_work() -> None:
    org = already_done_org()
    old = post("p-old", "gina", day(-700), "Feature flags with unleash")
    new = post("p-new", "hank", day(20), "Feature flags with unleash")
    model = AlreadyDone(analyzer=terms, half_life_days=365).fit(dataclasses.replace(org, posts=(*org.posts, old, new)))
    assert [m.person.id for m in model.query("feature flags unleash", k=2)] == ["hank", "gina"]


def test_topics_match_as_phrases_and_opted_out_people_never_appear() -> None:
    matches = already_done().query("our postgres migration", asker="alice", k=10)
    found = [m.person.id for m in matches]
    assert "olga" in found, "Olga's post is only about the topic 'postgres migration', not its words"
    assert "ivan" not in found


def test_no_match_and_unknown_people() -> None:
    model = already_done()
    assert model.query("quantum basket weaving", asker="alice") == []
    with pytest.raises(NotFound):
        model.query("postgres", asker="nobody")


def test_only_the_best_matching_posts_are_credited_when_capped() -> None:
    capped = AlreadyDone(analyzer=terms, max_posts=1).fit(already_done_org())
    matches = capped.query("migrated postgres to aurora with zero downtime", asker="alice", k=10)
    assert [m.person.id for m in matches] == ["eve", "gina"], "Eve's post alone, and Gina who replied to it"
    uncapped = already_done().query("migrated postgres to aurora with zero downtime", asker="alice", k=10)
    assert len(uncapped) > len(matches)


def test_a_post_backing_several_topics_is_shown_once_per_reason() -> None:
    both = post("p-dave-both", "dave", day(4), "Kubernetes operators for spark")
    org = introductions_org(
        extra_posts=[both],
        extra_expertise=[
            knows("alice", "spark", ["p-alice-k8s"]),
            knows("dave", "kubernetes", ["p-dave-both", "p-dave-k8s"]),
            knows("dave", "spark", ["p-dave-both"]),
        ],
    )
    dave = next(s for s in PeopleToMeet(k=3).fit(org).recommend("alice") if s.candidate.id == "dave")
    shared = reason(dave, "shared_topics")
    assert shared is not None and len(shared.topics) == 2
    shown = [e.post_id for e in shared.evidence]
    assert shown.count("p-dave-both") == 1
