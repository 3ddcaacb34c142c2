"""Digest benchmark: how long ``weaktie digest --out`` takes for a whole organisation, fit included and excluded.

Run with ``python -m bench.digest --people 10000 --posts 200000``. The baseline, measured in the same run, is the
time to build and write the same number of messages from one fixed content: what the run would cost if planning
(suggestions, "already done" queries, policies) were free. Nothing here is a pass/fail gate.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from api.digest import DigestContent, compose, period_of, run_digest
from api.engine import Engine
from api.ingest import ingest_directory
from api.mail import Composer, DirectoryOutbox
from api.settings import Settings
from extractors.synthetic import generate_organisation, write_canonical
from graph.delta import Post
from graph.embedded import EmbeddedStore

END = datetime(2026, 11, 1, tzinfo=UTC)
"""The generated organisation's last day; the digest is for the week after it."""
TARGET_S = 60.0
KEY = b"bench-signing-key-" * 3


def run(*, people: int, posts: int, seed: int) -> dict:
    results: dict = {"people": people, "posts": posts, "seed": seed, "period": period_of(END + timedelta(days=1))}
    period = results["period"]
    org = generate_organisation(people=people, posts=posts, seed=seed, end=END)
    with tempfile.TemporaryDirectory(prefix="weaktie-bench-digest-") as tmp:
        source, data = Path(tmp) / "source", Path(tmp) / "data"
        write_canonical(org, source)
        settings = Settings(data_dir=data, spacy_model="none")
        store = EmbeddedStore(settings.graph_dir)
        started = time.perf_counter()
        ingest_directory(source, store, settings=settings)
        results["import_s"] = time.perf_counter() - started
        engine = Engine(store, settings=settings)
        try:
            started = time.perf_counter()
            engine.people_model()
            engine.already_done_model()
            results["fit_s"] = time.perf_counter() - started

            now = datetime.now(UTC)
            build = Composer(settings, key=KEY, team_names=engine.team_names(), now=now)
            started = time.perf_counter()
            report = run_digest(engine, period=period, outbox=DirectoryOutbox(Path(tmp) / "out"), build=build, now=now)
            results["digest_s"] = time.perf_counter() - started
            written = len(report.delivered)
            results["written"] = written
            results["skipped"] = {reason: len(ids) for reason, ids in report.skipped.items()}

            # Baseline: the same number of messages from one fixed content, built and written the same way.
            sample = _richest(engine, period, report.delivered[: min(200, written)])
            outbox = DirectoryOutbox(Path(tmp) / "baseline")
            started = time.perf_counter()
            for i in range(written):
                outbox.send(build(sample), person=f"b{i}", period=period)
            results["baseline_s"] = time.perf_counter() - started
        finally:
            engine.close()
    results["total_s"] = results["fit_s"] + results["digest_s"]
    results["digest_ratio_to_baseline"] = results["digest_s"] / results["baseline_s"]
    results["digest_ratio_to_fit"] = results["digest_s"] / results["fit_s"]
    results["per_message_ms"] = 1000.0 * results["digest_s"] / max(results["written"], 1)
    return results


def _richest(engine: Engine, period: str, candidates: list[str]) -> DigestContent:
    """The fullest content among some recipients (most people shown), so the baseline is not flattered."""
    people = {person.id: person for person in engine.projection().people}
    wanted = set(candidates)
    own: dict[str, list[Post]] = {}
    for post in engine.projection().posts:
        if post.author in wanted:
            own.setdefault(post.author, []).append(post)
    contents = [
        compose(engine, people[person_id], period=period, own_posts=own.get(person_id, []), allowed=lambda _: True)
        for person_id in candidates
    ]
    if not contents:
        raise SystemExit("nobody got a digest: the organisation is too small")
    return max(contents, key=lambda c: len(c.suggestions) + sum(len(w.matches) for w in c.working_on))


def render(results: dict) -> str:
    skipped = ", ".join(f"{reason} {n:,}" for reason, n in sorted(results["skipped"].items())) or "none"
    lines = [
        f"organisation: {results['people']:,} people, {results['posts']:,} posts (seed {results['seed']}), "
        f"digest {results['period']}",
        f"import (not timed below): {results['import_s']:.1f} s",
        f"messages written:  {results['written']:>8,}   (skipped: {skipped})",
        f"digest, no fit:    {results['digest_s']:>8.1f} s   ({results['per_message_ms']:.2f} ms per message)",
        f"fit:               {results['fit_s']:>8.1f} s",
        f"digest with fit:   {results['total_s']:>8.1f} s   (target <= {TARGET_S:.0f} s)",
        f"baseline:          {results['baseline_s']:>8.1f} s   (the same number of messages from one fixed content)",
        f"digest / baseline: {results['digest_ratio_to_baseline']:>8.2f}",
        f"digest / fit:      {results['digest_ratio_to_fit']:>8.2f}",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--posts", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args(argv)
    results = run(people=args.people, posts=args.posts, seed=args.seed)
    print(render(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
