"""What only the embedded store does: its data directory, crash-safe snapshots, the lock and undoing a failed write."""

from __future__ import annotations

import errno
import marshal
import os
import signal
import struct
import subprocess
import sys
import textwrap
import time
import zlib
from dataclasses import fields, replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import BinaryIO

import networkx as nx
import pytest

from graph import snapshot as snapshot_module
from graph.controls import (
    AccessToken,
    Controls,
    DoNotPair,
    Feedback,
    Policy,
    TopicCorrection,
    secret_digest,
    suppression_keys,
)
from graph.datadir import DataDirectory
from graph.delta import GraphDelta, Person, Team, Topic
from graph.embedded import EmbeddedStore
from graph.errors import StoreError
from graph.snapshot import FORMAT_VERSION, SNAPSHOT_FILE
from tests.graph.sample import at, expertise, person, post, small_org, tie

PROJECT = Path(__file__).resolve().parents[2]


def _state(store: EmbeddedStore) -> tuple[object, ...]:
    """Everything observable, edges and their properties included."""
    edges = {(u, v, k, frozenset(d.items())) for u, v, k, d in store.graph.edges(keys=True, data=True)}
    nodes = {key: frozenset(attributes.items()) for key, attributes in store.graph.nodes(data=True)}
    return store.projection(), store.counts(), edges, nodes


def _changes_to(delta: GraphDelta) -> GraphDelta:
    """A delta that adds nodes and changes existing nodes, relationships and aggregates of ``small_org``."""
    p4 = next(p for p in delta.posts if p.id == "p4")
    return GraphDelta(
        people=(person("bob", team="data"), person("new", team="brand-new-team")),
        topics=(Topic("kubernetes", "K8s"), Topic("rust", "Rust")),
        posts=(replace(p4, topics=("rust",), mentions=("new",)), post("p5", "new", reply_to="p1", topics=("rust",))),
        ties=(tie("ada", "bob", 99.0, day=30), tie("new", "ada", 1.0)),
        expertise=(expertise("ada", "kubernetes", 0.1, day=30), expertise("new", "rust", 4.0)),
    )


def _temporaries(directory: Path) -> list[Path]:
    return [path for path in directory.iterdir() if path.name.endswith(".tmp")]


def test_a_memory_store_has_no_directory(tmp_path: Path) -> None:
    with EmbeddedStore() as store:
        store.upsert(small_org())

        assert store.path is None
    assert list(tmp_path.iterdir()) == []


def test_reopening_a_directory_gives_back_everything(tmp_path: Path) -> None:
    data = tmp_path / "nested" / "data"
    with EmbeddedStore(data) as store:
        store.upsert(small_org())
        store.upsert(_changes_to(small_org()))
        # A reference that stays unlinked although its target arrives later must stay so after reloading.
        store.upsert(GraphDelta(posts=(post("orphan", "ada", reply_to="late-parent"),)))
        store.upsert(GraphDelta(posts=(post("late-parent", "bob"),)))
        before = _state(store)

    with EmbeddedStore(data) as reopened:
        assert _state(reopened) == before
        assert reopened.counts().relationships["REPLY_TO"] == 2  # p2 -> p1 and p5 -> p1, not orphan -> late-parent


def test_authored_carries_the_role(tmp_path: Path) -> None:
    with EmbeddedStore(tmp_path) as store:
        store.upsert(small_org())

        roles = {(u[1], v[1]): d["role"] for u, v, k, d in store.graph.edges(keys=True, data=True) if k == "AUTHORED"}

    assert roles[("cyd", "p3")] == "author"
    assert roles[("dee", "p3")] == "co_author"


def test_the_snapshot_file_names_its_format_version(tmp_path: Path) -> None:
    with EmbeddedStore(tmp_path) as store:
        store.upsert(small_org())

    assert (tmp_path / SNAPSHOT_FILE).read_bytes().startswith(b"weaktie graph snapshot v%d\n" % FORMAT_VERSION)
    assert _temporaries(tmp_path) == []


def test_a_failed_rename_keeps_memory_and_disk_as_they_were(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = EmbeddedStore(tmp_path)
    store.upsert(small_org())
    before = _state(store)
    snapshot_before = (tmp_path / SNAPSHOT_FILE).read_bytes()

    def crash(source: object, target: object) -> None:
        raise OSError(errno.EIO, "simulated crash during rename")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(StoreError, match=str(tmp_path / SNAPSHOT_FILE)):
        store.upsert(_changes_to(small_org()))
    monkeypatch.undo()

    assert _state(store) == before
    assert (tmp_path / SNAPSHOT_FILE).read_bytes() == snapshot_before
    assert _temporaries(tmp_path) == []
    store.close()
    with EmbeddedStore(tmp_path) as reopened:
        assert _state(reopened) == before


def test_a_write_that_fails_half_way_keeps_memory_and_disk_as_they_were(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = EmbeddedStore(tmp_path)
    store.upsert(small_org())
    before = _state(store)
    written = 0

    def fill_the_disk(file: BinaryIO, data: memoryview) -> None:
        nonlocal written
        written = file.write(data[: len(data) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(snapshot_module, "_write_all", fill_the_disk)
    with pytest.raises(StoreError, match="No space left"):
        store.upsert(GraphDelta(people=tuple(person(f"p{i}") for i in range(5000))))
    monkeypatch.undo()

    assert written > 0
    assert _state(store) == before
    assert _temporaries(tmp_path) == []
    store.close()
    with EmbeddedStore(tmp_path) as reopened:
        assert _state(reopened) == before


def test_a_write_that_fails_in_memory_is_undone(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path)
    store.upsert(small_org())
    before = _state(store)
    changes = _changes_to(small_org())
    broken = replace(changes, posts=(*changes.posts, post("bad", "ada", topics=None)))  # type: ignore[arg-type]

    with pytest.raises(TypeError):
        store.upsert(broken)

    assert _state(store) == before
    store.upsert(changes)  # and the store is still usable
    assert store.person("bob").team == "data"
    store.close()


def test_a_writer_killed_in_the_middle_of_a_large_snapshot_leaves_the_previous_one(tmp_path: Path) -> None:
    with EmbeddedStore(tmp_path) as store:
        store.upsert(small_org())
        before = _state(store)
    ready = tmp_path.parent / f"{tmp_path.name}.ready"
    # The child stalls half-way through writing its snapshot, so the kill lands mid-write every time.
    child = subprocess.Popen(
        [sys.executable, "-c", _KILLED_WRITER, str(tmp_path), str(ready)],
        cwd=PROJECT,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_for(ready, child)
        partial = _temporaries(tmp_path)
        assert len(partial) == 1 and partial[0].stat().st_size > 1_000_000  # half of a ~4 MB snapshot
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)

    with EmbeddedStore(tmp_path) as reopened:  # the kernel released the dead writer's lock
        assert _state(reopened) == before
    assert _temporaries(tmp_path) == []


_KILLED_WRITER = textwrap.dedent(
    """
    import sys, time
    from datetime import UTC, datetime
    from pathlib import Path
    from graph import snapshot
    from graph.delta import GraphDelta, Person, Post
    from graph.embedded import EmbeddedStore

    directory, ready = Path(sys.argv[1]), Path(sys.argv[2])

    def write_half_then_stall(file, data):
        file.write(data[: len(data) // 2])
        file.flush()
        ready.touch()
        time.sleep(600)

    snapshot._write_all = write_half_then_stall
    now = datetime(2026, 1, 1, tzinfo=UTC)
    people = tuple(Person(id=f"u{i}", name=f"User {i}") for i in range(1000))
    posts = tuple(
        Post(id=f"x{i}", author=f"u{i % 1000}", created_at=now, snippet=f"snippet of post {i} " * 8)
        for i in range(20000)
    )
    EmbeddedStore(directory).upsert(GraphDelta(people=people, posts=posts))
    """
)


def _wait_for(marker: Path, child: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while not marker.exists():
        if child.poll() is not None:
            pytest.fail(f"the writer exited early: {child.stderr.read().decode() if child.stderr else ''}")
        if time.monotonic() > deadline:
            pytest.fail("the writer never reached the middle of its snapshot")
        time.sleep(0.01)


def _snapshot_bytes(payload: object, *, version: int = FORMAT_VERSION) -> bytes:
    """A snapshot file written by hand, following the documented layout."""
    body = marshal.dumps(payload)
    return (
        b"weaktie graph snapshot v%d\n" % version + body + struct.pack(">QI4s", len(body), zlib.crc32(body), b"end\n")
    )


def _flip_a_byte(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :]


@pytest.mark.parametrize(
    ("spoil", "reason"),
    [
        (lambda data: data[: len(data) // 2], "truncated"),
        (_flip_a_byte, "checksum"),
        (lambda data: b"PK\x03\x04 not a snapshot at all", "header"),
        (lambda data: data.replace(b"snapshot v%d\n" % FORMAT_VERSION, b"snapshot v99\n", 1), "version 99"),
        (lambda data: _snapshot_bytes({"something": "else"}), "do not decode"),
    ],
    ids=["truncated", "flipped-byte", "foreign-file", "unknown-version", "foreign-payload"],
)
def test_an_unreadable_snapshot_is_refused_naming_the_file(tmp_path: Path, spoil, reason: str) -> None:
    with EmbeddedStore(tmp_path) as store:
        store.upsert(small_org())
    path = tmp_path / SNAPSHOT_FILE
    path.write_bytes(spoil(path.read_bytes()))

    with pytest.raises(StoreError, match=reason) as raised:
        EmbeddedStore(tmp_path)

    assert str(path) in str(raised.value)
    with EmbeddedStore(tmp_path / "elsewhere"):  # the failed open released the lock it took
        pass
    path.unlink()
    with EmbeddedStore(tmp_path) as empty:
        assert empty.counts().total == 0


def test_a_snapshot_from_a_version_with_other_fields_loads_with_defaults(tmp_path: Path) -> None:
    current = {name: tuple(f.name for f in fields(kind)) for name, kind in snapshot_module._RECORD_TYPES.items()}
    records = {name: (names, [[] for _ in names]) for name, names in current.items()}
    records["people"] = (("id", "name", "team", "retired_field"), [["ada"], ["Ada"], ["platform"], ["ignored"]])
    records["teams"] = (current["teams"], [["platform"], ["Platform"], [None]])
    (tmp_path / SNAPSHOT_FILE).write_bytes(_snapshot_bytes({"records": records, "unlinked": []}))

    with EmbeddedStore(tmp_path) as store:
        assert store.person("ada") == Person(id="ada", name="Ada", team="platform")
        assert store.neighbourhood("ada").team == Team("platform", "Platform")


def test_a_second_writer_is_refused_while_the_first_holds_the_directory(tmp_path: Path) -> None:
    first = EmbeddedStore(tmp_path)

    with pytest.raises(StoreError, match=f"in use by another weaktie process \\(pid {os.getpid()}\\)"):
        EmbeddedStore(tmp_path)

    first.close()
    with EmbeddedStore(tmp_path) as second:
        second.upsert(small_org())


def test_a_writer_in_another_process_is_refused(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(tmp_path)],
        cwd=PROJECT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"holding\n"
        with pytest.raises(StoreError, match=f"pid {holder.pid}"):
            EmbeddedStore(tmp_path)
    finally:
        holder.communicate(b"done\n", timeout=30)

    with EmbeddedStore(tmp_path) as store:
        assert store.person("ada").name == "Ada Lovelace"


_HOLDER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from graph.embedded import EmbeddedStore
    from tests.graph.sample import small_org

    store = EmbeddedStore(Path(sys.argv[1]))
    store.upsert(small_org())
    print("holding", flush=True)
    sys.stdin.readline()
    store.close()
    """
)


def test_leftovers_of_an_interrupted_write_are_removed_on_open(tmp_path: Path) -> None:
    leftover = tmp_path / f".{SNAPSHOT_FILE}.abc123.tmp"
    leftover.write_bytes(b"half a snapshot")
    unrelated = tmp_path / "notes.tmp"
    unrelated.write_bytes(b"keep me")

    EmbeddedStore(tmp_path).close()

    assert not leftover.exists()
    assert unrelated.exists()


def test_a_closed_store_refuses_reads_and_writes(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path)
    store.upsert(small_org())
    store.close()
    store.close()

    with pytest.raises(StoreError, match="closed"):
        store.people()
    with pytest.raises(StoreError, match="closed"):
        store.upsert(small_org())


def test_an_unusable_directory_is_a_store_error(tmp_path: Path) -> None:
    occupied = tmp_path / "a-file"
    occupied.write_text("not a directory")

    with pytest.raises(StoreError, match=str(occupied)):
        EmbeddedStore(occupied)


def test_the_graph_is_the_one_networkx_would_build(tmp_path: Path) -> None:
    # The store writes NetworkX's adjacency dicts directly for speed; the result must be indistinguishable.
    with EmbeddedStore(tmp_path) as store:
        store.upsert(small_org())
        store.upsert(_changes_to(small_org()))
        written = store.graph
        rebuilt = nx.MultiDiGraph()
        rebuilt.add_nodes_from(written.nodes(data=True))
        rebuilt.add_edges_from(written.edges(keys=True, data=True))

        assert nx.utils.graphs_equal(written, rebuilt)
        assert sorted(written.in_edges(keys=True)) == sorted(written.edges(keys=True))
        assert all(written.pred[v][u][k] is written.succ[u][v][k] for u, v, k in written.edges(keys=True))

    with EmbeddedStore(tmp_path) as reopened:
        assert nx.utils.graphs_equal(reopened.graph, rebuilt)


def test_times_round_trip_whatever_their_zone(tmp_path: Path) -> None:
    paris = datetime(2026, 6, 1, 12, 0, 0, 250, tzinfo=timezone(timedelta(hours=2)))
    naive = datetime(2019, 5, 6, 8, 30)
    utc = datetime(2026, 6, 1, 10, 0, 0, 999_999, tzinfo=UTC)
    ada = person("ada", started_at=naive)
    delta = GraphDelta(
        people=(ada, person("bob")),
        posts=(post("p1", "ada", day=0), replace(post("p2", "bob"), created_at=paris)),
        ties=(replace(tie("ada", "bob"), last_at=utc),),
    )
    with EmbeddedStore(tmp_path) as store:
        store.upsert(delta)

    with EmbeddedStore(tmp_path) as reopened:
        assert reopened.person("ada").started_at == naive
        assert reopened.posts_by_id(["p2"])["p2"].created_at == paris
        assert reopened.posts_by_id(["p2"])["p2"].created_at.utcoffset() == timedelta(hours=2)
        assert reopened.ties_between([("ada", "bob")])[("ada", "bob")].last_at == utc
        assert reopened.projection().posts == tuple(sorted(delta.posts, key=lambda p: p.id))


def test_every_relationship_owns_its_property_dict(tmp_path: Path) -> None:
    # New edges are written straight into the adjacency; sharing one dict between edges would let a change to one
    # edge's properties show up on others.
    with EmbeddedStore(tmp_path) as store:
        store.upsert(small_org())
        store.upsert(_changes_to(small_org()))
        properties = [data for _, _, data in store.graph.edges(data=True)]
        assert len(properties) > 10
        assert len({id(data) for data in properties}) == len(properties)


# -- controls, tokens, digests and forgetting on disk ---------------------------------------------------------------

WEEK = "2026-W10"


def _controls_delta() -> GraphDelta:
    return GraphDelta(
        feedback=(Feedback("ada", "cyd", "met", at(5)), Feedback("cyd", "ada", "dismiss", at(5))),
        corrections=(TopicCorrection("ada", "rust", "add", at(5)),),
        policies=(Policy("org", digest="monthly", updated_at=at(5)), Policy("person:ada", suggest=False)),
        do_not_pair=(DoNotPair("cyd", "bob", at(5)),),
    )


def _token(token_id: str, person_id: str | None = "ada") -> AccessToken:
    return AccessToken(
        id=token_id,
        digest=secret_digest(f"wt_{token_id}_x"),
        scope="person" if person_id else "admin",
        person=person_id,
        created_at=at(1),
        label="laptop",
    )


def _everything(store: EmbeddedStore) -> tuple[object, ...]:
    return (*_state(store), store.controls(), store.tokens(), store.digests(), store.suppressed())


def _digest_logs(directory: Path) -> list[Path]:
    return sorted(directory.glob("digests.*.log"))


def test_controls_tokens_digests_and_suppression_survive_a_reopen(tmp_path: Path) -> None:
    with EmbeddedStore(tmp_path) as store:
        store.upsert(small_org())
        store.upsert(_controls_delta())
        store.save_token(_token("tok-ada"))
        store.save_token(replace(_token("tok-admin", None), revoked_at=at(2)))
        store.reserve_digest("ada", WEEK, at=at(7))
        store.reserve_digest("cyd", WEEK, at=at(7))
        store.mark_digest_sent("ada", WEEK, at=at(7.5))
        store.forget_person("dee", suppress=suppression_keys(store.person("dee")))
        before = _everything(store)
        assert len(store.controls().feedback) == 2 and store.suppressed()

    with EmbeddedStore(tmp_path) as reopened:
        assert _everything(reopened) == before
        assert reopened.reserve_digest("cyd", WEEK, at=at(8)) is False


def test_reserving_a_digest_appends_to_a_log_instead_of_rewriting_the_snapshot(tmp_path: Path) -> None:
    with EmbeddedStore(tmp_path) as store:
        store.upsert(small_org())
        snapshot = (tmp_path / SNAPSHOT_FILE).read_bytes()

        for person_id in ("ada", "bob", "cyd"):
            assert store.reserve_digest(person_id, WEEK, at=at(7))
        store.mark_digest_sent("ada", WEEK, at=at(8))

        assert (tmp_path / SNAPSHOT_FILE).read_bytes() == snapshot
        [log] = _digest_logs(tmp_path)
        assert len(log.read_text().splitlines()) == 4

    with EmbeddedStore(tmp_path) as reopened:
        assert [(d.person, d.state) for d in reopened.digests()] == [
            ("ada", "sent"),
            ("bob", "reserved"),
            ("cyd", "reserved"),
        ]


def test_the_next_snapshot_takes_in_the_digest_log(tmp_path: Path) -> None:
    with EmbeddedStore(tmp_path) as store:
        store.upsert(small_org())
        store.reserve_digest("ada", WEEK, at=at(7))
        [first_log] = _digest_logs(tmp_path)

        store.upsert(GraphDelta(people=(person("eve"),)))

        assert not first_log.exists()
        store.reserve_digest("eve", WEEK, at=at(7))
        assert len(_digest_logs(tmp_path)) == 1

    with EmbeddedStore(tmp_path) as reopened:
        assert [d.person for d in reopened.digests()] == ["ada", "eve"]


def test_a_reservation_survives_the_process_being_killed_right_after_it(tmp_path: Path) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", _RESERVER, str(tmp_path)],
        cwd=PROJECT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        assert line == b"True True\n", child.stderr.read().decode() if child.stderr else ""
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)

    with EmbeddedStore(tmp_path) as reopened:  # never closed: only what was flushed before returning counts
        assert reopened.reserve_digest("ada", WEEK, at=at(9)) is False  # reserved on an empty directory
        assert reopened.reserve_digest("bob", WEEK, at=at(9)) is False  # reserved through the digest log
        assert reopened.reserve_digest("cyd", WEEK, at=at(9)) is True


_RESERVER = textwrap.dedent(
    """
    import sys, time
    from datetime import UTC, datetime
    from pathlib import Path
    from graph.embedded import EmbeddedStore
    from tests.graph.sample import small_org

    store = EmbeddedStore(Path(sys.argv[1]))
    now = datetime(2026, 3, 9, tzinfo=UTC)
    first = store.reserve_digest("ada", "2026-W10", at=now)
    store.upsert(small_org())
    second = store.reserve_digest("bob", "2026-W10", at=now)
    print(first, second, flush=True)
    time.sleep(600)
    """
)


def test_a_digest_log_left_behind_by_a_later_snapshot_is_not_replayed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A crash between writing a snapshot and removing the log it supersedes: that log must not count any more,
    # or forgetting someone would bring their digest records back.
    with EmbeddedStore(tmp_path) as store:
        store.upsert(small_org())
        store.reserve_digest("bob", WEEK, at=at(7))
        store.reserve_digest("ada", WEEK, at=at(7))
        monkeypatch.setattr(DataDirectory, "remove_digest_logs", lambda self, *, keep: None)
        store.forget_person("bob", suppress=suppression_keys(store.person("bob")))
        monkeypatch.undo()
        assert len(_digest_logs(tmp_path)) == 1  # the superseded log is still there

    with EmbeddedStore(tmp_path) as reopened:
        assert [d.person for d in reopened.digests()] == ["ada"]
    assert _digest_logs(tmp_path) == []  # removed on open


def test_a_torn_last_line_of_the_digest_log_is_dropped(tmp_path: Path) -> None:
    with EmbeddedStore(tmp_path) as store:
        store.upsert(small_org())
        store.reserve_digest("ada", WEEK, at=at(7))
        [log] = _digest_logs(tmp_path)
    with log.open("ab") as file:
        file.write(b'["reserved", "bob", "2026-W')  # a write cut short: never acknowledged

    with EmbeddedStore(tmp_path) as reopened:
        assert [d.person for d in reopened.digests()] == ["ada"]
        assert reopened.reserve_digest("bob", WEEK, at=at(8)) is True

    with EmbeddedStore(tmp_path) as again:
        assert [(d.person, d.at) for d in again.digests()] == [("ada", at(7)), ("bob", at(8))]


def test_a_corrupt_digest_log_is_refused_naming_the_file(tmp_path: Path) -> None:
    with EmbeddedStore(tmp_path) as store:
        store.upsert(small_org())
        store.reserve_digest("ada", WEEK, at=at(7))
        store.reserve_digest("bob", WEEK, at=at(7))
        [log] = _digest_logs(tmp_path)
    log.write_bytes(log.read_bytes().replace(b"reserved", b"misnamed", 1))

    with pytest.raises(StoreError, match="line 1") as raised:
        EmbeddedStore(tmp_path)

    assert str(log) in str(raised.value)


def test_a_failed_digest_write_records_nothing_and_the_next_one_still_lasts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = EmbeddedStore(tmp_path)
    store.upsert(small_org())
    store.reserve_digest("ada", WEEK, at=at(7))

    def full_disk(descriptor: int, data: bytes) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", full_disk)
    with pytest.raises(StoreError, match="No space left"):
        store.reserve_digest("bob", WEEK, at=at(7))
    monkeypatch.undo()

    assert [d.person for d in store.digests()] == ["ada"]
    assert store.reserve_digest("bob", WEEK, at=at(8)) is True
    store.close()
    with EmbeddedStore(tmp_path) as reopened:
        assert [(d.person, d.at) for d in reopened.digests()] == [("ada", at(7)), ("bob", at(8))]


def test_a_forget_that_cannot_be_written_keeps_memory_and_disk_as_they_were(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = EmbeddedStore(tmp_path)
    store.upsert(small_org())
    store.upsert(_controls_delta())
    store.upsert(GraphDelta(posts=(post("p5", "cyd", co_authors=("bob",), mentions=("bob",), reply_to="p2"),)))
    store.save_token(_token("tok-bob", "bob"))
    store.reserve_digest("bob", WEEK, at=at(7))
    before = _everything(store)

    def crash(source: object, target: object) -> None:
        raise OSError(errno.EIO, "simulated crash during rename")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(StoreError):
        store.forget_person("bob", suppress=suppression_keys(store.person("bob")))
    monkeypatch.undo()

    assert _everything(store) == before
    store.close()
    with EmbeddedStore(tmp_path) as reopened:
        assert _everything(reopened) == before
        reopened.forget_person("bob", suppress=suppression_keys(reopened.person("bob")))
        assert reopened.counts().relationships["REPLY_TO"] == 0


def test_the_graph_after_forgetting_is_the_one_networkx_would_build(tmp_path: Path) -> None:
    with EmbeddedStore(tmp_path) as store:
        store.upsert(small_org())
        store.upsert(GraphDelta(posts=(post("p5", "bob", co_authors=("cyd",), reply_to="p2"),)))
        store.forget_person("bob", suppress=())
        written = store.graph
        rebuilt = nx.MultiDiGraph()
        rebuilt.add_nodes_from(written.nodes(data=True))
        rebuilt.add_edges_from(written.edges(keys=True, data=True))
        roles = {(u[1], v[1]): d["role"] for u, v, k, d in written.edges(keys=True, data=True) if k == "AUTHORED"}
        assert roles[("cyd", "p5")] == "author"
        before = _state(store)

    with EmbeddedStore(tmp_path) as reopened:
        assert nx.utils.graphs_equal(reopened.graph, rebuilt)
        assert _state(reopened) == before


def test_a_version_1_snapshot_loads_without_controls_and_is_upgraded_by_the_next_write(tmp_path: Path) -> None:
    # Version 1 had the seven graph sections and nothing else.
    records = {
        name: (names, [[] for _ in names])
        for name, names in (
            ("people", ("id", "name")),
            ("teams", ("id", "name", "department")),
            ("topics", ("id", "label")),
            ("posts", ("id", "author", "created_at")),
            ("ties", ("source", "target", "weight", "count", "last_at")),
            ("expertise", ("person", "topic", "kind", "score", "evidence", "last_at")),
            ("suggestions", ("person", "candidate", "score", "reasons", "at", "evidence_at")),
        )
    }
    records["people"] = (("id", "name"), [["ada"], ["Ada"]])
    (tmp_path / SNAPSHOT_FILE).write_bytes(_snapshot_bytes({"records": records, "unlinked": []}, version=1))

    with EmbeddedStore(tmp_path) as store:
        assert store.people() == [Person(id="ada", name="Ada")]
        assert (store.controls(), store.tokens(), store.digests(), store.suppressed()) == (
            Controls(),
            [],
            [],
            frozenset(),
        )
        store.upsert(GraphDelta(policies=(Policy("org", suggest=False),)))

    assert (tmp_path / SNAPSHOT_FILE).read_bytes().startswith(b"weaktie graph snapshot v%d\n" % FORMAT_VERSION)
    with EmbeddedStore(tmp_path) as reopened:
        assert reopened.people() == [Person(id="ada", name="Ada")]
        assert reopened.controls().policies == (Policy("org", suggest=False),)
