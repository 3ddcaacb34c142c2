"""What a person reads about topics, on the demo organisation and on every real data set in ``shared/data``: the
topics ``weaktie topics list`` shows for the most active people and the topics named in their suggestions' reasons.

No stop word, contraction fragment ("nt", "na", "wo"), number, one-letter word, emoji code or importer artefact
("Tags") is ever shown. Imported through the product's own path, with the default settings (English model).
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import spacy

from api.engine import Engine
from api.ingest import ingest_source
from api.settings import Settings
from extractors.sources.registry import SourceOptions
from extractors.synthetic import generate_organisation, write_canonical
from graph.embedded import EmbeddedStore
from tests.api.test_ingest_sources import ENRON_MAPPING
from tests.shared_data import DATA, needs

STOP = spacy.blank("en").Defaults.stop_words
FRAGMENTS = frozenset({"nt", "na", "wo", "ca", "gon", "ve", "ll", "re"})
EMOJI = re.compile(r":[a-z0-9_+-]+:")
EMOJI_NAMES = frozenset(
    [
        "simple_smile",
        "slightly_smiling_face",
        "smile",
        "smiley",
        "grinning",
        "joy",
        "laughing",
        "blush",
        "wink",
        "heart",
        "thumbsup",
        "+1",
        "ok_hand",
        "tada",
        "clap",
        "raised_hands",
        "fire",
        "100",
        "pray",
        "eyes",
        "thinking_face",
        "sweat_smile",
    ]
)
"""Common Slack and Zulip emoji names: what an emoji code leaves behind when only its colons go."""
ARTEFACTS = frozenset({"tags", "tag"})
PEOPLE_CHECKED = 25

SOURCES = {
    "slack": DATA / "slack-houstondatavis-2016",
    "zulip": DATA / "zulip-ncar" / "zulip_json",
    "stackexchange": DATA / "stackexchange-quantumcomputing-2018",
    "email": DATA / "enron-berkeley-categories",
    "directory": DATA / "enron-perry-wolfe" / "employees.tsv",
}
PRIVATE = frozenset({"email", "directory"})
"""Messages addressed to their recipients: restricted posts never make anyone's topics (privacy)."""


def why_not_shown(label: str) -> str | None:
    """Why a topic label would make a colleague laugh, or None when it reads as a topic."""
    words = label.lower().split()
    if not words:
        return "empty"
    if len(label.replace(" ", "")) < 2:
        return "a single letter"
    # A phrase may hold a stop word inside ("Nielsen and Chuang"), never at an end ("to", "will not").
    for word in {words[0], words[-1]}:
        if word in STOP:
            return f"stop word {word!r}"
    for word in words:
        if word in FRAGMENTS:
            return f"contraction fragment {word!r}"
        if word.replace(".", "").replace(",", "").isdigit():
            return f"number {word!r}"
    if EMOJI.search(label.lower()) or label.lower() in EMOJI_NAMES:
        return "emoji code"
    if set(words) & ARTEFACTS:
        return "an importer's own markup"
    return None


def shown_labels(engine: Engine) -> Counter[str]:
    """Topic labels shown to the most active people: their topic lists and their suggestions' reasons."""
    authored = Counter(post.author for post in engine.projection().posts)
    shown: Counter[str] = Counter()
    for person, _ in authored.most_common(PEOPLE_CHECKED):
        shown.update(item.label for item in engine.person_topics(person)[:10])
        for suggestion in engine.suggestions(person):
            for reason in suggestion.reasons:
                shown.update(reason.topics)
    return shown


def _assert_readable(shown: Counter[str], where: str, *, expect_some: bool = True) -> None:
    assert shown or not expect_some, f"{where}: no topics shown at all"
    bad = {label: why for label in shown if (why := why_not_shown(label)) is not None}
    assert not bad, f"{where}: labels no one would call topics: {bad}"


def test_the_checker_catches_what_people_laughed_at() -> None:
    for label in ("na", "nt", "wo", "to", "will", "simple_smile", "Tags", "x", "2018", "btw and not"):
        assert why_not_shown(label) is not None, label
    for label in ("Monte Carlo", "short-lived credentials", "quantum error correction", "Nielsen and Chuang", "D3.js"):
        assert why_not_shown(label) is None, label


@pytest.mark.slow
def test_the_demo_shows_topics_a_person_would_call_topics(tmp_path: Path) -> None:
    export = tmp_path / "export"
    write_canonical(generate_organisation(), export)
    settings = Settings(data_dir=tmp_path / "data")
    with EmbeddedStore(settings.graph_dir) as store:
        engine = Engine(store, settings=settings)
        engine.ingest(export)
        _assert_readable(shown_labels(engine), "demo")


@pytest.mark.slow
@pytest.mark.parametrize("name", [pytest.param(name, marks=needs(path)) for name, path in sorted(SOURCES.items())])
def test_each_real_data_set_shows_topics_a_person_would_call_topics(name: str, tmp_path: Path) -> None:
    path = SOURCES[name]
    settings = Settings(data_dir=tmp_path / "data")
    options = None
    if name == "directory":
        mapping = tmp_path / "enron.toml"
        mapping.write_text(ENRON_MAPPING)
        tables = path.parent
        options = SourceOptions(
            mapping=mapping, messages=tables / "messages.tsv", recipients=tables / "recipients.tsv", id_prefix="enron"
        )
    with EmbeddedStore(settings.graph_dir) as store:
        ingest_source(path, store, settings=settings, format="directory" if options else None, options=options)
        engine = Engine(store, settings=settings)
        _assert_readable(shown_labels(engine), name, expect_some=name not in PRIVATE)
