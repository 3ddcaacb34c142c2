"""Core-loop benchmark: ingest throughput against spaCy's tokenizer, suggestion and "already done" latency, memory.

Run with ``make bench`` or ``python -m bench.core_loop --people 10000 --posts 200000``. Every throughput is
printed next to a baseline measured in the same run (the machines are shared and noisy); nothing here is
a pass/fail gate.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import spacy

from api.ingest import ingest_directory
from api.settings import Settings
from extractors.synthetic import generate_organisation, write_canonical
from extractors.topics import TopicAnalyzer
from graph.embedded import EmbeddedStore
from recommender.already_done import AlreadyDone
from recommender.people import PeopleToMeet


def tokenizer_only(texts: list[str]) -> float:
    """Seconds spaCy's blank English tokenizer needs for ``texts``: the baseline for ingest."""
    nlp = spacy.blank("en")
    started = time.perf_counter()
    for _ in nlp.tokenizer.pipe(texts, batch_size=1000):
        pass
    return time.perf_counter() - started


def percentiles_ms(samples: list[float]) -> tuple[float, float]:
    values = np.asarray(samples) * 1000.0
    return float(np.percentile(values, 50)), float(np.percentile(values, 99))


def peak_rss_mb() -> float:
    # Linux reports ru_maxrss in kilobytes.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run(*, people: int, posts: int, seed: int, queries: int) -> dict:
    results: dict = {"people": people, "posts": posts, "seed": seed}
    started = time.perf_counter()
    org = generate_organisation(people=people, posts=posts, seed=seed)
    results["generate_s"] = time.perf_counter() - started

    texts = [" ".join(filter(None, (p.get("title"), p.get("text")))) for p in org.posts]
    tokenizer_s = tokenizer_only(texts)
    results["tokenizer_posts_per_s"] = len(texts) / tokenizer_s

    with tempfile.TemporaryDirectory(prefix="weaktie-bench-") as tmp:
        source, data = Path(tmp) / "source", Path(tmp) / "data"
        write_canonical(org, source)
        settings = Settings(data_dir=data, spacy_model="none")
        store = EmbeddedStore(data / "graph")
        started = time.perf_counter()
        report = ingest_directory(source, store, settings=settings)
        ingest_s = time.perf_counter() - started
        results["ingest_posts_per_s"] = len(org.posts) / ingest_s
        results["ingest_ratio_to_tokenizer"] = results["ingest_posts_per_s"] / results["tokenizer_posts_per_s"]
        results["ingest_rejected"] = report.rejected

        started = time.perf_counter()
        projection = store.projection()
        results["projection_s"] = time.perf_counter() - started

        started = time.perf_counter()
        people_model = PeopleToMeet(k=settings.suggestions_k).fit(projection)
        results["fit_people_s"] = time.perf_counter() - started
        analyzer = TopicAnalyzer(model="none", vocabulary=store.topics())
        started = time.perf_counter()
        done_model = AlreadyDone(analyzer=analyzer.terms).fit(projection)
        results["fit_already_done_s"] = time.perf_counter() - started

        rng = random.Random(seed)
        ids = [p.id for p in projection.people]
        samples = []
        for person_id in rng.sample(ids, min(queries, len(ids))):
            t0 = time.perf_counter()
            people_model.recommend(person_id)
            samples.append(time.perf_counter() - t0)
        results["suggest_p50_ms"], results["suggest_p99_ms"] = percentiles_ms(samples)

        asks = [p for p in org.posts if p.get("text")]
        samples = []
        for post in rng.sample(asks, min(queries, len(asks))):
            t0 = time.perf_counter()
            done_model.query(post["text"], asker=post["author"])
            samples.append(time.perf_counter() - t0)
        results["already_done_p50_ms"], results["already_done_p99_ms"] = percentiles_ms(samples)
        store.close()

    results["peak_rss_mb"] = peak_rss_mb()
    return results


def render(results: dict) -> str:
    lines = [
        f"organisation: {results['people']:,} people, {results['posts']:,} posts (seed {results['seed']})",
        f"ingest:               {results['ingest_posts_per_s']:>10,.0f} posts/s",
        f"spaCy tokenizer only: {results['tokenizer_posts_per_s']:>10,.0f} posts/s",
        f"ingest / tokenizer:   {results['ingest_ratio_to_tokenizer']:>10.3f}   (target >= 0.25)",
        f"fit: people {results['fit_people_s']:.1f} s, already-done {results['fit_already_done_s']:.1f} s, "
        f"projection {results['projection_s']:.1f} s",
        f"suggestions latency:  p50 {results['suggest_p50_ms']:.2f} ms, p99 {results['suggest_p99_ms']:.2f} ms"
        "   (target p99 <= 20 ms)",
        f"already-done latency: p50 {results['already_done_p50_ms']:.2f} ms, "
        f"p99 {results['already_done_p99_ms']:.2f} ms   (target p99 <= 50 ms)",
        f"peak memory (RSS):    {results['peak_rss_mb']:,.0f} MB",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--posts", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--queries", type=int, default=500, help="latency samples per measurement")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args(argv)
    results = run(people=args.people, posts=args.posts, seed=args.seed, queries=args.queries)
    print(render(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
