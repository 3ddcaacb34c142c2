"""Hand-made records for the store tests: a small organisation in which every reference resolves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from graph.delta import Expertise, ExpertiseKind, GraphDelta, Person, Post, SuggestionRecord, Team, Tie, Topic

T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def at(days: float) -> datetime:
    return T0 + timedelta(days=days)


def person(person_id: str, *, team: str | None = None, **fields: object) -> Person:
    return Person(id=person_id, name=f"Person {person_id}", team=team, **fields)  # type: ignore[arg-type]


def post(post_id: str, author: str, *, day: float = 0.0, **fields: object) -> Post:
    return Post(id=post_id, author=author, created_at=at(day), **fields)  # type: ignore[arg-type]


def tie(source: str, target: str, weight: float = 1.0, *, count: int = 1, day: float = 0.0) -> Tie:
    return Tie(source=source, target=target, weight=weight, count=count, last_at=at(day))


def expertise(
    person_id: str, topic: str, score: float = 1.0, *, kind: ExpertiseKind = "knows", day: float = 0.0
) -> Expertise:
    return Expertise(person=person_id, topic=topic, kind=kind, score=score, evidence=(), last_at=at(day))


def suggestion(person_id: str, candidate: str, score: float = 1.0, *, day: float = 0.0) -> SuggestionRecord:
    return SuggestionRecord(person=person_id, candidate=candidate, score=score, reasons=("shared_topics",), at=at(day))


def small_org() -> GraphDelta:
    """Two teams, four people (one without a team), three topics, four posts and every derived record type."""
    return GraphDelta(
        teams=(Team(id="platform", name="Platform", department="Engineering"), Team(id="data", name="Data")),
        people=(
            Person(
                id="ada",
                name="Ada Lovelace",
                email="ada@example.org",
                handles=("@ada", "ada.l"),
                team="platform",
                department="Engineering",
                title="Staff engineer",
                location="London",
                manager="bob",
                started_at=datetime(2019, 5, 6, tzinfo=UTC),
            ),
            person("bob", team="platform"),
            person("cyd", team="data"),
            person("dee", opted_out=True),
        ),
        topics=(
            Topic(id="kubernetes", label="Kubernetes"),
            Topic(id="postgres", label="Postgres"),
            Topic(id="terraform", label="Terraform"),
        ),
        posts=(
            Post(
                id="p1",
                author="ada",
                created_at=at(0),
                space="infra",
                title="Cluster upgrades",
                snippet="How we upgrade clusters",
                url="https://wiki.example.org/p1",
                topics=("kubernetes", "terraform"),
                terms=("cluster", "upgrade"),
                text="How we upgrade clusters without downtime.",
            ),
            post("p2", "bob", day=1, reply_to="p1", mentions=("ada",), topics=("kubernetes",)),
            post("p3", "cyd", day=2, co_authors=("dee",), topics=("postgres",), audience=("team:data",)),
            post("p4", "ada", day=3, is_question=True, topics=("postgres",), mentions=("cyd",)),
        ),
        ties=(tie("ada", "bob", 2.5, count=2, day=1), tie("bob", "ada", 1.0, day=1), tie("ada", "cyd", 0.5, day=3)),
        expertise=(
            Expertise("ada", "kubernetes", "knows", 3.0, evidence=("p1",), last_at=at(0)),
            expertise("ada", "terraform", 1.0),
            expertise("bob", "kubernetes", 1.5, day=1),
            expertise("cyd", "postgres", 2.0, day=2),
            expertise("ada", "postgres", 1.0, kind="asks", day=3),
        ),
        suggestions=(suggestion("ada", "cyd", 0.8, day=4),),
    )


def expected_relationships(delta: GraphDelta) -> dict[str, int]:
    """Relationship counts for a delta whose references all resolve, written into an empty store."""
    post_ids = {post.id for post in delta.posts}
    return {
        "MEMBER_OF": sum(person.team is not None for person in delta.people),
        "AUTHORED": sum(len(set(post.authors)) for post in delta.posts),
        "MENTIONS": sum(len(set(post.mentions)) for post in delta.posts),
        "REPLY_TO": sum(post.reply_to in post_ids for post in delta.posts),
        "ABOUT": sum(len(set(post.topics)) for post in delta.posts),
        "INTERACTS_WITH": len(delta.ties),
        "KNOWS_ABOUT": sum(e.kind == "knows" for e in delta.expertise),
        "ASKS_ABOUT": sum(e.kind == "asks" for e in delta.expertise),
        "SUGGESTED": len(delta.suggestions),
    }
