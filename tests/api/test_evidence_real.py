"""Evidence on the real Stack Exchange dump: what is quoted is the answer that did the work, titled after its
question, never "Thanks!", "Welcome to…" or "Possible duplicate of…".

The data live outside the repository, in ``../shared/data`` (or ``WEAKTIE_SHARED_DATA``); the test skips without it.
Nothing here names a person: the assertions are about the shape of what is shown.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from api.engine import Engine, open_store
from api.ingest import ingest_source
from api.settings import Settings
from recommender.explain import CORE_KINDS, Evidence
from recommender.substance import is_chatter
from tests.shared_data import DATA, needs

STACKEXCHANGE = DATA / "stackexchange-quantumcomputing-2018"
pytestmark = [
    pytest.mark.slow,
    needs(STACKEXCHANGE),
]

QUESTIONS = (
    "How is the oracle in Grover's search algorithm implemented?",
    "What is the difference between a qubit and a classical bit?",
    "How to compile a circuit to the IBM Q hardware gate set with Qiskit",
    "What is the difference between superpositions and mixed states?",
    "Are there emulators for quantum computers?",
    "Why does the surface code have such a high threshold?",
)
"""Texts whose matching threads hold duplicate notices and thank-you comments next to the answers."""
CHATTER = re.compile(
    r"^\W*(?:@\S+\s+)*(?:(?:thanks|thank you|welcome to)\b.{0,80}$|\+1\b.{0,80}$)|possible duplicate of",
    re.IGNORECASE | re.DOTALL,
)
"""What the issue saw quoted, written independently of recommender.substance: a short thanks, welcome or "+1", or
a duplicate notice."""


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("stackexchange") / "data", spacy_model="none")
    store = open_store(settings)
    try:
        ingest_source(STACKEXCHANGE, store, settings=settings)
        engine = Engine(store, settings=settings)
        yield engine
    finally:
        store.close()


def _shown(evidence: list[Evidence], posts: dict) -> None:
    for item in evidence:
        assert not CHATTER.search(item.snippet), item.snippet
        assert not is_chatter(posts[item.post_id]), item.snippet


def test_already_done_quotes_answers_titled_after_their_question_never_chatter(engine: Engine) -> None:
    posts = {post.id: post for post in engine.projection().posts}
    quoted: list[Evidence] = []
    for text in QUESTIONS:
        matches = engine.already_done(text, k=10)
        assert matches, text
        quoted += [item for match in matches for item in match.evidence]
    _shown(quoted, posts)
    replies = [item for item in quoted if posts[item.post_id].reply_to is not None]
    assert len(replies) > len(quoted) // 2, "answers and comments are most of what matches"
    titled = [item for item in replies if item.title and item.title.startswith("Re: ")]
    assert len(titled) >= 0.9 * len(replies), "an answer is titled after the question it answers"
    assert all(item.url and "/q/" not in item.url for item in titled), "the link stays the answer's own"


def test_suggestions_lead_with_a_core_reason_and_never_quote_chatter(engine: Engine) -> None:
    projection = engine.projection()
    posts = {post.id: post for post in projection.posts}
    active = sorted({post.author for post in projection.posts})[:60]
    cards = 0
    for person in active:
        for suggestion in engine.suggestions(person, k=3):
            cards += 1
            assert suggestion.reasons[0].kind in CORE_KINDS
            _shown([item for reason in suggestion.reasons for item in reason.evidence], posts)
    assert cards > 30
