"""A person's topics, evaluated: weaktie's top 5 against the tags of the Stack Exchange questions they asked or
answered, with every tag taken out of the texts, next to YAKE and TF-IDF run on the same people and texts.

Matching (also in docs/evaluation.md, "Topics of a person"). A topic and a tag are both reduced to words: lower
case; apostrophes dropped (``grover's`` → ``grovers``); a word is a run of letters and digits, keeping a trailing
``+`` or ``#`` (``c++``, ``q#``); hyphens, underscores, dots and every other character separate words. Each word is
made singular by the product's rule (:func:`extractors.normalise.singular`: ``-ies`` → ``-y``; ``-sses``,
``-shes``, ``-ches``, ``-xes`` lose ``-es``; otherwise a final ``-s`` goes unless the word ends in ``ss``, ``us``
or ``is``, is shorter than four letters or is on its short keep list, such as ``physics``). A topic matches a tag
when the tag's words appear in the topic's words as one contiguous run of whole words: the topic is the tag or
more specific than it ("quantum error correction" matches ``error-correction``). A topic inside a longer tag does
not match ("quantum" and "gate" do not match ``quantum-gate``), so naming the site's subject alone scores nothing.

weaktie's topics come from the product itself: the caller passes a :class:`TopicsOf` that imports the tag-free
batch as ``weaktie ingest`` would and reads ``weaktie topics list`` (the recommender package never imports the API).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Protocol

import numpy as np

from extractors.canonical import CanonicalBatch, PostRecord
from extractors.normalise import singular
from extractors.sources.common import SourceError, open_archive
from recommender.evaluation.datasets import detect_format, xml_rows
from recommender.evaluation.errors import EvaluationError
from recommender.evaluation.keyword_baselines import (
    TFIDF_SETTINGS,
    YAKE_SETTINGS,
    baseline_versions,
    site_top_tags,
    tfidf_keywords,
    yake_keywords,
)
from recommender.evaluation.metrics import DEFAULT_RESAMPLES, bootstrap_mean, paired_difference
from recommender.evaluation.report import OURS, Comparison, EvaluationReport, MethodResult, Table

YAKE, TFIDF, SITE_TAGS = "yake", "tfidf", "site_top_tags"
"""Same-run baselines; ``site_top_tags`` is a reference that reads the tags (everyone gets the site's top ones)."""
DEFAULT_PEOPLE = 60
DEFAULT_K = 5
SITE_SHARE = "site_tag_share"
Progress = Callable[[str], None]

_WORD = re.compile(r"[^\W_]+[+#]*")
_APOSTROPHE = re.compile(r"['’]")
_TAGS_LINE = re.compile(r"(?:\A|\n)[ \t]*Tags:[^\n]*\s*\Z")
"""The line the Stack Exchange reader appended to question texts before tags had a field of their own."""
_HAS_TAGS_FIELD = "tags" in {f.name for f in fields(PostRecord)}


@dataclass(frozen=True, slots=True)
class TopicData:
    """A Stack Exchange dump with the tags out of every text, the people to describe and the truth about them."""

    name: str
    batch: CanonicalBatch
    """Everyone and every post (questions, answers, comments), tag-free: what every method is given."""
    active: tuple[str, ...]
    """The people described: most questions + answers first, ties by id."""
    activity: Mapping[str, int]
    """Questions + answers per person."""
    truth: Mapping[str, frozenset[str]]
    """Person → the tags of the questions they asked or answered."""
    site_tags: Mapping[str, int]
    """Every tag of the site → the questions that carry it."""
    texts: Mapping[str, str]
    """Person → their posts (title + text each, in time order): what the keyword baselines read."""
    stripped: int = 0
    """Texts that ended with a ``Tags:`` line, removed."""
    emptied: int = 0
    """Records whose tag field was emptied."""


@dataclass(frozen=True, slots=True)
class ProductTopics:
    """What weaktie showed: each person's first ``k`` topic labels, as ``weaktie topics list`` prints them."""

    topics: Mapping[str, tuple[str, ...]]
    spacy_model: str | None
    """The spaCy package the import actually used; ``None`` for the blank pipeline."""
    settings: Mapping[str, object] = field(default_factory=dict)


class TopicsOf(Protocol):
    """Imports ``batch`` through the product and returns the first ``k`` topics of each of ``people``."""

    def __call__(
        self, batch: CanonicalBatch, people: Sequence[str], *, k: int, progress: Progress
    ) -> ProductTopics: ...


@dataclass(frozen=True, slots=True)
class TopicOptions:
    k: int = DEFAULT_K
    resamples: int = DEFAULT_RESAMPLES
    site_top_tags: bool = True
    """Also show the site's most used tags, given to everyone: what no personalisation at all scores."""


def load_topic_data(path: Path, *, people: int = DEFAULT_PEOPLE, progress: Progress | None = None) -> TopicData:
    """Read a Stack Exchange dump, take the tags out of every record and text, and find the ``people`` most active
    askers and answerers with the tags of their questions (someone whose questions carry no tag, say answers to
    deleted questions only, has no truth and is skipped)."""
    say = progress or (lambda _message: None)
    path = Path(path)
    if people < 1:
        raise EvaluationError(f"the topics task needs at least one person to describe, got people={people}")
    fmt = detect_format(path)
    if fmt != "stackexchange":
        raise EvaluationError(
            f"the topics task needs a Stack Exchange dump (a folder or .zip with Posts.xml) whose tags are the "
            f"truth; {str(path)!r} holds a {fmt} source"
        )
    from extractors.sources.stackexchange import post_id, read_stackexchange

    batch = read_stackexchange(path)
    posts = tuple(without_tags(record) for record in batch.posts)
    stripped = sum(1 for before, after in zip(batch.posts, posts, strict=True) if before.text != after.text)
    emptied = sum(1 for record in batch.posts if getattr(record, "tags", ()))
    tagged = question_tags(path)
    say(f"read {len(posts):,} posts of {len(batch.people):,} people; tags taken out of {max(stripped, emptied):,}")

    prefix = post_id("")
    activity: Counter[str] = Counter()
    truth: dict[str, set[str]] = {}
    for record in posts:
        if not record.id.startswith(prefix):
            continue  # a comment: neither a question nor an answer
        activity[record.author] += 1
        question = record.id if record.reply_to is None else record.reply_to
        truth.setdefault(record.author, set()).update(tagged.get(question, ()))
    known = {person.id for person in batch.people}
    ranked = sorted((p for p in activity if p in known and truth.get(p)), key=lambda p: (-activity[p], p))
    if not ranked:
        raise EvaluationError(f"no question or answer of {path.name} is by a known person with tagged questions")
    active = tuple(ranked[:people])
    return TopicData(
        name=path.name,
        batch=replace(batch, posts=posts),
        active=active,
        activity={p: activity[p] for p in active},
        truth={p: frozenset(tags) for p, tags in truth.items()},
        site_tags=dict(Counter(tag for tags in tagged.values() for tag in tags)),
        texts=person_texts(posts),
        stripped=stripped,
        emptied=emptied,
    )


def without_tags(record: PostRecord) -> PostRecord:
    """``record`` with no tag left: an empty tag field (when records have one) and no trailing ``Tags:`` line."""
    text = _TAGS_LINE.sub("", record.text).strip()
    if _HAS_TAGS_FIELD:
        return replace(record, text=text, tags=())  # type: ignore[call-arg]
    return record if text == record.text else replace(record, text=text)


def question_tags(path: Path) -> dict[str, tuple[str, ...]]:
    """Question post id (canonical, as in the batch) → its tags, straight from ``Posts.xml``."""
    from extractors.sources.stackexchange import QUESTION, parse_tags, post_id

    tags: dict[str, tuple[str, ...]] = {}
    try:
        with open_archive(Path(path)) as archive:
            for row in xml_rows(archive, archive.find("Posts.xml")):
                if row.get("PostTypeId") == QUESTION and row.get("Id"):
                    tags[post_id(row["Id"])] = parse_tags(row.get("Tags", ""))
    except SourceError as exc:
        raise EvaluationError(str(exc)) from None
    return tags


def person_texts(posts: Iterable[PostRecord]) -> dict[str, str]:
    """Person → all their posts, title and text each, oldest first, separated by blank lines."""
    by_person: dict[str, list[str]] = {}
    for record in sorted(posts, key=lambda r: (r.created_at, r.id)):
        text = f"{record.title or ''}\n{record.text}".strip()
        if text:
            by_person.setdefault(record.author, []).append(text)
    return {person: "\n\n".join(parts) for person, parts in by_person.items()}


def topic_words(text: str) -> tuple[str, ...]:
    """The normal form of a topic or a tag: lower-case singular words (see the module docstring)."""
    return tuple(singular(word) for word in _WORD.findall(_APOSTROPHE.sub("", text.lower())))


def matches(topic: str, tag: str) -> bool:
    """Whether ``topic`` names ``tag`` or something more specific: the tag's words are a contiguous run of its own."""
    return _contains(topic_words(topic), topic_words(tag))


def _contains(words: tuple[str, ...], run: tuple[str, ...]) -> bool:
    n = len(run)
    return n > 0 and any(words[i : i + n] == run for i in range(len(words) - n + 1))


def matched_share(topics: Sequence[str], tags: Iterable[str], *, k: int) -> float:
    """Share of the ``k`` slots holding a topic that matches one of ``tags`` (a short list still counts ``k``)."""
    runs = [run for run in {topic_words(tag) for tag in tags} if run]
    hits = sum(1 for topic in topics[:k] if any(_contains(topic_words(topic), run) for run in runs))
    return hits / k if k > 0 else 0.0


Topics = Mapping[str, Mapping[str, Sequence[str]]]
"""Method → person → their topics, best first."""


def evaluate_topics(
    data: TopicData,
    *,
    weaktie: TopicsOf,
    options: TopicOptions = TopicOptions(),
    progress: Progress | None = None,
) -> EvaluationReport:
    """weaktie's, YAKE's and TF-IDF's top ``k`` topics of the same people from the same tag-free texts, scored
    against each person's own tags and against every tag of the site."""
    topics, ours = method_topics(data, weaktie=weaktie, options=options, progress=progress)
    return topic_report(data, topics, options=options, product=ours)


def method_topics(
    data: TopicData,
    *,
    weaktie: TopicsOf,
    options: TopicOptions = TopicOptions(),
    progress: Progress | None = None,
) -> tuple[dict[str, dict[str, tuple[str, ...]]], ProductTopics]:
    """Every method's top ``k`` topics of ``data.active`` (weaktie's first), and what the product reported."""
    say = progress or (lambda _message: None)
    people = data.active
    say(f"weaktie: importing {len(data.batch.posts):,} posts through the product")
    ours = weaktie(data.batch, people, k=options.k, progress=say)
    missing = [p for p in people if p not in ours.topics]
    if missing:
        raise EvaluationError(f"weaktie returned no row for {len(missing)} of the people, e.g. {missing[0]!r}")
    topics = {OURS: {p: tuple(ours.topics[p])[: options.k] for p in people}}
    topics[YAKE] = yake_keywords(data.texts, people, k=options.k, progress=say)
    say("tfidf: fitting on every person's texts")
    topics[TFIDF] = tfidf_keywords(data.texts, people, k=options.k)
    if options.site_top_tags:
        topics[SITE_TAGS] = site_top_tags(data.site_tags, people, k=options.k)
    return topics, ours


def topic_report(
    data: TopicData, topics: Topics, *, options: TopicOptions = TopicOptions(), product: ProductTopics
) -> EvaluationReport:
    """Score each method's topics of ``data.active`` (weaktie's under ``"weaktie"``, YAKE's and TF-IDF's under
    their names) with bootstrap intervals over people, weaktie paired against YAKE."""
    table, per_person = _table(data, topics, options)
    return EvaluationReport(
        task="topics",
        dataset=data.name,
        cut=None,
        tables=(table,),
        notes=_notes(data, options, per_person, spacy_model=product.spacy_model),
        settings={
            "people": len(data.active),
            "k": options.k,
            "spacy_model": product.spacy_model,
            "weaktie": dict(product.settings),
            "yake": {**YAKE_SETTINGS, "top": options.k},
            "tfidf": dict(TFIDF_SETTINGS),
            "versions": baseline_versions(),
            "site_tags": len(data.site_tags),
            "tags_removed_from_texts": data.stripped,
            "tag_fields_emptied": data.emptied,
            "resamples": options.resamples,
        },
    )


def _table(
    data: TopicData, topics: Mapping[str, Mapping[str, Sequence[str]]], options: TopicOptions
) -> tuple[Table, dict[str, dict[str, np.ndarray]]]:
    k = options.k
    precision = f"p@{k}"
    site = tuple(data.site_tags)
    results: dict[str, MethodResult] = {}
    per_person: dict[str, dict[str, np.ndarray]] = {}
    for method, found in topics.items():
        values = {
            precision: np.array([matched_share(found[p], data.truth[p], k=k) for p in data.active]),
            SITE_SHARE: np.array([matched_share(found[p], site, k=k) for p in data.active]),
        }
        per_person[method] = values
        shown = [tuple(found[p])[:k] for p in data.active]
        results[method] = MethodResult(
            metrics={name: bootstrap_mean(v, resamples=options.resamples) for name, v in values.items()},
            details={
                "mean_topics": float(np.mean([len(s) for s in shown])),
                "people_without_topics": sum(1 for s in shown if not s),
                "distinct_topics": len({topic_words(t) for s in shown for t in s}),
            },
        )
    theirs = results[YAKE].metrics[precision].value
    comparison = Comparison(
        metric=precision,
        baseline=YAKE,
        difference=paired_difference(
            per_person[OURS][precision], per_person[YAKE][precision], resamples=options.resamples
        ),
        ratio=results[OURS].metrics[precision].value / theirs if theirs > 0 else None,
    )
    table = Table(
        key="topics",
        title=f"top {k} topics against the tags of the questions each person asked or answered",
        test_size={
            "people": len(data.active),
            "their_tags": sum(len(data.truth[p]) for p in data.active),
            "site_tags": len(site),
        },
        columns=(precision, SITE_SHARE),
        results=results,
        comparison=comparison,
    )
    return table, per_person


def _notes(
    data: TopicData,
    options: TopicOptions,
    per_person: Mapping[str, Mapping[str, np.ndarray]],
    *,
    spacy_model: str | None,
) -> tuple[str, ...]:
    k = options.k
    precision = f"p@{k}"
    notes = [
        f"People: the {len(data.active)} with the most questions + answers (ties by id), "
        f"{min(data.activity.values())}–{max(data.activity.values())} each. Truth: the tags of the questions each "
        "asked or answered, from Posts.xml.",
        f"Every method got the same tag-free posts: the tag field emptied on {data.emptied:,} records and the "
        f"trailing 'Tags:' line removed from {data.stripped:,} texts. weaktie imported all of them through the "
        "product (a fresh embedded store, as `weaktie ingest`) and its topics are the first rows of `weaktie topics "
        f"list` (spaCy model: {spacy_model or 'none, the blank pipeline'}); YAKE and TF-IDF read each person's own "
        "questions, answers and comments (title + text).",
        "A topic matches a tag when the tag's words (lower case, punctuation as spaces, singular) are a contiguous "
        "run of the topic's words: 'quantum error correction' matches error-correction, 'quantum' does not match "
        f"quantum-gate. {precision}: share of the top {k} matching one of the person's own tags; "
        f"{SITE_SHARE}: matching any tag of the site. Fewer than {k} topics still count {k} slots.",
        f"yake = YAKE (n=3, top={k}) on the concatenation of the person's texts. tfidf = scikit-learn TF-IDF "
        "(1–3-grams, English stop words, sublinear tf, min_df=2), one document per person, fitted on everyone.",
    ]
    if SITE_TAGS in per_person:
        notes.append(
            f"{SITE_TAGS} is a reference, not a competitor: it gives everyone the site's {k} most used tags, so it "
            "reads the answer's vocabulary; it shows what no personalisation at all scores."
        )
    tfidf = paired_difference(per_person[OURS][precision], per_person[TFIDF][precision], resamples=options.resamples)
    verdict = "within the noise" if tfidf.low <= 0.0 <= tfidf.high else "outside the noise"
    notes.append(
        f"weaktie − tfidf on {precision}: {tfidf.value:+.3f} [{tfidf.low:+.3f}, {tfidf.high:+.3f}] ({verdict})."
    )
    notes.append(f"Intervals: 95% percentile bootstrap over people ({options.resamples} resamples, fixed seed).")
    return tuple(notes)
