"""Neo4j write benchmark: ``Neo4jStore.upsert`` against a bare ``UNWIND … CREATE`` of the same rows, and api.ingest.

Run ``python -m bench.neo4j_ingest --people 10000 --posts 200000`` (smaller with the flags). It starts, or reuses,
its own server with ``scripts/neo4j-local`` on the bench ports (bolt 27687, http 27474, home
``~/.cache/weaktie/neo4j-bench``), wipes it between measurements, and leaves it running unless ``--stop``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import fields
from pathlib import Path
from typing import Any, Final, LiteralString

import neo4j

from api.ingest import ingest_directory, known_state
from api.settings import Settings
from extractors.canonical import read_canonical
from extractors.extract import ExtractOptions, extract
from extractors.synthetic import generate_organisation, write_canonical
from graph.delta import GraphDelta
from graph.embedded import EmbeddedStore
from graph.neo4j_store import Neo4jStore

ROOT = Path(__file__).resolve().parent.parent
BOLT_PORT = 27687
HTTP_PORT = 27474
PASSWORD = "weaktie-bench-password"
HOME = Path.home() / ".cache" / "weaktie" / "neo4j-bench"
BATCH = 5000
WARM_SHARE = 0.02
"""Share of the rows written (and wiped) by both sides before measuring, so both run on a warm JVM."""

Rows = list[dict[str, Any]]

# The baseline: the least Cypher that writes the same graph. Plain CREATE, no MERGE, no replacement of stale
# relationships; relationships MATCH their ends by id (through the same uniqueness constraints the store uses).
BARE_NODES: Final[dict[str, LiteralString]] = {
    "Team": "UNWIND $rows AS row CREATE (n:Team) SET n = row.properties",
    "Person": "UNWIND $rows AS row CREATE (n:Person) SET n = row.properties",
    "Topic": "UNWIND $rows AS row CREATE (n:Topic) SET n = row.properties",
    "Post": "UNWIND $rows AS row CREATE (n:Post) SET n = row.properties",
}
BARE_RELATIONSHIPS: Final[dict[str, LiteralString]] = {
    "MEMBER_OF": "UNWIND $rows AS row MATCH (a:Person {id: row.a}) MATCH (b:Team {id: row.b}) "
    "CREATE (a)-[r:MEMBER_OF]->(b) SET r = row.properties",
    "AUTHORED": "UNWIND $rows AS row MATCH (a:Person {id: row.a}) MATCH (b:Post {id: row.b}) "
    "CREATE (a)-[r:AUTHORED]->(b) SET r = row.properties",
    "ABOUT": "UNWIND $rows AS row MATCH (a:Post {id: row.a}) MATCH (b:Topic {id: row.b}) "
    "CREATE (a)-[r:ABOUT]->(b) SET r = row.properties",
    "MENTIONS": "UNWIND $rows AS row MATCH (a:Post {id: row.a}) MATCH (b:Person {id: row.b}) "
    "CREATE (a)-[r:MENTIONS]->(b) SET r = row.properties",
    "REPLY_TO": "UNWIND $rows AS row MATCH (a:Post {id: row.a}) MATCH (b:Post {id: row.b}) "
    "CREATE (a)-[r:REPLY_TO]->(b) SET r = row.properties",
    "INTERACTS_WITH": "UNWIND $rows AS row MATCH (a:Person {id: row.a}) MATCH (b:Person {id: row.b}) "
    "CREATE (a)-[r:INTERACTS_WITH]->(b) SET r = row.properties",
    "KNOWS_ABOUT": "UNWIND $rows AS row MATCH (a:Person {id: row.a}) MATCH (b:Topic {id: row.b}) "
    "CREATE (a)-[r:KNOWS_ABOUT]->(b) SET r = row.properties",
    "ASKS_ABOUT": "UNWIND $rows AS row MATCH (a:Person {id: row.a}) MATCH (b:Topic {id: row.b}) "
    "CREATE (a)-[r:ASKS_ABOUT]->(b) SET r = row.properties",
}


# -- the server ----------------------------------------------------------------------------------------------------


def script_env(heap: str, pagecache: str) -> dict[str, str]:
    return {
        **os.environ,
        "WEAKTIE_NEO4J_HOME": str(HOME),
        "NEO4J_BOLT_PORT": str(BOLT_PORT),
        "NEO4J_HTTP_PORT": str(HTTP_PORT),
        "NEO4J_PASSWORD": PASSWORD,
        "NEO4J_HEAP": heap,
        "NEO4J_PAGECACHE": pagecache,
    }


def server(command: str, *, heap: str, pagecache: str) -> str:
    result = subprocess.run(
        [str(ROOT / "scripts" / "neo4j-local"), command],
        env=script_env(heap, pagecache),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        sys.exit(f"scripts/neo4j-local {command} failed:\n{result.stdout}{result.stderr}")
    return result.stdout.strip()


# Relationships first, then the bare nodes, in small transactions: at full size one topic has tens of thousands of
# relationships, and a DETACH DELETE of a batch of such nodes outgrows the server's transaction memory.
WIPE: Final[tuple[LiteralString, ...]] = (
    "MATCH ()-[r]->() CALL (r) { DELETE r } IN TRANSACTIONS OF 20000 ROWS",
    "MATCH (n) CALL (n) { DELETE n } IN TRANSACTIONS OF 20000 ROWS",
)


def wipe(driver: neo4j.Driver) -> None:
    with driver.session(database="neo4j") as session:
        for statement in WIPE:  # CALL … IN TRANSACTIONS only runs in an auto-commit transaction
            session.run(statement).consume()


def note(message: str) -> None:
    """Progress on stderr, so a long run that fails late still shows what it measured."""
    print(message, file=sys.stderr, flush=True)


def relationship_count(store: Neo4jStore) -> int:
    return sum(store.counts().relationships.values())


# -- the bare rows: the same graph the store writes ----------------------------------------------------------------


def properties(record: Any, *, skip: Iterable[str] = ()) -> dict[str, Any]:
    skipped = set(skip)
    return {
        f.name: list(value) if isinstance(value, tuple) else value
        for f in fields(record)
        if f.name not in skipped and (value := getattr(record, f.name)) is not None
    }


def bare_rows(delta: GraphDelta) -> tuple[dict[str, Rows], dict[str, Rows]]:
    """Node rows per label and relationship rows per type, deduplicated as the store's MERGEs would."""
    teams = {team.id: properties(team) for team in delta.teams}
    for person in delta.people:  # a team named only by its members becomes a placeholder, as in the store
        if person.team is not None:
            teams.setdefault(person.team, {"id": person.team, "name": person.team})
    nodes = {
        "Team": [{"properties": p} for p in teams.values()],
        "Person": [{"properties": properties(p)} for p in delta.people],
        "Topic": [{"properties": properties(t)} for t in delta.topics],
        "Post": [{"properties": properties(p)} for p in delta.posts],
    }
    links: dict[str, dict[tuple[str, str], dict[str, Any]]] = {kind: {} for kind in BARE_RELATIONSHIPS}
    for person in delta.people:
        if person.team is not None:
            links["MEMBER_OF"][(person.id, person.team)] = {}
    for post in delta.posts:
        for author in post.authors:
            links["AUTHORED"].setdefault(
                (author, post.id), {"role": "author" if author == post.author else "co_author"}
            )
        for topic in post.topics:
            links["ABOUT"][(post.id, topic)] = {}
        for mentioned in post.mentions:
            links["MENTIONS"][(post.id, mentioned)] = {}
        if post.reply_to is not None:
            links["REPLY_TO"][(post.id, post.reply_to)] = {}
    for tie in delta.ties:
        links["INTERACTS_WITH"][(tie.source, tie.target)] = properties(tie, skip=("source", "target"))
    for item in delta.expertise:
        kind = "KNOWS_ABOUT" if item.kind == "knows" else "ASKS_ABOUT"
        links[kind][(item.person, item.topic)] = properties(item, skip=("person", "topic", "kind"))
    relationships = {
        kind: [{"a": a, "b": b, "properties": props} for (a, b), props in pairs.items()]
        for kind, pairs in links.items()
    }
    return nodes, relationships


def write_bare(driver: neo4j.Driver, nodes: dict[str, Rows], relationships: dict[str, Rows], share: float) -> None:
    """One managed transaction per batch of ``BATCH`` rows, nodes first, as the store does."""
    with driver.session(database="neo4j") as session:
        for statements, rows_by_kind in ((BARE_NODES, nodes), (BARE_RELATIONSHIPS, relationships)):
            for kind, statement in statements.items():
                rows = rows_by_kind[kind][: max(1, int(len(rows_by_kind[kind]) * share))]
                for start in range(0, len(rows), BATCH):
                    session.execute_write(_run, statement, rows[start : start + BATCH])


def _run(tx: neo4j.ManagedTransaction, statement: LiteralString, rows: Rows) -> None:
    tx.run(statement, rows=rows).consume()


def sample(delta: GraphDelta, share: float) -> GraphDelta:
    """The first ``share`` of each part of a delta (the warm-up write)."""

    def head(records: tuple[Any, ...]) -> tuple[Any, ...]:
        return records[: max(1, int(len(records) * share))]

    return GraphDelta(
        people=delta.people,
        teams=delta.teams,
        topics=delta.topics,
        posts=head(delta.posts),
        ties=head(delta.ties),
        expertise=head(delta.expertise),
    )


# -- the run -------------------------------------------------------------------------------------------------------


def run(*, people: int, posts: int, seed: int, repeat: int, heap: str, pagecache: str) -> dict[str, Any]:
    results: dict[str, Any] = {
        "people": people,
        "posts": posts,
        "seed": seed,
        "repeat": repeat,
        "batch": BATCH,
        "heap": heap,
    }
    results["server"] = server("start", heap=heap, pagecache=pagecache).splitlines()[-1]
    driver = neo4j.GraphDatabase.driver(f"bolt://127.0.0.1:{BOLT_PORT}", auth=("neo4j", PASSWORD))
    with tempfile.TemporaryDirectory(prefix="weaktie-bench-neo4j-") as tmp:
        source = Path(tmp) / "source"
        write_canonical(generate_organisation(people=people, posts=posts, seed=seed), source)
        settings = Settings(data_dir=Path(tmp) / "data", spacy_model="none")

        # Extract once: both writers get the very same delta.
        started = time.perf_counter()
        batch = read_canonical(source)
        options = ExtractOptions(half_life_days=settings.half_life_days, spacy_model="none")
        delta = extract(batch, known=known_state(batch, EmbeddedStore()), options=options).delta
        results["extract_s"] = time.perf_counter() - started
        nodes, relationships = bare_rows(delta)

        wipe(driver)
        store = Neo4jStore(driver, batch_size=BATCH)  # creates the constraints the bare MATCHes use as well
        # Warm-up: both writers, a small share of the rows, then wiped.
        store.upsert(sample(delta, WARM_SHARE))
        wipe(driver)
        write_bare(driver, nodes, relationships, WARM_SHARE)
        wipe(driver)

        # Alternating which goes first, keeping each writer's best time: the machines are shared and noisy.
        writers = {
            "bare": lambda: write_bare(driver, nodes, relationships, 1.0),
            "upsert": lambda: store.upsert(delta),
        }
        for round_ in range(repeat):
            for name in ("bare", "upsert") if round_ % 2 == 0 else ("upsert", "bare"):
                wipe(driver)
                started = time.perf_counter()
                writers[name]()
                elapsed = time.perf_counter() - started
                results[f"{name}_s"] = min(elapsed, results.get(f"{name}_s", elapsed))
                results[f"{name}_relationships"] = relationship_count(store)
                written = results[f"{name}_relationships"]
                note(f"round {round_ + 1}: {name} wrote {written:,} relationships in {elapsed:.1f} s")
        results["bare_rel_per_s"] = results["bare_relationships"] / results["bare_s"]
        results["upsert_rel_per_s"] = results["upsert_relationships"] / results["upsert_s"]
        results["upsert_ratio_to_bare"] = results["upsert_rel_per_s"] / results["bare_rel_per_s"]
        wipe(driver)

        # End to end: read, resolve, extract, merge with what is stored, upsert; embedded in memory as the baseline.
        started = time.perf_counter()
        report = ingest_directory(source, store, settings=settings)
        results["ingest_neo4j_s"] = time.perf_counter() - started
        results["ingest_neo4j_posts_per_s"] = report.imported_posts / results["ingest_neo4j_s"]
        note(f"api.ingest into Neo4j: {report.imported_posts:,} posts in {results['ingest_neo4j_s']:.1f} s")
        started = time.perf_counter()
        report = ingest_directory(source, EmbeddedStore(), settings=settings)
        results["ingest_embedded_s"] = time.perf_counter() - started
        results["ingest_embedded_posts_per_s"] = report.imported_posts / results["ingest_embedded_s"]
        results["ingest_ratio_to_embedded"] = (
            results["ingest_neo4j_posts_per_s"] / results["ingest_embedded_posts_per_s"]
        )
        wipe(driver)
        store.close()
    driver.close()
    return results


def render(results: dict[str, Any]) -> str:
    same = results["bare_relationships"] == results["upsert_relationships"]
    return "\n".join(
        [
            f"organisation: {results['people']:,} people, {results['posts']:,} posts (seed {results['seed']}); "
            f"extracted once in {results['extract_s']:.1f} s",
            f"server: {results['server']} (heap {results['heap']}); both writers warmed up with a "
            f"{WARM_SHARE:.0%} write first, batches of {results['batch']:,} rows, best of {results['repeat']} "
            "rounds (alternating which writer goes first)",
            f"Neo4jStore.upsert:    {results['upsert_rel_per_s']:>10,.0f} relationships/s "
            f"({results['upsert_relationships']:,} in {results['upsert_s']:.1f} s)",
            f"bare UNWIND … CREATE: {results['bare_rel_per_s']:>10,.0f} relationships/s "
            f"({results['bare_relationships']:,} in {results['bare_s']:.1f} s)"
            + ("" if same else "   WARNING: not the same relationship count"),
            f"upsert / bare:        {results['upsert_ratio_to_bare']:>10.3f}   (target >= 0.5)",
            f"api.ingest into Neo4j:        {results['ingest_neo4j_posts_per_s']:>8,.0f} posts/s "
            f"({results['ingest_neo4j_s']:.1f} s)",
            f"api.ingest into embedded:     {results['ingest_embedded_posts_per_s']:>8,.0f} posts/s "
            f"({results['ingest_embedded_s']:.1f} s)",
            f"Neo4j / embedded:             {results['ingest_ratio_to_embedded']:>8.3f}",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--posts", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=2, help="rounds of both writers (best time kept)")
    parser.add_argument("--heap", default="2g", help="Neo4j heap (NEO4J_HEAP of scripts/neo4j-local)")
    parser.add_argument("--pagecache", default="1g", help="Neo4j page cache (NEO4J_PAGECACHE)")
    parser.add_argument("--stop", action="store_true", help="stop the bench server afterwards")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args(argv)
    try:
        results = run(
            people=args.people,
            posts=args.posts,
            seed=args.seed,
            repeat=args.repeat,
            heap=args.heap,
            pagecache=args.pagecache,
        )
    finally:
        if args.stop:
            server("stop", heap=args.heap, pagecache=args.pagecache)
    print(render(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
