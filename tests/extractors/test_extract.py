"""The whole extraction on small canonical batches (blank spaCy pipeline: fast and offline)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from extractors.canonical import CanonicalBatch, PostRecord
from extractors.extract import ExtractOptions, KnownState, extract
from extractors.topics import TopicAnalyzer
from graph.delta import Person, Post, Topic

T0 = datetime(2026, 2, 1, tzinfo=UTC)
OPTIONS = ExtractOptions(spacy_model="none")
PEOPLE = (
    Person("ann", "Ann Lee", handles=("annl",), team="platform", department="eng"),
    Person("bob", "Bob Stone", handles=("bob",), team="data", department="eng"),
    Person("cat", "Cat Diaz", team="platform", department="infra"),
    Person("dan", "Dan Wu", team="platform", department="infra"),
)


def _record(post_id: str, author: str, text: str, *, days: float = 0, line: int = 1, **fields: object) -> PostRecord:
    return PostRecord(id=post_id, author=author, created_at=T0 + timedelta(days=days), text=text, line=line, **fields)


def _batch(*posts: PostRecord, people: tuple[Person, ...] = PEOPLE) -> CanonicalBatch:
    return CanonicalBatch(people=people, posts=posts, rejects=(), read=len(people) + len(posts))


def _corpus() -> CanonicalBatch:
    return _batch(
        _record("q1", "ann", "How do we   rotate Kafka credentials?\nAny tips @bob", title=None, line=1),
        _record("r1", "bob", 'We rotate Kafka credentials with Vault, ask @"Cat Diaz".', days=1, reply_to="q1", line=2),
        _record("p1", "cat", "Vault policies for Kafka clusters", days=2, co_authors=("dan",), line=3),
        _record("p2", "dan", "Vault upgrade notes, ping @nobody", days=3, audience=("team:platform",), line=4),
        _record("p3", "ann", "Reply to something we never saw", days=4, reply_to="gone", mentions=("bob",), line=5),
    )


def test_posts_carry_topics_terms_mentions_and_questions() -> None:
    result = extract(_corpus(), options=OPTIONS)
    posts = {p.id: p for p in result.delta.posts}
    assert [p.id for p in result.delta.posts] == ["q1", "r1", "p1", "p2", "p3"]
    assert posts["q1"].is_question and not posts["r1"].is_question
    assert posts["q1"].mentions == ("bob",)
    assert posts["r1"].mentions == ("cat",)
    assert posts["p3"].mentions == ("bob",)
    assert result.unresolved_mentions == 1
    assert "kafka" in posts["q1"].topics and "kafka" in posts["r1"].topics
    assert "vault" in posts["p1"].topics
    assert "credential" in posts["q1"].terms
    assert posts["q1"].snippet == "How do we rotate Kafka credentials? Any tips @bob"
    assert posts["q1"].text is None
    assert posts["r1"].reply_to == "q1"
    assert posts["p3"].reply_to is None  # the parent is nowhere to be found
    assert posts["p2"].audience == ("team:platform",)


def test_ties_expertise_teams_and_topics_come_out_of_the_batch() -> None:
    delta = extract(_corpus(), options=OPTIONS).delta
    ties = {(t.source, t.target): t for t in delta.ties}
    assert {("ann", "bob"), ("bob", "ann"), ("bob", "cat"), ("cat", "dan"), ("dan", "cat")} <= set(ties)
    assert ties[("ann", "bob")].count == 2  # a mention in q1 and an explicit mention in p3
    expertise = {(e.person, e.topic, e.kind) for e in delta.expertise}
    assert ("ann", "kafka", "asks") in expertise and ("ann", "kafka", "knows") not in expertise
    assert ("bob", "kafka", "knows") in expertise
    assert not any(e.evidence == ("p2",) for e in delta.expertise)  # restricted: no expertise
    assert [(t.id, t.department) for t in delta.teams] == [("data", "eng"), ("platform", "infra")]
    assert {"kafka", "vault"} <= {t.id for t in delta.topics}
    assert [p.id for p in delta.people] == ["ann", "bob", "cat", "dan"]


def test_posts_by_unknown_people_are_rejected_with_their_line() -> None:
    batch = _batch(
        _record("p1", "ann", "fine", line=1),
        _record("p2", "zoe", "who is zoe", line=2),
        _record("p3", "ann", "with a stranger", co_authors=("bob", "yan"), line=3),
    )
    result = extract(batch, options=OPTIONS)
    assert [p.id for p in result.delta.posts] == ["p1"]
    assert [(r.file, r.line, r.field, r.record_id) for r in result.rejects] == [
        ("posts.jsonl", 2, "author", "p2"),
        ("posts.jsonl", 3, "co_authors", "p3"),
    ]
    assert "zoe" in result.rejects[0].reason and "yan" in result.rejects[1].reason


def test_people_known_to_the_store_count_as_authors_and_mention_targets() -> None:
    stored = {"eve": Person("eve", "Eve Park", handles=("evep",))}
    batch = _batch(_record("p1", "eve", "hi @evep and @annl"))
    result = extract(batch, known=KnownState(people=stored), options=OPTIONS)
    assert result.delta.posts[0].mentions == ("eve", "ann")
    assert result.rejects == ()


def test_re_extracting_known_posts_yields_no_posts() -> None:
    first = extract(_corpus(), options=OPTIONS)
    known = KnownState(
        post_ids=frozenset(p.id for p in first.delta.posts),
        people={p.id: p for p in PEOPLE},
        topics=first.delta.topics,
    )
    again = extract(_corpus(), known=known, options=OPTIONS)
    assert again.delta.posts == ()
    assert again.delta.ties == () and again.delta.expertise == () and again.delta.topics == ()
    assert again.skipped_known == 5


def test_a_reply_to_a_stored_parent_keeps_its_link_and_ties_to_the_parents_author() -> None:
    parent = Post(id="old", author="cat", created_at=T0 - timedelta(days=9), topics=("vault",))
    batch = _batch(_record("r", "bob", "Thanks, that worked", reply_to="old"))
    result = extract(batch, known=KnownState(post_ids=frozenset({"old"}), parents={"old": parent}), options=OPTIONS)
    (post,) = result.delta.posts
    assert post.reply_to == "old"
    assert [(t.source, t.target) for t in result.delta.ties] == [("bob", "cat")]
    assert [(e.person, e.topic, e.kind) for e in result.delta.expertise] == [("bob", "vault", "knows")]


def test_options_keep_bodies_and_shorten_snippets() -> None:
    batch = _batch(_record("p1", "ann", "word " * 100))
    (post,) = extract(batch, options=replace(OPTIONS, keep_bodies=True, snippet_chars=12)).delta.posts
    assert post.snippet == "word word wo"
    assert post.text == "word " * 100


def test_progress_reports_increments_that_add_up_to_every_post() -> None:
    seen: list[int] = []
    batch = _corpus()
    batch = replace(batch, posts=(*batch.posts, _record("x", "zoe", "unknown author", line=9)))
    known = KnownState(post_ids=frozenset({"p1"}))
    extract(batch, known=known, options=OPTIONS, progress=seen.append)
    assert sum(seen) == len(batch.posts)
    assert all(n > 0 for n in seen)


def test_output_is_deterministic_and_a_given_analyzer_is_used() -> None:
    analyzer = TopicAnalyzer(model="none", vocabulary=[Topic("rotation", "Rotation")])
    first = extract(_corpus(), options=OPTIONS, analyzer=analyzer)
    second = extract(_corpus(), options=OPTIONS)
    assert "rotation" in {t.id for t in analyzer.vocabulary}
    assert first.delta.posts[0].terms == second.delta.posts[0].terms
    assert extract(_corpus(), options=OPTIONS) == second


def test_an_empty_batch_is_an_empty_delta() -> None:
    result = extract(_batch(people=()), options=OPTIONS)
    assert not result.delta
    assert (result.skipped_known, result.unresolved_mentions) == (0, 0)


@pytest.mark.model
def test_the_default_model_path_extracts_the_same_posts() -> None:
    result = extract(_corpus(), options=ExtractOptions())
    assert [p.id for p in result.delta.posts] == ["q1", "r1", "p1", "p2", "p3"]
    assert all("kafka" in p.topics for p in result.delta.posts if p.id in ("q1", "r1"))


def test_source_tags_are_topics_of_their_post_first_and_meet_the_topics_of_the_texts() -> None:
    texts = ["D-Wave annealers need embedding.", "Our D-Wave results came in.", "The D-Wave queue is long."]
    batch = _batch(
        *(_record(f"t{i}", "ann", text, days=i, line=i + 1) for i, text in enumerate(texts)),
        _record("q", "bob", "Which vendor sells annealers?", days=5, line=9, tags=("d-wave", "quantum-gate")),
    )
    result = extract(batch, options=OPTIONS)
    tagged = next(p for p in result.delta.posts if p.id == "q")
    assert tagged.topics[:2] == ("d-wave", "quantum gate"), "tags first, the text's own 'D-Wave' topic reused"
    labels = {t.id: t.label for t in result.delta.topics}
    assert labels["d-wave"] == "D-Wave" and labels["quantum gate"] == "quantum gate"
    assert all("tag" not in topic for post in result.delta.posts for topic in post.topics)
