"""Slack exports: real counts on a published export, and hand-made exports for threads, markup and bad input."""

from __future__ import annotations

import json
import zipfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from extractors.canonical import CanonicalBatch
from extractors.sources.common import ArchiveLimits, SourceError
from extractors.sources.slack import import_slack, read_slack

REAL = Path("/work/shared/data/slack-houstondatavis-2016")
HUMAN_SUBTYPES = {None, "file_share", "file_comment", "me_message", "thread_broadcast"}

USERS = [
    {"id": "U1", "name": "ana", "real_name": "Ana Silva", "profile": {"display_name": "ana.s", "email": "ana@x.org"}},
    {"id": "U2", "name": "bob", "real_name": "Bob Ng", "profile": {"email": "[REDACTED]", "title": "GIS analyst"}},
    {"id": "U3", "name": "gone", "deleted": True, "profile": {"real_name": "Carol Gone"}},
    {"id": "B1", "name": "deploybot", "is_bot": True, "profile": {}},
    {"id": "USLACKBOT", "name": "slackbot", "profile": {}},
]
CHANNELS = [{"id": "C1", "name": "general", "members": ["U1", "U2"]}, {"id": "C2", "name": "maps"}]


def _export(
    root: Path,
    days: dict[str, dict[str, Any]],
    *,
    users: list[dict[str, Any]] | None = None,
    channels: list[dict[str, Any]] | None = None,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write an export folder; ``days`` maps "<channel>/<date>.json" to a JSON value or raw text."""
    root.mkdir(parents=True, exist_ok=True)
    files: dict[str, Any] = {"users.json": USERS if users is None else users, **(extra or {})}
    files["channels.json"] = CHANNELS if channels is None else channels
    files.update(days)
    for name, content in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return root


def _zip_folder(folder: Path, path: Path, *, prefix: str = "") -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(folder.rglob("*")):
            if file.is_file():
                archive.write(file, prefix + file.relative_to(folder).as_posix())
    return path


def _msg(ts: str, user: str | None = "U1", text: str = "hello", **extra: Any) -> dict[str, Any]:
    message = {"type": "message", "ts": ts, "text": text, **extra}
    if user is not None:
        message["user"] = user
    return message


def _by_id(batch: CanonicalBatch) -> dict[str, Any]:
    return {post.id: post for post in batch.posts}


# --- the real export ---------------------------------------------------------------------------------------------

real_data = pytest.mark.skipif(not (REAL / "users.json").is_file(), reason=f"real Slack export not present at {REAL}")


def _real_messages() -> list[tuple[str, dict[str, Any]]]:
    channel_ids = {c["name"]: c["id"] for c in json.loads((REAL / "channels.json").read_text())}
    found = []
    for day in sorted(REAL.glob("*/*.json")):
        found += [(channel_ids[day.parent.name], m) for m in json.loads(day.read_text())]
    return found


@pytest.mark.slow
@real_data
def test_real_export_counts() -> None:
    users = json.loads((REAL / "users.json").read_text())
    bots = {u["id"] for u in users if u.get("is_bot")} | {"USLACKBOT"}
    messages = _real_messages()

    def author(m: dict[str, Any]) -> str | None:
        return m["comment"]["user"] if m.get("subtype") == "file_comment" else m.get("user")

    human = [(c, m) for c, m in messages if m.get("subtype") in HUMAN_SUBTYPES and author(m) not in bots]
    per_channel = Counter(c for c, _ in human)
    replies = [m for _, m in human if m.get("thread_ts") not in (None, m["ts"])]
    skipped = Counter(m.get("subtype") for _, m in messages if m.get("subtype") not in HUMAN_SUBTYPES)

    result = import_slack(REAL)
    batch = result.batch

    assert batch.rejects == ()
    assert len(batch.people) == len([u for u in users if u["id"] not in bots])
    assert len(batch.posts) == len(human)
    assert Counter(p.id.split(":")[1] for p in batch.posts) == per_channel
    assert sum(1 for p in batch.posts if p.reply_to) == len(replies)
    assert sum(result.skipped.values()) == len(messages) - len(human)
    assert {k.removeprefix("subtype "): v for k, v in result.skipped.items()} == skipped
    assert batch.read == len(messages) + len(users)
    assert {p.id for p in batch.posts} == {f"slack:{c}:{m['ts']}" for c, m in human}
    stamps = [float(m["ts"]) for _, m in human]
    assert min(p.created_at for p in batch.posts).timestamp() == pytest.approx(min(stamps), abs=1e-6)
    assert max(p.created_at for p in batch.posts).timestamp() == pytest.approx(max(stamps), abs=1e-6)
    assert all(p.created_at.tzinfo is UTC for p in batch.posts)


@pytest.mark.slow
@real_data
def test_real_export_mentions_and_people() -> None:
    users = json.loads((REAL / "users.json").read_text())
    human = [(c, m) for c, m in _real_messages() if m.get("subtype") in HUMAN_SUBTYPES and "user" in m]
    # Mentions of someone other than the author, as "<@U…>" or "<@U…|name>" tokens.
    expected = {
        f"slack:{c}:{m['ts']}"
        for c, m in human
        if any(tok.split(">")[0].split("|")[0] != m["user"] for tok in m["text"].split("<@")[1:])
    }
    batch = read_slack(REAL)
    assert expected  # the export does use mentions
    assert {p.id for p in batch.posts if p.mentions} == expected
    assert all("<@" not in p.text and "<http" not in p.text for p in batch.posts)
    deleted = {f"slack:{u['id']}" for u in users if u.get("deleted")}
    assert {p.id for p in batch.people if p.opted_out} == deleted
    assert all(p.email is None for p in batch.people)  # the published copy redacts every address


# --- hand-made exports -------------------------------------------------------------------------------------------


def test_people_bots_and_identity(tmp_path: Path) -> None:
    batch = read_slack(_export(tmp_path, {"general/2016-01-01.json": [_msg("1.000100")]}))
    people = {p.id: p for p in batch.people}
    assert set(people) == {"slack:U1", "slack:U2", "slack:U3"}
    assert people["slack:U1"].name == "Ana Silva"
    assert people["slack:U1"].handles == ("ana", "ana.s", "Ana Silva")
    assert people["slack:U1"].email == "ana@x.org"
    assert people["slack:U2"].email is None  # not an address
    assert people["slack:U2"].title == "GIS analyst"
    assert people["slack:U3"].opted_out and not people["slack:U1"].opted_out


def test_threads_and_timestamps_kept_as_strings(tmp_path: Path) -> None:
    day = [
        _msg("1455569245.000200", text="parent", thread_ts="1455569245.000200", reply_count=2),
        _msg("1455569300.000010", "U2", "first reply", thread_ts="1455569245.000200", parent_user_id="U1"),
        _msg("1455569400.000000", "U1", "top level"),
    ]
    later = [_msg("1455655645.000001", "U2", "late reply", thread_ts="1455569245.000200", parent_user_id="U1")]
    path = _export(tmp_path, {"general/2016-02-15.json": day, "general/2016-02-16.json": later})
    posts = _by_id(read_slack(path, base_url="https://acme.slack.com/"))
    parent = posts["slack:C1:1455569245.000200"]
    assert parent.reply_to is None
    assert parent.created_at == datetime(2016, 2, 15, 20, 47, 25, 200, tzinfo=UTC)
    assert parent.space == "general"
    assert parent.url == "https://acme.slack.com/archives/C1/p1455569245000200"
    assert posts["slack:C1:1455569300.000010"].reply_to == "slack:C1:1455569245.000200"
    assert posts["slack:C1:1455655645.000001"].reply_to == "slack:C1:1455569245.000200"
    assert posts["slack:C1:1455569400.000000"].reply_to is None


def test_old_format_without_threads_has_no_replies(tmp_path: Path) -> None:
    days = {f"general/2015-06-0{d}.json": [_msg(f"14335{d}0000.00000{i}", f"U{i}") for i in (1, 2)] for d in (1, 2)}
    batch = read_slack(_export(tmp_path, days))
    assert len(batch.posts) == 4
    assert all(p.reply_to is None for p in batch.posts)


def test_markup_becomes_readable_text_and_mentions(tmp_path: Path) -> None:
    text = (
        "<@U2|bob> and <@U1> see <https://d3js.org|D3 docs> or <https://example.org> in <#C2|maps> "
        "&lt;3 &amp;amp; <!here> mail <mailto:a@b.org|a@b.org> <@U9>"
    )
    batch = read_slack(_export(tmp_path, {"general/2016-01-01.json": [_msg("1.000001", "U1", text)]}))
    (post,) = batch.posts
    assert post.text == "@Bob Ng and @ana.s see D3 docs or https://example.org in #maps <3 &amp; @here mail a@b.org @U9"
    assert post.mentions == ("slack:U2", "slack:U9")  # the author's own mention is not an interaction


def test_system_bot_and_deleted_messages_are_skipped_with_reasons(tmp_path: Path) -> None:
    day = [
        _msg("1.000001", "U1", "<@U1|ana> has joined the channel", subtype="channel_join"),
        _msg("1.000002", None, "build passed", subtype="bot_message", bot_id="B1"),
        _msg("1.000003", "B1", "deploy done"),
        _msg("1.000004", "USLACKBOT", "reminder"),
        _msg("1.000005", "U1", "set the topic", subtype="channel_topic"),
        _msg("1.000006", "USLACKBOT", "This message was deleted.", subtype="tombstone", thread_ts="1.000006"),
        _msg("1.000007", "U2", "reply to a deleted parent", thread_ts="1.000006", parent_user_id="U1"),
        _msg("1.000008", "U2", "edited now", edited={"user": "U2", "ts": "1.000009"}),
        _msg("1.000010", "U1", "app says hi", bot_id="B9", bot_profile={"name": "app"}),
    ]
    result = import_slack(_export(tmp_path, {"general/2016-01-01.json": day}))
    posts = _by_id(result.batch)
    assert set(posts) == {"slack:C1:1.000007", "slack:C1:1.000008"}
    assert result.skipped == {"subtype channel_join": 1, "subtype bot_message": 1, "subtype channel_topic": 1,
                              "bot": 3, "deleted": 1}  # fmt: skip
    assert posts["slack:C1:1.000007"].reply_to is None  # its parent was deleted
    assert posts["slack:C1:1.000008"].text == "edited now"
    assert result.batch.read == len(day) + len(USERS)


def test_file_share_and_file_comment_keep_their_text(tmp_path: Path) -> None:
    day = [
        _msg("2.000001", "U2", "<@U2|bob> uploaded a file: <https://x/f.png|map.png> and said: rivers",
             subtype="file_share"),
        {"type": "message", "subtype": "file_comment", "ts": "2.000002", "text": "<@U1|ana> commented: nice",
         "comment": {"user": "U1", "comment": "nice <@U2> map"}},
    ]  # fmt: skip
    posts = _by_id(read_slack(_export(tmp_path, {"maps/2016-01-01.json": day})))
    assert posts["slack:C2:2.000001"].text == "@Bob Ng uploaded a file: map.png and said: rivers"
    assert posts["slack:C2:2.000001"].mentions == ()
    comment = posts["slack:C2:2.000002"]
    assert (comment.author, comment.text, comment.mentions) == ("slack:U1", "nice @Bob Ng map", ("slack:U2",))


def test_bad_json_file_is_quarantined_and_the_rest_imports(tmp_path: Path) -> None:
    days = {
        "general/2016-01-01.json": [_msg("1.000001")],
        "general/2016-01-02.json": '[{"ts": "2.0", "user": "U1", "text": "cut off',
        "maps/2016-01-02.json": [_msg("3.000001", "U2")],
    }
    batch = read_slack(_export(tmp_path, days))
    assert {p.id for p in batch.posts} == {"slack:C1:1.000001", "slack:C2:3.000001"}
    (reject,) = batch.rejects
    assert reject.file == "general/2016-01-02.json"
    assert reject.line == 0
    assert "not valid JSON" in reject.reason


def test_malformed_messages_become_rejects_with_positions(tmp_path: Path) -> None:
    day = [
        _msg("1.000001"),
        "not an object",
        {"type": "message", "user": "U1", "text": "no ts"},
        {"type": "message", "user": "U1", "text": "float ts", "ts": 1455569245.0002},
        _msg("1.000005", text=["not", "text"]),
        _msg("1.000006", thread_ts="yesterday"),
        _msg("1.000007"),
    ]
    batch = read_slack(_export(tmp_path, {"general/2016-01-01.json": day}))
    assert [p.id for p in batch.posts] == ["slack:C1:1.000001", "slack:C1:1.000007"]
    assert [(r.line, r.field) for r in batch.rejects] == [
        (2, None),
        (3, "ts"),
        (4, "ts"),
        (5, "text"),
        (6, "thread_ts"),
    ]
    assert all(r.file == "general/2016-01-01.json" for r in batch.rejects)
    assert batch.rejects[3].record_id == "slack:C1:1.000005"


def test_zip_export_matches_folder_export(tmp_path: Path) -> None:
    folder = _export(tmp_path / "f", {"general/2016-01-01.json": [_msg("1.000001", text="<@U2> hi")]})
    plain = read_slack(folder)
    wrapped = read_slack(_zip_folder(folder, tmp_path / "export.zip", prefix="Acme Slack export/"))
    assert wrapped.posts == plain.posts
    assert wrapped.people == plain.people


def test_unsafe_zip_is_refused(tmp_path: Path) -> None:
    folder = _export(tmp_path / "f", {"general/2016-01-01.json": [_msg("1.000001")]})
    path = _zip_folder(folder, tmp_path / "export.zip")
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("../evil", "owned")
    with pytest.raises(SourceError, match=r"'\.\./evil'"):
        read_slack(path)


def test_zip_bomb_export_is_refused(tmp_path: Path) -> None:
    folder = _export(tmp_path / "f", {"general/2016-01-01.json": "[" + " " * (8 * 1024**2) + "]"})
    path = _zip_folder(folder, tmp_path / "export.zip")
    with pytest.raises(SourceError, match="zip bomb"):
        read_slack(path)
    assert len(read_slack(path, limits=ArchiveLimits(max_ratio=1e6)).posts) == 0


def test_private_channels_carry_their_members_as_audience(tmp_path: Path) -> None:
    groups = [{"id": "G1", "name": "secret-plans", "members": ["U1", "U2"]}, {"id": "G2", "name": "nobody"}]
    dms = [{"id": "D1", "members": ["U1", "U2"]}]
    days = {
        "secret-plans/2016-01-01.json": [_msg("1.000001")],
        "nobody/2016-01-01.json": [_msg("1.000002")],
        "D1/2016-01-01.json": [_msg("1.000003", "U2")],
        "general/2016-01-01.json": [_msg("1.000004")],
    }
    posts = _by_id(read_slack(_export(tmp_path, days, extra={"groups.json": groups, "dms.json": dms})))
    assert posts["slack:G1:1.000001"].audience == ("slack:U1", "slack:U2")
    assert posts["slack:G2:1.000002"].audience == ("slack:G2",)  # no member list: only the author may see it
    assert posts["slack:D1:1.000003"].audience == ("slack:U1", "slack:U2")
    assert posts["slack:C1:1.000004"].audience == ()


def test_unlisted_folder_is_rejected_not_made_public(tmp_path: Path) -> None:
    batch = read_slack(_export(tmp_path, {"mystery/2016-01-01.json": [_msg("1.000001")]}))
    assert batch.posts == ()
    (reject,) = batch.rejects
    assert reject.file == "mystery"
    assert "not listed" in reject.reason


def test_unknown_author_becomes_a_person(tmp_path: Path) -> None:
    day = [_msg("1.000001", "U7", "guest here", user_profile={"real_name": "Guest Person", "name": "guest"})]
    batch = read_slack(_export(tmp_path, {"general/2016-01-01.json": day}))
    guest = next(p for p in batch.people if p.id == "slack:U7")
    assert (guest.name, guest.handles) == ("Guest Person", ("guest", "Guest Person"))


def test_progress_reports_messages_read(tmp_path: Path) -> None:
    days = {f"general/2016-01-0{d}.json": [_msg(f"{d}.00000{i}") for i in range(d)] for d in (1, 2, 3)}
    seen: list[int] = []
    read_slack(_export(tmp_path, days), progress=seen.append)
    assert seen == [1, 3, 6]


def test_not_a_slack_export(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hi")
    with pytest.raises(SourceError, match=r"users\.json not found"):
        read_slack(tmp_path)
    (tmp_path / "users.json").write_text("[]")
    with pytest.raises(SourceError, match=r"no channels\.json"):
        read_slack(tmp_path)
    (tmp_path / "users.json").write_text("{not json")
    with pytest.raises(SourceError, match=r"users\.json"):
        read_slack(tmp_path)
