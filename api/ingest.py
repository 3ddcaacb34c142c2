"""The import pipeline: a source (canonical JSONL or a real export) → identity resolution → extractors → merge with
what is stored → one upsert, then the source's watermark."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from api.settings import Settings
from api.watermarks import read_watermarks, write_watermarks
from extractors.canonical import CanonicalBatch, PostRecord, Reject, read_canonical, write_rejects
from extractors.extract import ExtractOptions, KnownState, extract
from extractors.identity import ResolutionReport, resolve
from extractors.merge import merge_with_stored
from extractors.sources.common import DEFAULT_LIMITS, ArchiveLimits
from extractors.sources.registry import SourceOptions, detect_format, read_source, source_key
from extractors.topics import TopicAnalyzer
from graph.controls import is_suppressed
from graph.delta import Person
from graph.store import GraphStore

Progress = Callable[[int, int], None]
"""Called as ``progress(done, total)`` with the number of posts extracted so far."""
PhasedProgress = Callable[[str, int, int | None], None]
"""Called as ``progress(phase, done, total)``: ``"reading"`` (records read, total unknown) then ``"extracting"``."""
SKIP_KNOWN = "already imported"


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
    suppressed: int = 0
    """Records dropped because they are about a forgotten person (people records and posts they authored)."""

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
    return ingest_batch(batch, store, settings=settings, progress=progress, analyzer=analyzer, started=started)


def ingest_batch(
    batch: CanonicalBatch,
    store: GraphStore,
    *,
    settings: Settings,
    progress: Progress | None = None,
    analyzer: TopicAnalyzer | None = None,
    started: float | None = None,
    known_people: Mapping[str, Person] | None = None,
) -> IngestReport:
    """Extract ``batch``, merge it with what ``store`` holds and upsert it once; posts already stored are skipped."""
    started = time.perf_counter() if started is None else started
    batch, suppressed = drop_suppressed(batch, store.suppressed())
    known = known_state(batch, store, people=known_people)
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
        suppressed=suppressed,
    )


def drop_suppressed(batch: CanonicalBatch, suppressed: frozenset[str]) -> tuple[CanonicalBatch, int]:
    """``batch`` without forgotten people: their records and posts go, and they leave co-authors, mentions and
    audiences of the posts that stay. Returns the batch and how many records were dropped.

    People are matched on their records (id, e-mail, handles); posts on their author's raw id or e-mail, so a post
    is dropped even when the export no longer lists its author.
    """
    if not suppressed:
        return batch, 0
    gone = {person.id for person in batch.people if is_suppressed(person, suppressed)}
    people = tuple(person for person in batch.people if person.id not in gone)

    seen: dict[tuple[str, bool], bool] = {}

    def forgotten(value: str, *, handle: bool = False) -> bool:
        # Hashing every author of a large export again and again would dominate: each value is checked once.
        key = (value, handle)
        if key not in seen:
            email = value if "@" in value else None
            probe = Person(id=value, name="", email=email, handles=(value,) if handle else ())
            seen[key] = value in gone or is_suppressed(probe, suppressed)
        return seen[key]

    posts: list[PostRecord] = []
    for record in batch.posts:
        if forgotten(record.author):
            continue
        posts.append(_without(record, forgotten))
    dropped = len(batch.people) - len(people) + len(batch.posts) - len(posts)
    if not dropped and all(kept is record for kept, record in zip(posts, batch.posts, strict=True)):
        return batch, 0
    return replace(batch, people=people, posts=tuple(posts)), dropped


def _without(record: PostRecord, forgotten: Callable[..., bool]) -> PostRecord:
    co_authors = tuple(c for c in record.co_authors if not forgotten(c))
    mentions = tuple(m for m in record.mentions if not forgotten(m, handle=True))
    audience = tuple(a for a in record.audience if not forgotten(a))
    if record.audience and not audience:
        # An emptied audience would make a restricted post public: it stays restricted, to its author.
        audience = (record.author,)
    if (co_authors, mentions, audience) == (record.co_authors, record.mentions, record.audience):
        return record
    return replace(record, co_authors=co_authors, mentions=mentions, audience=audience)


@dataclass(frozen=True, slots=True)
class SourceReport:
    """What one ``weaktie ingest`` of one source did: the pipeline's counts plus the source-specific ones."""

    path: Path
    format: str
    key: str
    """The watermark key: the format and the id namespace of its posts (e.g. ``"directory:enron"``)."""
    ingest: IngestReport
    skipped: Mapping[str, int] = field(default_factory=dict)
    """Records deliberately not imported, by reason (bots, joins, duplicates, ``already imported``…)."""
    resolution: ResolutionReport = field(default_factory=lambda: ResolutionReport(people=0))
    watermark: datetime | None = None
    """The newest message time imported from this source so far (after this import)."""
    previous_watermark: datetime | None = None
    late: int = 0
    """Posts imported now that are older than the previous watermark (late arrivals, recognised by id)."""

    @property
    def messages_read(self) -> int:
        return self.ingest.read


def ingest_source(
    path: Path,
    store: GraphStore,
    *,
    settings: Settings,
    format: str | None = None,
    options: SourceOptions | None = None,
    aliases: Mapping[str, str] | None = None,
    limits: ArchiveLimits = DEFAULT_LIMITS,
    progress: PhasedProgress | None = None,
    analyzer: TopicAnalyzer | None = None,
) -> SourceReport:
    """Import one source of any format (detected when ``format`` is ``None``) into ``store``.

    People are resolved against everyone already stored (see :func:`extractors.identity.resolve`); malformed records
    are quarantined in ``settings.rejects_dir`` and the rest is imported; a source that cannot be read at all raises
    before anything is written. Re-importing the same export changes nothing; a newer one adds only what is new.
    """
    started = time.perf_counter()
    path = Path(path)
    format = format or detect_format(path)
    read_progress = (lambda done: progress("reading", done, None)) if progress is not None else None
    imported = read_source(
        path, format=format, options=options or SourceOptions(), limits=limits, progress=read_progress
    )
    known_people = {person.id: person for person in store.people()}
    batch, resolution = resolve(imported.batch, known_people=known_people, aliases=aliases)
    key = source_key(format, batch)
    watermarks = read_watermarks(settings.data_dir)
    previous = watermarks.get(key)
    stage = (lambda done, total: progress("extracting", done, total)) if progress is not None else None
    # Posts at or before the watermark were probably imported already; which of them were not is a late arrival.
    older = {post.id for post in batch.posts if previous is not None and post.created_at <= previous}
    missing = older - store.existing_post_ids(older) if older else set()
    report = ingest_batch(
        batch,
        store,
        settings=settings,
        progress=stage,
        analyzer=analyzer,
        started=started,
        known_people=known_people,
    )
    late = len(store.existing_post_ids(missing)) if missing else 0
    newest = _newest_stored(batch, store)
    watermark = max(filter(None, (previous, newest)), default=None)
    if watermark is not None and watermark != previous:
        write_watermarks(settings.data_dir, {**watermarks, key: watermark})
    skipped = Counter(imported.skipped)
    if report.skipped_known:
        skipped[SKIP_KNOWN] += report.skipped_known
    return SourceReport(
        path=path,
        format=format,
        key=key,
        ingest=report,
        skipped=dict(skipped),
        resolution=resolution,
        watermark=watermark,
        previous_watermark=previous,
        late=late,
    )


def _newest_stored(batch: CanonicalBatch, store: GraphStore, *, chunk: int = 1000) -> datetime | None:
    """The time of the batch's newest post that is in the store (a rejected newest post must not move the mark)."""
    posts = sorted(batch.posts, key=lambda post: post.created_at, reverse=True)
    for start in range(0, len(posts), chunk):
        window = posts[start : start + chunk]
        stored = store.existing_post_ids(post.id for post in window)
        for post in window:
            if post.id in stored:
                return post.created_at
    return None


def known_state(batch: CanonicalBatch, store: GraphStore, *, people: Mapping[str, Person] | None = None) -> KnownState:
    """What the store already holds that the extractors need, fetched with a handful of batched reads.

    ``people`` saves one read when the caller has just fetched them (identity resolution does).
    """
    batch_ids = {post.id for post in batch.posts}
    outside_parents = {post.reply_to for post in batch.posts if post.reply_to and post.reply_to not in batch_ids}
    return KnownState(
        post_ids=frozenset(store.existing_post_ids(batch_ids)),
        parents=store.posts_by_id(outside_parents),
        people=dict(people) if people is not None else {person.id: person for person in store.people()},
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
