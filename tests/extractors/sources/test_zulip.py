"""Zulip archives: real counts on a published archive, and hand-made archives for mentions, threads and bad input."""

from __future__ import annotations

import json
import os
import re
import urllib.parse
import zipfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from extractors.sources.common import SourceError
from extractors.sources.zulip import import_zulip, read_zulip

REAL = Path("/work/shared/data/zulip-ncar/zulip_json")
BOTS = {"Notification Bot", "Welcome Bot"}


def _encode(name: str) -> str:
    return urllib.parse.quote(name, safe="~").replace(".", "%2E").replace("%", ".")


def _archive(root: Path, streams: dict[tuple[int, str], dict[str, Any]], *, index: bool = True) -> Path:
    """Write a zulip_json folder; topic values are message lists or raw text (for broken files)."""
    root.mkdir(parents=True, exist_ok=True)
    listing = {}
    for (stream_id, stream), topics in streams.items():
        folder = root / f"{stream_id}-{_encode(stream.replace(' ', '-'))}"
        folder.mkdir()
        for topic, messages in topics.items():
            body = messages if isinstance(messages, str) else json.dumps(messages)
            (folder / f"{_encode(topic)}.json").write_text(body, encoding="utf-8")
        listing[stream] = {"id": stream_id, "latest_id": 0, "topic_data": {t: {"size": 1} for t in topics}}
    if index:
        (root / "stream_index.json").write_text(json.dumps({"streams": listing, "time": 0}))
    return root


def _m(message_id: int, sender: str, content: str, timestamp: int = 1_600_000_000, **extra: Any) -> dict[str, Any]:
    return {
        "id": message_id,
        "sender_full_name": sender,
        "content": content,
        "timestamp": timestamp + message_id,
        **extra,
    }


# --- the real archive --------------------------------------------------------------------------------------------

real_data = pytest.mark.skipif(not (REAL / "stream_index.json").is_file(), reason=f"real archive not at {REAL}")


def _real_topics() -> list[tuple[str, str, list[dict[str, Any]]]]:
    """(stream name, topic file, messages) straight from the files, stream names from stream_index.json."""
    names = {str(v["id"]): k for k, v in json.loads((REAL / "stream_index.json").read_text())["streams"].items()}
    found = []
    for folder in sorted(os.listdir(REAL)):
        if (REAL / folder).is_dir():
            for file in sorted(os.listdir(REAL / folder)):  # listdir, not glob: resolved topics start with "."
                found.append((names[folder.split("-")[0]], file, json.loads((REAL / folder / file).read_text())))
    return found


@pytest.mark.slow
@real_data
def test_real_archive_counts() -> None:
    topics = _real_topics()
    index = json.loads((REAL / "stream_index.json").read_text())["streams"]
    messages = [m for _, _, ms in topics for m in ms]
    human = [m for m in messages if m["sender_full_name"] not in BOTS]
    threads = [[m for m in ms if m["sender_full_name"] not in BOTS] for _, _, ms in topics]
    roots = {min(t, key=lambda m: (m["timestamp"], m["id"]))["id"]: t for t in threads if t}

    result = import_zulip(REAL.parent)  # the dataset folder; the importer finds zulip_json/ inside it
    batch = result.batch

    assert len(messages) == sum(t["size"] for s in index.values() for t in s["topic_data"].values())
    assert batch.rejects == ()
    assert batch.read == len(messages)
    assert len(batch.posts) == len(human)
    assert result.skipped == {"bot": len(messages) - len(human)}
    assert len(batch.people) == len({m["sender_full_name"] for m in human})
    assert {p.name for p in batch.people} == {m["sender_full_name"] for m in human}
    assert {p.id for p in batch.posts} == {f"zulip:{m['id']}" for m in human}
    assert {p.id for p in batch.posts if p.reply_to is None} == {f"zulip:{r}" for r in roots}
    replies_to = Counter(p.reply_to for p in batch.posts if p.reply_to)
    assert replies_to == Counter({f"zulip:{r}": len(t) - 1 for r, t in roots.items() if len(t) > 1})
    assert Counter(p.space for p in batch.posts) == Counter(s for s, _, ms in topics for m in ms if m in human)
    assert all(p.title for p in batch.posts if p.reply_to is None)
    assert not any(p.title for p in batch.posts if p.reply_to)
    by_id = {p.id: p for p in batch.posts}
    first = human[0]
    assert by_id[f"zulip:{first['id']}"].created_at == datetime.fromtimestamp(first["timestamp"], UTC)


@pytest.mark.slow
@real_data
def test_real_archive_titles_text_and_mentions() -> None:
    topics = _real_topics()
    batch = read_zulip(REAL)
    by_id = {p.id: p for p in batch.posts}
    people = {p.id: p.name for p in batch.people}
    titles = set()
    for _, file, ms in topics:
        kept = [m for m in ms if m["sender_full_name"] not in BOTS]
        if kept:
            root = by_id[f"zulip:{min(kept, key=lambda m: (m['timestamp'], m['id']))['id']}"]
            titles.add(root.title)
            assert root.title == urllib.parse.unquote(file[: -len(".json")].replace(".", "%")).removeprefix("✔ ")
    assert len(titles) > 700
    assert not any("<p>" in p.text or "</span>" in p.text or "&amp;" in p.text for p in batch.posts)
    mention = re.compile(r'class="user-mention(?: silent)?" data-user-id="(\d+)">@?([^<]*)<')
    # A user id shown under several names is one renamed person; mentioning yourself under an old name is no tie.
    ids_of: dict[str, set[str]] = {}
    for _, _, ms in topics:
        for m in ms:
            for user_id, name in mention.findall(m["content"]):
                ids_of.setdefault(name, set()).add(user_id)
    mentioning = {
        f"zulip:{m['id']}"
        for _, _, ms in topics
        for m in ms
        if m["sender_full_name"] not in BOTS
        and any(
            n != m["sender_full_name"] and i not in ids_of.get(m["sender_full_name"], set())
            for i, n in mention.findall(m["content"])
        )
    }
    assert {p.id for p in batch.posts if p.mentions} == mentioning
    resolved = [m for p in batch.posts for m in p.mentions if m in people]
    assert len(resolved) > 0.8 * sum(len(p.mentions) for p in batch.posts)  # most mentioned people also post


# --- hand-made archives ------------------------------------------------------------------------------------------


def test_topics_become_threads_with_the_root_titled(tmp_path: Path) -> None:
    topics = {
        "✔ dask workers died": [_m(12, "Bo Li", "<p>me too</p>"), _m(10, "Ana Silva", "<p>why?</p>")],
        "a.b c/d?": [_m(11, "Bo Li", "<p>solo</p>")],
    }
    root = _archive(tmp_path / "zulip_json", {(27, "dask & co"): topics})
    posts = {p.id: p for p in read_zulip(root, base_url="https://chat.example.org/").posts}
    assert posts["zulip:10"].title == "dask workers died"
    assert posts["zulip:10"].reply_to is None
    assert posts["zulip:12"].reply_to == "zulip:10"
    assert posts["zulip:12"].title is None
    assert posts["zulip:11"].title == "a.b c/d?"
    assert {p.space for p in posts.values()} == {"dask & co"}
    assert posts["zulip:10"].created_at == datetime.fromtimestamp(1_600_000_010, UTC)
    assert (
        posts["zulip:11"].url == "https://chat.example.org/#narrow/stream/27-dask-.26-co/topic/a.2Eb.20c.2Fd.3F/near/11"
    )


def test_people_ids_names_and_the_richer_message_format(tmp_path: Path) -> None:
    topics = {
        "t": [
            _m(1, "Ana Silva", "<p>hi</p>"),
            _m(2, "Ana  Silva", "<p>spacing differs</p>"),
            _m(3, "Cy Wu", "plain", sender_id=44, sender_email="cy@x.org"),
            _m(4, "Cyrus Wu", "renamed", sender_id=44, sender_email="cy@x.org"),
        ]
    }
    batch = read_zulip(_archive(tmp_path, {(1, "general"): topics}))
    people = {p.id: p for p in batch.people}
    assert set(people) == {"zulip:name:ana-silva", "zulip:44"}
    assert people["zulip:44"].email == "cy@x.org"
    assert people["zulip:44"].handles == ("Cy Wu", "Cyrus Wu")
    assert [p.author for p in batch.posts] == ["zulip:name:ana-silva"] * 2 + ["zulip:44"] * 2


def test_html_and_markdown_mentions_resolve_by_name(tmp_path: Path) -> None:
    html = (
        '<p><span class="user-mention" data-user-id="7">@Bo Li</span> and '
        '<span class="user-mention silent" data-user-id="9">Ana Silva</span> '
        '<span class="user-mention" data-user-id="*">@all</span> '
        '<span class="user-group-mention" data-user-group-id="3">@dask-team</span> '
        '<span class="user-mention" data-user-id="5">@Old Name</span> '
        '<span class="user-mention" data-user-id="8">@Never Posted</span> &amp; more</p>'
    )
    topics = {
        "t": [
            _m(1, "Ana Silva", "<p>start</p>"),
            _m(2, "Bo Li", "<p>hey <span class='x'>@Ana</span></p>"),
            _m(3, "Di Ko", html),
            _m(
                4, "Ana Silva", "thanks @**Bo Li**, @_**Cy Wu|44** and @**all** and @**Nobody Here** and @**ana silva**"
            ),
            # The same user id shown under the current name: "Old Name" above is Cy Wu before a rename.
            _m(5, "Bo Li", '<p><span class="user-mention" data-user-id="5">@Cy Wu</span></p>'),
            _m(6, "Cy Wu", "<p>late</p>"),
        ]
    }
    posts = {p.id: p for p in read_zulip(_archive(tmp_path, {(1, "general"): topics})).posts}
    assert posts["zulip:3"].mentions == ("zulip:name:bo-li", "zulip:name:ana-silva", "zulip:name:cy-wu", "Never Posted")
    assert posts["zulip:3"].text == "@Bo Li and Ana Silva @all @dask-team @Old Name @Never Posted & more"
    # Markdown content: silent mentions lose their "@", wildcards are no one, self-mentions are dropped.
    assert posts["zulip:4"].mentions == ("zulip:name:bo-li", "zulip:name:cy-wu", "Nobody Here")
    assert posts["zulip:4"].text == "thanks @Bo Li, Cy Wu and @all and @Nobody Here and @ana silva"
    assert posts["zulip:5"].mentions == ("zulip:name:cy-wu",)
    assert posts["zulip:2"].mentions == ()  # not a mention span: only Zulip's own markup counts


def test_bots_are_skipped_and_the_root_is_the_first_human_message(tmp_path: Path) -> None:
    topics = {
        "moved": [
            _m(1, "Notification Bot", "<p>This topic was moved here from #old</p>"),
            _m(2, "Ana Silva", "<p>question</p>"),
            _m(3, "GitHub Bot", "<p>push</p>"),
            _m(4, "Bo Li", "<p>answer</p>"),
        ],
        "only bots": [_m(5, "Welcome Bot", "<p>welcome</p>")],
    }
    result = import_zulip(_archive(tmp_path, {(1, "general"): topics}))
    posts = {p.id: p for p in result.batch.posts}
    assert set(posts) == {"zulip:2", "zulip:4"}
    assert posts["zulip:2"].title == "moved"
    assert posts["zulip:4"].reply_to == "zulip:2"
    assert result.skipped == {"bot": 3}
    assert {p.name for p in result.batch.people} == {"Ana Silva", "Bo Li"}


def test_bad_topic_file_is_quarantined_and_the_rest_imports(tmp_path: Path) -> None:
    topics = {"good": [_m(1, "Ana Silva", "<p>ok</p>")], "broken": '[{"id": 2, "content": ', "odd": {"id": 3}}
    batch = read_zulip(_archive(tmp_path, {(4, "new members"): topics}))
    assert [p.id for p in batch.posts] == ["zulip:1"]
    assert batch.posts[0].space == "new members"
    reasons = {r.file: r.reason for r in batch.rejects}
    assert set(reasons) == {"4-new-members/broken.json", "4-new-members/odd.json"}
    assert "not valid JSON" in reasons["4-new-members/broken.json"]
    assert "expected a JSON array" in reasons["4-new-members/odd.json"]
    assert all(r.line == 0 for r in batch.rejects)


def test_malformed_messages_become_rejects_with_positions(tmp_path: Path) -> None:
    messages = [
        _m(1, "Ana Silva", "<p>ok</p>"),
        "not an object",
        {"sender_full_name": "Ana Silva", "content": "", "timestamp": 1},
        _m(4, "", "<p>nobody</p>"),
        _m(5, "Ana Silva", "<p>bad time</p>") | {"timestamp": "noon"},
        _m(6, "Ana Silva", ["not", "text"]),
        _m(1, "Ana Silva", "<p>duplicate id</p>"),
        _m(8, "Bo Li", "<p>fine</p>"),
    ]
    result = import_zulip(_archive(tmp_path, {(1, "general"): {"t": messages}}))
    batch = result.batch
    assert [p.id for p in batch.posts] == ["zulip:1", "zulip:8"]
    assert [(r.line, r.field) for r in batch.rejects] == [
        (2, None),
        (3, "id"),
        (4, "sender_full_name"),
        (5, "timestamp"),
        (6, "content"),
    ]
    assert batch.rejects[3].record_id == "zulip:5"
    assert result.skipped == {"duplicate message": 1}
    assert batch.read == len(messages)


def test_without_stream_index_names_come_from_folders(tmp_path: Path) -> None:
    root = _archive(tmp_path, {(60, "Project Pythia"): {"hello": [_m(1, "Ana Silva", "<p>hi</p>")]}}, index=False)
    (post,) = read_zulip(root).posts
    assert post.space == "Project Pythia"
    assert post.title == "hello"


def test_zip_of_an_archive_and_progress(tmp_path: Path) -> None:
    topics = {"a": [_m(1, "Ana Silva", "<p>x</p>")], "b": [_m(2, "Bo Li", "<p>y</p>"), _m(3, "Bo Li", "z")]}
    root = _archive(tmp_path / "zulip_json", {(1, "general"): topics})
    path = tmp_path / "archive.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for file in sorted(root.rglob("*")):
            archive.write(file, file.relative_to(tmp_path).as_posix())
    seen: list[int] = []
    zipped = read_zulip(path, progress=seen.append)
    assert zipped.posts == read_zulip(root).posts
    assert seen == [1, 3]


def test_not_a_zulip_archive(tmp_path: Path) -> None:
    (tmp_path / "notes.json").write_text("[]")
    with pytest.raises(SourceError, match="not a zulip-archive export"):
        read_zulip(tmp_path)
