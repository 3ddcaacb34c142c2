"""Someone has already done that / who can answer, evaluated question by question in time order.

Each test question is ranked by people using only what was posted before it: the posts are replayed through the
import pipeline (extract, with the topic vocabulary growing as it would in production) and the recommenders are
refitted every ``refit_every`` questions on everything before the first question of the chunk. The truth is the
accepted answerer and, separately, anyone who answered.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np

from extractors.canonical import CanonicalBatch, PostRecord
from extractors.extract import ExtractOptions, KnownState, extract
from extractors.questions import reads_as_question
from extractors.topics import TopicAnalyzer
from graph.delta import Person, Post
from graph.store import Projection
from recommender.already_done import AlreadyDone
from recommender.answer_outcomes import AnswerOutcomes
from recommender.answerers import WhoCanAnswer
from recommender.evaluation.baselines import ANSWERER_BASELINES, most_active, random_people
from recommender.evaluation.datasets import detect_format, read_source, read_stackexchange_outcomes
from recommender.evaluation.errors import EvaluationError
from recommender.evaluation.metrics import (
    DEFAULT_RESAMPLES,
    bootstrap_mean,
    ndcg_at_k,
    paired_difference,
    precision_at_k,
    recall_at_k,
    reciprocal_rank,
)
from recommender.evaluation.report import OURS, Comparison, EvaluationReport, MethodResult, Table, Target
from recommender.evaluation.splits import DEFAULT_TRAIN_SHARE, cut_at, cut_by_share

COLUMNS = ("p@1", "mrr", "ndcg@3", "recall@10")
ALREADY_DONE = "weaktie_already_done"
"""The product's "already done" ranking alone (no activity signals), shown next to weaktie's who-can-answer."""
DEPTH = 10
Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class AnswererOptions:
    train_share: float = DEFAULT_TRAIN_SHARE
    """Share of questions before the cut."""
    cut: datetime | None = None
    refit_every: int = 1
    """Refit after this many test questions; 1 is exact (every question sees everything posted before it)."""
    relearn_every: int = 1
    """Of those refits, relearn weaktie's weights at every this many (the others refresh its index and reuse the
    last weights, learned on less history): 1 relearns at every refit."""
    spacy_model: str = "auto"
    baselines: tuple[str, ...] = ANSWERER_BASELINES
    random_state: int = 0
    resamples: int = DEFAULT_RESAMPLES
    outcomes: bool = False
    """Let weaktie use the source's answers, acceptances and votes (each only once known) when it records them.
    Off by default: on the Stack Exchange dump it measured no better (docs/evaluation.md, "Acceptances and votes")."""
    ours: Mapping[str, object] = field(default_factory=dict)
    """Hyperparameters of weaktie's :class:`WhoCanAnswer` (empty: its defaults)."""


@dataclass(frozen=True, slots=True)
class QuestionSet:
    """What the task needs from a source: everyone, every post in time order, which are questions and answers."""

    name: str
    people: tuple[Person, ...]
    records: tuple[PostRecord, ...]
    """Every post, sorted by (created_at, id)."""
    questions: tuple[PostRecord, ...]
    answerers: Mapping[str, tuple[str, ...]]
    """Question id → people who answered it (in answer order)."""
    accepted: Mapping[str, str]
    """Question id → the person whose answer was accepted."""
    answers: frozenset[str] = frozenset()
    """Ids of the posts that are answers (for "most active answerers")."""
    outcomes: AnswerOutcomes | None = None
    """Acceptances and votes with the instant each became known, when the source records them (Stack Exchange)."""


def load_questions(path: Path, *, fmt: str = "auto") -> QuestionSet:
    """Questions, answers and accepted answers from a Stack Exchange dump or any source with question threads.

    For Stack Exchange, answers are the dump's answers (comments are posts too, but not answers) and the accepted
    answer comes from the dump; for other sources a question is a root post that reads as one, any direct reply
    is an answer, and there is no accepted answer.
    """
    path = Path(path)
    fmt = detect_format(path) if fmt == "auto" else fmt
    batch = read_source(path, fmt=fmt)
    records = tuple(sorted(batch.posts, key=lambda r: (r.created_at, r.id)))
    by_id = {record.id: record for record in records}
    accepted: dict[str, str] = {}
    outcomes = None
    if fmt == "stackexchange":
        from extractors.sources.stackexchange import accepted_answers, post_id

        prefix = post_id("")
        questions = tuple(r for r in records if r.reply_to is None and r.id.startswith(prefix))
        is_answer: Callable[[PostRecord], bool] = lambda r: r.id.startswith(prefix)  # noqa: E731
        for question, answer in accepted_answers(path).items():
            if answer in by_id and question in by_id:
                accepted[question] = by_id[answer].author
        outcomes = read_stackexchange_outcomes(path)
    else:
        questions = tuple(r for r in records if r.reply_to is None and reads_as_question(r.title, r.text))
        is_answer = lambda r: True  # noqa: E731
    wanted = {q.id for q in questions}
    answerers: dict[str, list[str]] = {}
    answers: set[str] = set()
    for record in records:
        if record.reply_to in wanted and is_answer(record):
            answerers.setdefault(record.reply_to, []).append(record.author)
            answers.add(record.id)
    return QuestionSet(
        name=path.name,
        people=batch.people,
        records=records,
        questions=questions,
        answerers={q: tuple(dict.fromkeys(people)) for q, people in answerers.items()},
        accepted=accepted,
        answers=frozenset(answers),
        outcomes=outcomes,
    )


def evaluate_answerers(
    data: QuestionSet, *, options: AnswererOptions = AnswererOptions(), progress: Progress | None = None
) -> EvaluationReport:
    """Rank people for every question after the cut with weaktie and the baselines, and score the rankings."""
    say = progress or (lambda _message: None)
    if options.refit_every < 1 or options.relearn_every < 1:
        raise EvaluationError(
            f"refit_every and relearn_every must be at least 1, got {options.refit_every} and {options.relearn_every}"
        )
    times = np.array([q.created_at.timestamp() for q in data.questions])
    cut = (
        cut_at(times, options.cut, unit="questions")
        if options.cut
        else cut_by_share(times, options.train_share, unit="questions")
    )
    known_people = {person.id for person in data.people}
    test = [q for q in data.questions if q.created_at.timestamp() >= cut.at and _truth(data, q, known_people)]
    if not test:
        raise EvaluationError(f"no question after the cut of {data.name} has an answer by someone else; move the cut")
    say(f"cut: {cut.train_events} questions before, {len(test)} answered questions after")
    rankings = _rank_all(data, test, cut.at, options, say)
    tables = []
    for key, title, truth_of in (
        ("accepted", "accepted answerer", lambda q: ({data.accepted.get(q.id)} - {q.author, None}) & known_people),
        ("any", "any answerer", lambda q: (set(data.answerers.get(q.id, ())) - {q.author}) & known_people),
    ):
        judged = [q for q in test if truth_of(q)]
        if judged:
            tables.append(_table(key, title, judged, truth_of, rankings, data, options))
    return EvaluationReport(
        task="answerers",
        dataset=data.name,
        cut=cut,
        tables=tuple(tables),
        targets=answerer_targets(tables),
        notes=_notes(options, cut.how, outcomes=options.outcomes and data.outcomes is not None),
        settings={
            "refit_every": options.refit_every,
            "relearn_every": options.relearn_every,
            "outcomes": options.outcomes and data.outcomes is not None,
            "spacy_model": options.spacy_model,
            "random_state": options.random_state,
            "resamples": options.resamples,
            "weaktie": dict(options.ours),
        },
    )


def _truth(data: QuestionSet, question: PostRecord, known: set[str]) -> bool:
    people = {
        *data.answerers.get(question.id, ()),
        *([data.accepted[question.id]] if question.id in data.accepted else []),
    }
    return bool((people - {question.author}) & known)


def _rank_all(
    data: QuestionSet, test: Sequence[PostRecord], cut: float, options: AnswererOptions, say: Progress
) -> dict[str, dict[str, list[str]]]:
    replay = _Replay(data, spacy_model=options.spacy_model)
    rng = np.random.default_rng(options.random_state)
    rankings: dict[str, dict[str, list[str]]] = {OURS: {}, ALREADY_DONE: {}, **{m: {} for m in options.baselines}}
    ours: WhoCanAnswer | None = None
    for start in range(0, len(test), options.refit_every):
        chunk = test[start : start + options.refit_every]
        at = chunk[0].created_at
        replay.advance_to(at)
        projection = replay.projection()
        relearn = start // options.refit_every % options.relearn_every == 0
        ours = WhoCanAnswer(analyzer=replay.analyzer.terms, **options.ours).fit(  # type: ignore[arg-type]
            projection,
            as_of=at,
            outcomes=data.outcomes if options.outcomes else None,
            weights_from=None if relearn else ours,
        )
        product = AlreadyDone(analyzer=replay.analyzer.terms).fit(projection, as_of=at)
        bm25 = (
            AlreadyDone(
                analyzer=replay.analyzer.terms,
                half_life_days=1e9,
                co_author_credit=1.0,
                reply_credit=0.0,
                question_credit=1.0,
                sharpness=1.0,
            ).fit(projection, as_of=at)
            if "bm25" in options.baselines
            else None
        )
        counts, posters = replay.activity()
        for question in chunk:
            text = f"{question.title or ''}\n{question.text}".strip()
            rankings[OURS][question.id] = [m.person.id for m in ours.query(text, asker=question.author, k=DEPTH)]
            rankings[ALREADY_DONE][question.id] = [
                m.person.id for m in product.query(text, asker=question.author, k=DEPTH)
            ]
            if bm25 is not None:
                rankings["bm25"][question.id] = [m.person.id for m in bm25.query(text, asker=question.author, k=DEPTH)]
            asker = replay.position.get(question.author)
            exclude = [] if asker is None else [asker]
            if "most_active" in options.baselines:
                rankings["most_active"][question.id] = [
                    replay.ids[i] for i in most_active(counts, exclude=exclude, k=DEPTH)
                ]
            if "random" in options.baselines:
                rankings["random"][question.id] = [
                    replay.ids[i] for i in random_people(posters, rng=rng, exclude=exclude, k=DEPTH)
                ]
        if start // options.refit_every % 25 == 0:
            say(f"ranked {min(start + len(chunk), len(test))} of {len(test)} questions")
    return rankings


class _Replay:
    """Posts fed through the import pipeline in time order, as a deployment would have ingested them."""

    def __init__(self, data: QuestionSet, *, spacy_model: str) -> None:
        self.data = data
        self.options = ExtractOptions(spacy_model=spacy_model)
        self.analyzer = TopicAnalyzer(model=spacy_model)
        self.people = {person.id: person for person in data.people}
        self.ids = tuple(sorted(self.people))
        self.position = {person: i for i, person in enumerate(self.ids)}
        self.posts: dict[str, Post] = {}
        self.next = 0
        self.answers = np.zeros(len(self.ids))
        self.posted = np.zeros(len(self.ids), dtype=bool)

    def advance_to(self, instant: datetime) -> None:
        """Ingest every post created before ``instant`` that is not ingested yet."""
        records = self.data.records
        stop = self.next
        while stop < len(records) and records[stop].created_at < instant:
            stop += 1
        if stop == self.next:
            return
        fresh = records[self.next : stop]
        self.next = stop
        known = KnownState(
            post_ids=frozenset(self.posts),
            parents={r.reply_to: self.posts[r.reply_to] for r in fresh if r.reply_to in self.posts},
            people=self.people,
            topics=(),
        )
        batch = CanonicalBatch(people=(), posts=tuple(fresh), rejects=(), read=len(fresh))
        for post in extract(batch, known=known, options=self.options, analyzer=self.analyzer).delta.posts:
            self.posts[post.id] = post
        for record in fresh:
            where = self.position.get(record.author)
            if where is None:
                continue
            self.posted[where] = True
            if record.id in self.data.answers:
                self.answers[where] += 1

    def projection(self) -> Projection:
        return Projection(
            people=tuple(self.people.values()),
            teams=(),
            topics=self.analyzer.vocabulary,
            posts=tuple(self.posts.values()),
            ties=(),
            expertise=(),
            suggestions=(),
        )

    def activity(self) -> tuple[np.ndarray, np.ndarray]:
        """Answers so far per person, and the positions of everyone who has posted anything."""
        return self.answers.copy(), np.flatnonzero(self.posted)


def _table(
    key: str,
    title: str,
    judged: Sequence[PostRecord],
    truth_of: Callable[[PostRecord], set[str]],
    rankings: Mapping[str, Mapping[str, list[str]]],
    data: QuestionSet,
    options: AnswererOptions,
) -> Table:
    results: dict[str, MethodResult] = {}
    per_question: dict[str, dict[str, np.ndarray]] = {}
    for method, ranked in rankings.items():
        values = {
            "p@1": [precision_at_k(ranked[q.id], truth_of(q), 1) for q in judged],
            "mrr": [reciprocal_rank(ranked[q.id], truth_of(q)) for q in judged],
            "ndcg@3": [ndcg_at_k(ranked[q.id], truth_of(q), 3) for q in judged],
            "recall@10": [recall_at_k(ranked[q.id], truth_of(q), DEPTH) for q in judged],
        }
        per_question[method] = {name: np.array(v) for name, v in values.items()}
        results[method] = MethodResult(
            metrics={name: bootstrap_mean(v, resamples=options.resamples) for name, v in values.items()}
        )
    baselines = [m for m in rankings if m in options.baselines]
    comparison = None
    if baselines:
        best = max(baselines, key=lambda m: results[m].metrics["mrr"].value)
        theirs = results[best].metrics["mrr"].value
        comparison = Comparison(
            metric="mrr",
            baseline=best,
            difference=paired_difference(
                per_question[OURS]["mrr"], per_question[best]["mrr"], resamples=options.resamples
            ),
            ratio=results[OURS].metrics["mrr"].value / theirs if theirs > 0 else None,
        )
    seen = _answered_before(judged, truth_of, data)
    return Table(
        key=key,
        title=title,
        test_size={"questions": len(judged), "truth_seen_before": seen},
        columns=COLUMNS,
        results=results,
        comparison=comparison,
    )


def _answered_before(
    judged: Sequence[PostRecord], truth_of: Callable[[PostRecord], set[str]], data: QuestionSet
) -> int:
    """Questions whose truth includes someone who had posted before the question: the most any method can find."""
    first: dict[str, float] = {}
    for record in data.records:
        first.setdefault(record.author, record.created_at.timestamp())
    return sum(1 for q in judged if any(first.get(p, np.inf) < q.created_at.timestamp() for p in truth_of(q)))


def answerer_targets(tables: Sequence[Table]) -> tuple[Target, ...]:
    """The issue's goals for who-can-answer, on the accepted-answerer table."""
    table = next((t for t in tables if t.key == "accepted"), None)
    if table is None:
        return ()
    ours = table.results[OURS].metrics
    targets = [
        Target("P@1 >= 0.40", ours["p@1"].value, 0.40, ours["p@1"].value >= 0.40),
        Target("MRR >= 0.50", ours["mrr"].value, 0.50, ours["mrr"].value >= 0.50),
    ]
    if "bm25" in table.results:
        theirs = table.results["bm25"].metrics["mrr"].value
        ratio = ours["mrr"].value / theirs if theirs > 0 else float("inf")
        targets.append(Target("MRR >= 1.3x BM25 (model 2)", ratio, 1.3, ratio >= 1.3))
    if table.comparison is not None:
        best = table.comparison.baseline
        margin = table.comparison.difference
        targets.append(
            Target(
                f"MRR above every same-run baseline (best: {best})",
                margin.value,
                0.0,
                margin.value > 0,
                note="within the noise" if table.comparison.within_noise else "outside the noise",
            )
        )
    return tuple(targets)


def _notes(options: AnswererOptions, how: str, *, outcomes: bool) -> tuple[str, ...]:
    exact = options.refit_every == 1
    extra = []
    if options.relearn_every > 1:
        extra.append(
            f"weaktie's weights were relearned only every {options.relearn_every} refits; the refits in between "
            "refresh its index and reuse the last weights (learned on less history, never on more)."
        )
    if outcomes:
        extra.append(
            "weaktie read the dump's answers, acceptances and votes, each only once known: a vote or acceptance "
            "counts from the end of its day (the dump stores only the day), so the replay never sees one early."
        )
    return (
        *extra,
        f"Cut: {how}. Test questions are those after the cut with an answer by someone other than the asker.",
        "Every method sees only posts created before the question"
        + (
            " (refitted for every question: exact)."
            if exact
            else f" before the first question of its chunk of "
            f"{options.refit_every} (posts between that and the question itself are not seen: they can only help)."
        ),
        "Posts are replayed through the import pipeline in time order, so the topic vocabulary grows as it would "
        "in production; query = title + body (with the tags line); the asker is never ranked.",
        "bm25 = Balog's model 2 with the same index: authors credited by BM25 match, no reply credit, no recency, "
        "no sharpening. most_active = answers posted before the question. random = anyone who posted before.",
        f"Intervals: 95% percentile bootstrap over questions ({options.resamples} resamples, fixed seed).",
    )
