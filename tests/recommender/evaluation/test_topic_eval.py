"""The topics task: the matching rule, a planted Stack Exchange dump whose truth is known, and the real dump."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from api.settings import Settings
from api.topic_eval import product_topics
from extractors.canonical import CanonicalBatch, PostRecord
from recommender.evaluation.errors import EvaluationError
from recommender.evaluation.report import OURS
from recommender.evaluation.topic_eval import (
    SITE_SHARE,
    SITE_TAGS,
    TFIDF,
    YAKE,
    ProductTopics,
    TopicOptions,
    TopicsOf,
    load_topic_data,
    matched_share,
    matches,
    method_topics,
    topic_report,
    topic_words,
    without_tags,
)
from tests.shared_data import DATA as SHARED
from tests.shared_data import needs

SE = SHARED / "stackexchange-quantumcomputing-2018"

USERS = """<?xml version="1.0" encoding="utf-8"?>
<users>
  <row Id="-1" DisplayName="Community" />
  <row Id="1" DisplayName="Ada Planted" />
  <row Id="2" DisplayName="Bo Planted" />
  <row Id="3" DisplayName="Cy Planted" />
  <row Id="4" DisplayName="Di Planted" />
</users>
"""


def _row(id: int, kind: int, owner: int, day: int, body: str, **extra: str) -> str:
    attributes = " ".join(f'{name}="{value}"' for name, value in extra.items())
    return (
        f'  <row Id="{id}" PostTypeId="{kind}" OwnerUserId="{owner}" CreationDate="2024-01-{day:02d}T10:00:00.000" '
        f'Body="&lt;p&gt;{body}&lt;/p&gt;" {attributes} />'
    )


POSTS = "\n".join(
    [
        '<?xml version="1.0" encoding="utf-8"?>',
        "<posts>",
        _row(1, 1, 1, 1, "The surface code measures stabilisers to correct bit flips and phase flips.",
             Title="How does the surface code correct errors?", Tags="&lt;error-correction&gt;&lt;surface-code&gt;"),
        _row(2, 1, 2, 2, "Grover search over three qubits needs an oracle and a diffusion gate.",
             Title="Grover search on three qubits", Tags="&lt;grovers-algorithm&gt;&lt;quantum-gate&gt;"),
        _row(3, 1, 3, 3, "Does a repetition code correct phase flips as well as bit flips?",
             Title="Repetition code and phase flips", Tags="&lt;error-correction&gt;"),
        _row(4, 1, 1, 4, "How do I build a Toffoli gate from CNOT gates and T gates?",
             Title="Toffoli from CNOT gates", Tags="|quantum-gate|"),
        _row(5, 2, 2, 5, "Each stabiliser measurement of the surface code finds a syndrome.", ParentId="1"),
        _row(6, 2, 3, 6, "The diffusion gate of Grover search reflects about the mean amplitude.", ParentId="2"),
        _row(7, 2, 1, 7, "A repetition code alone corrects only one kind of flip.", ParentId="3"),
        _row(8, 2, 4, 8, "Lattice surgery joins two patches of the surface code.", ParentId="1"),
        "</posts>",
    ]
)  # fmt: skip
COMMENTS = """<?xml version="1.0" encoding="utf-8"?>
<comments>
  <row Id="1" PostId="2" UserId="4" CreationDate="2024-01-09T10:00:00.000" Text="The oracle marks the answer." />
</comments>
"""
RAW_TAGS = ("error-correction", "surface-code", "grovers-algorithm", "quantum-gate")


@pytest.fixture
def se_dump(tmp_path: Path) -> Path:
    """Four people, four tagged questions, four answers and a comment; Ada asks or answers most."""
    folder = tmp_path / "planted.stackexchange.com"
    folder.mkdir()
    (folder / "Users.xml").write_text(USERS)
    (folder / "Posts.xml").write_text(POSTS)
    (folder / "Comments.xml").write_text(COMMENTS)
    return folder


# -- matching ---------------------------------------------------------------------------------------------------


def test_a_topic_matches_a_tag_it_equals_or_is_more_specific_than() -> None:
    assert matches("quantum error correction", "error-correction")
    assert matches("Error Correction", "error_correction")
    assert matches("quantum gates", "quantum-gate")  # plurals meet
    assert matches("Grover's algorithm", "grovers-algorithm")
    assert matches("qubits", "qubit")


def test_a_topic_inside_a_longer_tag_or_a_partial_word_does_not_match() -> None:
    assert not matches("quantum", "quantum-gate")
    assert not matches("gate", "quantum-gate")
    assert not matches("correction error", "error-correction")  # the run must be in order
    assert not matches("terror", "error")  # whole words only
    assert not matches("", "error") and not matches("error", "")


def test_words_are_lower_case_singular_and_keep_plus_and_hash() -> None:
    assert topic_words("C++ Templates") == ("c++", "template")
    assert topic_words("Q# simulators, physics") == ("q#", "simulator", "physics")
    assert topic_words("node.js") == ("node", "js")


def test_short_lists_still_count_every_slot() -> None:
    tags = ["error-correction", "quantum-gate"]
    assert matched_share(["surface code error correction", "quantum", "cnot gate"], tags, k=5) == 1 / 5
    assert matched_share(["quantum gates", "error correction", "x", "y", "z", "quantum gate"], tags, k=5) == 2 / 5
    assert matched_share([], tags, k=5) == 0.0


def test_tags_leave_the_text_and_the_record() -> None:
    at = datetime(2024, 1, 1, tzinfo=UTC)
    question = PostRecord(id="q", author="a", created_at=at, text="Body.\nTags: quantum-gate, qubit")
    assert without_tags(question).text == "Body."
    assert without_tags(PostRecord(id="q", author="a", created_at=at, text="Tags: qubit")).text == ""
    kept = PostRecord(id="q", author="a", created_at=at, text="Tags: are a\nsecond line")
    assert without_tags(kept).text == kept.text
    assert getattr(without_tags(question), "tags", ()) == ()


# -- a planted dump -----------------------------------------------------------------------------------------------


def test_truth_is_the_tags_of_questions_asked_or_answered(se_dump: Path) -> None:
    data = load_topic_data(se_dump, people=3)
    # Ada: two questions and an answer; Bo and Cy: one of each (ties by id); Di only answered once.
    assert data.active == ("se:1", "se:2", "se:3")
    assert data.activity == {"se:1": 3, "se:2": 2, "se:3": 2}
    assert data.truth["se:1"] == {"error-correction", "surface-code", "quantum-gate"}
    assert data.truth["se:2"] == {"grovers-algorithm", "quantum-gate", "error-correction", "surface-code"}
    assert data.truth["se:4"] == {"error-correction", "surface-code"}
    assert data.site_tags == {"error-correction": 2, "surface-code": 1, "grovers-algorithm": 1, "quantum-gate": 2}
    assert max(data.stripped, data.emptied) == 4  # every question lost its tags, wherever the reader put them
    assert "The oracle marks the answer." in data.texts["se:4"]  # comments are the commenter's text


def test_no_method_is_given_a_tag(se_dump: Path) -> None:
    data = load_topic_data(se_dump, people=3)
    given: list[CanonicalBatch] = []
    topics, ours = method_topics(
        data, weaktie=_recording(product_topics(Settings(spacy_model="none")), given), options=TopicOptions()
    )
    texts = [*(f"{r.title}\n{r.text}" for r in given[0].posts), *data.texts.values()]
    assert not any("Tags:" in text or any(tag in text for tag in RAW_TAGS) for text in texts)
    assert all(getattr(record, "tags", ()) == () for record in given[0].posts)
    assert set(topics) == {OURS, YAKE, TFIDF, SITE_TAGS}
    assert all(set(found) == set(data.active) for found in topics.values())
    assert all(len(found[p]) <= 5 for found in topics.values() for p in data.active)
    assert ours.spacy_model is None


def test_scores_from_known_topics(se_dump: Path) -> None:
    data = load_topic_data(se_dump, people=3)
    topics = {
        # Ada: 2 of her tags, 1 other site tag, 2 misses; Bo: 1 own tag of 1 topic; Cy: nothing.
        OURS: {
            "se:1": ("surface code decoding", "Toffoli gates", "quantum gate", "grover's algorithm", "quantum"),
            "se:2": ("diffusion quantum gate",),
            "se:3": (),
        },
        YAKE: {"se:1": ("surface code",) * 5, "se:2": ("grovers algorithm",), "se:3": ("quantum",)},
        TFIDF: {p: () for p in data.active},
    }
    report = topic_report(data, topics, options=TopicOptions(resamples=50), product=ProductTopics(topics[OURS], None))
    table = report.table("topics")
    ours, yake = table.results[OURS].metrics, table.results[YAKE].metrics
    assert ours["p@5"].value == pytest.approx((2 / 5 + 1 / 5 + 0) / 3)
    assert ours[SITE_SHARE].value == pytest.approx((3 / 5 + 1 / 5 + 0) / 3)
    assert yake["p@5"].value == pytest.approx((5 / 5 + 1 / 5 + 0) / 3)
    assert table.comparison is not None and table.comparison.baseline == YAKE
    assert table.comparison.ratio == pytest.approx(ours["p@5"].value / yake["p@5"].value)
    assert table.results[OURS].details == {"mean_topics": 2.0, "people_without_topics": 1, "distinct_topics": 6}
    assert table.test_size == {"people": 3, "their_tags": 3 + 4 + 3, "site_tags": 4}


def test_the_site_top_tags_reference_is_computed_by_hand(se_dump: Path) -> None:
    data = load_topic_data(se_dump, people=3)
    topics, _ = method_topics(data, weaktie=_fixed({p: () for p in data.active}))
    # The four tags by use: error-correction, quantum-gate (2 each), grovers-algorithm, surface-code (1 each).
    assert topics[SITE_TAGS]["se:1"] == ("error-correction", "quantum-gate", "grovers-algorithm", "surface-code")
    metrics = topic_report(data, topics, product=ProductTopics({}, None)).table("topics").results[SITE_TAGS].metrics
    assert metrics["p@5"].value == pytest.approx((3 / 5 + 4 / 5 + 3 / 5) / 3)
    assert metrics[SITE_SHARE].value == pytest.approx(4 / 5)


def test_the_cli_runs_the_topics_task_through_the_product(se_dump: Path, tmp_path: Path) -> None:
    chart = tmp_path / "topics.png"
    args = ["eval", str(se_dump), "--task", "topics", "--people", "3", "--spacy-model", "none"]
    result = CliRunner().invoke(app, [*args, "--resamples", "50", "--chart", str(chart), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["task"] == "topics" and data["split"] is None
    assert data["settings"]["people"] == 3 and data["settings"]["k"] == 5
    assert data["settings"]["spacy_model"] is None
    results = data["tables"]["topics"]["results"]
    assert set(results) == {OURS, YAKE, TFIDF, SITE_TAGS}
    assert all(0.0 <= results[m][c]["value"] <= 1.0 for m in results for c in ("p@5", SITE_SHARE))
    assert data["tables"]["topics"]["comparison"]["best_baseline"] == YAKE
    assert chart.read_bytes()[:4] == b"\x89PNG"


def test_the_topics_task_needs_a_stack_exchange_dump(qa_export: Path) -> None:
    with pytest.raises(EvaluationError, match="needs a Stack Exchange dump"):
        load_topic_data(qa_export)


# -- the real dump ------------------------------------------------------------------------------------------------


@pytest.mark.slow
@needs(SE)
def test_quantumcomputing_end_to_end_with_the_default_model() -> None:
    data = load_topic_data(SE)
    given: list[CanonicalBatch] = []
    topics, ours = method_topics(data, weaktie=_recording(product_topics(Settings()), given))
    assert len(data.active) == 60
    assert {OURS, YAKE, TFIDF} <= set(topics)
    assert all(set(found) == set(data.active) for found in topics.values())
    assert sum(1 for p in data.active if topics[OURS][p]) >= 50  # weaktie describes almost everyone
    assert not any("Tags:" in f"{r.title}\n{r.text}" for r in given[0].posts)
    assert not any("Tags:" in text for text in data.texts.values())
    questions = sum(1 for r in given[0].posts if r.reply_to is None and r.id.startswith("se:post:"))
    assert max(data.stripped, data.emptied) == questions
    report = topic_report(data, topics, options=TopicOptions(resamples=100), product=ours)
    assert all(
        0.0 <= estimate.value <= 1.0
        for result in report.table("topics").results.values()
        for estimate in result.metrics.values()
    )


def _recording(inner: TopicsOf, given: list[CanonicalBatch]) -> TopicsOf:
    def topics_of(
        batch: CanonicalBatch, people: Sequence[str], *, k: int, progress: Callable[[str], None]
    ) -> ProductTopics:
        given.append(batch)
        return inner(batch, people, k=k, progress=progress)

    return topics_of


def _fixed(topics: dict[str, tuple[str, ...]]) -> TopicsOf:
    def topics_of(
        batch: CanonicalBatch, people: Sequence[str], *, k: int, progress: Callable[[str], None]
    ) -> ProductTopics:
        return ProductTopics(topics, None)

    return topics_of
