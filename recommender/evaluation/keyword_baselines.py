"""Keyword baselines for a person's topics, measured in the same run as weaktie: YAKE and TF-IDF over each person's
own texts, and the site's most frequent tags as a reference that knows the answer's vocabulary.

Each function takes person → text and the people to describe, and returns person → their top ``k`` keywords, best
first. YAKE is an evaluation-only dependency (the ``dev`` extra), imported when it is used.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

from recommender.evaluation.errors import EvaluationError

YAKE_SETTINGS: Mapping[str, object] = {"lan": "en", "n": 3}
TFIDF_SETTINGS: Mapping[str, object] = {
    "ngram_range": (1, 3),
    "stop_words": "english",
    "sublinear_tf": True,
    "min_df": 2,
}
Progress = Callable[[str], None]


def yake_keywords(
    texts: Mapping[str, str], people: Sequence[str], *, k: int = 5, progress: Progress | None = None
) -> dict[str, tuple[str, ...]]:
    """YAKE's ``k`` best keywords (up to 3 words) of each person's concatenated texts; a lower YAKE score is better."""
    try:
        import yake
    except ImportError:
        raise EvaluationError(
            "the YAKE baseline needs the yake package: pip install -e '.[dev]' (or pip install yake)"
        ) from None
    say = progress or (lambda _message: None)
    extractor = yake.KeywordExtractor(**YAKE_SETTINGS, top=k)
    found: dict[str, tuple[str, ...]] = {}
    for done, person in enumerate(people, start=1):
        text = texts.get(person, "")
        scored = extractor.extract_keywords(text) if text.strip() else []
        # YAKE already sorts by score; the keyword breaks ties so reruns agree.
        found[person] = tuple(keyword for keyword, _ in sorted(scored, key=lambda item: (float(item[1]), item[0])))[:k]
        if done % 10 == 0 or done == len(people):
            say(f"yake: {done} of {len(people)} people")
    return found


def tfidf_keywords(texts: Mapping[str, str], people: Sequence[str], *, k: int = 5) -> dict[str, tuple[str, ...]]:
    """The ``k`` n-grams (1–3 words) of highest TF-IDF weight in each person's document.

    One document per person of ``texts`` (everyone, not only ``people``), so the IDF is the whole site's; English
    stop words are dropped, term frequency is sublinear and an n-gram must occur in at least two people's texts.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    owners = sorted(person for person, text in texts.items() if text.strip())
    if len(owners) < 2:
        raise EvaluationError(f"TF-IDF needs the texts of at least two people, got {len(owners)}")
    vectorizer = TfidfVectorizer(**TFIDF_SETTINGS)  # type: ignore[arg-type]
    matrix = vectorizer.fit_transform([texts[person] for person in owners]).tocsr()
    terms = vectorizer.get_feature_names_out()
    row_of = {person: i for i, person in enumerate(owners)}
    found: dict[str, tuple[str, ...]] = {}
    for person in people:
        row = row_of.get(person)
        if row is None:
            found[person] = ()
            continue
        start, end = matrix.indptr[row], matrix.indptr[row + 1]
        columns, weights = matrix.indices[start:end], matrix.data[start:end]
        # Highest weight first; equal weights in the terms' alphabetical order (columns are sorted by term).
        order = np.lexsort((columns, -weights))[:k]
        found[person] = tuple(str(terms[columns[i]]) for i in order)
    return found


def baseline_versions() -> dict[str, str | None]:
    """The installed versions of the baselines' packages: their keywords change between releases."""
    from importlib.metadata import PackageNotFoundError, version

    found: dict[str, str | None] = {}
    for package in ("yake", "scikit-learn"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = None
    return found


def site_top_tags(tag_counts: Mapping[str, int], people: Sequence[str], *, k: int = 5) -> dict[str, tuple[str, ...]]:
    """The same ``k`` most used tags of the site for everyone (ties by tag): no personalisation at all."""
    top = tuple(tag for tag, _ in sorted(tag_counts.items(), key=lambda item: (-item[1], item[0]))[:k])
    return dict.fromkeys(people, top)
