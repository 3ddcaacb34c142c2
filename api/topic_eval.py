"""weaktie's own topics for ``weaktie eval --task topics``: a batch imported the way ``weaktie ingest`` imports it,
then what ``weaktie topics list`` shows. Lives in ``api/`` because it drives the engine, which ``recommender/``
may not import; the evaluation harness receives it as a callable."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from api.cli_support import engine_for
from api.ingest import ingest_batch
from api.settings import Settings
from extractors.canonical import CanonicalBatch
from extractors.identity import resolve
from recommender.evaluation.topic_eval import ProductTopics, TopicsOf


def product_topics(settings: Settings) -> TopicsOf:
    """weaktie's topics as a user sees them, for ``eval --task topics``: the batch imported as ``weaktie ingest``
    imports a source (identity resolution, then :func:`api.ingest.ingest_batch`) into a fresh embedded store in a
    temporary data directory, then the first ``k`` rows of ``weaktie topics list`` for each person."""

    def topics_of(
        batch: CanonicalBatch, people: Sequence[str], *, k: int, progress: Callable[[str], None]
    ) -> ProductTopics:
        with tempfile.TemporaryDirectory(prefix="weaktie-eval-topics-") as tmp:
            local = settings.model_copy(update={"data_dir": Path(tmp) / "data", "store": "embedded"})
            with engine_for(local) as engine:
                resolved, resolution = resolve(batch, known_people={})

                def extracted(done: int, total: int) -> None:
                    progress(f"weaktie: extracted {done:,} of {total:,} posts")

                ingest_batch(resolved, engine.store, settings=local, progress=extracted)
                engine.refresh()
                progress(f"weaktie: topics of {len(people)} people")
                topics = {
                    person: tuple(row.label for row in engine.person_topics(resolution.mapping.get(person, person))[:k])
                    for person in people
                }
                model = engine.analyzer().model_name
        return ProductTopics(
            topics=topics,
            spacy_model=model,
            settings={"spacy_model_setting": settings.spacy_model, "half_life_days": settings.half_life_days},
        )

    return topics_of
