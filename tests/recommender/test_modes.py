"""Planted-answer tests of the mentoring modes: tiny organisations where exactly one candidate is the right mentor,
reverse mentor or mutual partner, beside a decoy that wins in peer mode."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import pytest

from graph.controls import Controls, DoNotPair, Feedback, Policy, TopicCorrection
from graph.delta import Person
from graph.store import Projection
from recommender.modes import mode_pair, mode_totals
from recommender.people import PeopleToMeet
from recommender.reasons import MAX_TOPICS
from tests.recommender.builders import asks, day, knows, person, post, projection, random_org


def ids(suggestions) -> list[str]:
    return [item.candidate.id for item in suggestions]


def fit(org: Projection, **options: object) -> PeopleToMeet:
    return PeopleToMeet(k=5, **options).fit(org)


def about(pid: str, author: str, n: float, topic: str) -> object:
    return dataclasses.replace(post(pid, author, day(n), f"Notes on {topic}"), topics=(topic,))


def mentor_org(*, started: bool = True, mia_declares: bool = False) -> Projection:
    """Pat (joined recently) asks about Rust. Mia has been here for years and knows Rust: the mentor.

    Decoys: Dan knows Rust best and shares Go with Pat (the peer winner) but joined after Pat; Sam is senior but
    knows only Go, which Pat did not ask about; Tim knows Rust best of all but is Pat's teammate.
    """
    joined = {"pat": -100, "mia": -3000, "dan": -10, "sam": -4000, "tim": -5000}
    teams = {"pat": "a", "mia": "b", "dan": "c", "sam": "d", "tim": "a"}
    people = [person(p, teams[p], started_at=day(joined[p]) if started else None) for p in joined]
    posts = [
        about("p-pat-q", "pat", 10, "rust"),
        about("p-pat-go", "pat", 10, "go"),
        about("p-mia-rust", "mia", 1, "rust"),
        about("p-dan-rust", "dan", 20, "rust"),
        about("p-dan-go", "dan", 20, "go"),
        about("p-sam-go", "sam", 0, "go"),
        about("p-tim-rust", "tim", 2, "rust"),
    ]
    expertise = [
        asks("pat", "rust", ["p-pat-q"], at=day(20)),
        knows("pat", "go", ["p-pat-go"], at=day(20)),
        knows("dan", "rust", ["p-dan-rust"], score=4.0, at=day(20)),
        knows("dan", "go", ["p-dan-go"], score=2.0, at=day(20)),
        knows("sam", "go", ["p-sam-go"], score=3.0, at=day(20)),
        knows("tim", "rust", ["p-tim-rust"], score=5.0, at=day(20)),
    ]
    corrections = ()
    if mia_declares:
        corrections = (TopicCorrection(person="mia", topic="rust", action="add", at=day(15)),)
    else:
        expertise.append(knows("mia", "rust", ["p-mia-rust"], score=3.0, at=day(20)))
    org = projection(people, posts=posts, expertise=expertise)
    return dataclasses.replace(org, controls=Controls(corrections=corrections))


def reverse_org(*, llm_first_seen: float = 100) -> Projection:
    """Sue, senior, knows Java and Kubernetes. Jon joined a month ago and knows LLMs, new here: the reverse mentor.

    Decoys: Old (also junior) shares Java (the peer winner) and knows Cobol, which Sue lacks but which has been here
    for years; Max knows LLMs as well as Jon but is more senior than Sue.
    """
    joined = {"sue": -4000, "jon": -30, "old": -60, "max": -5000}
    people = [person(p, team, started_at=day(joined[p])) for p, team in zip(joined, "abcd", strict=True)]
    posts = [
        about("p-sue-java", "sue", 0, "java"),
        about("p-sue-k8s", "sue", 50, "kubernetes"),
        about("p-old-cobol-first", "old", -1500, "cobol"),
        about("p-old-cobol", "old", 90, "cobol"),
        about("p-old-java", "old", 90, "java"),
        about("p-jon-llm", "jon", llm_first_seen, "llm"),
        about("p-max-llm", "max", 100, "llm"),
    ]
    expertise = [
        knows("sue", "java", ["p-sue-java"], score=5.0, at=day(100)),
        knows("sue", "kubernetes", ["p-sue-k8s"], score=2.0, at=day(100)),
        knows("old", "cobol", ["p-old-cobol"], score=2.0, at=day(100)),
        knows("old", "java", ["p-old-java"], score=2.0, at=day(100)),
        knows("jon", "llm", ["p-jon-llm"], score=3.0, at=day(100)),
        knows("max", "llm", ["p-max-llm"], score=3.0, at=day(100)),
    ]
    return projection(people, posts=posts, expertise=expertise)


def mutual_org() -> Projection:
    """Ann knows Python, Ben knows Rust: each is strong where the other is weak, the mutual partners.

    Decoys: Cat knows Python just like Ann (the peer winner) and nothing else; Dom knows both better than Ann (a
    mentor, with nothing to learn from her); Eve knows nothing yet.
    """
    people = [person(p, team) for p, team in zip(("ann", "ben", "cat", "dom", "eve"), "abcde", strict=True)]
    posts = [
        about("p-ann-py", "ann", 1, "python"),
        about("p-ben-rust", "ben", 1, "rust"),
        about("p-cat-py", "cat", 1, "python"),
        about("p-dom-py", "dom", 1, "python"),
        about("p-dom-rust", "dom", 1, "rust"),
    ]
    expertise = [
        knows("ann", "python", ["p-ann-py"], score=2.0, at=day(1)),
        knows("ben", "rust", ["p-ben-rust"], score=2.0, at=day(1)),
        knows("cat", "python", ["p-cat-py"], score=2.0, at=day(1)),
        knows("dom", "python", ["p-dom-py"], score=4.0, at=day(1)),
        knows("dom", "rust", ["p-dom-rust"], score=4.0, at=day(1)),
    ]
    return projection(people, posts=posts, expertise=expertise)


PLANTED: dict[str, tuple[Callable[[], Projection], str, str, str]] = {
    # mode: (organisation, person, the right partner, the peer-mode decoy)
    "mentor": (mentor_org, "pat", "mia", "dan"),
    "reverse": (reverse_org, "sue", "jon", "old"),
    "mutual": (mutual_org, "ann", "ben", "cat"),
}


@pytest.mark.parametrize("mode", sorted(PLANTED))
def test_the_planted_partner_wins_the_mode_and_the_decoy_wins_peer(mode: str) -> None:
    org, who, right, decoy = PLANTED[mode]
    model = fit(org())
    assert ids(model.recommend(who))[0] == decoy
    found = ids(model.recommend(who, mode=mode))
    assert found[0] == right
    # The peer winner only comes along in reverse mode, where Old is junior and knows Cobol, an old topic.
    assert (decoy in found) is (mode == "reverse")


def test_mentor_reason_names_the_asked_topic_and_experience() -> None:
    (suggestion,) = fit(mentor_org()).recommend("pat", mode="mentor")
    topic = suggestion.reasons[0]
    assert (
        topic.text == "They know more than you about Rust, which you asked about; they have been here longer than you"
    )
    assert topic.topics == ("Rust",) and [e.post_id for e in topic.evidence] == ["p-mia-rust"]
    assert suggestion.reasons[1].text == "Works in Team B"
    assert suggestion.evidence_at == day(20)


def test_mentor_falls_back_to_first_activity_without_start_dates() -> None:
    assert ids(fit(mentor_org(started=False)).recommend("pat", mode="mentor")) == ["mia"]
    # Dan's first post (day 20) comes after Pat's (day 10); give him an older one and he is the senior one too.
    org = mentor_org(started=False)
    older = dataclasses.replace(org, posts=(*org.posts, about("p-dan-old", "dan", -50, "go")))
    assert ids(fit(older).recommend("pat", mode="mentor"))[0] == "dan", "Dan knows Rust best once he is senior"


def test_a_teammate_mentor_only_when_teammates_are_allowed() -> None:
    assert "tim" not in ids(fit(mentor_org()).recommend("pat", mode="mentor"))
    assert ids(fit(mentor_org(), exclude_teammates=False).recommend("pat", mode="mentor")) == ["tim", "mia"]


def test_a_self_declared_mentor_is_marked_as_such() -> None:
    (suggestion,) = fit(mentor_org(mia_declares=True)).recommend("pat", mode="mentor")
    topic = suggestion.reasons[0]
    assert suggestion.candidate.id == "mia"
    assert topic.text == "They say they know about Rust, which you asked about; they have been here longer than you"
    assert topic.declared == ("Rust",) and topic.evidence == ()


def test_reverse_reason_names_the_new_topic() -> None:
    suggestion, cobol = fit(reverse_org()).recommend("sue", mode="reverse")
    assert cobol.reasons[0].text == "They know more than you about Cobol; they are newer here than you"
    assert suggestion.reasons[0].text == "They know more than you about Llm (new here); they are newer here than you"
    assert suggestion.reasons[0].topics == ("Llm",)


def test_reverse_weights_topics_new_to_the_organisation() -> None:
    # Were LLMs as old here as Cobol, Old's rarer topic would win: newness is what puts Jon first.
    assert ids(fit(reverse_org(llm_first_seen=-1500)).recommend("sue", mode="reverse"))[0] == "old"
    assert "max" not in ids(fit(reverse_org()).recommend("sue", mode="reverse")), "Max is more senior than Sue"


def test_mutual_reason_names_both_gaps_and_scores_the_smaller() -> None:
    model = fit(mutual_org())
    (suggestion,) = model.recommend("ann", mode="mutual")
    assert suggestion.reasons[0].text == "They know more than you about Rust; you know more than them about Python"
    pair = mode_pair(
        model.modes_, model.features_, "mutual", model.features_.index["ann"], model.features_.index["ben"]
    )
    give, take = sum(v for _, v in pair.gives), sum(v for _, v in pair.takes)
    assert 0 < take < give and suggestion.score == pytest.approx(take)


def test_a_hidden_topic_is_not_a_gap_to_point_out() -> None:
    # Ben hides Python: that he lacks it is his choice, so Ann cannot "teach" it to him.
    hidden = Controls(corrections=(TopicCorrection(person="ben", topic="python", action="hide", at=day(2)),))
    model = fit(dataclasses.replace(mutual_org(), controls=hidden))
    assert "ben" not in ids(model.recommend("ann", mode="mutual"))
    f = model.features_
    assert mode_totals(model.modes_, f, "mutual", f.index["ann"])[f.index["ben"]] == 0


def _exclusions(org: Projection, who: str, right: str) -> dict[str, Projection]:
    def with_people(change: Callable[[Person], Person]) -> Projection:
        return dataclasses.replace(org, people=tuple(change(p) if p.id == right else p for p in org.people))

    team = next(p.team for p in org.people if p.id == who)
    return {
        "teammate": with_people(lambda p: dataclasses.replace(p, team=team)),
        "opted_out": with_people(lambda p: dataclasses.replace(p, opted_out=True)),
        "suggest_off": dataclasses.replace(
            org, controls=Controls(policies=(Policy(f"person:{right}", suggest=False),))
        ),
        "dismissed": dataclasses.replace(org, controls=Controls(feedback=(Feedback(who, right, "dismiss", day(3)),))),
        "do_not_pair": dataclasses.replace(org, controls=Controls(do_not_pair=(DoNotPair(right, who, day(3)),))),
    }


@pytest.mark.parametrize("mode", sorted(PLANTED))
@pytest.mark.parametrize("rule", ["teammate", "opted_out", "suggest_off", "dismissed", "do_not_pair"])
def test_modes_keep_out_whom_peer_mode_keeps_out(mode: str, rule: str) -> None:
    org, who, right, _ = PLANTED[mode]
    changed = _exclusions(org(), who, right)[rule]
    assert right not in ids(fit(changed).recommend(who, mode=mode))
    if rule == "teammate":
        assert right in ids(fit(changed, exclude_teammates=False).recommend(who, mode=mode))


@pytest.mark.parametrize("mode", sorted(PLANTED))
def test_opted_out_people_get_no_mode_suggestions(mode: str) -> None:
    org, who, _, _ = PLANTED[mode]
    quiet = dataclasses.replace(org(), controls=Controls(policies=(Policy(f"person:{who}", suggest=False),)))
    assert fit(quiet).recommend(who, mode=mode) == []


@pytest.mark.parametrize("mode", ["mentor", "reverse", "mutual"])
def test_every_named_topic_is_one_the_score_used(mode: str) -> None:
    org = random_org(seed=2)
    model = fit(org)
    f = model.features_
    for member in org.people[:30]:
        me = f.index[member.id]
        totals = mode_totals(model.modes_, f, mode, me)
        for suggestion in model.recommend(member.id, mode=mode):
            them = f.index[suggestion.candidate.id]
            pair = mode_pair(model.modes_, f, mode, me, them)
            assert suggestion.score == pytest.approx(totals[them]) == pytest.approx(pair.total)
            used = {f.topic_labels[t] for t, _ in (*pair.gives, *pair.takes)}
            named = suggestion.reasons[0].topics
            assert named and set(named) <= used and len(named) <= 2 * MAX_TOPICS
            assert suggestion.candidate.team != member.team or member.team is None


def test_unknown_modes_are_refused() -> None:
    with pytest.raises(ValueError, match="mode must be one of"):
        fit(mutual_org()).recommend("ann", mode="sideways")  # type: ignore[arg-type]
    assert np.isfinite(fit(mutual_org()).score_parts("ann", "ben").total)
