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
from graph.delta import GraphDelta, Person, Team, Topic
from graph.embedded import EmbeddedStore
from graph.errors import StoreError
from graph.snapshot import FORMAT_VERSION, SNAPSHOT_FILE
from tests.graph.sample import expertise, person, post, small_org, tie

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
        (lambda data: data.replace(b"snapshot v1\n", b"snapshot v99\n", 1), "version 99"),
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
