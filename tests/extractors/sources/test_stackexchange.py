"""Stack Exchange importer: hand-made dumps for the rules, the real quantumcomputing dump for the counts."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from xml.sax.saxutils import quoteattr

import pytest

from extractors.sources.common import SourceError
from extractors.sources.stackexchange import (
    SKIP_DELETED_OWNER,
    SKIP_OTHER_TYPE,
    SKIP_SERVICE_USER,
    accepted_answers,
    import_stackexchange,
    parse_tags,
    post_id,
    read_stackexchange,
)
from tests.shared_data import DATA as SHARED_DATA

REAL_DUMP = SHARED_DATA / "stackexchange-quantumcomputing-2018"
HTML_TAG = re.compile(r"</?(?:p|a|code|pre|em|strong|blockquote|ul|ol|li|br|hr|img|sup|sub|h[1-6]|div|span)\b[^>]*>")

USERS = [
    {"Id": "-1", "DisplayName": "Community", "CreationDate": "2018-03-09T18:48:09.477"},
    {"Id": "7", "DisplayName": "Ada Lovelace", "CreationDate": "2018-03-10T10:00:00.000"},
    {"Id": "8", "DisplayName": "Blue", "CreationDate": "2018-03-10T11:00:00.000"},
]
QUESTION_BODY = '<p>Is a <a href="https://x">qubit</a> like a bit &amp; more?</p>\n<pre><code>x = 1</code></pre>'
POSTS = [
    {"Id": "1", "PostTypeId": "1", "AcceptedAnswerId": "2", "CreationDate": "2018-03-12T17:00:45.567",
     "OwnerUserId": "7", "Title": "What is a <qubit>?", "Body": QUESTION_BODY, "Tags": "<qubit><quantum-gate>"},
    {"Id": "2", "PostTypeId": "2", "ParentId": "1", "CreationDate": "2018-03-12T18:00:00.000", "OwnerUserId": "8",
     "Body": "<p>It is a <em>two-level</em> system.</p>"},
    {"Id": "3", "PostTypeId": "1", "CreationDate": "2018-03-13T09:00:00.000", "OwnerUserId": "8",
     "Title": "Newer tag format", "Body": "<p>Body</p>", "Tags": "|grover|oracle|"},
    {"Id": "4", "PostTypeId": "2", "ParentId": "3", "CreationDate": "2018-03-13T10:00:00.000",
     "OwnerDisplayName": "gone", "Body": "<p>Orphan</p>"},
    {"Id": "5", "PostTypeId": "4", "CreationDate": "2018-03-13T11:00:00.000", "OwnerUserId": "-1", "Body": "excerpt"},
    {"Id": "6", "PostTypeId": "2", "ParentId": "3", "OwnerUserId": "7", "Body": "<p>No date</p>"},
    {"Id": "7", "PostTypeId": "2", "ParentId": "3", "CreationDate": "2018-03-14T10:00:00.000", "OwnerUserId": "7",
     "Body": "<p>Fine</p>"},
]  # fmt: skip
COMMENTS = [
    {
        "Id": "1",
        "PostId": "1",
        "Text": "@Blue see a < b here",
        "CreationDate": "2018-03-12T17:14:46.030",
        "UserId": "8",
    },
    {"Id": "2", "PostId": "2", "Text": "Thanks!", "CreationDate": "2018-03-12T18:14:46.030", "UserId": "7"},
    {"Id": "3", "PostId": "2", "Text": "Anonymous", "CreationDate": "2018-03-12T18:20:00.000"},
]
FIRST_ROW_LINE = 3
"""Rows start on line 3, after the XML declaration and the root element, one row per line as in real dumps."""


def _xml(root: str, rows: list[dict[str, str]]) -> str:
    lines = [f"  <row {' '.join(f'{k}={quoteattr(v)}' for k, v in row.items())} />" for row in rows]
    return "\n".join(['\ufeff<?xml version="1.0" encoding="utf-8"?>', f"<{root}>", *lines, f"</{root}>", ""])


def _dump(
    directory: Path, *, comments: str | None = None, with_comments: bool = True, source: str | None = None
) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "Users.xml").write_text(_xml("users", USERS), encoding="utf-8")
    (directory / "Posts.xml").write_text(_xml("posts", POSTS), encoding="utf-8")
    if comments is None and with_comments:
        comments = _xml("comments", COMMENTS)
    if comments is not None:
        (directory / "Comments.xml").write_text(comments, encoding="utf-8")
    if source is not None:
        (directory / "SOURCE.txt").write_text(source, encoding="utf-8")
    return directory


def _by_id(batch):
    return {post.id: post for post in batch.posts}


def test_questions_answers_and_comments_become_threaded_posts(tmp_path: Path) -> None:
    result = import_stackexchange(_dump(tmp_path / "dump", source="Dump of quantumcomputing.stackexchange.com\n"))
    posts = _by_id(result.batch)

    question = posts["se:post:1"]
    assert question.author == "se:7"
    assert question.title == "What is a <qubit>?"
    assert question.reply_to is None
    assert question.created_at == datetime(2018, 3, 12, 17, 0, 45, 567000, tzinfo=UTC)
    assert question.url == "https://quantumcomputing.stackexchange.com/q/1"
    assert question.space == "quantumcomputing.stackexchange.com"
    # Code stays recognisable as code (a fenced block), so topic cleaning can leave it out.
    assert question.text == "Is a qubit like a bit & more?\n```\nx = 1\n```"
    assert not HTML_TAG.search(question.text)

    answer = posts["se:post:2"]
    assert (answer.author, answer.reply_to, answer.title) == ("se:8", "se:post:1", None)
    assert answer.text == "It is a two-level system."
    assert answer.url == "https://quantumcomputing.stackexchange.com/a/2"

    assert posts["se:post:3"].text == "Body"
    comment = posts["se:comment:1"]
    assert (comment.author, comment.reply_to) == ("se:8", "se:post:1")
    assert comment.text == "@Blue see a < b here"  # plain text: "<" survives
    assert posts["se:comment:2"].reply_to == "se:post:2"


def test_tags_are_metadata_of_the_question_never_text(tmp_path: Path) -> None:
    posts = _by_id(read_stackexchange(_dump(tmp_path / "dump")))
    assert posts["se:post:1"].tags == ("qubit", "quantum-gate")  # <a><b>, the older dump format
    assert posts["se:post:3"].tags == ("grover", "oracle")  # |a|b|, the newer one
    assert not any("Tags:" in post.text or "quantum-gate" in post.text for post in posts.values())
    assert all(post.tags == () for post in posts.values() if post.reply_to is not None)  # answers and comments


def test_people_exclude_the_community_account_and_carry_mention_handles(tmp_path: Path) -> None:
    result = import_stackexchange(_dump(tmp_path / "dump"))
    people = {p.id: p for p in result.batch.people}
    assert set(people) == {"se:7", "se:8"}
    assert people["se:7"].name == "Ada Lovelace"
    assert people["se:7"].handles == ("Ada Lovelace", "AdaLovelace")
    assert result.skipped[SKIP_SERVICE_USER] == 1


def test_deleted_owners_and_other_post_types_are_skipped_with_reasons(tmp_path: Path) -> None:
    result = import_stackexchange(_dump(tmp_path / "dump"))
    ids = set(_by_id(result.batch))
    assert "se:post:4" not in ids and "se:post:5" not in ids and "se:comment:3" not in ids
    assert result.skipped[SKIP_DELETED_OWNER] == 1
    assert result.skipped[SKIP_OTHER_TYPE] == 1
    # Every row read is accounted for: imported, rejected or skipped on purpose.
    batch = result.batch
    assert batch.read == len(batch.people) + len(batch.posts) + len(batch.rejects) + sum(result.skipped.values())


def test_malformed_row_is_rejected_with_file_and_line_and_the_rest_imported(tmp_path: Path) -> None:
    batch = read_stackexchange(_dump(tmp_path / "dump"))
    assert len(batch.rejects) == 1
    reject = batch.rejects[0]
    line_of_row_6 = FIRST_ROW_LINE + next(i for i, row in enumerate(POSTS) if row["Id"] == "6")
    assert (reject.file, reject.line, reject.field, reject.record_id) == (
        "Posts.xml",
        line_of_row_6,
        "CreationDate",
        "se:post:6",
    )
    assert "se:post:7" in _by_id(batch)


def test_malformed_xml_file_is_one_reject_naming_file_and_line(tmp_path: Path) -> None:
    broken = _xml("comments", COMMENTS).replace('Text="Thanks!"', 'Text="Thanks!" <oops')
    batch = read_stackexchange(_dump(tmp_path / "dump", comments=broken))
    xml_rejects = [r for r in batch.rejects if r.file == "Comments.xml"]
    assert len(xml_rejects) == 1
    broken_line = next(n for n, text in enumerate(broken.splitlines(), start=1) if "<oops" in text)
    assert xml_rejects[0].line == broken_line
    assert "malformed XML" in xml_rejects[0].reason
    ids = set(_by_id(batch))
    assert "se:comment:1" in ids  # rows before the error are kept
    assert "se:comment:2" not in ids
    assert {"se:post:1", "se:post:2", "se:post:3", "se:post:7"} <= ids  # other files are unaffected


def test_missing_posts_file_is_a_source_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(SourceError, match=r"Posts\.xml"):
        read_stackexchange(tmp_path / "empty")


def test_zip_dump_without_site_has_no_urls_and_comments_are_optional(tmp_path: Path) -> None:
    folder = _dump(tmp_path / "dump", with_comments=False)
    archive = tmp_path / "dump.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for file in folder.iterdir():
            zf.write(file, f"site/{file.name}")
    batch = read_stackexchange(archive)
    posts = _by_id(batch)
    assert set(posts) == {"se:post:1", "se:post:2", "se:post:3", "se:post:7"}
    assert all(post.url is None and post.space is None for post in posts.values())


def test_site_option_overrides_guessing(tmp_path: Path) -> None:
    batch = read_stackexchange(_dump(tmp_path / "dump"), site="physics.stackexchange.com")
    assert _by_id(batch)["se:post:2"].url == "https://physics.stackexchange.com/a/2"


def test_accepted_answers_maps_canonical_question_ids_to_answer_ids(tmp_path: Path) -> None:
    assert accepted_answers(_dump(tmp_path / "dump")) == {"se:post:1": "se:post:2"}


def test_progress_reports_rows_read_up_to_the_total(tmp_path: Path) -> None:
    seen: list[int] = []
    batch = read_stackexchange(_dump(tmp_path / "dump"), progress=seen.append)
    assert seen and seen[-1] == batch.read and seen == sorted(seen)


def test_parse_tags_reads_both_formats() -> None:
    assert parse_tags("<a><b-c>") == ("a", "b-c")
    assert parse_tags("|a|b-c|") == ("a", "b-c")
    assert parse_tags("") == ()


def _rows(file: Path) -> list[dict[str, str]]:
    return [row.attrib for row in ET.parse(file).getroot().iter("row")]


@pytest.mark.slow
@pytest.mark.skipif(not REAL_DUMP.is_dir(), reason="shared data set not available")
def test_real_dump_counts_match_an_independent_count() -> None:
    posts = _rows(REAL_DUMP / "Posts.xml")
    comments = _rows(REAL_DUMP / "Comments.xml")
    users = _rows(REAL_DUMP / "Users.xml")

    def owned(row: dict[str, str], key: str) -> bool:
        return row.get(key) not in (None, "-1")

    questions = sum(1 for r in posts if r["PostTypeId"] == "1" and owned(r, "OwnerUserId"))
    answers = sum(1 for r in posts if r["PostTypeId"] == "2" and owned(r, "OwnerUserId"))
    with_user = sum(1 for r in comments if owned(r, "UserId"))
    people = sum(1 for r in users if r["Id"] != "-1")

    batch = read_stackexchange(REAL_DUMP)
    imported = batch.posts
    assert batch.rejects == ()
    assert batch.read == len(posts) + len(comments) + len(users)
    assert sum(1 for p in imported if p.id.startswith("se:post:") and p.reply_to is None) == questions
    assert sum(1 for p in imported if p.id.startswith("se:post:") and p.reply_to is not None) == answers
    assert sum(1 for p in imported if p.id.startswith("se:comment:")) == with_user
    assert len(batch.people) == people
    assert not any(HTML_TAG.search(p.text) for p in imported)
    assert not any("Tags:" in p.text for p in imported)
    tags = {
        post_id(r["Id"]): parse_tags(r.get("Tags", ""))
        for r in posts
        if r["PostTypeId"] == "1" and owned(r, "OwnerUserId")
    }
    assert any(tags.values())
    assert {p.id: p.tags for p in imported if p.id in tags} == tags
    assert all(p.url and p.url.startswith("https://quantumcomputing.stackexchange.com/") for p in imported)

    answer_ids = {r["Id"] for r in posts if r["PostTypeId"] == "2"}
    expected = {r["Id"] for r in posts if r["PostTypeId"] == "1" and r.get("AcceptedAnswerId") in answer_ids}
    accepted = accepted_answers(REAL_DUMP)
    assert len(accepted) == len(expected) > 0
    by_id = {p.id: p for p in imported}
    # An accepted answer replies to the question it was accepted on (when its author still exists).
    assert all(by_id[a].reply_to == q for q, a in accepted.items() if a in by_id)
