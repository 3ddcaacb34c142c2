"""The import pipeline: a canonical JSONL directory → extractors → merge with what is stored → one upsert."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from api.settings import Settings
from extractors.canonical import CanonicalBatch, Reject, read_canonical, write_rejects
from extractors.extract import ExtractOptions, KnownState, extract
from extractors.merge import merge_with_stored
from extractors.topics import TopicAnalyzer
from graph.delta import Person
from graph.store import GraphStore

Progress = Callable[[int, int], None]
"""Called as ``progress(done, total)`` with the number of posts extracted so far."""


@dataclass(frozen=True, slots=True)
class IngestReport:
    read: int
    """Records read from both files (people and posts)."""
    imported_posts: int
    imported_people: int
    """People that were new or whose record changed."""
    rejected: int
    skipped_known: int
    """Posts already in the store, left untouched."""
    unresolved_mentions: int
    topics_learned: int
    rejects_path: Path | None
    """The JSONL file listing each rejected record, or ``None`` when nothing was rejected."""
    elapsed: float
    """Wall-clock seconds."""

    @property
    def imported(self) -> int:
        return self.imported_posts + self.imported_people


def ingest_directory(
    path: Path,
    store: GraphStore,
    *,
    settings: Settings,
    progress: Progress | None = None,
    analyzer: TopicAnalyzer | None = None,
) -> IngestReport:
    """Import ``people.jsonl`` / ``posts.jsonl`` from ``path`` into ``store``; repeating an import changes nothing."""
    started = time.perf_counter()
    batch = read_canonical(Path(path))
    known = known_state(batch, store)
    options = ExtractOptions(
        half_life_days=settings.half_life_days,
        keep_bodies=settings.keep_bodies,
        spacy_model=settings.spacy_model,
        taxonomy=settings.taxonomy,
    )
    counter = _post_counter(batch, progress)
    extraction = extract(batch, known=known, options=options, analyzer=analyzer, progress=counter)
    delta = extraction.delta
    merged = merge_with_stored(
        delta,
        stored_ties=store.ties_between((tie.source, tie.target) for tie in delta.ties),
        stored_expertise=store.expertise_for((item.person, item.topic, item.kind) for item in delta.expertise),
        half_life_days=settings.half_life_days,
    )
    if merged:
        store.upsert(merged)

    rejects = _unique((*batch.rejects, *extraction.rejects))
    rejects_path = _write_rejects(rejects, settings.rejects_dir) if rejects else None
    known_topic_ids = {topic.id for topic in known.topics}
    return IngestReport(
        read=batch.read,
        imported_posts=len(merged.posts),
        imported_people=_changed_people(merged.people, known.people),
        rejected=len(rejects),
        skipped_known=extraction.skipped_known,
        unresolved_mentions=extraction.unresolved_mentions,
        topics_learned=sum(1 for topic in merged.topics if topic.id not in known_topic_ids),
        rejects_path=rejects_path,
        elapsed=time.perf_counter() - started,
    )


def known_state(batch: CanonicalBatch, store: GraphStore) -> KnownState:
    """What the store already holds that the extractors need, fetched with a handful of batched reads."""
    batch_ids = {post.id for post in batch.posts}
    outside_parents = {post.reply_to for post in batch.posts if post.reply_to and post.reply_to not in batch_ids}
    return KnownState(
        post_ids=frozenset(store.existing_post_ids(batch_ids)),
        parents=store.posts_by_id(outside_parents),
        people={person.id: person for person in store.people()},
        topics=tuple(store.topics()),
    )


def _post_counter(batch: CanonicalBatch, progress: Progress | None) -> Callable[[int], None] | None:
    # The extractor reports increments (n more posts done); the CLI's bar wants the running total and the size.
    if progress is None:
        return None
    total, done = len(batch.posts), 0
    progress(0, total)

    def advance(n: int) -> None:
        nonlocal done
        done = min(done + n, total)
        progress(done, total)

    return advance


def _changed_people(people: Iterable[Person], stored: Mapping[str, Person]) -> int:
    return sum(1 for person in people if stored.get(person.id) != person)


def _unique(rejects: Iterable[Reject]) -> tuple[Reject, ...]:
    # The extractor passes the reader's rejects through with its own; each record is reported once.
    return tuple(dict.fromkeys(rejects))


def _write_rejects(rejects: tuple[Reject, ...], directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}.jsonl"
    write_rejects(rejects, path)
    return path
