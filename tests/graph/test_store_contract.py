"""The GraphStore contract: every backend in ``conftest.BACKENDS`` must pass these unchanged."""

from __future__ import annotations

from dataclasses import replace

import pytest

from graph.delta import GraphDelta, Team, Topic
from graph.errors import NotFound
from graph.store import NODE_LABELS, RELATIONSHIP_TYPES, GraphStore
from tests.graph.sample import at, expected_relationships, expertise, person, post, small_org, suggestion, tie


def _relationships(store: GraphStore) -> dict[str, int]:
    return store.counts().relationships


def _nodes(store: GraphStore) -> dict[str, int]:
    return store.counts().nodes


def test_store_implements_the_protocol(store: GraphStore) -> None:
    assert isinstance(store, GraphStore)


def test_an_empty_store_counts_every_label_and_type_as_zero(store: GraphStore) -> None:
    counts = store.counts()

    assert counts.nodes == dict.fromkeys(NODE_LABELS, 0)
    assert counts.relationships == dict.fromkeys(RELATIONSHIP_TYPES, 0)
    assert counts.total == 0


def test_every_record_type_round_trips(store: GraphStore) -> None:
    delta = small_org()

    store.upsert(delta)

    projection = store.projection()
    assert set(projection.people) == set(delta.people)
    assert set(projection.teams) == set(delta.teams)
    assert set(projection.topics) == set(delta.topics)
    assert set(projection.posts) == set(delta.posts)
    assert set(projection.ties) == set(delta.ties)
    assert set(projection.expertise) == set(delta.expertise)
    assert set(projection.suggestions) == set(delta.suggestions)
    ada = next(p for p in delta.people if p.id == "ada")
    assert store.person("ada") == ada
    assert store.people() == sorted(delta.people, key=lambda p: p.id)
    assert store.topics() == sorted(delta.topics, key=lambda t: t.id)
    assert store.posts_by_id(["p1", "p3"]) == {p.id: p for p in delta.posts if p.id in {"p1", "p3"}}
    assert store.ties_between([("ada", "bob")]) == {("ada", "bob"): delta.ties[0]}
    assert store.expertise_for([("ada", "postgres", "asks")]) == {("ada", "postgres", "asks"): delta.expertise[-1]}


def test_counts_match_the_records(store: GraphStore) -> None:
    delta = small_org()

    store.upsert(delta)

    counts = store.counts()
    assert counts.nodes == {"Person": len(delta.people), "Team": 2, "Topic": 3, "Post": len(delta.posts)}
    assert counts.relationships == {**dict.fromkeys(RELATIONSHIP_TYPES, 0), **expected_relationships(delta)}


def test_projection_is_ordered_by_key_whatever_the_write_order(store: GraphStore) -> None:
    delta = small_org()
    backwards = GraphDelta(**{name: tuple(reversed(getattr(delta, name))) for name in delta.__dataclass_fields__})

    store.upsert(backwards)

    projection = store.projection()
    assert projection.people == tuple(sorted(delta.people, key=lambda p: p.id))
    assert projection.teams == tuple(sorted(delta.teams, key=lambda t: t.id))
    assert projection.topics == tuple(sorted(delta.topics, key=lambda t: t.id))
    assert projection.posts == tuple(sorted(delta.posts, key=lambda p: p.id))
    assert projection.ties == tuple(sorted(delta.ties, key=lambda t: (t.source, t.target)))
    assert projection.expertise == tuple(sorted(delta.expertise, key=lambda e: (e.person, e.topic, e.kind)))
    assert projection == store.projection()


def test_writing_the_same_delta_twice_changes_nothing(store: GraphStore) -> None:
    store.upsert(small_org())
    counts, projection = store.counts(), store.projection()

    store.upsert(small_org())

    assert store.counts() == counts
    assert store.projection() == projection


def test_an_empty_delta_changes_nothing(store: GraphStore) -> None:
    store.upsert(small_org())
    counts = store.counts()

    store.upsert(GraphDelta())

    assert store.counts() == counts


def test_a_reply_to_an_unstored_parent_is_not_created_not_even_when_the_parent_arrives(store: GraphStore) -> None:
    store.upsert(GraphDelta(people=(person("ada"),), posts=(post("child", "ada", reply_to="parent"),)))
    assert _relationships(store)["REPLY_TO"] == 0
    assert store.posts_by_id(["child"])["child"].reply_to == "parent"

    store.upsert(GraphDelta(posts=(post("parent", "ada"),)))

    assert _relationships(store)["REPLY_TO"] == 0
    assert _nodes(store)["Post"] == 2


def test_rewriting_a_reply_once_its_parent_is_stored_links_it(store: GraphStore) -> None:
    child = post("child", "ada", reply_to="parent")
    store.upsert(GraphDelta(people=(person("ada"),), posts=(child,)))
    store.upsert(GraphDelta(posts=(post("parent", "ada"),)))

    store.upsert(GraphDelta(posts=(child,)))

    assert _relationships(store)["REPLY_TO"] == 1


def test_nodes_of_a_delta_are_written_before_its_relationships(store: GraphStore) -> None:
    # Every reference points at a record that comes later in the delta.
    delta = GraphDelta(
        posts=(post("child", "ada", reply_to="parent", topics=("k8s",), mentions=("bob",)), post("parent", "bob")),
        people=(person("ada", team="platform"), person("bob")),
        topics=(Topic("k8s", "Kubernetes"),),
        teams=(Team("platform", "Platform"),),
    )

    store.upsert(delta)

    assert _relationships(store) == {**dict.fromkeys(RELATIONSHIP_TYPES, 0), **expected_relationships(delta)}
    assert _relationships(store)["REPLY_TO"] == 1


def test_post_relationships_reach_only_stored_nodes(store: GraphStore) -> None:
    store.upsert(
        GraphDelta(
            people=(person("ada"), person("bob")),
            topics=(Topic("k8s", "Kubernetes"),),
            posts=(
                post("p1", "ada", co_authors=("ghost",), topics=("k8s", "unknown-topic"), mentions=("bob", "nobody")),
                post("p2", "stranger", topics=("k8s",)),
            ),
        )
    )

    relationships = _relationships(store)
    assert relationships["AUTHORED"] == 1  # ada only: neither "ghost" nor "stranger" is a stored person
    assert relationships["ABOUT"] == 2
    assert relationships["MENTIONS"] == 1
    assert _nodes(store) == {"Person": 2, "Team": 0, "Topic": 1, "Post": 2}
    assert store.posts_by_id(["p1"])["p1"].mentions == ("bob", "nobody")


def test_an_author_listed_again_as_co_author_is_counted_once(store: GraphStore) -> None:
    store.upsert(
        GraphDelta(people=(person("ada"), person("bob")), posts=(post("p1", "ada", co_authors=("bob", "ada", "bob")),))
    )

    assert _relationships(store)["AUTHORED"] == 2
    assert [p.id for p in store.neighbourhood("bob").recent_posts] == ["p1"]


def test_derived_relationships_need_both_ends_stored(store: GraphStore) -> None:
    store.upsert(
        GraphDelta(
            people=(person("ada"),),
            topics=(Topic("k8s", "Kubernetes"),),
            ties=(tie("ada", "ghost"), tie("ghost", "ada")),
            expertise=(expertise("ada", "unknown-topic"), expertise("ghost", "k8s")),
            suggestions=(suggestion("ada", "ghost"),),
        )
    )

    for relationship in ("INTERACTS_WITH", "KNOWS_ABOUT", "ASKS_ABOUT", "SUGGESTED"):
        assert _relationships(store)[relationship] == 0
    assert store.ties_between([("ada", "ghost"), ("ghost", "ada")]) == {}
    assert store.expertise_for([("ada", "unknown-topic", "knows"), ("ghost", "k8s", "knows")]) == {}
    projection = store.projection()
    assert (projection.ties, projection.expertise, projection.suggestions) == ((), (), ())


def test_aggregates_are_replaced_not_added(store: GraphStore) -> None:
    store.upsert(small_org())
    counts = store.counts()
    newer_tie = tie("ada", "bob", 7.0, count=9, day=20)
    newer_expertise = replace(expertise("ada", "kubernetes", 0.25, day=20), evidence=("p1", "p9"))
    newer_suggestion = suggestion("ada", "cyd", 0.1, day=21)

    store.upsert(GraphDelta(ties=(newer_tie,), expertise=(newer_expertise,), suggestions=(newer_suggestion,)))

    assert store.counts() == counts
    assert store.ties_between([("ada", "bob")]) == {("ada", "bob"): newer_tie}
    assert store.expertise_for([("ada", "kubernetes", "knows")]) == {("ada", "kubernetes", "knows"): newer_expertise}
    assert [s for s in store.projection().suggestions if s.person == "ada"] == [newer_suggestion]


def test_expertise_of_each_kind_is_kept_apart(store: GraphStore) -> None:
    store.upsert(small_org())

    store.upsert(GraphDelta(expertise=(expertise("ada", "kubernetes", 0.5, kind="asks"),)))

    found = store.expertise_for([("ada", "kubernetes", "knows"), ("ada", "kubernetes", "asks")])
    assert {kind: e.score for (_, _, kind), e in found.items()} == {"knows": 3.0, "asks": 0.5}


def test_nodes_are_merged_by_id_with_properties_replaced(store: GraphStore) -> None:
    store.upsert(small_org())
    renamed = replace(store.person("bob"), name="Robert", email="robert@example.org")

    store.upsert(GraphDelta(people=(renamed,), topics=(Topic("postgres", "PostgreSQL"),)))

    assert store.person("bob") == renamed
    assert Topic("postgres", "PostgreSQL") in store.topics()
    assert _nodes(store) == {"Person": 4, "Team": 2, "Topic": 3, "Post": 4}


def test_a_rewritten_post_keeps_only_the_relationships_of_its_latest_record(store: GraphStore) -> None:
    store.upsert(small_org())
    before = _relationships(store)
    p4 = store.posts_by_id(["p4"])["p4"]

    store.upsert(GraphDelta(posts=(replace(p4, topics=("kubernetes",), mentions=(), co_authors=("bob",)),)))

    after = _relationships(store)
    assert after["ABOUT"] == before["ABOUT"]  # postgres swapped for kubernetes
    assert after["MENTIONS"] == before["MENTIONS"] - 1
    assert after["AUTHORED"] == before["AUTHORED"] + 1
    assert "p4" in [p.id for p in store.neighbourhood("bob").recent_posts]


def test_a_team_change_moves_member_of(store: GraphStore) -> None:
    store.upsert(small_org())

    store.upsert(GraphDelta(people=(person("bob", team="data"),)))

    assert store.neighbourhood("bob").team == Team(id="data", name="Data")
    assert _relationships(store)["MEMBER_OF"] == 3

    store.upsert(GraphDelta(people=(person("bob"),)))

    assert store.neighbourhood("bob").team is None
    assert _relationships(store)["MEMBER_OF"] == 2


def test_a_team_missing_from_the_delta_gets_a_placeholder_until_it_arrives(store: GraphStore) -> None:
    store.upsert(GraphDelta(people=(person("ada", team="search"),)))

    assert store.neighbourhood("ada").team == Team(id="search", name="search")
    assert _nodes(store)["Team"] == 1
    assert _relationships(store)["MEMBER_OF"] == 1

    store.upsert(GraphDelta(teams=(Team("search", "Search", department="Product"),)))
    store.upsert(GraphDelta(people=(person("bob", team="search"),)))

    assert store.neighbourhood("bob").team == Team("search", "Search", department="Product")
    assert store.projection().teams == (Team("search", "Search", department="Product"),)
    assert _relationships(store)["MEMBER_OF"] == 2


def test_neighbourhood_orders_each_part_and_applies_the_limit(store: GraphStore) -> None:
    people = tuple(person(name, team="platform") for name in ("ada", "bob", "cyd", "dee", "eve"))
    topics = tuple(Topic(name, name.title()) for name in ("k8s", "sql", "go", "rust"))
    store.upsert(
        GraphDelta(
            people=people,
            topics=topics,
            posts=(
                post("old", "ada", day=1),
                post("new", "bob", day=9, co_authors=("ada",)),
                post("mid", "ada", day=5),
                post("other", "bob", day=7),
            ),
            ties=(tie("ada", "bob", 1.0), tie("cyd", "ada", 4.0), tie("ada", "dee", 2.0), tie("eve", "bob", 9.0)),
            expertise=(
                expertise("ada", "k8s", 1.0),
                expertise("ada", "sql", 3.0),
                expertise("ada", "go", 2.0),
                expertise("ada", "rust", 5.0, kind="asks"),
                expertise("ada", "sql", 0.5, kind="asks"),
                expertise("bob", "rust", 9.0),
            ),
        )
    )

    everything = store.neighbourhood("ada")
    assert everything.person == people[0]
    assert [(t.source, t.target) for t in everything.ties] == [("cyd", "ada"), ("ada", "dee"), ("ada", "bob")]
    assert [e.topic for e in everything.knows] == ["sql", "go", "k8s"]
    assert [e.topic for e in everything.asks] == ["rust", "sql"]
    assert [p.id for p in everything.recent_posts] == ["new", "mid", "old"]

    limited = store.neighbourhood("ada", limit=2)
    assert limited.ties == everything.ties[:2]
    assert limited.knows == everything.knows[:2]
    assert limited.recent_posts == everything.recent_posts[:2]


def test_topic_people_lists_one_kind_highest_score_first(store: GraphStore) -> None:
    store.upsert(small_org())
    store.upsert(GraphDelta(expertise=(expertise("cyd", "kubernetes", 2.0),)))

    knows = store.topic_people("kubernetes")
    asks = store.topic_people("postgres", kind="asks")

    assert [(e.person, e.score) for e in knows] == [("ada", 3.0), ("cyd", 2.0), ("bob", 1.5)]
    assert [e.person for e in store.topic_people("kubernetes", limit=1)] == ["ada"]
    assert [(e.person, e.kind) for e in asks] == [("ada", "asks")]
    assert store.topic_people("terraform", kind="asks") == []


@pytest.mark.parametrize(
    ("read", "kind"),
    [
        (lambda store: store.person("nobody"), "person"),
        (lambda store: store.neighbourhood("nobody"), "person"),
        (lambda store: store.topic_people("no-such-topic"), "topic"),
    ],
    ids=["person", "neighbourhood", "topic_people"],
)
def test_unknown_ids_raise_not_found(store: GraphStore, read, kind: str) -> None:
    store.upsert(small_org())

    with pytest.raises(NotFound) as raised:
        read(store)

    assert raised.value.kind == kind


def test_lookups_leave_unknown_keys_out(store: GraphStore) -> None:
    store.upsert(small_org())

    assert store.existing_post_ids(["p1", "p4", "p99"]) == {"p1", "p4"}
    assert set(store.posts_by_id(["p2", "p99"])) == {"p2"}
    assert set(store.ties_between([("ada", "bob"), ("bob", "cyd"), ("x", "y")])) == {("ada", "bob")}
    assert set(store.expertise_for([("ada", "kubernetes", "knows"), ("ada", "kubernetes", "asks")])) == {
        ("ada", "kubernetes", "knows")
    }


def test_restricted_posts_are_stored_with_their_audience(store: GraphStore) -> None:
    store.upsert(small_org())

    p3 = store.posts_by_id(["p3"])["p3"]

    assert p3.audience == ("team:data",)
    assert p3.created_at == at(2)
    assert [p.id for p in store.neighbourhood("dee").recent_posts] == ["p3"]
