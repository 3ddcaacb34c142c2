"""The import pipeline over the real extractors and an embedded store: incremental, idempotent, explained."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from api.ingest import drop_suppressed, ingest_directory
from api.settings import Settings
from extractors.canonical import CanonicalBatch, PostRecord
from extractors.synthetic import SyntheticOrg, write_canonical
from graph.controls import suppression_keys
from graph.delta import Person
from graph.embedded import EmbeddedStore
from tests.api.conftest import Imported


def _export(org: SyntheticOrg, posts: list[dict], directory: Path) -> Path:
    write_canonical(SyntheticOrg(people=org.people, posts=posts, planted=org.planted), directory)
    return directory


def _settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", spacy_model="none")


def test_a_newer_export_adds_only_its_new_posts_and_merges_ties_exactly(
    small_org: SyntheticOrg, tmp_path: Path
) -> None:
    posts = sorted(small_org.posts, key=lambda post: (post["created_at"], post["id"]))
    cut = len(posts) * 2 // 3
    older = _export(small_org, posts[:cut], tmp_path / "older")
    newer = _export(small_org, posts, tmp_path / "newer")
    settings = _settings(tmp_path)

    with EmbeddedStore() as store:
        first = ingest_directory(older, store, settings=settings)
        second = ingest_directory(newer, store, settings=settings)
        stepwise = {(tie.source, tie.target): tie for tie in store.projection().ties}
        assert store.counts().nodes["Post"] == len(posts)
    with EmbeddedStore() as store:
        ingest_directory(newer, store, settings=settings)
        at_once = {(tie.source, tie.target): tie for tie in store.projection().ties}

    assert first.imported_posts == cut
    assert (second.imported_posts, second.skipped_known) == (len(posts) - cut, cut)
    assert second.imported_people == 0
    # Replies to posts of the first import still count, and stored ties are added to, not replaced.
    assert stepwise.keys() == at_once.keys()
    for key, tie in at_once.items():
        assert stepwise[key].count == tie.count
        assert stepwise[key].weight == pytest.approx(tie.weight, rel=1e-9)


def test_reimport_changes_nothing(imported: Imported, tmp_path: Path) -> None:
    with EmbeddedStore() as store:
        ingest_directory(imported.export, store, settings=_settings(tmp_path))
        before, projection = store.counts(), store.projection()
        again = ingest_directory(imported.export, store, settings=_settings(tmp_path))
        assert store.counts() == before
        assert store.projection() == projection
    assert (again.imported, again.topics_learned, again.rejected) == (0, 0, 0)
    assert again.rejects_path is None


def test_rejects_are_written_with_file_line_field_and_reason(small_org: SyntheticOrg, tmp_path: Path) -> None:
    export = _export(small_org, small_org.posts[:5], tmp_path / "export")
    lines = (export / "posts.jsonl").read_text().splitlines()
    stranger = json.loads(lines[1]) | {"author": "someone-not-in-people"}
    lines[1] = json.dumps(stranger)
    lines[3] = "{not json"
    (export / "posts.jsonl").write_text("\n".join(lines) + "\n")
    settings = _settings(tmp_path)

    with EmbeddedStore() as store:
        report = ingest_directory(export, store, settings=settings)

    assert (report.rejected, report.imported_posts) == (2, 3)
    assert report.rejects_path is not None and report.rejects_path.parent == settings.data_dir / "rejects"
    rows = sorted((json.loads(line) for line in report.rejects_path.read_text().splitlines()), key=lambda r: r["line"])
    assert [(row["file"], row["line"]) for row in rows] == [("posts.jsonl", 2), ("posts.jsonl", 4)]
    assert rows[0]["field"] == "author" and "someone-not-in-people" in rows[0]["reason"]
    assert rows[1]["reason"]


def test_progress_ends_at_the_number_of_posts(small_org: SyntheticOrg, tmp_path: Path) -> None:
    export = _export(small_org, small_org.posts[:50], tmp_path / "export")
    seen: list[tuple[int, int]] = []
    with EmbeddedStore() as store:
        ingest_directory(
            export, store, settings=_settings(tmp_path), progress=lambda done, total: seen.append((done, total))
        )
    assert seen[0] == (0, 50)
    assert seen[-1] == (50, 50)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


def test_suppressed_people_and_their_posts_are_dropped_and_counted() -> None:
    at = datetime(2026, 3, 1, tzinfo=UTC)
    gone = Person(id="u-gone", name="Gone Person", email="Gone@Example.com", handles=("gone",))
    other = Person(id="u-other", name="Other Person")
    batch = CanonicalBatch(
        people=(gone, other),
        posts=(
            PostRecord(id="by-gone", author="u-gone", created_at=at),
            PostRecord(id="by-gone-email", author="gone@example.com", created_at=at),
            PostRecord(
                id="with-gone",
                author="u-other",
                created_at=at,
                co_authors=("u-gone",),
                mentions=("gone", "u-other"),
                audience=("u-gone", "team:x"),
            ),
            PostRecord(id="only-to-gone", author="u-other", created_at=at, audience=("u-gone",)),
            PostRecord(id="untouched", author="u-other", created_at=at, audience=("team:x",)),
        ),
        rejects=(),
        read=7,
    )

    kept, dropped = drop_suppressed(batch, suppression_keys(gone))

    assert dropped == 3  # the people record and the two posts they wrote (found by id and by e-mail)
    assert [person.id for person in kept.people] == ["u-other"]
    posts = {post.id: post for post in kept.posts}
    assert posts.keys() == {"with-gone", "only-to-gone", "untouched"}
    assert (posts["with-gone"].co_authors, posts["with-gone"].mentions) == ((), ("u-other",))
    assert posts["with-gone"].audience == ("team:x",)
    # A restricted post must not turn public when its only reader is forgotten: it stays with its author.
    assert posts["only-to-gone"].audience == ("u-other",)
    assert posts["untouched"] is batch.posts[4]
    assert drop_suppressed(batch, frozenset()) == (batch, 0)
    assert drop_suppressed(batch, suppression_keys(Person(id="u-else", name="Else"))) == (batch, 0)


def test_a_forgotten_person_is_not_imported_again(imported: Imported, tmp_path: Path) -> None:
    gone = next(match.expert for match in imported.org.planted if match.kind == "introduction")
    with EmbeddedStore() as store:
        ingest_directory(imported.export, store, settings=_settings(tmp_path))
        person = store.person(gone)
        store.forget_person(gone, suppress=suppression_keys(person))
        before = store.projection()

        again = ingest_directory(imported.export, store, settings=_settings(tmp_path))

        assert again.suppressed == 1 + sum(1 for post in imported.org.posts if post["author"] == gone)
        assert again.imported == 0
        assert store.projection() == before
        assert gone not in {p.id for p in store.people()}
