"""Reasons for a suggestion, built only from the parts its score used and from posts the viewer may see."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from graph.delta import Expertise, Person, Post, can_see
from recommender.explain import Evidence, Reason
from recommender.features import Features
from recommender.scoring import PairScore, ScoreWeights
from recommender.timeline import seconds

MAX_TOPICS = 3
MAX_EVIDENCE = 2
MAX_NAMES = 3
RARE_REACH = 0.5
"""Team rarity at or above this (at most average interaction) is worth saying out loud."""
CORE_KINDS = frozenset({"shared_topics", "complementary_topics", "mutual_colleagues"})
"""Reasons that can justify a suggestion on their own; team and recent work only add context."""


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
        ids = self.expertise.get((person, topic, kind), ())
        posts = (self.posts.get(post_id) for post_id in ids)
        shown = [Evidence.of(post) for post in posts if post is not None and self._shows(person, post, viewer)]
        return tuple(shown[:MAX_EVIDENCE])

    def claim(self, person: str, topic: str, kind: str, viewer: Person | None) -> Claim | None:
        """What may be shown to ``viewer`` for ``person`` and a topic: visible evidence, or the person's own word."""
        items = self.visible(person, topic, kind, viewer)
        if items:
            return Claim(evidence=items, declared=False)
        if kind == "knows" and (person, topic) in self.declared:
            return Claim(evidence=(), declared=True)
        return None

    def latest_visible(self, person: str, viewer: Person | None) -> Post | None:
        return next((post for post in self.authored.get(person, ()) if self._shows(person, post, viewer)), None)

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
    """The reasons for suggesting ``candidate`` to ``person``, strongest kind first."""
    who = features.people[candidate]
    reasons = [
        _shared(features, pair, who, viewer, evidence),
        _complementary(features, pair, who, viewer, evidence),
        _mutual(features, pair),
        _team(features, pair, candidate, weights),
        _recent(who, viewer, evidence),
    ]
    return tuple(reason for reason in reasons if reason is not None)


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
    neither visible evidence nor the person's own declaration are left out."""
    shown: list[tuple[str, str, Claim]] = []
    for topic, kind in topics:
        if any(label == f.topic_labels[topic] for label, _, _ in shown):
            continue
        claim = evidence.claim(person, f.topic_ids[topic], kind, viewer)
        if claim is not None:
            shown.append((f.topic_labels[topic], kind, claim))
        if len(shown) == MAX_TOPICS:
            break
    return shown


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
    summary = post.title or post.snippet
    if not summary:
        return None
    return Reason(kind="recent_work", text=f"Recently: {_shorten(summary)}", evidence=(Evidence.of(post),))


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
