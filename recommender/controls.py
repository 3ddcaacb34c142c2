"""Apply what people and admins said (graph/controls.py) to a projection before anything is fitted on it.

Policies and topic corrections change the records themselves; feedback and do-not-pair stay in
``projection.controls`` for :class:`~recommender.people.PeopleToMeet`, which reads them as pairs never to suggest.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from graph.controls import Controls, TopicCorrection, effective_policy
from graph.delta import Expertise, Post
from graph.store import Projection
from recommender.timeline import EPOCH, latest_instant, seconds

DECLARED_SCORE = 0.5
"""The evidence score a self-declared topic counts for: about half of one post's worth, so it can make a match but
never outweighs what someone has shown."""


def apply_controls(projection: Projection) -> Projection:
    """The projection the recommenders may see. Pure and idempotent (applying it twice changes nothing more).

    - ``infer=False`` (effective policy): the person's expertise is dropped and posts they authored leave the
      projection (so they back neither suggestions nor "already done" matches); they are removed as co-author from
      others' posts. Their ties stay: who talks to whom is not inferred from what they wrote.
    - ``suggest=False``: the person becomes ``opted_out`` (never suggested, gets no suggestions, never a match).
    - The latest correction per (person, topic) decides: ``hide`` drops both their knows and asks records of the
      topic; ``add`` and ``confirm`` without inferred expertise declare it (``Expertise(declared=True)``, score
      :data:`DECLARED_SCORE`, no evidence); with inferred expertise the evidence wins and nothing changes (a
      confirmation does not boost the score: scores stay evidence-based).
    - Self-declared topics are added even under ``infer=False``: the person said so themselves.
    """
    controls = projection.controls
    if not controls.corrections and not controls.policies:
        return projection
    policies = controls.policy_map()
    policy = {person.id: effective_policy(person, policies) for person in projection.people}
    silent = frozenset(pid for pid, effective in policy.items() if not effective.infer)
    people = tuple(
        person if policy[person.id].suggest or person.opted_out else replace(person, opted_out=True)
        for person in projection.people
    )
    corrections = latest_corrections(controls.corrections)
    hidden = frozenset(key for key, item in corrections.items() if item.action == "hide")
    posts = _posts(projection.posts, silent)
    kept = tuple(
        item
        for item in projection.expertise
        # Declared records are rebuilt from the corrections each time, which keeps this idempotent.
        if not item.declared and item.person not in silent and (item.person, item.topic) not in hidden
    )
    newest = latest_instant(replace(projection, posts=posts, expertise=kept))
    inferred = {(item.person, item.topic) for item in kept if item.kind == "knows"}
    declared = tuple(
        _declared(item, newest)
        for key, item in sorted(corrections.items())
        if item.action in ("add", "confirm") and key not in inferred
    )
    return replace(projection, people=people, posts=posts, expertise=(*kept, *declared))


def latest_corrections(corrections: Iterable[TopicCorrection]) -> dict[tuple[str, str], TopicCorrection]:
    """The correction that stands for each (person, topic): the latest one (the later record on equal times)."""
    latest: dict[tuple[str, str], TopicCorrection] = {}
    for item in corrections:
        key = (item.person, item.topic)
        if key not in latest or seconds(item.at) >= seconds(latest[key].at):
            latest[key] = item
    return latest


def hidden_topics(controls: Controls) -> frozenset[tuple[str, str]]:
    """(person, topic) pairs whose latest correction is ``hide``: never used or shown for that person."""
    return frozenset(key for key, item in latest_corrections(controls.corrections).items() if item.action == "hide")


def blocked_pairs(controls: Controls) -> frozenset[tuple[str, str]]:
    """Directed (person, candidate) pairs never to suggest.

    Any feedback blocks the pair in the direction it was given; ``met`` blocks both (an introduction either way is
    pointless once they met); do-not-pair blocks both.
    """
    pairs: set[tuple[str, str]] = set()
    for item in controls.feedback:
        pairs.add((item.person, item.candidate))
        if item.kind == "met":
            pairs.add((item.candidate, item.person))
    for entry in controls.do_not_pair:
        pairs.update(((entry.a, entry.b), (entry.b, entry.a)))
    return frozenset(pairs)


def _posts(posts: tuple[Post, ...], silent: frozenset[str]) -> tuple[Post, ...]:
    if not silent:
        return posts
    kept = []
    for post in posts:
        if post.author in silent:
            continue
        if silent.intersection(post.co_authors):
            post = replace(post, co_authors=tuple(who for who in post.co_authors if who not in silent))
        kept.append(post)
    return tuple(kept)


def _declared(correction: TopicCorrection, newest: datetime) -> Expertise:
    # Dated no later than the data: a correction made long after the last import must not move ``as_of`` (which
    # would decay every inferred record and let the undecayed declaration dominate the person's topics).
    at = correction.at if newest == EPOCH or seconds(correction.at) <= seconds(newest) else newest
    return Expertise(
        person=correction.person,
        topic=correction.topic,
        kind="knows",
        score=DECLARED_SCORE,
        evidence=(),
        last_at=at,
        declared=True,
    )
