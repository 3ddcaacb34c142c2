"""The canonical JSONL reader: valid records become people and post records, bad ones become precise rejects."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from extractors.canonical import Reject, read_canonical, write_rejects
from extractors.errors import InputError
from graph.errors import WeaktieError

ALICE = {"id": "alice", "name": "Alice Adams", "handles": ["@alice"], "team": "platform", "department": "eng"}
BOB = {"id": "bob", "name": "Bob Brown", "team": "data", "started_at": "2024-02-01"}


def _write(directory: Path, name: str, lines: list[object]) -> None:
    rows = [line if isinstance(line, str) else json.dumps(line) for line in lines]
    (directory / name).write_text("\n".join(rows) + "\n", encoding="utf-8")


def _post(post_id: str, **fields: object) -> dict[str, object]:
    return {"id": post_id, "author": "alice", "created_at": "2026-03-01T09:30:00Z", "text": "hello", **fields}


def test_people_become_persons_with_typed_fields(tmp_path: Path) -> None:
    _write(tmp_path, "people.jsonl", [ALICE, {**BOB, "opted_out": True, "manager": "alice"}])
    batch = read_canonical(tmp_path)
    alice, bob = batch.people
    assert alice.handles == ("alice",)
    assert (alice.team, alice.department) == ("platform", "eng")
    assert bob.started_at == datetime(2024, 2, 1, tzinfo=UTC)
    assert bob.opted_out and bob.manager == "alice"
    assert batch.posts == () and batch.rejects == () and batch.read == 2


def test_posts_keep_every_field_and_dates_become_utc(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "posts.jsonl",
        [
            _post(
                "p1",
                co_authors=["bob", "alice", "bob"],
                space="eng",
                title="Hi",
                reply_to="p0",
                url="https://x/p1",
                audience=["bob", "team:data"],
                mentions=["@bob"],
                created_at="2026-03-01T11:30:00+02:00",
            ),
            _post("p2", created_at="2026-03-01T09:30:00"),
            _post("p3", audience="everyone"),
        ],
    )
    p1, p2, p3 = read_canonical(tmp_path).posts
    assert p1.created_at == datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    assert p1.created_at.utcoffset() == timedelta(0)
    assert p1.co_authors == ("bob",)  # the author and repeats are dropped
    assert (p1.space, p1.title, p1.reply_to, p1.url) == ("eng", "Hi", "p0", "https://x/p1")
    assert p1.audience == ("bob", "team:data")
    assert p1.mentions == ("bob",)
    assert p1.line == 1
    assert p2.created_at == datetime(2026, 3, 1, 9, 30, tzinfo=UTC)  # naive is taken as UTC
    assert p3.audience == ()


def test_a_bad_date_is_rejected_with_file_line_field_and_reason_and_the_rest_is_read(tmp_path: Path) -> None:
    _write(tmp_path, "posts.jsonl", [_post("p1"), _post("p2", created_at="yesterday"), _post("p3")])
    batch = read_canonical(tmp_path)
    assert [p.id for p in batch.posts] == ["p1", "p3"]
    (reject,) = batch.rejects
    assert (reject.file, reject.line, reject.field, reject.record_id) == ("posts.jsonl", 2, "created_at", "p2")
    assert "yesterday" in reject.reason and "ISO-8601" in reject.reason
    assert batch.read == 3


@pytest.mark.parametrize(
    ("line", "field", "words"),
    [
        ("{not json", None, "not valid JSON"),
        ("[1, 2]", None, "expected a JSON object"),
        (json.dumps({"id": "p9", "created_at": "2026-01-01"}), "author", "missing required field"),
        (json.dumps(_post("p9", text=42)), "text", "expected a string"),
        (json.dumps(_post("p9", co_authors="bob")), "co_authors", "list of strings"),
        (json.dumps(_post("  ")), "id", "empty"),
        (json.dumps(_post("p9", audience=[])), "audience", "empty audience"),
        (json.dumps(_post("p9", audience="friends")), "audience", "everyone"),
        (json.dumps(_post("p9", created_at=20260101)), "created_at", "ISO-8601"),
        # Falsy values of the wrong type must not slip through as "no co-authors" / "no mentions".
        (json.dumps(_post("p9", co_authors="")), "co_authors", "list of strings"),
        (json.dumps(_post("p9", mentions=0)), "mentions", "list of strings"),
        (json.dumps(_post("p9", mentions={})), "mentions", "list of strings"),
        (json.dumps(_post("p9", title=7)), "title", "string or null"),
        (json.dumps(_post("p9", author="   ")), "author", "empty"),
        (json.dumps(_post("p9", author=["alice"])), "author", "expected a string"),
        # The first bad field in reading order is the one reported.
        (json.dumps(_post("p9", space=1, url=2, mentions="x")), "space", "string or null"),
        (json.dumps(_post("p9", text=1, co_authors=2)), "text", "expected a string"),
    ],
)
def test_malformed_records_become_rejects(tmp_path: Path, line: str, field: str | None, words: str) -> None:
    _write(tmp_path, "posts.jsonl", [_post("p1"), line])
    batch = read_canonical(tmp_path)
    assert [p.id for p in batch.posts] == ["p1"]
    (reject,) = batch.rejects
    assert (reject.line, reject.field) == (2, field)
    assert words in reject.reason


def test_people_with_a_bad_field_are_rejected(tmp_path: Path) -> None:
    _write(tmp_path, "people.jsonl", [ALICE, {**BOB, "opted_out": "yes"}, {"id": "carol"}])
    batch = read_canonical(tmp_path)
    assert [p.id for p in batch.people] == ["alice"]
    assert [(r.file, r.line, r.field) for r in batch.rejects] == [
        ("people.jsonl", 2, "opted_out"),
        ("people.jsonl", 3, "name"),
    ]


def test_identical_duplicates_are_skipped_silently_and_conflicting_ones_rejected(tmp_path: Path) -> None:
    _write(tmp_path, "posts.jsonl", [_post("p1"), _post("p1"), _post("p1", text="changed")])
    batch = read_canonical(tmp_path)
    assert [p.text for p in batch.posts] == ["hello"]
    (reject,) = batch.rejects
    assert (reject.line, reject.field, reject.record_id) == (3, "id", "p1")
    assert "duplicate" in reject.reason and "line 1" in reject.reason


def test_blank_lines_are_not_records(tmp_path: Path) -> None:
    _write(tmp_path, "posts.jsonl", [_post("p1"), "", "   ", _post("p2")])
    batch = read_canonical(tmp_path)
    assert batch.read == 2
    assert [p.line for p in batch.posts] == [1, 4]


def test_invalid_utf8_is_one_reject(tmp_path: Path) -> None:
    (tmp_path / "posts.jsonl").write_bytes(json.dumps(_post("p1")).encode() + b"\n\xff\xfe\n")
    batch = read_canonical(tmp_path)
    assert [p.id for p in batch.posts] == ["p1"]
    assert "UTF-8" in batch.rejects[0].reason


def test_missing_directory_or_both_files_raise_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        read_canonical(tmp_path / "nowhere")
    with pytest.raises(InputError, match=r"people\.jsonl") as caught:
        read_canonical(tmp_path)
    assert isinstance(caught.value, WeaktieError)


def test_one_file_alone_is_enough(tmp_path: Path) -> None:
    _write(tmp_path, "posts.jsonl", [_post("p1")])
    assert [p.id for p in read_canonical(tmp_path).posts] == ["p1"]


def test_write_rejects_appends_json_lines(tmp_path: Path) -> None:
    path = tmp_path / "out" / "rejects.jsonl"
    write_rejects([Reject("posts.jsonl", 2, "created_at", "bad date", "p2")], path)
    write_rejects([Reject("people.jsonl", 5, None, "not valid JSON")], path)
    write_rejects([], path)
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert rows == [
        {"file": "posts.jsonl", "line": 2, "field": "created_at", "reason": "bad date", "record_id": "p2"},
        {"file": "people.jsonl", "line": 5, "field": None, "reason": "not valid JSON", "record_id": None},
    ]


def test_offsets_other_than_utc_are_converted(tmp_path: Path) -> None:
    _write(tmp_path, "posts.jsonl", [_post("p1", created_at="2026-03-01T00:30:00-05:00")])
    (post,) = read_canonical(tmp_path).posts
    assert post.created_at == datetime(2026, 3, 1, 0, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert post.created_at.tzinfo == UTC


def test_empty_lists_and_nulls_read_as_absent(tmp_path: Path) -> None:
    full = _post("p1", co_authors=[], mentions=[], space=None, title=" ", url=None, reply_to="  q1 ")
    _write(tmp_path, "posts.jsonl", [full])
    (record,) = read_canonical(tmp_path).posts
    assert (record.co_authors, record.mentions, record.audience) == ((), (), ())
    assert (record.space, record.title, record.url, record.reply_to) == (None, None, None, "q1")
