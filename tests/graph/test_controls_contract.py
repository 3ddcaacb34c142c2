"""The GraphStore contract for controls: feedback, corrections, policies, do-not-pair, tokens, digests, forgetting.

Every backend in ``conftest.BACKENDS`` must pass these unchanged.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from graph.controls import (
    AccessToken,
    Controls,
    DoNotPair,
    Feedback,
    Policy,
    TopicCorrection,
    secret_digest,
    suppression_keys,
)
from graph.delta import GraphDelta, Person, Topic, can_see
from graph.errors import NotFound
from graph.store import GraphStore
from tests.graph.sample import at, expertise, person, post, small_org, suggestion, tie

PERIOD, NEXT_PERIOD = "2026-W10", "2026-W11"
_CONTROL_KINDS = ("feedback", "corrections", "policies", "do_not_pair")


def feedback(person_id: str, candidate: str, kind: str = "dismiss", *, day: float = 5.0) -> Feedback:
    return Feedback(person=person_id, candidate=candidate, kind=kind, at=at(day))  # type: ignore[arg-type]


def correction(person_id: str, topic: str, action: str = "hide", *, day: float = 5.0) -> TopicCorrection:
    return TopicCorrection(person=person_id, topic=topic, action=action, at=at(day))  # type: ignore[arg-type]


def policy(scope: str, *, day: float = 5.0, **settings: object) -> Policy:
    return Policy(scope=scope, updated_at=at(day), **settings)  # type: ignore[arg-type]


def pair(a: str, b: str, *, day: float = 5.0) -> DoNotPair:
    return DoNotPair(a=a, b=b, at=at(day))


def token(token_id: str, *, scope: str = "person", person_id: str | None = "ada", **fields: object) -> AccessToken:
    return AccessToken(
        id=token_id,
        digest=secret_digest(f"wt_{token_id}_secret"),
        scope=scope,  # type: ignore[arg-type]
        person=person_id,
        created_at=at(1),
        **fields,  # type: ignore[arg-type]
    )


def some_controls() -> GraphDelta:
    """One or more records of each control kind, all naming people and topics of ``small_org``."""
    return GraphDelta(
        feedback=(feedback("ada", "cyd", "met"), feedback("bob", "cyd"), feedback("cyd", "ada", "not_relevant")),
        corrections=(correction("ada", "terraform", "hide"), correction("bob", "kubernetes", "confirm")),
        policies=(
            policy("org", digest="monthly"),
            policy("team:data", infer=False),
            policy("person:ada", suggest=False),
        ),
        do_not_pair=(pair("cyd", "ada"),),
    )


def _relationships(store: GraphStore) -> dict[str, int]:
    return store.counts().relationships


# -- feedback, corrections, policies, do-not-pair -----------------------------------------------------------------


def test_an_empty_store_has_no_controls(store: GraphStore) -> None:
    assert store.controls() == Controls()
    assert store.projection().controls == Controls()
    assert store.tokens() == []
    assert store.digests() == []
    assert store.suppressed() == frozenset()


def test_controls_round_trip_and_appear_in_the_projection(store: GraphStore) -> None:
    store.upsert(small_org())
    delta = some_controls()

    store.upsert(delta)

    controls = store.controls()
    assert set(controls.feedback) == set(delta.feedback)
    assert set(controls.corrections) == set(delta.corrections)
    assert set(controls.policies) == set(delta.policies)
    assert controls.do_not_pair == (DoNotPair("ada", "cyd", at(5)),)
    assert store.projection().controls == controls
    assert controls.policy_map()["team:data"] == policy("team:data", infer=False)


def test_controls_may_arrive_with_the_people_they_name(store: GraphStore) -> None:
    store.upsert(replace(small_org(), **{name: getattr(some_controls(), name) for name in _CONTROL_KINDS}))

    assert len(store.controls().feedback) == 3
    assert len(store.controls().do_not_pair) == 1


def test_controls_are_ordered_by_key_whatever_the_write_order(store: GraphStore) -> None:
    store.upsert(small_org())
    delta = some_controls()

    store.upsert(GraphDelta(**{name: tuple(reversed(getattr(delta, name))) for name in _CONTROL_KINDS}))

    controls = store.controls()
    assert controls.feedback == tuple(sorted(delta.feedback, key=lambda f: (f.person, f.candidate)))
    assert controls.corrections == tuple(sorted(delta.corrections, key=lambda c: (c.person, c.topic)))
    assert controls.policies == tuple(sorted(delta.policies, key=lambda p: p.scope))
    assert controls == store.controls() == store.projection().controls


def test_the_latest_feedback_per_pair_wins(store: GraphStore) -> None:
    store.upsert(small_org())
    store.upsert(GraphDelta(feedback=(feedback("ada", "cyd", "dismiss", day=5), feedback("ada", "bob", day=5))))

    later = feedback("ada", "cyd", "met", day=6)
    store.upsert(GraphDelta(feedback=(later,)))

    assert store.controls().feedback == (feedback("ada", "bob", day=5), later)
    # Feedback is directed: what cyd says about ada is another record.
    store.upsert(GraphDelta(feedback=(feedback("cyd", "ada", "not_relevant"),)))
    assert len(store.controls().feedback) == 3


def test_the_latest_of_several_records_for_one_key_in_a_delta_wins(store: GraphStore) -> None:
    store.upsert(small_org())

    store.upsert(
        GraphDelta(
            feedback=(feedback("ada", "cyd", "dismiss", day=5), feedback("ada", "cyd", "met", day=6)),
            corrections=(correction("ada", "kubernetes", "hide", day=5), correction("ada", "kubernetes", "add", day=6)),
            policies=(policy("org", suggest=False, day=5), policy("org", suggest=True, day=6)),
        )
    )

    controls = store.controls()
    assert [f.kind for f in controls.feedback] == ["met"]
    assert [c.action for c in controls.corrections] == ["add"]
    assert [p.suggest for p in controls.policies] == [True]


def test_an_older_record_never_replaces_a_newer_one(store: GraphStore) -> None:
    # A late retry of an old request (say, a widget click replayed) must not undo what was said since.
    store.upsert(small_org())
    store.upsert(
        GraphDelta(
            feedback=(feedback("ada", "cyd", "met", day=6),),
            corrections=(correction("ada", "kubernetes", "add", day=6),),
            policies=(policy("org", suggest=True, day=6),),
        )
    )

    store.upsert(
        GraphDelta(
            feedback=(feedback("ada", "cyd", "dismiss", day=5),),
            corrections=(correction("ada", "kubernetes", "hide", day=5),),
            policies=(policy("org", suggest=False, day=5),),
        )
    )

    controls = store.controls()
    assert [f.kind for f in controls.feedback] == ["met"]
    assert [c.action for c in controls.corrections] == ["add"]
    assert [p.suggest for p in controls.policies] == [True]


def test_the_latest_correction_per_person_and_topic_wins(store: GraphStore) -> None:
    store.upsert(small_org())
    store.upsert(
        GraphDelta(corrections=(correction("ada", "kubernetes", "hide"), correction("ada", "terraform", "confirm")))
    )

    later = correction("ada", "kubernetes", "confirm", day=7)
    store.upsert(GraphDelta(corrections=(later, correction("bob", "kubernetes", "hide"))))

    assert store.controls().corrections == (
        later,
        correction("ada", "terraform", "confirm"),
        correction("bob", "kubernetes", "hide"),
    )


def test_a_correction_may_add_a_topic_outside_the_vocabulary(store: GraphStore) -> None:
    store.upsert(small_org())
    topics, nodes = store.topics(), store.counts().nodes

    store.upsert(GraphDelta(corrections=(correction("ada", "rust", "add"),)))

    assert store.controls().corrections == (correction("ada", "rust", "add"),)
    assert store.topics() == topics  # a self-declared topic does not enter the vocabulary by itself
    assert store.counts().nodes == nodes
    assert _relationships(store)["CORRECTS"] == 1


def test_the_latest_policy_per_scope_wins_and_replaces_every_setting(store: GraphStore) -> None:
    store.upsert(small_org())
    store.upsert(GraphDelta(policies=(policy("org", suggest=False, digest="monthly"), policy("team:platform"))))

    later = policy("org", infer=False, day=9)
    store.upsert(GraphDelta(policies=(later,)))

    # A policy record is the whole word of its scope: what it leaves as None is inherited, not kept from before.
    assert store.controls().policy_map() == {"org": later, "team:platform": policy("team:platform")}


def test_policies_may_name_a_scope_without_a_stored_person_or_team(store: GraphStore) -> None:
    store.upsert(GraphDelta(policies=(policy("person:not-yet-imported", suggest=False), policy("team:new"))))

    assert {p.scope for p in store.controls().policies} == {"person:not-yet-imported", "team:new"}


def test_controls_naming_an_unknown_person_are_skipped_like_relationships(store: GraphStore) -> None:
    store.upsert(small_org())

    store.upsert(
        GraphDelta(
            feedback=(feedback("ada", "ghost"), feedback("ghost", "ada")),
            corrections=(correction("ghost", "kubernetes"),),
            do_not_pair=(pair("ada", "ghost"),),
        )
    )

    assert store.controls() == Controls()
    assert {_relationships(store)[kind] for kind in ("FEEDBACK", "CORRECTS", "DO_NOT_PAIR")} == {0}


def test_counts_report_feedback_corrections_and_do_not_pair(store: GraphStore) -> None:
    store.upsert(small_org())
    before = _relationships(store)
    delta = some_controls()

    store.upsert(delta)
    store.upsert(delta)
    store.upsert(GraphDelta(feedback=(feedback("ada", "cyd", "dismiss", day=8),)))  # replaces, adds nothing

    after = _relationships(store)
    assert after["FEEDBACK"] == len(delta.feedback)
    assert after["CORRECTS"] == len(delta.corrections)
    assert after["DO_NOT_PAIR"] == len(delta.do_not_pair)
    untouched = set(before) - {"FEEDBACK", "CORRECTS", "DO_NOT_PAIR"}
    assert {kind: after[kind] for kind in untouched} == {kind: before[kind] for kind in untouched}
    assert store.counts().nodes == {"Person": 4, "Team": 2, "Topic": 3, "Post": 4}  # policies are not nodes


def test_writing_the_same_controls_twice_changes_nothing(store: GraphStore) -> None:
    store.upsert(small_org())
    store.upsert(some_controls())
    counts, projection = store.counts(), store.projection()

    store.upsert(some_controls())

    assert store.counts() == counts
    assert store.projection() == projection


def test_do_not_pair_is_one_entry_per_unordered_pair(store: GraphStore) -> None:
    store.upsert(small_org())
    store.upsert(GraphDelta(do_not_pair=(pair("cyd", "ada", day=5), pair("bob", "ada", day=5))))

    store.upsert(GraphDelta(do_not_pair=(pair("ada", "cyd", day=6),)))

    assert store.controls().do_not_pair == (DoNotPair("ada", "bob", at(5)), DoNotPair("ada", "cyd", at(6)))
    assert _relationships(store)["DO_NOT_PAIR"] == 2


@pytest.mark.parametrize(("first", "second"), [("ada", "cyd"), ("cyd", "ada")], ids=["same-order", "reversed"])
def test_removing_a_do_not_pair_entry_works_in_either_order(store: GraphStore, first: str, second: str) -> None:
    store.upsert(small_org())
    store.upsert(GraphDelta(do_not_pair=(pair("cyd", "ada"), pair("bob", "cyd"))))

    assert store.remove_do_not_pair(first, second) is True

    assert store.controls().do_not_pair == (DoNotPair("bob", "cyd", at(5)),)
    assert _relationships(store)["DO_NOT_PAIR"] == 1
    assert store.remove_do_not_pair(second, first) is False
    assert store.remove_do_not_pair("ada", "nobody") is False
    assert store.controls().do_not_pair == (DoNotPair("bob", "cyd", at(5)),)


# -- tokens -------------------------------------------------------------------------------------------------------


def test_tokens_are_saved_listed_by_id_and_found(store: GraphStore) -> None:
    saved = [token("zz-last-1"), token("aa-first", scope="admin", person_id=None, label="ops"), token("mm-ingest")]

    for record in saved:
        store.save_token(record)

    assert store.tokens() == sorted(saved, key=lambda t: t.id)
    assert store.token("aa-first") == saved[1]
    assert store.token("aa-first").person is None


def test_saving_a_token_again_replaces_it_which_is_how_it_is_revoked(store: GraphStore) -> None:
    store.save_token(token("tok-1"))
    store.save_token(token("tok-2"))

    revoked = replace(store.token("tok-1"), revoked_at=at(3))
    store.save_token(revoked)

    assert store.token("tok-1") == revoked
    assert not store.token("tok-1").active
    assert store.token("tok-2").active
    assert [t.id for t in store.tokens()] == ["tok-1", "tok-2"]


def test_an_unknown_token_is_not_found(store: GraphStore) -> None:
    store.save_token(token("tok-1"))

    with pytest.raises(NotFound):
        store.token("tok-unknown")


# -- digests ------------------------------------------------------------------------------------------------------


def test_a_digest_is_reserved_once_ever(store: GraphStore) -> None:
    assert store.reserve_digest("ada", PERIOD, at=at(7)) is True

    assert store.reserve_digest("ada", PERIOD, at=at(7)) is False
    assert store.reserve_digest("ada", PERIOD, at=at(8)) is False  # a later run may not claim it either
    assert [(d.person, d.period, d.state, d.at) for d in store.digests()] == [("ada", PERIOD, "reserved", at(7))]


def test_reservations_are_per_person_and_period(store: GraphStore) -> None:
    assert store.reserve_digest("ada", PERIOD, at=at(7)) is True

    assert store.reserve_digest("bob", PERIOD, at=at(7)) is True
    assert store.reserve_digest("ada", NEXT_PERIOD, at=at(14)) is True
    assert len(store.digests()) == 3


def test_a_sent_digest_stays_claimed(store: GraphStore) -> None:
    store.reserve_digest("ada", PERIOD, at=at(7))

    store.mark_digest_sent("ada", PERIOD, at=at(7.5))

    assert [(d.person, d.state, d.at) for d in store.digests(PERIOD)] == [("ada", "sent", at(7.5))]
    assert store.reserve_digest("ada", PERIOD, at=at(8)) is False
    assert store.digests(PERIOD)[0].state == "sent"


def test_marking_an_unreserved_digest_sent_is_not_found(store: GraphStore) -> None:
    store.reserve_digest("ada", PERIOD, at=at(7))

    with pytest.raises(NotFound):
        store.mark_digest_sent("ada", NEXT_PERIOD, at=at(8))
    with pytest.raises(NotFound):
        store.mark_digest_sent("bob", PERIOD, at=at(8))
    assert [d.state for d in store.digests()] == ["reserved"]


def test_digests_are_listed_by_period_then_person(store: GraphStore) -> None:
    for person_id, period, day in [("cyd", NEXT_PERIOD, 14), ("bob", PERIOD, 7), ("ada", NEXT_PERIOD, 14)]:
        store.reserve_digest(person_id, period, at=at(day))
    store.reserve_digest("ada", PERIOD, at=at(7))

    assert [(d.period, d.person) for d in store.digests()] == [
        (PERIOD, "ada"),
        (PERIOD, "bob"),
        (NEXT_PERIOD, "ada"),
        (NEXT_PERIOD, "cyd"),
    ]
    assert [d.person for d in store.digests(NEXT_PERIOD)] == ["ada", "cyd"]
    assert store.digests("2030-W01") == []


# -- forgetting a person ------------------------------------------------------------------------------------------

BOB = person("bob", team="platform", email="Bob@Example.org", handles=("@bob",))


def _org_around_bob() -> GraphDelta:
    """``small_org`` plus everything that can refer to bob, and the same for others so we can see it survive."""
    org = small_org()
    return replace(
        org,
        people=tuple(BOB if p.id == "bob" else p for p in org.people),
        posts=(
            *org.posts,
            post("p5", "bob", day=4, co_authors=("cyd",), topics=("postgres",)),
            post("p6", "ada", day=5, co_authors=("bob",), mentions=("bob", "cyd"), audience=("bob", "team:data")),
            post("p7", "cyd", day=6, audience=("bob",)),
            post("p8", "cyd", day=7, reply_to="p2"),
            post("p9", "bob", day=8, co_authors=("bob",)),
        ),
        ties=(*org.ties, tie("cyd", "bob"), tie("cyd", "ada", 2.0)),
        expertise=(*org.expertise, expertise("bob", "postgres", kind="asks")),
        suggestions=(*org.suggestions, suggestion("bob", "cyd"), suggestion("cyd", "bob"), suggestion("cyd", "ada")),
        feedback=(feedback("bob", "cyd"), feedback("ada", "bob", "met"), feedback("cyd", "ada")),
        corrections=(correction("bob", "kubernetes"), correction("ada", "terraform")),
        policies=(policy("person:bob", suggest=False), policy("person:ada", digest="off"), policy("team:platform")),
        do_not_pair=(pair("bob", "cyd"), pair("dee", "bob"), pair("ada", "cyd")),
    )


def _store_around_bob(store: GraphStore) -> None:
    store.upsert(_org_around_bob())
    store.save_token(token("tok-bob", person_id="bob"))
    store.save_token(token("tok-ada", person_id="ada"))
    store.save_token(token("tok-admin", scope="admin", person_id=None))
    for person_id in ("bob", "ada"):
        store.reserve_digest(person_id, PERIOD, at=at(7))
    store.mark_digest_sent("bob", PERIOD, at=at(7))


def test_forgetting_erases_the_person_and_everything_only_about_them(store: GraphStore) -> None:
    _store_around_bob(store)

    store.forget_person("bob", suppress=suppression_keys(BOB))

    with pytest.raises(NotFound):
        store.person("bob")
    with pytest.raises(NotFound):
        store.neighbourhood("bob")
    projection = store.projection()
    assert [p.id for p in projection.people] == ["ada", "cyd", "dee"]
    assert "bob" not in {t.source for t in projection.ties} | {t.target for t in projection.ties}
    assert "bob" not in {e.person for e in projection.expertise}
    assert "bob" not in {s.person for s in projection.suggestions} | {s.candidate for s in projection.suggestions}
    assert store.ties_between([("ada", "bob"), ("bob", "ada"), ("cyd", "bob")]) == {}
    assert [e.person for e in store.topic_people("kubernetes")] == ["ada"]


def test_forgetting_erases_the_posts_they_wrote_alone(store: GraphStore) -> None:
    _store_around_bob(store)

    store.forget_person("bob", suppress=suppression_keys(BOB))

    assert store.existing_post_ids(["p2", "p9"]) == set()  # p9 lists bob as his own co-author: still alone
    assert {p.id for p in store.projection().posts} == {"p1", "p3", "p4", "p5", "p6", "p7", "p8"}
    assert _relationships(store)["REPLY_TO"] == 0  # p2 -> p1 went with p2, p8 -> p2 has no parent any more
    assert store.posts_by_id(["p8"])["p8"].reply_to == "p2"  # like any reference to an unstored post


def test_forgetting_takes_them_out_of_every_post_that_stays(store: GraphStore) -> None:
    _store_around_bob(store)

    store.forget_person("bob", suppress=suppression_keys(BOB))

    for kept in store.projection().posts:
        assert "bob" not in (*kept.authors, *kept.mentions, *kept.audience), kept.id
    posts = store.posts_by_id(["p5", "p6", "p7"])
    assert posts["p5"].authors == ("cyd",)  # co-written with cyd: it stays, as cyd's
    assert posts["p6"].authors == ("ada",)
    assert posts["p6"].mentions == ("cyd",)
    assert posts["p6"].audience == ("team:data",)
    assert [p.id for p in store.neighbourhood("cyd", limit=20).recent_posts] == ["p8", "p7", "p5", "p3"]


def test_a_restricted_post_stays_restricted_when_its_only_reader_is_forgotten(store: GraphStore) -> None:
    _store_around_bob(store)

    store.forget_person("bob", suppress=suppression_keys(BOB))

    p7 = store.posts_by_id(["p7"])["p7"]
    assert not p7.is_public
    assert can_see(p7, store.person("cyd"))
    assert not can_see(p7, store.person("ada"))
    assert not can_see(p7, None)


def test_forgetting_erases_their_controls_tokens_and_digests_and_keeps_everyone_elses(store: GraphStore) -> None:
    _store_around_bob(store)

    store.forget_person("bob", suppress=suppression_keys(BOB))

    controls = store.controls()
    assert controls.feedback == (feedback("cyd", "ada"),)
    assert controls.corrections == (correction("ada", "terraform"),)
    assert {p.scope for p in controls.policies} == {"person:ada", "team:platform"}
    assert controls.do_not_pair == (DoNotPair("ada", "cyd", at(5)),)
    assert store.projection().controls == controls
    assert [t.id for t in store.tokens()] == ["tok-ada", "tok-admin"]
    with pytest.raises(NotFound):
        store.token("tok-bob")
    assert [(d.person, d.period) for d in store.digests()] == [("ada", PERIOD)]
    relationships = _relationships(store)
    assert (relationships["FEEDBACK"], relationships["CORRECTS"], relationships["DO_NOT_PAIR"]) == (1, 1, 1)


def test_forgetting_leaves_the_rest_of_the_graph_as_it_was(store: GraphStore) -> None:
    _store_around_bob(store)
    before = store.projection()

    store.forget_person("bob", suppress=suppression_keys(BOB))

    after = store.projection()
    assert set(after.ties) == {t for t in before.ties if "bob" not in (t.source, t.target)}
    assert set(after.expertise) == {e for e in before.expertise if e.person != "bob"}
    assert set(after.suggestions) == {s for s in before.suggestions if "bob" not in (s.person, s.candidate)}
    assert after.teams == before.teams
    assert after.topics == before.topics
    unchanged = {"p1", "p3", "p4", "p8"}
    assert {p for p in after.posts if p.id in unchanged} == {p for p in before.posts if p.id in unchanged}
    assert store.counts().nodes == {"Person": 3, "Team": 2, "Topic": 3, "Post": 7}


def test_forgetting_counts_only_what_is_left(store: GraphStore) -> None:
    _store_around_bob(store)

    store.forget_person("bob", suppress=suppression_keys(BOB))

    projection = store.projection()
    relationships = _relationships(store)
    assert relationships["MEMBER_OF"] == sum(p.team is not None for p in projection.people)
    assert relationships["AUTHORED"] == sum(len(set(p.authors)) for p in projection.posts)
    assert relationships["MENTIONS"] == sum(len(set(p.mentions)) for p in projection.posts)
    assert relationships["INTERACTS_WITH"] == len(projection.ties)
    assert relationships["SUGGESTED"] == len(projection.suggestions)
    assert relationships["KNOWS_ABOUT"] + relationships["ASKS_ABOUT"] == len(projection.expertise)


def test_forgetting_adds_the_suppression_keys(store: GraphStore) -> None:
    _store_around_bob(store)
    keys = suppression_keys(BOB)

    store.forget_person("bob", suppress=keys)

    assert store.suppressed() == keys
    dee = store.person("dee")
    store.forget_person("dee", suppress=iter(suppression_keys(dee)))  # any iterable
    assert store.suppressed() == keys | suppression_keys(dee)


def test_forgetting_an_unknown_person_is_not_found_and_changes_nothing(store: GraphStore) -> None:
    _store_around_bob(store)
    projection, counts = store.projection(), store.counts()

    with pytest.raises(NotFound):
        store.forget_person("nobody", suppress=suppression_keys(Person(id="nobody", name="Nobody")))

    assert store.projection() == projection
    assert store.counts() == counts
    assert store.suppressed() == frozenset()
    store.forget_person("bob", suppress=suppression_keys(BOB))
    with pytest.raises(NotFound):
        store.forget_person("bob", suppress=suppression_keys(BOB))


def test_writing_a_forgotten_person_again_works_and_keeps_the_suppression_list(store: GraphStore) -> None:
    # Dropping suppressed people is the import's job; the store must simply stay consistent.
    _store_around_bob(store)
    store.forget_person("bob", suppress=suppression_keys(BOB))

    store.upsert(_org_around_bob())

    assert store.person("bob") == BOB
    assert store.suppressed() == suppression_keys(BOB)
    assert feedback("bob", "cyd") in store.controls().feedback
    assert store.reserve_digest("bob", PERIOD, at=at(9)) is True  # the forgotten reservation went with him
    store.upsert(GraphDelta(topics=(Topic("rust", "Rust"),), corrections=(correction("bob", "rust", "add"),)))
    assert correction("bob", "rust", "add") in store.controls().corrections


def test_forgetting_clears_them_as_anyone_s_manager(store: GraphStore) -> None:
    _store_around_bob(store)
    store.upsert(GraphDelta(people=(replace(store.person("cyd"), manager="bob"),)))

    store.forget_person("bob", suppress=suppression_keys(BOB))

    assert store.person("cyd").manager is None
    assert store.person("ada").manager is None
