"""Hand-built projections for recommender tests: small organisations whose right answers are known."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

from graph.delta import Expertise, Person, Post, SuggestionRecord, Team, Tie, Topic
from graph.store import Projection

T0 = datetime(2026, 3, 1, tzinfo=UTC)
STOP = frozenset({"a", "an", "and", "how", "i", "in", "is", "of", "on", "our", "the", "to", "we", "with", "for"})


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


def terms(text: str) -> tuple[str, ...]:
    """A tiny stand-in for ``TopicAnalyzer.terms``: lower-case words without stop words."""
    return tuple(word for word in re.findall(r"[a-z0-9]+", text.lower()) if word not in STOP)


def person(pid: str, team: str | None, *, opted_out: bool = False, started_at: datetime | None = None) -> Person:
    return Person(id=pid, name=pid.capitalize(), team=team, opted_out=opted_out, started_at=started_at)


def post(
    pid: str,
    author: str,
    at: datetime,
    text: str,
    *,
    topics: Sequence[str] = (),
    co_authors: Sequence[str] = (),
    reply_to: str | None = None,
    audience: Sequence[str] = (),
) -> Post:
    return Post(
        id=pid,
        author=author,
        created_at=at,
        co_authors=tuple(co_authors),
        title=text,
        snippet=text,
        url=f"https://chat.example/{pid}",
        reply_to=reply_to,
        audience=tuple(audience),
        topics=tuple(topics),
        terms=terms(text),
    )


def tie(a: str, b: str, *, weight: float = 1.0, count: int = 1, at: datetime = T0) -> Tie:
    return Tie(source=a, target=b, weight=weight, count=count, last_at=at)


def knows(pid: str, topic: str, evidence: Sequence[str], *, score: float = 1.0, at: datetime = T0) -> Expertise:
    return Expertise(person=pid, topic=topic, kind="knows", score=score, evidence=tuple(evidence), last_at=at)


def asks(pid: str, topic: str, evidence: Sequence[str], *, score: float = 1.0, at: datetime = T0) -> Expertise:
    return Expertise(person=pid, topic=topic, kind="asks", score=score, evidence=tuple(evidence), last_at=at)


def projection(
    people: Iterable[Person],
    *,
    posts: Iterable[Post] = (),
    ties: Iterable[Tie] = (),
    expertise: Iterable[Expertise] = (),
    suggestions: Iterable[SuggestionRecord] = (),
    topics: Iterable[Topic] = (),
) -> Projection:
    people = tuple(people)
    teams = tuple(Team(id=t, name=f"Team {t.capitalize()}") for t in sorted({p.team for p in people if p.team}))
    expertise = tuple(expertise)
    labels = {topic.id: topic for topic in topics}
    for item in expertise:
        labels.setdefault(item.topic, Topic(id=item.topic, label=item.topic.title()))
    return Projection(
        people=people,
        teams=teams,
        topics=tuple(labels.values()),
        posts=tuple(posts),
        ties=tuple(ties),
        expertise=expertise,
        suggestions=tuple(suggestions),
    )


def introductions_org(*, extra_posts: Iterable[Post] = (), extra_expertise: Iterable[Expertise] = ()) -> Projection:
    """Data and Infra share Kubernetes but have no bridge yet; the right introduction for Alice is Dave.

    ``extra_expertise`` replaces records with the same (person, topic, kind), as a store would.

    Bob (Alice's teammate) and Gina (a strong tie) know the same things; Ivan is opted out; Judy has no team.
    Dave's Terraform evidence is restricted to his team, so outsiders never see it as a reason.
    """
    people = [
        person("alice", "data"),
        person("bob", "data"),
        person("carol", "data"),
        person("dave", "infra"),
        person("erin", "infra"),
        person("frank", "infra"),
        person("gina", "web"),
        person("hank", "web"),
        person("ivan", "web", opted_out=True),
        person("judy", None),
    ]
    posts = [
        post("p-alice-k8s", "alice", day(1), "Running spark jobs on kubernetes"),
        post("p-bob-k8s", "bob", day(2), "Our kubernetes cluster upgrade"),
        post("p-dave-k8s", "dave", day(3), "Kubernetes autoscaling notes"),
        post("p-dave-tf", "dave", day(5), "Terraform module layout", audience=("team:infra",)),
        post("p-dave-old", "dave", day(0), "Kubernetes network policies"),
        post("p-gina-k8s", "gina", day(2), "Kubernetes for spark streaming"),
        post("p-ivan-k8s", "ivan", day(2), "Spark on kubernetes, lessons"),
        post("p-alice-tf", "alice", day(4), "How do we structure terraform?"),
        post("p-carol-sql", "carol", day(1), "SQL style guide"),
        post("p-erin-sql", "erin", day(1), "Postgres vacuum tuning"),
        post("p-hank-css", "hank", day(1), "CSS grid tricks"),
        post("p-judy-css", "judy", day(1), "CSS animations"),
        *extra_posts,
    ]
    ties = [
        tie("alice", "bob", weight=2.0, count=2, at=day(2)),
        tie("alice", "carol", weight=6.0, count=6, at=day(2)),
        tie("alice", "gina", weight=5.0, count=5, at=day(3)),
        tie("bob", "carol", weight=2.0, count=2, at=day(2)),
        tie("dave", "erin", weight=3.0, count=3, at=day(3)),
        tie("erin", "frank", weight=1.0, count=1, at=day(3)),
        tie("gina", "hank", weight=1.0, count=1, at=day(3)),
        tie("hank", "judy", weight=1.0, count=1, at=day(3)),
    ]
    expertise = [
        knows("alice", "kubernetes", ["p-alice-k8s"], at=day(1)),
        knows("alice", "spark", ["p-alice-k8s"], at=day(1)),
        asks("alice", "terraform", ["p-alice-tf"], at=day(4)),
        knows("bob", "kubernetes", ["p-bob-k8s"], at=day(2)),
        knows("carol", "sql", ["p-carol-sql"], at=day(1)),
        knows("dave", "kubernetes", ["p-dave-k8s", "p-dave-old"], at=day(3)),
        knows("dave", "terraform", ["p-dave-tf"], at=day(5)),
        knows("erin", "sql", ["p-erin-sql"], at=day(1)),
        knows("gina", "kubernetes", ["p-gina-k8s"], at=day(2)),
        knows("gina", "spark", ["p-gina-k8s"], at=day(2)),
        knows("hank", "css", ["p-hank-css"], at=day(1)),
        knows("ivan", "kubernetes", ["p-ivan-k8s"], at=day(2)),
        knows("ivan", "spark", ["p-ivan-k8s"], at=day(2)),
        knows("judy", "css", ["p-judy-css"], at=day(1)),
    ]
    # Extra expertise replaces a record with the same key, as a store does with merged aggregates.
    merged = {(e.person, e.topic, e.kind): e for e in [*expertise, *extra_expertise]}
    return projection(people, posts=posts, ties=ties, expertise=merged.values())


def popular_expert_org(*, seekers: int = 8) -> Projection:
    """One celebrated Rust expert; every seeker asks about Rust and also has a lesser match (a friend of a friend)."""
    people = [person("guru", "core")]
    expertise = [knows("guru", "rust", ["p-guru"], score=5.0)]
    posts = [post("p-guru", "guru", day(1), "Rust async internals")]
    ties = []
    for i in range(seekers):
        seeker, friend, peer = f"seeker{i:02d}", f"friend{i:02d}", f"peer{i:02d}"
        people += [person(seeker, f"team{i:02d}"), person(friend, f"team{i:02d}"), person(peer, f"other{i:02d}")]
        posts.append(post(f"p-{seeker}", seeker, day(2), "How do I learn rust?"))
        expertise.append(asks(seeker, "rust", [f"p-{seeker}"]))
        ties += [tie(seeker, friend), tie(friend, peer)]
    return projection(people, posts=posts, ties=ties, expertise=expertise)


def already_done_org() -> Projection:
    """Eve (Infra) already migrated Postgres to Aurora; Alice (Data) is about to; Frank's write-up is private."""
    people = [
        person("alice", "data"),
        person("bob", "data"),
        person("eve", "infra"),
        person("frank", "infra"),
        person("gina", "web"),
        person("hank", "web"),
        person("ivan", "web", opted_out=True),
        person("olga", "ops"),
    ]
    posts = [
        post("p-eve", "eve", day(10), "Migrated postgres to aurora with zero downtime", topics=("postgres",)),
        post("p-gina-reply", "gina", day(11), "We hit replication lag during our aurora cutover", reply_to="p-eve"),
        post("p-alice", "alice", day(30), "Planning to migrate postgres to aurora", topics=("postgres",)),
        post(
            "p-frank",
            "frank",
            day(20),
            "Postgres aurora migration runbook and rollback",
            topics=("postgres",),
            audience=("team:infra",),
        ),
        post("p-ivan", "ivan", day(15), "Postgres aurora migration checklist", topics=("postgres",)),
        post("p-bob", "bob", day(5), "Aurora costs versus postgres on ec2"),
        post("p-hank", "hank", day(1), "Kubernetes ingress notes"),
        post(
            "p-olga",
            "olga",
            day(12),
            "Capacity planning notes",
            topics=("postgres migration",),
        ),
    ]
    return projection(people, posts=posts, topics=[Topic(id="postgres migration", label="Postgres migration")])


def random_org(
    *, people: int = 60, teams: int = 6, topics: int = 30, posts: int = 600, seed: int = 0, words: int = 400
) -> Projection:
    """A random but structured organisation: teams focus on a few topics, replies make ties, some posts are private.

    Ties and expertise are aggregated from the posts the way the extractors do (expertise from public posts only).
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    topic_ids = [f"topic{t:03d}" for t in range(topics)]
    vocabulary = [f"word{w:04d}" for w in range(words)]
    focus = [rng.choice(topics, size=min(6, topics), replace=False) for _ in range(teams)]
    members: list[Person] = []
    interests: list[np.ndarray] = []
    for i in range(people):
        team = None if rng.random() < 0.03 else int(rng.integers(teams))
        pool = focus[team] if team is not None else np.arange(topics)
        own = rng.choice(pool, size=int(rng.integers(1, 4)), replace=False)
        interests.append(np.union1d(own, rng.integers(topics, size=1)))
        members.append(
            person(f"p{i:05d}", None if team is None else f"t{team:03d}", opted_out=bool(rng.random() < 0.01))
        )
    word_weights = 1.0 / np.arange(1, words + 1)
    word_weights /= word_weights.sum()
    authors = rng.integers(people, size=posts)
    sizes = rng.integers(3, 12, size=posts)
    drawn = rng.choice(len(vocabulary), size=int(sizes.sum()), p=word_weights).tolist()
    ends = np.cumsum(sizes).tolist()
    made: list[Post] = []
    for n in range(posts):
        author = members[int(authors[n])]
        own = interests[int(authors[n])]
        about = (topic_ids[int(own[rng.integers(len(own))])],)
        bag = [about[0], *(vocabulary[w] for w in drawn[ends[n] - int(sizes[n]) : ends[n]])]
        reply_to = made[int(rng.integers(n))].id if n and rng.random() < 0.3 else None
        private = author.team is not None and rng.random() < 0.1
        made.append(
            Post(
                id=f"m{n:06d}",
                author=author.id,
                created_at=day(float(rng.uniform(0, 365))),
                title=" ".join(bag[:6]),
                snippet=" ".join(bag),
                reply_to=reply_to,
                audience=(f"team:{author.team}",) if private else (),
                is_question=bool(rng.random() < 0.2),
                topics=about,
                terms=tuple(bag),
            )
        )
    return projection(members, posts=made, ties=_ties_of(made), expertise=_expertise_of(made))


def _ties_of(posts: Sequence[Post]) -> list[Tie]:
    by_id = {p.id: p for p in posts}
    found: dict[tuple[str, str], list[datetime]] = {}
    for p in posts:
        parent = by_id.get(p.reply_to) if p.reply_to else None
        if parent is not None and parent.author != p.author:
            found.setdefault((p.author, parent.author), []).append(p.created_at)
    return [tie(a, b, weight=len(at), count=len(at), at=max(at)) for (a, b), at in sorted(found.items())]


def _expertise_of(posts: Sequence[Post]) -> list[Expertise]:
    found: dict[tuple[str, str, str], list[Post]] = {}
    for p in posts:
        if p.audience:
            continue
        for topic in p.topics:
            found.setdefault((p.author, topic, "asks" if p.is_question else "knows"), []).append(p)
    made = []
    for (pid, topic, kind), items in sorted(found.items()):
        items.sort(key=lambda p: p.created_at, reverse=True)
        make = asks if kind == "asks" else knows
        made.append(make(pid, topic, [p.id for p in items[:3]], score=float(len(items)), at=items[0].created_at))
    return made
