"""From a canonical batch to a :class:`~graph.delta.GraphDelta`: posts with topics and mentions, teams, topics, and
tie / expertise increments. Pure: what the store already holds comes in as :class:`KnownState`."""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from pathlib import Path

from spacy.lang.en.stop_words import STOP_WORDS

from extractors.canonical import PEOPLE_FILE, POSTS_FILE, CanonicalBatch, PostRecord, Reject
from extractors.cleaning import text_for_display, text_for_topics
from extractors.expertise import expertise_increments
from extractors.interactions import aggregate_ties, interactions
from extractors.mentions import MentionResolver
from extractors.normalise import canonical_id
from extractors.questions import reads_as_question
from extractors.topics import TextAnalysis, TopicAnalyzer
from graph.delta import GraphDelta, Person, Post, Team, Topic

_PROGRESS_STEP = 1000


@dataclass(frozen=True, slots=True)
class ExtractOptions:
    half_life_days: float = 90.0
    keep_bodies: bool = False
    spacy_model: str = "auto"
    """``"auto"`` (use an installed English model if any), ``"none"`` (blank pipeline) or a package name."""
    taxonomy: Path | None = None
    snippet_chars: int = 200


@dataclass(frozen=True, slots=True)
class KnownState:
    """What the store already holds, as plain data (the import pipeline fetches it)."""

    post_ids: frozenset[str] = frozenset()
    parents: Mapping[str, Post] = field(default_factory=dict)
    """Stored posts that posts of the batch reply to."""
    people: Mapping[str, Person] = field(default_factory=dict)
    topics: tuple[Topic, ...] = ()


@dataclass(frozen=True, slots=True)
class Extraction:
    delta: GraphDelta
    """Ties and expertise are INCREMENTS from the new posts only; see :func:`extractors.merge.merge_with_stored`."""
    rejects: tuple[Reject, ...]
    """The batch's own rejects plus posts rejected here (unknown author or co-author)."""
    skipped_known: int
    unresolved_mentions: int


@contextmanager
def _collector_paused() -> Iterator[None]:
    # Extraction allocates hundreds of thousands of small records that live until the upsert; the cyclic
    # collector re-scanning them costs about a fifth of the run and can free nothing.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def extract(
    batch: CanonicalBatch,
    *,
    known: KnownState = KnownState(),
    options: ExtractOptions = ExtractOptions(),
    analyzer: TopicAnalyzer | None = None,
    progress: Callable[[int], None] | None = None,
) -> Extraction:
    """Analyse a batch. ``progress(n)`` is called with increments (n more posts done) summing to the batch's posts.

    Posts already in the store are skipped (posts are immutable once stored); posts by unknown people are rejected.
    Output order is deterministic: records sorted by id, posts by (created_at, id).
    """
    with _collector_paused():
        return _extract(batch, known=known, options=options, analyzer=analyzer, progress=progress)


def _extract(
    batch: CanonicalBatch,
    *,
    known: KnownState,
    options: ExtractOptions,
    analyzer: TopicAnalyzer | None,
    progress: Callable[[int], None] | None,
) -> Extraction:
    people = {**known.people, **{p.id: p for p in batch.people}}
    skipped = sum(1 for record in batch.posts if record.id in known.post_ids)
    accepted, rejects = _check_authors((r for r in batch.posts if r.id not in known.post_ids), people)
    if progress is not None and skipped + len(rejects):
        progress(skipped + len(rejects))
    analyses: list[TextAnalysis] = []
    texts: list[str] = []
    if accepted:
        if analyzer is None:
            analyzer = TopicAnalyzer(model=options.spacy_model, taxonomy=options.taxonomy, vocabulary=known.topics)
        else:
            analyzer.add_topics(known.topics)
        texts = [_analysed_text(record) for record in accepted]
        # Names are who, not what: "ask Balogun" must not make "balogun" a topic.
        names = [w for p in people.values() for w in (p.name, *p.handles)]
        # Teams, not spaces: a channel or stream is often named after its topic ("dask", "meetup").
        teams = {p.team for p in people.values() if p.team}
        analyzer.learn(texts, exclude=names, places=teams, groups=_groups(accepted, people))
        hints = _tag_topics(accepted, {topic.id: topic for topic in analyzer.vocabulary})
        analyzer.add_topics(topic for topics in hints for topic in topics)
        analyses = _with_progress(analyzer.analyse(texts), progress)
        analyses = [_with_hints(analysis, topics) for analysis, topics in zip(analyses, hints, strict=True)]
    stored = {*known.post_ids, *known.parents, *(r.id for r in accepted)}
    resolver = MentionResolver(people.values())
    posts: list[Post] = []
    unresolved = 0
    for record, analysis in zip(accepted, analyses, strict=True):
        mentions = resolver.resolve(_written_text(record), record.mentions)
        unresolved += mentions.unresolved
        posts.append(_post(record, analysis, mentions.people, stored, options))
    posts.sort(key=lambda p: (p.created_at, p.id))
    known_topics = {t.id for t in known.topics}
    vocabulary = analyzer.vocabulary if analyzer is not None else ()
    delta = GraphDelta(
        people=tuple(sorted(batch.people, key=lambda p: p.id)),
        teams=_teams(batch.people),
        topics=tuple(t for t in vocabulary if t.id not in known_topics),
        posts=tuple(posts),
        ties=aggregate_ties(interactions(posts, parents=known.parents), half_life_days=options.half_life_days),
        expertise=expertise_increments(posts, parents=known.parents, half_life_days=options.half_life_days),
    )
    return Extraction(
        delta=delta,
        rejects=(*batch.rejects, *rejects),
        skipped_known=skipped,
        unresolved_mentions=unresolved,
    )


def _check_authors(
    records: Iterable[PostRecord], people: Mapping[str, Person]
) -> tuple[list[PostRecord], list[Reject]]:
    accepted: list[PostRecord] = []
    rejects: list[Reject] = []
    for record in records:
        if record.author not in people:
            rejects.append(_unknown(record, "author", record.author))
            continue
        missing = [c for c in record.co_authors if c not in people]
        if missing:
            rejects.append(_unknown(record, "co_authors", missing[0]))
            continue
        accepted.append(record)
    return accepted, rejects


def _unknown(record: PostRecord, field_name: str, person: str) -> Reject:
    reason = f"person {person!r} is neither in {PEOPLE_FILE} nor in the graph; add them to {PEOPLE_FILE} first"
    return Reject(POSTS_FILE, record.line, field_name, reason, record.id)


def _analysed_text(record: PostRecord) -> str:
    # The title carries topic words as often as the body does; the body's source noise (markup, quoted replies,
    # mentions, pleasantries) never makes a topic.
    text = text_for_topics(record.text)
    return f"{record.title} \n {text}" if record.title else text


def _written_text(record: PostRecord) -> str:
    # Mentions are markup, so they are looked for in the text as written, title included.
    return f"{record.title} \n {record.text}" if record.title else record.text


def _groups(records: Sequence[PostRecord], people: Mapping[str, Person]) -> list[str | None]:
    """What a text's words are compared across (see TopicAnalyzer.learn): its author's team when the people have
    teams, else its space (a channel, a stream, a site)."""
    teams = [people[record.author].team for record in records]
    if len({team for team in teams if team is not None}) >= 3:
        return teams
    return [record.space for record in records]


def _tag_topics(records: Sequence[PostRecord], known: Mapping[str, Topic]) -> list[tuple[Topic, ...]]:
    """The source's own tags of each record as topics: the topic the texts already know when there is one
    ("d-wave" is "D-Wave"), else the tag with its hyphens as spaces ("quantum-gate" → "quantum gate")."""
    found: dict[str, Topic] = {}

    def topic_of(tag: str) -> Topic:
        if tag not in found:
            spaced = " ".join(tag.replace("-", " ").replace("_", " ").split())
            if spaced != tag and _awkward(spaced):
                spaced = tag  # "d-wave" and "many-body-systems" read better as written than as "d wave", "many body"
            as_written = known.get(canonical_id(tag))
            found[tag] = as_written or known.get(canonical_id(spaced)) or Topic(id=canonical_id(spaced), label=spaced)
        return found[tag]

    return [tuple(dict.fromkeys(topic_of(tag) for tag in record.tags if tag.strip())) for record in records]


def _awkward(label: str) -> bool:
    """Whether a label starts or ends with a one-letter or stop word once its hyphens are spaces."""
    words = label.split()
    return any(len(w) < 2 or w.lower() in STOP_WORDS for w in (words[0], words[-1]))


def _with_hints(analysis: TextAnalysis, hints: tuple[Topic, ...]) -> TextAnalysis:
    """Tags first: people chose them; then the topics found in the text."""
    if not hints:
        return analysis
    tagged = tuple(topic.id for topic in hints if topic.id)
    topics = tuple(dict.fromkeys((*tagged, *analysis.topics)))
    present = set(analysis.terms)
    return TextAnalysis(topics=topics, terms=(*analysis.terms, *(t for t in tagged if t not in present)))


def _with_progress(analyses: Iterable[TextAnalysis], progress: Callable[[int], None] | None) -> list[TextAnalysis]:
    done: list[TextAnalysis] = []
    for analysis in analyses:
        done.append(analysis)
        if progress is not None and len(done) % _PROGRESS_STEP == 0:
            progress(_PROGRESS_STEP)
    if progress is not None and len(done) % _PROGRESS_STEP:
        progress(len(done) % _PROGRESS_STEP)
    return done


def _post(
    record: PostRecord, analysis: TextAnalysis, mentions: tuple[str, ...], stored: set[str], options: ExtractOptions
) -> Post:
    body = record.text or record.title or ""
    # Positional, in Post's field order (checked below at import): a third cheaper than keywords per post.
    return Post(
        record.id,
        record.author,
        record.created_at,
        record.co_authors,
        record.space,
        record.title,
        text_for_display(body[: options.snippet_chars * 4])[: options.snippet_chars],
        record.url,
        record.reply_to if record.reply_to in stored else None,
        record.audience,
        record.reply_to is None and reads_as_question(record.title, record.text),
        analysis.topics,
        analysis.terms,
        mentions,
        record.text if options.keep_bodies else None,
    )


_POST_FIELDS = (
    "id", "author", "created_at", "co_authors", "space", "title", "snippet", "url", "reply_to", "audience",
    "is_question", "topics", "terms", "mentions", "text",
)  # fmt: skip
if tuple(f.name for f in fields(Post)) != _POST_FIELDS:  # pragma: no cover - guards the positional call above
    raise ImportError("graph.delta.Post changed its fields; update extractors.extract._post to match")


def _teams(people: Iterable[Person]) -> tuple[Team, ...]:
    departments: dict[str, Counter[str]] = {}
    for person in people:
        if person.team is not None:
            counter = departments.setdefault(person.team, Counter())
            if person.department is not None:
                counter[person.department] += 1
    teams = []
    for team, counter in sorted(departments.items()):
        # The department most members give; ties go to the alphabetically first, so output is stable.
        department = min(counter, key=lambda d: (-counter[d], d)) if counter else None
        teams.append(Team(id=team, name=team, department=department))
    return tuple(teams)
