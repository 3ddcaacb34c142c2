"""Which posts are quoted: the one that did the work, never chatter, titled after its thread; and which reason leads."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from graph.delta import Post
from recommender.already_done import AlreadyDone
from recommender.explain import CORE_KINDS, Evidence, Reason
from recommender.people import PeopleToMeet
from recommender.reasons import EvidenceIndex, ranked
from tests.recommender.builders import day, introductions_org, knows, person, post, projection, terms

QUESTION_TITLE = "How do we rotate postgres credentials with vault?"
ANSWER = (
    "We rotate postgres credentials with the vault database secrets engine: each pod gets a lease with a one hour "
    "ttl, the connection pool refreshes on renewal, and leases are revoked when a deployment finishes."
)


def untitled(pid: str, author: str, at: datetime, text: str, *, to: str, **fields: object) -> Post:
    """A reply as it arrives from chat, a forum or a Q&A site: no title of its own."""
    made = dataclasses.replace(post(pid, author, at, text, reply_to=to), title=None)
    return dataclasses.replace(made, **fields)  # type: ignore[arg-type]


def question(**fields: object) -> Post:
    asked = dataclasses.replace(post("q", "bob", day(1), QUESTION_TITLE, topics=("vault",)), is_question=True)
    return dataclasses.replace(asked, **fields)  # type: ignore[arg-type]


def dave_posts(**question_fields: object) -> list[Post]:
    return [
        question(**question_fields),
        untitled("answer", "dave", day(2), ANSWER, to="q", topics=("vault",)),
        untitled("comment", "dave", day(4), "The vault agent sidecar also renews leases for us", to="x"),
        untitled("thanks", "dave", day(5), "Thanks, that worked!", to="answer", topics=("vault",)),
        post("x", "erin", day(3), "Vault agent notes", topics=("vault",)),
    ]


def index(posts: list[Post], evidence: list[str]) -> EvidenceIndex:
    return EvidenceIndex.build(posts, [knows("dave", "vault", evidence, at=day(5))])


def test_the_answer_is_quoted_before_a_newer_comment_and_thanks_never() -> None:
    found = index(dave_posts(), ["thanks", "comment", "answer"])  # stored newest first, as the extractors keep them
    shown = found.visible("dave", "vault", "knows", None)
    assert [item.post_id for item in shown] == ["answer", "comment"]
    assert shown[0].title == f"Re: {QUESTION_TITLE}", "an untitled answer is titled after the question it answers"
    assert shown[0].url == "https://chat.example/answer", "the link stays the answer's own"
    assert shown[1].title == "Re: Vault agent notes"


def test_a_person_with_only_chatter_shows_no_evidence_and_no_claim() -> None:
    found = index(dave_posts(), ["thanks"])
    assert found.visible("dave", "vault", "knows", None) == ()
    assert found.claim("dave", "vault", "knows", None) is None


def test_a_thread_the_viewer_may_not_see_titles_nothing() -> None:
    posts = dave_posts(audience=("team:infra",))
    found = index(posts, ["answer"])
    outsider, insider = person("alice", "data"), person("erin", "infra")
    assert found.visible("dave", "vault", "knows", outsider)[0].title is None
    assert found.visible("dave", "vault", "knows", insider)[0].title == f"Re: {QUESTION_TITLE}"


def test_recent_work_skips_chatter() -> None:
    found = index(dave_posts(), ["answer"])
    latest = found.latest_visible("dave", None)
    assert latest is not None and latest.id == "comment"


def test_suggestions_never_quote_chatter_when_a_substantive_post_exists() -> None:
    thanks = untitled("p-dave-thanks", "dave", day(6), "Thanks, kubernetes rocks!", to="p-alice-k8s")
    org = introductions_org(
        extra_posts=[thanks],
        extra_expertise=[knows("dave", "kubernetes", ["p-dave-thanks", "p-dave-k8s", "p-dave-old"], at=day(6))],
    )
    found = PeopleToMeet(k=3).fit(org).recommend("alice")
    dave = next(s for s in found if s.candidate.id == "dave")
    quoted = [item.post_id for reason in dave.reasons for item in reason.evidence]
    assert quoted and "p-dave-thanks" not in quoted
    assert dave.quote is not None and dave.quote.post_id == "p-dave-k8s"


def _reason(kind: str, *, evidence: bool = True) -> Reason:
    item = Evidence(post_id=kind, title=kind, snippet="", url=None, created_at=day(0))
    return Reason(kind=kind, text=kind, evidence=(item,) if evidence else ())  # type: ignore[arg-type]


def test_the_strongest_reason_with_evidence_leads() -> None:
    reasons = [
        _reason("shared_topics"),
        _reason("complementary_topics"),
        _reason("mutual_colleagues", evidence=False),
        _reason("team", evidence=False),
        _reason("recent_work"),
    ]
    strength = {"shared_topics": 0.2, "complementary_topics": 0.5, "mutual_colleagues": 0.9}
    order = [reason.kind for reason in ranked(reasons, strength)]
    assert order == ["complementary_topics", "shared_topics", "mutual_colleagues", "team", "recent_work"]
    # Topics without visible evidence (only declared) come after mutual colleagues, however strong.
    declared = [_reason("shared_topics", evidence=False), _reason("mutual_colleagues", evidence=False)]
    assert [r.kind for r in ranked(declared, {"shared_topics": 5.0, "mutual_colleagues": 0.1})] == [
        "mutual_colleagues",
        "shared_topics",
    ]


def test_every_suggestion_leads_with_its_strongest_core_reason() -> None:
    org = introductions_org()
    model = PeopleToMeet(k=3).fit(org)
    weights = model.weights_
    for me in ("alice", "bob", "dave", "gina", "hank"):
        for suggestion in model.recommend(me):
            lead = suggestion.reasons[0]
            assert lead.kind in CORE_KINDS and suggestion.lead is lead
            parts = model.score_parts(me, suggestion.candidate.id)
            strength = {
                "shared_topics": weights.shared * parts.shared,
                "complementary_topics": weights.complementary * parts.complementary,
            }
            with_evidence = [r for r in suggestion.reasons if r.kind in strength and r.evidence]
            if with_evidence:
                assert lead in with_evidence
                assert strength[lead.kind] == max(strength[r.kind] for r in with_evidence)
            assert [r.kind for r in suggestion.stated] == [
                r.kind for r in suggestion.reasons if r.kind != "recent_work"
            ]


def test_already_done_quotes_the_answer_not_the_thanks_that_matches_better() -> None:
    people = [person("alice", "data"), person("bob", "data"), person("eve", "infra"), person("frank", "web")]
    posts = [
        question(),
        untitled("eve-answer", "eve", day(2), ANSWER, to="q"),
        # Short and full of the query's words: BM25 likes these better than the long answer.
        untitled("eve-thanks", "eve", day(3), "Thanks! vault postgres rotate credentials", to="q"),
        # A later comment on the question: more credit (it is newer), but it says less than the answer.
        untitled("eve-comment", "eve", day(60), "The agent rotates postgres credentials from vault", to="q"),
        untitled("frank-thanks", "frank", day(3), "+1 rotate postgres credentials vault", to="q"),
    ]
    model = AlreadyDone(analyzer=terms).fit(projection(people, posts=posts))
    found = {match.person.id: match for match in model.query("rotate postgres credentials with vault", asker="alice")}
    assert [item.post_id for item in found["eve"].evidence] == ["eve-answer", "eve-comment"]
    assert found["eve"].evidence[0].title == f"Re: {QUESTION_TITLE}"
    assert found["frank"].score > 0 and found["frank"].evidence == (), "chatter counts, but is never quoted"
    tokens = model.query_tokens("rotate postgres credentials with vault")
    assert [e.post_id for e in model.evidence(tokens, ["eve"], asker="alice")["eve"]] == ["eve-answer", "eve-comment"]


def test_already_done_never_titles_a_reply_after_a_thread_the_viewer_may_not_see() -> None:
    people = [person("alice", "data"), person("bob", "infra"), person("eve", "infra")]
    posts = [question(audience=("team:infra",)), untitled("eve-answer", "eve", day(2), ANSWER, to="q")]
    model = AlreadyDone(analyzer=terms).fit(projection(people, posts=posts))
    outsider = model.query("rotate postgres credentials with vault", asker="alice")
    insider = model.query("rotate postgres credentials with vault", asker="bob")
    assert [(m.person.id, m.evidence[0].title) for m in outsider] == [("eve", None)]
    assert (insider[0].person.id, insider[0].evidence[0].title) == ("eve", f"Re: {QUESTION_TITLE}")
