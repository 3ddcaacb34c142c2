"""What counts as chatter and how much a post did the work, on planted posts from every kind of source."""

from __future__ import annotations

import dataclasses

import pytest

from graph.delta import Post
from recommender.explain import Evidence, readable, thread_title
from recommender.substance import FULL_TERMS, content_size, is_chatter, role, substance, thread_of
from tests.recommender.builders import day, terms

ANSWER = (
    "Rotate the database credentials with Vault's database secrets engine: each pod gets a lease with a one hour "
    "TTL, the connection pool refreshes on renewal, and we revoke leases when a deployment finishes."
)


def reply(pid: str, text: str, *, to: str = "q", **fields: object) -> Post:
    """An untitled reply, as a comment, a chat message or an answer arrives from every source."""
    made = Post(id=pid, author="a", created_at=day(1), snippet=text, reply_to=to, terms=terms(text))
    return dataclasses.replace(made, **fields)  # type: ignore[arg-type]


QUESTION = Post(
    id="q",
    author="b",
    created_at=day(0),
    title="How do we rotate database credentials?",
    snippet="Our services hold static Postgres passwords. How do we rotate them?",
    is_question=True,
    topics=("vault", "postgres"),
    terms=terms("rotate database credentials services hold static postgres passwords rotate"),
)


@pytest.mark.parametrize(
    "text",
    [
        "Thanks!",
        "Thanks for the Q&A. Good to see you here Ana!",
        "thank you, that fixed it",
        "@bob thanks, will try",
        '@"Ana Lee" thanks a lot, much appreciated',
        "@**Ana Lee** +1",
        "+1 for mentioning the lease renewal",
        "Welcome to the team channel! Glad to have you here.",
        "Hi all, good morning",
        "Huge thanks to @ana for sorting out vault rotation so quickly.",
        'Kudos to @"Ana Lee": the vault write-up saved us days.',
        "Possible duplicate of [How do we rotate database credentials with Vault on kubernetes in production?]"
        "(https://forum.example/q/12/how-do-we-rotate-database-credentials-with-vault-on-kubernetes)",
        "possible duplicate of [How to structure terraform modules for many teams and many environments",
        "See also https://wiki.example/vault-rotation",
        "Related: [the runbook](https://wiki.example/runbook)",
        "Google search for vault rotation gives plenty",
        "https://wiki.example/vault-rotation",
        "ok",
        "Done.",
    ],
)
def test_greetings_thanks_pointers_and_bare_links_are_chatter(text: str) -> None:
    assert is_chatter(reply("r", text))


@pytest.mark.parametrize(
    "text",
    [
        ANSWER,
        "Thanks! The trick was to raise the executor memory to 8g and cap spark.driver.maxResultSize at 2g, "
        "after that the nightly join stopped failing on the big partitions.",
        "We rotate them with Vault leases and the pool refreshes itself on renewal.",
        "See also the section on lease renewal below: the pool must refresh its connections before the lease ends, "
        "or the old password keeps working until the TTL runs out and then every query fails at once.",
    ],
)
def test_a_post_that_does_the_work_is_not_chatter(text: str) -> None:
    assert not is_chatter(reply("r", text))


def test_a_formula_heavy_answer_with_few_content_words_is_not_chatter() -> None:
    maths = "Just calculate $\\rho=|\\psi\\rangle\\langle\\psi|$: for $|\\psi\\rangle=\\cos\\theta|0\\rangle+" * 3
    assert not is_chatter(reply("r", maths[:200], terms=("calculate",)))


def test_a_titled_thread_opener_is_never_chatter() -> None:
    opener = Post(id="t", author="a", created_at=day(0), title="Spark on EMR", snippet="", terms=("spark", "emr"))
    assert not is_chatter(opener)
    assert is_chatter(dataclasses.replace(opener, reply_to="x", title=None))


def test_posts_built_without_terms_are_measured_by_their_words_outside_links_and_mentions() -> None:
    bare = Post(id="r", author="a", created_at=day(1), snippet="@nbro better now? https://example.org/a/b/c")
    assert content_size(bare) == 2
    assert is_chatter(bare)
    assert not is_chatter(dataclasses.replace(bare, snippet=ANSWER))


def test_an_answer_outweighs_a_comment_and_a_write_up_outweighs_a_question() -> None:
    answer = reply("a1", ANSWER, topics=("vault",))
    comment = reply("c1", ANSWER, to="a1", topics=("vault",))
    assert role(answer, QUESTION) == 1.0
    assert role(comment, answer) == 0.0
    assert substance(answer, ("vault",), parent=QUESTION) > substance(comment, ("vault",), parent=answer)
    write_up = dataclasses.replace(QUESTION, id="w", is_question=False, title="How we rotate credentials")
    assert role(write_up) == 1.0 and role(QUESTION) == 0.5
    assert substance(write_up) > substance(QUESTION)


def test_longer_and_more_on_topic_is_more_substance_up_to_a_cap() -> None:
    short = reply("s", "We rotate them with Vault leases and the pool refreshes itself on renewal.")
    long = reply("l", ANSWER)
    assert substance(long) > substance(short)
    huge = dataclasses.replace(long, terms=("word",) * (FULL_TERMS * 10))
    capped = dataclasses.replace(long, terms=("word",) * FULL_TERMS)
    assert substance(huge) == pytest.approx(substance(capped))
    on_topic = dataclasses.replace(long, topics=("vault", "postgres"))
    assert substance(on_topic, ("vault", "postgres")) > substance(long, ("vault", "postgres"))
    assert substance(on_topic, ("vault", "postgres")) > substance(on_topic, ("vault", "kafka"))


def test_chatter_has_no_substance() -> None:
    thanks = reply("t", "Thanks, that worked!", topics=("vault",))
    assert substance(thanks, ("vault",), parent=QUESTION) == 0.0


def test_a_reply_is_titled_after_the_nearest_titled_post_up_its_thread() -> None:
    answer = reply("a1", ANSWER)
    comment = reply("c1", "Does the pool refresh on renewal or only at start?", to="a1")
    posts = {post.id: post for post in (QUESTION, answer, comment)}
    assert thread_of(comment, posts.get) == QUESTION
    assert thread_of(answer, posts.get) == QUESTION
    assert thread_of(QUESTION, posts.get) is None
    assert thread_of(comment, {"c1": comment, "a1": answer}.get) is None, "an unknown or hidden thread titles nothing"
    loop = reply("x", "a reply to itself through a loop", to="y")
    assert thread_of(loop, {"y": reply("y", "and back", to="x"), "x": loop}.get) is None

    evidence = Evidence.of(comment, thread=QUESTION)
    assert evidence.title == "Re: How do we rotate database credentials?"
    assert evidence.url == comment.url and evidence.post_id == "c1"
    assert Evidence.of(QUESTION, thread=None).title == QUESTION.title
    assert thread_title("Re: budget") == "Re: budget"


def test_quotes_show_mention_markup_as_plain_names() -> None:
    assert readable('thanks @"Ana Lee" and @**Bo Chen**, @_**Cy|12** too') == "thanks Ana Lee and Bo Chen, Cy too"
    assert readable("ping <@U123|ana> and <@U999>") == "ping ana and"
    assert readable("mail ana@example.org or @ana") == "mail ana@example.org or @ana"
    assert readable('a snippet cut inside @"Uma M') == "a snippet cut inside Uma M"
    shown = Evidence.of(reply("m", '@**Ana Lee** fixed it with @"Bo Chen"'), thread=QUESTION)
    assert shown.snippet == "Ana Lee fixed it with Bo Chen"
