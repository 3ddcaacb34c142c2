"""Reasons for a suggestion, built only from the parts its score used and from posts the viewer may see."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from graph.delta import Expertise, Person, Post, can_see
from recommender.explain import CORE_KINDS, Evidence, Reason, readable
from recommender.features import Features
from recommender.scoring import PairScore, ScoreWeights
from recommender.substance import is_chatter, substance, thread_of
from recommender.timeline import seconds
from recommender.topic_ranking import inside

MAX_TOPICS = 3
MAX_EVIDENCE = 2
MAX_NAMES = 3
COMMON_SHARE = 0.25
COMMON_MIN_PEOPLE = 40
RARE_REACH = 0.5
"""Team rarity at or above this (at most average interaction) is worth saying out loud."""


@dataclass(frozen=True, slots=True)
class EvidenceIndex:
    """Posts behind expertise and each person's authored posts, looked up when reasons are written."""

    posts: Mapping[str, Post]
    expertise: Mapping[tuple[str, str, str], tuple[str, ...]]
    """(person id, topic id, kind) to evidence post ids, most recent first."""
    authored: Mapping[str, tuple[Post, ...]]
    """Person id to the posts they authored or co-authored, newest first."""
    declared: frozenset[tuple[str, str]] = frozenset()
    """(person id, topic id) a person says they know, with no evidence yet."""
    hidden: Mapping[str, frozenset[str]] = field(default_factory=dict)
    """Person id to the topics they hid: a post about one of them is never shown as that person's evidence."""

    @classmethod
    def build(
        cls, posts: Iterable[Post], expertise: Iterable[Expertise], *, hidden: Iterable[tuple[str, str]] = ()
    ) -> EvidenceIndex:
        by_id = {post.id: post for post in posts}
        authored: dict[str, list[Post]] = defaultdict(list)
        for post in sorted(by_id.values(), key=lambda post: (-seconds(post.created_at), post.id)):
            for author in dict.fromkeys(post.authors):
                authored[author].append(post)
        expertise = tuple(expertise)
        hidden_by: dict[str, set[str]] = defaultdict(set)
        for person, topic in hidden:
            hidden_by[person].add(topic)
        return cls(
            posts=by_id,
            expertise={(item.person, item.topic, item.kind): item.evidence for item in expertise},
            authored={person: tuple(items) for person, items in authored.items()},
            declared=frozenset((item.person, item.topic) for item in expertise if item.declared),
            hidden={person: frozenset(topics) for person, topics in hidden_by.items()},
        )

    def visible(self, person: str, topic: str, kind: str, viewer: Person | None) -> tuple[Evidence, ...]:
        """Up to MAX_EVIDENCE of the posts behind (person, topic, kind) that ``viewer`` may see, the most substantive
        first (:func:`~recommender.substance.substance`; the newer breaks a tie). Chatter is never among them."""
        ids = self.expertise.get((person, topic, kind), ())
        posts = [
            post for post in (self.posts.get(i) for i in ids) if post is not None and self._shows(person, post, viewer)
        ]
        rank = {post.id: substance(post, (topic,), parent=self._parent(post, viewer)) for post in posts}
        posts = [post for post in posts if rank[post.id] > 0]  # chatter has none
        posts.sort(key=lambda post: (-rank[post.id], -seconds(post.created_at), post.id))
        return tuple(self.evidence(person, post, viewer) for post in posts[:MAX_EVIDENCE])

    def evidence(self, person: str, post: Post, viewer: Person | None) -> Evidence:
        """``post`` as ``person``'s evidence, an untitled reply titled after its thread when ``viewer`` may see it."""
        return Evidence.of(post, thread=thread_of(post, lambda post_id: self._thread(person, post_id, viewer)))

    def _parent(self, post: Post, viewer: Person | None) -> Post | None:
        parent = self.posts.get(post.reply_to) if post.reply_to is not None else None
        return parent if parent is not None and can_see(parent, viewer) else None

    def _thread(self, person: str, post_id: str, viewer: Person | None) -> Post | None:
        # The thread's title is shown with the person's reply: it must pass the same checks as their own posts.
        post = self.posts.get(post_id)
        return post if post is not None and self._shows(person, post, viewer) else None

    def claim(self, person: str, topic: str, kind: str, viewer: Person | None) -> Claim | None:
        """What may be shown to ``viewer`` for ``person`` and a topic: visible evidence, or the person's own word."""
        items = self.visible(person, topic, kind, viewer)
        if items:
            return Claim(evidence=items, declared=False)
        if kind == "knows" and (person, topic) in self.declared:
            return Claim(evidence=(), declared=True)
        return None

    def latest_visible(self, person: str, viewer: Person | None) -> Post | None:
        """The newest post ``person`` wrote that ``viewer`` may see and that is not chatter."""
        posts = self.authored.get(person, ())
        return next((post for post in posts if self._shows(person, post, viewer) and not is_chatter(post)), None)

    def _shows(self, person: str, post: Post, viewer: Person | None) -> bool:
        hidden = self.hidden.get(person)
        return can_see(post, viewer) and not (hidden and hidden.intersection(post.topics))


@dataclass(frozen=True, slots=True)
class Claim:
    evidence: tuple[Evidence, ...]
    declared: bool
    """No evidence: the person says they know the topic (shown as "says they know")."""


def explain_pair(
    features: Features,
    pair: PairScore,
    person: int,
    candidate: int,
    *,
    viewer: Person | None,
    evidence: EvidenceIndex,
    weights: ScoreWeights,
) -> tuple[Reason, ...]:
    """The reasons for suggesting ``candidate`` to ``person``, the one that matters most first (see :func:`ranked`)."""
    who = features.people[candidate]
    strength = {
        "shared_topics": weights.shared * pair.shared,
        "complementary_topics": weights.complementary * pair.complementary,
        "mutual_colleagues": weights.band * pair.band,
    }
    reasons = [
        _shared(features, pair, who, viewer, evidence),
        _complementary(features, pair, who, viewer, evidence),
        _mutual(features, pair),
        _team(features, pair, candidate, weights),
        _recent(who, viewer, evidence),
    ]
    return ranked([reason for reason in reasons if reason is not None], strength)


def ranked(reasons: Sequence[Reason], strength: Mapping[str, float]) -> tuple[Reason, ...]:
    """Reasons in the order a card shows them: topics with visible evidence (the stronger part of the score first),
    then mutual colleagues, then topics only declared, each by ``strength`` (a reason kind's weighted part of the
    score); team and recent work last, as given."""

    def key(item: tuple[int, Reason]) -> tuple[int, float, int]:
        position, reason = item
        if reason.kind not in CORE_KINDS:
            return 3, 0.0, position
        tier = 1 if reason.kind == "mutual_colleagues" else 0 if reason.evidence else 2
        return tier, -strength.get(reason.kind, 0.0), position

    return tuple(reason for _, reason in sorted(enumerate(reasons), key=key))


def _shared(f: Features, pair: PairScore, who: Person, viewer: Person | None, evidence: EvidenceIndex) -> Reason | None:
    shown = shown_topics(f, ((topic, "knows") for topic, _ in pair.shared_topics), who.id, viewer, evidence)
    if not shown:
        return None
    proven = tuple(label for label, _, claim in shown if not claim.declared)
    said = tuple(label for label, _, claim in shown if claim.declared)
    parts = []
    if proven:
        parts.append(f"You both know about {join_labels(proven)}")
    if said:
        parts.append(f"They say they know about {join_labels(said)}{' too' if proven else ', as you do'}")
    return Reason(
        kind="shared_topics",
        text=join_parts(parts),
        topics=tuple(label for label, _, _ in shown),
        evidence=distinct_evidence(item for _, _, claim in shown for item in claim.evidence),
        declared=said,
    )


def _complementary(
    f: Features, pair: PairScore, who: Person, viewer: Person | None, evidence: EvidenceIndex
) -> Reason | None:
    ranked = sorted(
        [(value, topic, "knows") for topic, value in pair.they_know]
        + [(value, topic, "asks") for topic, value in pair.they_ask],
        key=lambda item: (-item[0], item[1], item[2]),
    )
    shown = shown_topics(f, ((topic, kind) for _, topic, kind in ranked), who.id, viewer, evidence)
    if not shown:
        return None
    know = tuple(label for label, kind, claim in shown if kind == "knows" and not claim.declared)
    said = tuple(label for label, kind, claim in shown if kind == "knows" and claim.declared)
    ask = tuple(label for label, kind, _ in shown if kind == "asks")
    parts = []
    if know:
        parts.append(f"They know about {join_labels(know)}, which you asked about")
    if said:
        parts.append(f"They say they know about {join_labels(said)}, which you asked about")
    if ask:
        parts.append(f"They asked about {join_labels(ask)}, which you know")
    return Reason(
        kind="complementary_topics",
        text=join_parts(parts),
        topics=tuple(label for label, _, _ in shown),
        evidence=distinct_evidence(item for _, _, claim in shown for item in claim.evidence),
        declared=said,
    )


def shown_topics(
    f: Features,
    topics: Iterable[tuple[int, str]],
    person: str,
    viewer: Person | None,
    evidence: EvidenceIndex,
) -> list[tuple[str, str, Claim]]:
    """Up to MAX_TOPICS (label, kind, claim) that may be shown for ``person``, in the order given: topics with
    neither visible evidence nor the person's own declaration are left out, and so are topics too common to be a
    reason (:func:`too_common`) and topics inside one already named ("allocation tags" after "cost allocation
    tags")."""
    shown: list[tuple[str, str, Claim]] = []
    named: list[str] = []
    for topic, kind in topics:
        topic_id = f.topic_ids[topic]
        if any(inside(topic_id, other) or inside(other, topic_id) for other in named) or too_common(f, topic, kind):
            continue
        if any(label == f.topic_labels[topic] for label, _, _ in shown):
            continue
        claim = evidence.claim(person, f.topic_ids[topic], kind, viewer)
        if claim is not None:
            shown.append((f.topic_labels[topic], kind, claim))
            named.append(f.topic_ids[topic])
        if len(shown) == MAX_TOPICS:
            break
    return shown


def too_common(f: Features, topic: int, kind: str) -> bool:
    """Whether more than :data:`COMMON_SHARE` of the people who know (or ask about) anything, at least
    :data:`COMMON_MIN_PEOPLE` of them, have the topic: "You both know about quantum" on a quantum computing site tells
    nobody anything. People who never wrote are not counted: a site's dormant accounts do not make a topic rare."""
    holders, active = (f.knows_holders, f.knows_active) if kind == "knows" else (f.asks_holders, f.asks_active)
    return active >= COMMON_MIN_PEOPLE and holders[topic] > COMMON_SHARE * active


def join_parts(parts: Sequence[str]) -> str:
    """Clauses as one sentence: ``"They know X; they asked Y"``."""
    return "; ".join(part if i == 0 else part[0].lower() + part[1:] for i, part in enumerate(parts))


def _mutual(f: Features, pair: PairScore) -> Reason | None:
    if pair.band <= 0 or not pair.mutual_people:
        return None
    # Opted-out people still count as colleagues but are never named.
    names = tuple(f.people[i].name for i in pair.mutual_people if not f.people[i].opted_out)[:MAX_NAMES]
    count = pair.mutual
    noun = "mutual colleague" if count == 1 else "mutual colleagues"
    text = f"{count} {noun}: {join_labels(names)}" if names else f"{count} {noun}"
    if names and count > len(names):
        text = f"{count} {noun}, including {join_labels(names)}"
    return Reason(kind="mutual_colleagues", text=text, people=names)


def _team(f: Features, pair: PairScore, candidate: int, weights: ScoreWeights) -> Reason | None:
    team = int(f.team_of[candidate])
    if team < 0:
        return None
    name = f.team_names[team]
    if weights.reach > 0 and pair.reach >= RARE_REACH:
        return Reason(kind="team", text=f"Works in {name}, a team yours rarely works with")
    return Reason(kind="team", text=f"Works in {name}")


def _recent(who: Person, viewer: Person | None, evidence: EvidenceIndex) -> Reason | None:
    post = evidence.latest_visible(who.id, viewer)
    if post is None:
        return None
    summary = readable(post.title or post.snippet)
    if not summary:
        return None
    return Reason(
        kind="recent_work", text=f"Recently: {_shorten(summary)}", evidence=(evidence.evidence(who.id, post, viewer),)
    )


def join_labels(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def _shorten(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def distinct_evidence(items: Iterable[Evidence]) -> tuple[Evidence, ...]:
    """Evidence in order of first appearance, each post once: one post often backs several topics."""
    first: dict[str, Evidence] = {}
    for item in items:
        first.setdefault(item.post_id, item)
    return tuple(first.values())
