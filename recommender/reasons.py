"""Reasons for a suggestion, built only from the parts its score used and from posts the viewer may see."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

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

    @classmethod
    def build(cls, posts: Iterable[Post], expertise: Iterable[Expertise]) -> EvidenceIndex:
        by_id = {post.id: post for post in posts}
        authored: dict[str, list[Post]] = defaultdict(list)
        for post in sorted(by_id.values(), key=lambda post: (-seconds(post.created_at), post.id)):
            for author in dict.fromkeys(post.authors):
                authored[author].append(post)
        return cls(
            posts=by_id,
            expertise={(item.person, item.topic, item.kind): item.evidence for item in expertise},
            authored={person: tuple(items) for person, items in authored.items()},
        )

    def visible(self, person: str, topic: str, kind: str, viewer: Person | None) -> tuple[Evidence, ...]:
        ids = self.expertise.get((person, topic, kind), ())
        posts = (self.posts.get(post_id) for post_id in ids)
        shown = [Evidence.of(post) for post in posts if post is not None and can_see(post, viewer)]
        return tuple(shown[:MAX_EVIDENCE])

    def latest_visible(self, person: str, viewer: Person | None) -> Post | None:
        return next((post for post in self.authored.get(person, ()) if can_see(post, viewer)), None)


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
    shown = _topics_with_evidence(f, ((topic, "knows") for topic, _ in pair.shared_topics), who, viewer, evidence)
    if not shown:
        return None
    labels = tuple(label for label, _, _ in shown)
    return Reason(
        kind="shared_topics",
        text=f"You both know about {_join(labels)}",
        topics=labels,
        evidence=_distinct(item for _, _, items in shown for item in items),
    )


def _complementary(
    f: Features, pair: PairScore, who: Person, viewer: Person | None, evidence: EvidenceIndex
) -> Reason | None:
    ranked = sorted(
        [(value, topic, "knows") for topic, value in pair.they_know]
        + [(value, topic, "asks") for topic, value in pair.they_ask],
        key=lambda item: (-item[0], item[1], item[2]),
    )
    shown = _topics_with_evidence(f, ((topic, kind) for _, topic, kind in ranked), who, viewer, evidence)
    if not shown:
        return None
    know = tuple(label for label, kind, _ in shown if kind == "knows")
    ask = tuple(label for label, kind, _ in shown if kind == "asks")
    parts = []
    if know:
        parts.append(f"They know about {_join(know)}, which you asked about")
    if ask:
        parts.append(f"{'they' if know else 'They'} asked about {_join(ask)}, which you know")
    return Reason(
        kind="complementary_topics",
        text="; ".join(parts),
        topics=tuple(label for label, _, _ in shown),
        evidence=_distinct(item for _, _, items in shown for item in items),
    )


def _topics_with_evidence(
    f: Features,
    topics: Iterable[tuple[int, str]],
    who: Person,
    viewer: Person | None,
    evidence: EvidenceIndex,
) -> list[tuple[str, str, tuple[Evidence, ...]]]:
    """Up to MAX_TOPICS (label, kind, evidence) with the candidate's visible posts; topics without any are left out."""
    shown: list[tuple[str, str, tuple[Evidence, ...]]] = []
    for topic, kind in topics:
        if any(label == f.topic_labels[topic] for label, _, _ in shown):
            continue
        items = evidence.visible(who.id, f.topic_ids[topic], kind, viewer)
        if items:
            shown.append((f.topic_labels[topic], kind, items))
        if len(shown) == MAX_TOPICS:
            break
    return shown


def _mutual(f: Features, pair: PairScore) -> Reason | None:
    if pair.band <= 0 or not pair.mutual_people:
        return None
    # Opted-out people still count as colleagues but are never named.
    names = tuple(f.people[i].name for i in pair.mutual_people if not f.people[i].opted_out)[:MAX_NAMES]
    count = pair.mutual
    noun = "mutual colleague" if count == 1 else "mutual colleagues"
    text = f"{count} {noun}: {_join(names)}" if names else f"{count} {noun}"
    if names and count > len(names):
        text = f"{count} {noun}, including {_join(names)}"
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


def _join(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def _shorten(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _distinct(items: Iterable[Evidence]) -> tuple[Evidence, ...]:
    """Evidence in order of first appearance, each post once: one post often backs several topics."""
    first: dict[str, Evidence] = {}
    for item in items:
        first.setdefault(item.post_id, item)
    return tuple(first.values())
