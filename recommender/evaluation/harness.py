"""One entry point for ``weaktie eval``: read a data set, run one task with all its baselines, return the report."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from recommender.evaluation.answerer_eval import AnswererOptions, evaluate_answerers, load_questions
from recommender.evaluation.datasets import load_interactions
from recommender.evaluation.errors import EvaluationError
from recommender.evaluation.metrics import DEFAULT_RESAMPLES
from recommender.evaluation.people_eval import PeopleOptions, evaluate_people
from recommender.evaluation.report import EvaluationReport
from recommender.evaluation.splits import DEFAULT_TRAIN_SHARE
from recommender.evaluation.topic_eval import (
    DEFAULT_K,
    DEFAULT_PEOPLE,
    TopicOptions,
    TopicsOf,
    evaluate_topics,
    load_topic_data,
)

Task = Literal["people", "answerers", "topics"]
TASKS: tuple[str, ...] = ("people", "answerers", "topics")


@dataclass(frozen=True, slots=True)
class EvalRequest:
    task: str = "people"
    fmt: str = "auto"
    labels: Path | None = None
    train_share: float = DEFAULT_TRAIN_SHARE
    cut: datetime | None = None
    k: int | None = None
    """Suggestions per person (people task, default 10) or topics per person (topics task, default 5)."""
    people: int = DEFAULT_PEOPLE
    """Topics task: describe this many of the most active people."""
    capacity: int | None = None
    refit_every: int = 1
    spacy_model: str = "auto"
    resamples: int = DEFAULT_RESAMPLES
    random_state: int = 0


def run_evaluation(
    path: Path,
    *,
    request: EvalRequest = EvalRequest(),
    progress: Callable[[str], None] | None = None,
    topics_of: TopicsOf | None = None,
) -> EvaluationReport:
    """Evaluate ``request.task`` on the data set at ``path`` (any format :mod:`.datasets` reads).

    The topics task measures what the product shows, so it needs ``topics_of``: the API's import-and-list path
    (``api.cli`` passes it; the recommender package never imports the API).
    """
    if request.task == "people":
        data = load_interactions(Path(path), fmt=request.fmt, labels=request.labels)
        options = PeopleOptions(
            train_share=request.train_share,
            cut=request.cut,
            k=request.k if request.k is not None else 10,
            capacity=request.capacity,
            random_state=request.random_state,
            resamples=request.resamples,
        )
        return evaluate_people(data, options=options, progress=progress)
    if request.task == "answerers":
        if request.fmt in ("edges", "papers"):
            raise EvaluationError("the answerers task needs posts with text (a Stack Exchange dump or another source)")
        questions = load_questions(Path(path), fmt=request.fmt)
        answer_options = AnswererOptions(
            train_share=request.train_share,
            cut=request.cut,
            refit_every=request.refit_every,
            spacy_model=request.spacy_model,
            random_state=request.random_state,
            resamples=request.resamples,
        )
        return evaluate_answerers(questions, options=answer_options, progress=progress)
    if request.task == "topics":
        if request.fmt not in ("auto", "stackexchange"):
            raise EvaluationError("the topics task needs a Stack Exchange dump: its question tags are the truth")
        if topics_of is None:
            raise EvaluationError("the topics task needs weaktie's import path (topics_of); run it with `weaktie eval`")
        data = load_topic_data(Path(path), people=request.people, progress=progress)
        topic_options = TopicOptions(k=request.k if request.k is not None else DEFAULT_K, resamples=request.resamples)
        return evaluate_topics(data, weaktie=topics_of, options=topic_options, progress=progress)
    raise EvaluationError(f"unknown task {request.task!r}; expected one of {', '.join(TASKS)}")
