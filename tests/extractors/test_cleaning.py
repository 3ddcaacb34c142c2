"""Source noise never reaches topics: each kind of noise is removed, prose is kept, snippets show plain names."""

from __future__ import annotations

import re

import pytest

from extractors.cleaning import strip_quoted, text_for_display, text_for_topics
from extractors.sources.common import strip_html
from tests.shared_data import DATA as SHARED_DATA
from tests.shared_data import needs

SLACK_EXPORT = SHARED_DATA / "slack-houstondatavis-2016"
SE_DUMP = SHARED_DATA / "stackexchange-quantumcomputing-2018"
EMOJI_CODE = re.compile(r":[a-z0-9_+-]+:")
URL = re.compile(r"\b(?:https?|ftp)://|\bwww\.")

PROSE = (
    "We moved the billing cluster to Kafka Streams last spring. The consumer lag dropped by half, "
    "and the on-call rota got quieter; rebalancing still needs care when partitions change."
)


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


# Each case: a text holding one kind of noise around the words "kafka" and "rebalancing", and the noise's words.
NOISE = {
    "fenced code": ("Kafka rebalancing:\n```python\nconsumer.poll(timeout_ms=500)\n```\ndone", ["poll", "timeout_ms"]),
    "unclosed fence": ("Kafka rebalancing fix\n```\nconsumer.poll()", ["poll"]),
    "tilde fence": ("Kafka rebalancing fix\n~~~\nconsumer.poll()\n~~~\nok", ["poll"]),
    "inline code": (
        "Kafka rebalancing needs `max_poll_records` and ``session.timeout``",
        ["max_poll_records", "session"],
    ),
    "inline maths": ("Kafka rebalancing costs $O(n_{max})$ steps, not $5", ["max"]),
    "display maths": ("Kafka rebalancing $$\\sum_i x_i$$ holds", ["sum", "x_i"]),
    "bracket maths": ("Kafka rebalancing \\[ y = mx \\] and \\( z \\) too", ["mx"]),
    "environment": ("Kafka rebalancing \\begin{align} a &= b \\\\ c \\end{align} ends", ["align"]),
    "latex command": ("Kafka rebalancing with \\mathbb{C} states", ["mathbb"]),
    "quoted lines": ("Kafka rebalancing is fine now.\n> Did you change the assignor?\n>> older", ["assignor", "older"]),
    "on wrote": (
        "Kafka rebalancing works.\n\nOn Mon, 5 Mar 2001 at 10:00, Bob <bob@example.com> wrote:\nIs it fixed?",
        ["mon", "bob", "wrote", "fixed"],
    ),
    "zulip said": ("Ana Lee said:\n> how is the cluster?\nKafka rebalancing is done", ["said", "how"]),
    "original message": (
        "Kafka rebalancing plan attached.\n-----Original Message-----\nFrom: Bob\nSent: Monday\nTo: Ann\nold budget",
        ["original", "budget"],
    ),
    "forwarded": ("Kafka rebalancing, FYI.\n---------- Forwarded message ---------\nFrom: x\nold budget", ["budget"]),
    "signature": ("Kafka rebalancing is done.\n-- \nAna Lee\nStaff engineer, ACME", ["staff", "acme"]),
    "sent from": ("Kafka rebalancing is done.\n\nSent from my iPhone", ["iphone", "sent"]),
    "url": ("Kafka rebalancing guide: https://example.org/kafka/guide?x=1 and www.example.org", ["https", "example"]),
    "host with path": ("Kafka rebalancing demo at bl.ocks.org/someone/123abc", ["ocks", "123abc"]),
    "markdown image": ("Kafka rebalancing ![enter image description here](https://i.example.org/a.png)", ["enter"]),
    "e-mail address": ("Kafka rebalancing: ask ops-team@example.org", ["ops", "team", "example"]),
    "file path": ("Kafka rebalancing logs in /var/log/kafka/server.log and ~/work/notes", ["var", "server", "notes"]),
    "handle": ("@ana.lee Kafka rebalancing, cc @bob_ng and @here", ["ana", "lee", "bob_ng", "here"]),
    "quoted name": ('Kafka rebalancing, ask @"Ana Lee" or @“Bo Li”', ["ana", "lee", "bo", "li"]),
    "zulip mention": ("@**Ana Lee** Kafka rebalancing, @_**Bo Li|12** and @*platform-team*", ["ana", "bo", "platform"]),
    "slack mention": (
        "<@U024BE7LH> Kafka rebalancing with <@U1|ana>, see <#C1|ops> <!here>",
        ["u024be7lh", "ana", "ops"],
    ),
    "slack link": ("Kafka rebalancing <https://example.org/x|guide> and <https://example.org/y>", ["https", "example"]),
    "emoji": ("Kafka rebalancing :simple_smile: done :+1::skin-tone-2: :tada:", ["simple_smile", "skin", "tada"]),
    "upload notice": (
        "uploaded a file: Screen Shot 2015-06-09 at 09.36.49.png and commented: Kafka rebalancing",
        ["uploaded", "file", "screen", "shot", "png"],
    ),
    "screenshot": ("Kafka rebalancing fails, screenshot attached: Screenshot-from-2021-08-31.png", ["screenshot"]),
    "image file": ("Kafka rebalancing chart lag_by_partition.PNG", ["lag_by_partition", "png"]),
    "channel notice": ("ana has joined the channel\nKafka rebalancing starts now", ["joined", "channel"]),
    "thanks sentence": ("Thanks so much! Kafka rebalancing is done. Thank you all for the help.", ["thanks", "thank"]),
    "greeting clause": ("Hi all, Kafka rebalancing starts at noon", ["hi", "all"]),
    "greeting sentence": ("Hello everyone!\nKafka rebalancing starts at noon.\nGood to see you here", ["hello", "see"]),
    "closing": ("Kafka rebalancing starts at noon. Good luck!", ["good", "luck"]),
}


@pytest.mark.parametrize("kind", NOISE)
def test_each_kind_of_noise_is_removed_and_the_prose_around_it_kept(kind: str) -> None:
    text, noise = NOISE[kind]
    words = _words(text_for_topics(text))
    assert "kafka" in words and "rebalancing" in words
    assert not set(noise) & set(words), f"{kind}: {text_for_topics(text)!r}"


def test_prose_without_noise_is_returned_as_the_same_object() -> None:
    assert text_for_topics(PROSE) is PROSE
    question = "How do we rotate Kafka credentials without downtime? The old runbook is from 2019."
    assert text_for_topics(question) is question


def test_prose_next_to_noise_keeps_every_word() -> None:
    text = f"{PROSE}\n```\nnoise()\n```\n@bob :tada: https://example.org/x"
    assert _words(text_for_topics(text)) == _words(PROSE)


@pytest.mark.parametrize(
    "text",
    [
        "The upgrade costs $5 per node and $10 per cluster.",  # money is not maths
        "The job starts at 10:30:00 and the ratio is 3:1:2.",  # clocks are not emoji codes
        "Use TCP and/or UDP, at 50 km/h.",  # slashes in prose are not paths
        "Thanks for the great Kafka Streams migration guide, it saved our team a week of work.",  # thanks, and more
        "Short answer: yes, the scheduler handles it.",  # a colon alone is no noise
    ],
)
def test_look_alikes_of_noise_are_kept(text: str) -> None:
    assert _words(text_for_topics(text)) == _words(text)


def test_mentions_are_removed_entirely_from_topic_text() -> None:
    text = '@"Ana Lee", @**Bo Li**, <@U1|cy> and @dan: Kafka'
    assert _words(text_for_topics(text)) == ["and", "kafka"]


def test_markdown_link_keeps_its_label_and_loses_its_address() -> None:
    assert _words(text_for_topics("read [the Kafka guide](https://example.org/guide) first")) == _words(
        "read the Kafka guide first"
    )


def test_interleaved_reply_keeps_the_writers_own_lines() -> None:
    text = "See inline.\nOn Mon, 5 Mar 2001, Bob <bob@example.com> wrote:\n> Upgrade?\nYes, next week.\n> Slow?\nNo."
    assert _words(text_for_topics(text)) == _words("See inline. Yes, next week. No.")


def test_strip_quoted_takes_off_the_mail_sign_off_only_when_asked() -> None:
    text = "The cluster is upgraded.\n\nThanks,\nAna Lee\nStaff engineer"
    assert strip_quoted(text) == "The cluster is upgraded."
    assert strip_quoted(text, sign_off=False) == text


def test_html_code_and_quotations_from_importers_never_reach_topics() -> None:
    html = (
        "<p>Ana Lee <a href='#'>said</a>:</p><blockquote><p>How do I cancel it?</p></blockquote>"
        "<p>Use the <code>cancel_all</code> method:</p><pre><code>client.cancel(job)\n</code></pre><p>Kafka</p>"
    )
    marked = strip_html(html, markdown=True)
    assert (
        marked
        == "Ana Lee said:\n> How do I cancel it?\nUse the `cancel_all` method:\n```\nclient.cancel(job)\n```\nKafka"
    )
    assert _words(text_for_topics(marked)) == ["use", "the", "method", "kafka"]


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ('Ask @"Ana Lee" about it', "Ask Ana Lee about it"),
        ("Ask @“Ana Lee” about it", "Ask Ana Lee about it"),
        ("Ask @**Ana Lee** about it", "Ask Ana Lee about it"),
        ("Ask @_**Ana Lee|42** about it", "Ask Ana Lee about it"),
        ("Ask @*platform team* about it", "Ask platform team about it"),
        ("Ask <@U1|Ana Lee> about <https://example.org|the guide>", "Ask Ana Lee about the guide"),
        ("Ask <@U1> in <#C1|ops>, <!here>", "Ask in #ops, @here"),
        ("Done :tada:   thanks\n\n@bob, see https://example.org/x", "Done thanks @bob, see https://example.org/x"),
    ],
)
def test_display_text_shows_plain_names_and_keeps_prose(text: str, shown: str) -> None:
    assert text_for_display(text) == shown


def test_display_text_keeps_every_word_of_plain_prose() -> None:
    assert text_for_display(PROSE + "\n\n  More.") == " ".join((PROSE + " More.").split())


@pytest.mark.slow
@needs(SLACK_EXPORT / "users.json")
@needs(SE_DUMP / "Posts.xml")
def test_real_exports_lose_their_emoji_codes_urls_and_tag_lines() -> None:
    from extractors.sources.slack import read_slack
    from extractors.sources.stackexchange import read_stackexchange

    slack = [post.text for post in read_slack(SLACK_EXPORT).posts]
    assert any(EMOJI_CODE.search(text) for text in slack) and any(URL.search(text) for text in slack)
    cleaned = [text_for_topics(text) for text in slack]
    assert [text for text in cleaned if EMOJI_CODE.search(text) or URL.search(text)] == []

    stackexchange = [post.text for post in read_stackexchange(SE_DUMP).posts]
    assert not any("Tags:" in text_for_topics(text) for text in stackexchange)
    assert not any(URL.search(text_for_topics(text)) for text in stackexchange)


def test_a_snippet_drops_quoted_lines_and_code_fences_but_keeps_the_code_text() -> None:
    shown = text_for_display('> what they asked\nUse `qiskit.execute`:\n```python\nprint(1)\n```\nThanks @"Ana Lee"')
    assert shown == "Use qiskit.execute: print(1) Thanks Ana Lee"
    assert text_for_display("a > b, so b < a") == "a > b, so b < a"
