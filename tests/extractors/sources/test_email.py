"""E-mail importer: hand-written messages and mboxes for the rules, the Berkeley Enron subset for the counts."""

from __future__ import annotations

from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest

from extractors.sources.common import SourceError
from extractors.sources.email_archive import (
    SKIP_DUPLICATE,
    clean_subject,
    import_email,
    read_email,
    strip_quoted,
)
from tests.shared_data import DATA as SHARED_DATA

ENRON = SHARED_DATA / "enron-berkeley-categories"


def _message(
    *,
    message_id: str | None = "<m1@example.com>",
    sender: str | None = '"Ann Example" <Ann@Example.com>',
    to: str = "bob@example.com",
    cc: str | None = None,
    date: str | None = "Tue, 06 Mar 2001 09:59:00 -0800",
    subject: str = "Re: FW: Cluster upgrade",
    extra: str = "",
    body: str = "We moved the cluster to the new kernel.\n",
    charset: str = "us-ascii",
    encoding: str = "utf-8",
) -> bytes:
    headers = [
        f"Message-ID: {message_id}" if message_id else None,
        f"Date: {date}" if date else None,
        f"From: {sender}" if sender else None,
        f"To: {to}",
        f"Cc: {cc}" if cc else None,
        f"Subject: {subject}",
        "Mime-Version: 1.0",
        f"Content-Type: text/plain; charset={charset}",
        extra or None,
    ]
    head = "\n".join(h for h in headers if h) + "\n\n"
    return head.encode("ascii") + body.encode(encoding)


def _posts(batch):
    return {post.id: post for post in batch.posts}


# --- quoted text, forwards and signatures ---------------------------------------------------------------------------


def test_quoted_lines_and_attribution_are_removed_but_interleaved_replies_kept() -> None:
    text = (
        "Sounds good, see inline.\n\n"
        "On Mon, 5 Mar 2001 at 10:00, Bob Example <bob@example.com> wrote:\n"
        "> Can we upgrade the cluster?\n"
        "> It is slow.\n"
        "Yes, next week.\n"
        ">> older quote\n"
    )
    assert strip_quoted(text) == "Sounds good, see inline.\n\nYes, next week."


def test_two_line_attribution_without_quote_markers_cuts_the_rest() -> None:
    text = "Agreed.\nOn Mon, Mar 5, 2001 at 10:00 AM, Bob Example <bob@example.com>\nwrote:\nCan we upgrade?\n"
    assert strip_quoted(text) == "Agreed."


def test_wrote_in_running_text_does_not_cut_the_message() -> None:
    text = "Here is what the customer wrote:\nthe dashboard times out after 30 s.\nCan you look?\n"
    assert strip_quoted(text) == text.strip()


def test_outlook_original_message_block_is_cut() -> None:
    text = (
        "I'll send the numbers tomorrow.\n\n"
        " -----Original Message-----\n"
        "From: \tBob Example\n"
        "Sent:\tMonday, March 05, 2001 10:00 AM\n"
        "To:\tAnn Example\n"
        "Subject:\tnumbers\n\n"
        "Where are the numbers?\n"
    )
    assert strip_quoted(text) == "I'll send the numbers tomorrow."


def test_outlook_header_block_without_banner_is_cut() -> None:
    text = "Fine by me.\n\nFrom: Bob Example\nSent: Monday, March 05, 2001 10:00 AM\nTo: Ann\nSubject: x\n\nOld text\n"
    assert strip_quoted(text) == "Fine by me."


def test_forwarded_blocks_are_cut() -> None:
    notes = (
        "FYI, see below.\n"
        "---------------------- Forwarded by Steven J Kean/HOU/EES on 10/18/99 08:46 AM ------------------\n\n"
        "The forwarded article text.\n"
    )
    gmail = "Look at this\n\n---------- Forwarded message ---------\nFrom: someone\n\nforwarded body\n"
    apple = "Interesting.\n\nBegin forwarded message:\n\nFrom: someone\n"
    assert strip_quoted(notes) == "FYI, see below."
    assert strip_quoted(gmail) == "Look at this"
    assert strip_quoted(apple) == "Interesting."


def test_lotus_notes_reply_header_is_cut_with_the_sender_line_above_it() -> None:
    text = (
        "Let's discuss Monday.\n\n"
        "Karen Denne@ENRON\n"
        "10/18/99 07:08 AM\n"
        "To: Steven J Kean/HOU/EES@EES\n"
        "cc:\n"
        "Subject: Translation of articles\n\n"
        "Here it is!\n"
    )
    inline = "Ok.\n\ngramlr@pjm.com on 08/29/2000 04:06:56 PM\nTo: jeff.dasovich@enron.com\n\nold text\n"
    assert strip_quoted(text) == "Let's discuss Monday."
    assert strip_quoted(inline) == "Ok."


def test_signatures_and_sign_offs_are_removed() -> None:
    dashed = "The build cache lives on the NFS share.\n\n-- \nAnn Example\nPlatform team, ext. 1234\n"
    sign_off = "The build cache lives on the NFS share.\n\nThanks,\nAnn\nPlatform team\n"
    phone = "The build cache lives on the NFS share.\n\nSent from my BlackBerry Wireless Handheld\n"
    for text in (dashed, sign_off, phone):
        assert strip_quoted(text) == "The build cache lives on the NFS share."


def test_a_sign_off_word_in_the_middle_of_a_long_message_is_kept() -> None:
    text = "Thanks,\nthe cache is on NFS.\nIt holds build outputs.\nIt is purged weekly.\nOwners: platform.\nMore.\n"
    assert strip_quoted(text) == text.strip()


def test_subject_prefixes_are_removed() -> None:
    assert clean_subject("Re: FW: RE[2]: Fwd:  Cluster   upgrade") == "Cluster upgrade"
    assert clean_subject("Regarding the plan") == "Regarding the plan"
    assert clean_subject("Re:") is None
    assert clean_subject(None) is None


# --- messages to records --------------------------------------------------------------------------------------------


def test_message_becomes_a_post_with_people_mentions_and_a_private_audience(tmp_path: Path) -> None:
    body = "We moved the cluster to the new kernel.\n\n> old quoted question\n\n-- \nAnn\n"
    raw = _message(to="Bob Example <BOB@example.com>, carol@example.com", cc="ann@example.com, dan@example.com")
    (tmp_path / "m1.eml").write_bytes(raw.replace(b"We moved the cluster to the new kernel.\n", body.encode()))
    batch = read_email(tmp_path / "m1.eml")

    (post,) = batch.posts
    assert post.id == "email:m1@example.com"
    assert post.author == "email:ann@example.com"
    assert post.created_at == datetime(2001, 3, 6, 17, 59, tzinfo=UTC)
    assert post.title == "Cluster upgrade"
    assert post.text == "We moved the cluster to the new kernel."
    assert post.mentions == ("email:bob@example.com", "email:carol@example.com", "email:dan@example.com")
    assert set(post.audience) == {"email:ann@example.com", *post.mentions}
    people = {p.id: p for p in batch.people}
    assert set(people) == {"email:ann@example.com", *post.mentions}
    ann = people["email:ann@example.com"]
    assert (ann.name, ann.email, ann.handles) == ("Ann Example", "ann@example.com", ("ann",))
    assert people["email:bob@example.com"].name == "Bob Example"
    assert people["email:carol@example.com"].name == "carol@example.com"  # no display name anywhere


def test_public_archives_can_opt_into_an_open_audience(tmp_path: Path) -> None:
    (tmp_path / "m1.eml").write_bytes(_message(extra="List-Id: Platform talk <platform.lists.example.com>"))
    (post,) = read_email(tmp_path / "m1.eml", audience="everyone").posts
    assert post.audience == ()
    assert post.space == "platform.lists.example.com"


def test_mbox_with_a_duplicate_is_threaded_and_deduplicated(tmp_path: Path) -> None:
    first = _message(message_id="<a@x>", subject="Cluster", body="Should we upgrade?\n>From the old days\n")
    reply = _message(
        message_id="<b@x>",
        sender="bob@example.com",
        to="ann@example.com",
        date="Wed, 07 Mar 2001 10:00:00 +0000",
        extra="In-Reply-To: <a@x>\nReferences: <elsewhere@x> <a@x>",
        body="Yes.\n",
    )
    mbox = b"".join(
        b"From MAILER-DAEMON Thu Jan  1 00:00:00 1970\n" + message + b"\n" for message in (first, reply, first)
    )
    (tmp_path / "archive.mbox").write_bytes(mbox)

    result = import_email(tmp_path / "archive.mbox")
    posts = _posts(result.batch)
    assert set(posts) == {"email:a@x", "email:b@x"}
    assert result.batch.read == 3
    assert result.skipped == {SKIP_DUPLICATE: 1}
    assert posts["email:b@x"].reply_to == "email:a@x"
    assert posts["email:a@x"].reply_to is None
    assert posts["email:a@x"].text == "Should we upgrade?\nFrom the old days"  # mboxrd ">From " unescaped


def test_reply_to_falls_back_to_the_nearest_reference_in_the_archive(tmp_path: Path) -> None:
    (tmp_path / "root.eml").write_bytes(_message(message_id="<root@x>"))
    missing_parent = "In-Reply-To: <gone@x>\nReferences: <root@x> <gone@x>"
    (tmp_path / "reply.eml").write_bytes(_message(message_id="<reply@x>", extra=missing_parent))
    (tmp_path / "orphan.eml").write_bytes(_message(message_id="<orphan@x>", extra="In-Reply-To: <nowhere@x>"))
    posts = _posts(read_email(tmp_path))
    assert posts["email:reply@x"].reply_to == "email:root@x"
    assert posts["email:orphan@x"].reply_to is None


def test_malformed_messages_are_rejected_with_file_and_reason_while_the_rest_imports(tmp_path: Path) -> None:
    (tmp_path / "good.eml").write_bytes(_message(message_id="<good@x>"))
    (tmp_path / "no-date.eml").write_bytes(_message(message_id="<nodate@x>", date=None))
    (tmp_path / "bad-date.eml").write_bytes(_message(message_id="<baddate@x>", date="sometime last week"))
    (tmp_path / "no-from.eml").write_bytes(_message(message_id="<nofrom@x>", sender=None))
    (tmp_path / "bad-from.eml").write_bytes(_message(message_id="<badfrom@x>", sender="Just A Name"))
    (tmp_path / "notes.txt").write_text("Format of each line: n1,n2\n1,2\n")  # not mail: passed over
    batch = read_email(tmp_path)

    assert set(_posts(batch)) == {"email:good@x"}
    assert batch.read == 5
    rejects = {r.file: r for r in batch.rejects}
    assert set(rejects) == {"no-date.eml", "bad-date.eml", "no-from.eml", "bad-from.eml"}
    assert (rejects["no-date.eml"].field, rejects["no-date.eml"].record_id) == ("Date", "email:nodate@x")
    assert rejects["bad-date.eml"].field == "Date" and "sometime last week" in rejects["bad-date.eml"].reason
    assert rejects["no-from.eml"].field == "From"
    assert rejects["bad-from.eml"].field == "From"


def test_rejected_mbox_message_is_named_by_its_line(tmp_path: Path) -> None:
    good, bad = _message(message_id="<g@x>"), _message(message_id="<b@x>", date=None)
    separator = b"From someone Thu Jan  1 00:00:00 1970\n"
    mbox = separator + good + b"\n" + separator + bad
    (tmp_path / "box").write_bytes(mbox)
    batch = read_email(tmp_path / "box")
    (reject,) = batch.rejects
    assert (reject.file, reject.line) == ("box", (separator + good + b"\n").count(b"\n") + 1)


def test_charsets_are_honoured_and_bad_ones_never_crash(tmp_path: Path) -> None:
    (tmp_path / "latin.eml").write_bytes(
        _message(message_id="<l@x>", charset="iso-8859-1", encoding="latin-1", body="Café résumé\n")
    )
    unknown = _message(message_id="<u@x>", charset="x-no-such-charset", body="Grüße aus Köln\n")
    (tmp_path / "unknown.eml").write_bytes(unknown)
    lying = _message(message_id="<y@x>", charset="us-ascii", encoding="cp1252", body="Caf\u00e9 d\u00e9j\u00e0 vu\n")
    (tmp_path / "lying.eml").write_bytes(lying)
    posts = _posts(read_email(tmp_path))
    assert posts["email:l@x"].text == "Café résumé"
    assert posts["email:u@x"].text == "Grüße aus Köln"
    assert posts["email:y@x"].text == "Café déjà vu"  # declared ASCII, not UTF-8: read as cp1252


def test_message_without_message_id_gets_a_stable_content_hash_id(tmp_path: Path) -> None:
    (tmp_path / "a.eml").write_bytes(_message(message_id=None))
    first = read_email(tmp_path / "a.eml").posts[0].id
    assert first.startswith("email:sha256:")
    assert read_email(tmp_path / "a.eml").posts[0].id == first


def test_html_only_message_is_reduced_to_text(tmp_path: Path) -> None:
    raw = _message(body="<html><body><p>Deploy <b>today</b></p><p>ok?</p></body></html>\n").replace(
        b"text/plain", b"text/html"
    )
    (tmp_path / "h.eml").write_bytes(raw)
    assert read_email(tmp_path / "h.eml").posts[0].text == "Deploy today\nok?"


def test_a_single_file_that_is_not_mail_is_a_source_error(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("just some notes\n")
    with pytest.raises(SourceError, match="neither an mbox"):
        read_email(tmp_path / "notes.txt")


# --- the real data set ----------------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.skipif(not ENRON.is_dir(), reason="shared data set not available")
def test_enron_subset_counts_match_an_independent_count() -> None:
    parser = BytesParser(policy=policy.default)
    files = sorted(ENRON.rglob("*.txt"))
    messages = [parser.parsebytes(f.read_bytes()) for f in files]
    message_ids = {str(m["Message-ID"]).strip().strip("<>") for m in messages if m["Message-ID"]}
    mail = [m for m in messages if m["Message-ID"]]
    addresses = {
        a.addr_spec.lower() for m in mail for h in ("From", "To", "Cc", "Bcc") for a in (m[h].addresses if m[h] else ())
    }

    result = import_email(ENRON)
    batch = result.batch
    assert batch.read == len(mail)
    assert {p.id for p in batch.posts} == {f"email:{i}" for i in message_ids}
    assert len(batch.posts) + len(batch.rejects) + result.skipped.get(SKIP_DUPLICATE, 0) == len(mail)
    assert {p.email for p in batch.people} == addresses
    assert all(p.created_at.tzinfo is UTC for p in batch.posts)
    # Forward banners never survive into what the sender is credited with having written.
    assert not any("Forwarded by" in p.text or "-----Original Message-----" in p.text for p in batch.posts)
