"""The admin team report: activity, topics and cross-team ties per team, never for fewer than the minimum group."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from graph.store import Projection

ACTIVE_DAYS = 90
"""The team report counts people who posted within this many days as active."""
TOP_TOPICS = 5
SMALLER_TEAMS = "smaller teams"
NO_TEAM = "no team"


@dataclass(frozen=True, slots=True)
class TeamRow:
    team: str | None
    """The team id; ``None`` for people without a team and for the merged row of smaller teams."""
    name: str
    teams: int
    """How many teams the row stands for (more than one only in the merged row)."""
    people: int
    active_people: int
    """People who authored a post within :data:`ACTIVE_DAYS` days."""
    posts: int
    top_topics: tuple[str, ...]
    """Topic labels, most frequent first, from posts whose authors allow inference and did not hide them."""
    cross_team_ties: int
    """Pairs of people tied across a team boundary with at least one of them in the row."""
    merged: bool = False
    """The row of teams too small to show alone (``team`` is then ``None``)."""


@dataclass(frozen=True, slots=True)
class TeamReport:
    rows: tuple[TeamRow, ...]
    left_out: int
    """People in teams too small to show, even merged together."""
    min_group_size: int
    active_days: int = ACTIVE_DAYS


def team_report(
    stored: Projection,
    *,
    since: datetime,
    min_group_size: int,
    no_inference: set[str] | frozenset[str] = frozenset(),
    hidden: set[tuple[str, str]] | frozenset[tuple[str, str]] = frozenset(),
) -> TeamReport:
    """Aggregate ``stored`` per team. Teams of fewer than ``min_group_size`` people are merged into one row of
    smaller teams when that row is large enough, and otherwise left out (their people counted in ``left_out``).

    Topics come only from posts whose author allows inference, and never a topic its author hid.
    """
    team_of = {person.id: person.team for person in stored.people}
    names = {team.id: team.name for team in stored.teams}
    members: dict[str | None, list[str]] = {}
    for person in stored.people:
        members.setdefault(person.team, []).append(person.id)
    large = sorted((team for team, people in members.items() if len(people) >= min_group_size), key=_team_order)
    small = sorted((team for team, people in members.items() if len(people) < min_group_size), key=_team_order)
    groups: list[tuple[str | None, str, list[str | None], bool]] = [
        (team, NO_TEAM if team is None else names.get(team, team), [team], False) for team in large
    ]
    left_out = 0
    if small:
        in_small = sum(len(members[team]) for team in small)
        if in_small >= min_group_size:
            groups.append((None, SMALLER_TEAMS, small, True))
        else:
            left_out = in_small
    # One pass over posts and ties, each credited to the row of its people.
    row_of = {person: row for row, group in enumerate(groups) for key in group[2] for person in members[key]}
    posts = [0] * len(groups)
    active: list[set[str]] = [set() for _ in groups]
    topics: list[Counter[str]] = [Counter() for _ in groups]
    for post in stored.posts:
        row = row_of.get(post.author)
        if row is None:
            continue
        posts[row] += 1
        if post.created_at >= since:
            active[row].add(post.author)
        if post.author not in no_inference:
            topics[row].update(topic for topic in post.topics if (post.author, topic) not in hidden)
    pairs: list[set[frozenset[str]]] = [set() for _ in groups]
    for tie in stored.ties:
        if tie.source not in team_of or tie.target not in team_of or team_of[tie.source] == team_of[tie.target]:
            continue
        for end in (tie.source, tie.target):
            if end in row_of:
                pairs[row_of[end]].add(frozenset((tie.source, tie.target)))
    labels = {topic.id: topic.label for topic in stored.topics}
    rows = tuple(
        TeamRow(
            team=team,
            name=name,
            teams=len(teams),
            people=sum(len(members[key]) for key in teams),
            active_people=len(active[row]),
            posts=posts[row],
            top_topics=tuple(labels.get(topic, topic) for topic, _ in topics[row].most_common(TOP_TOPICS)),
            cross_team_ties=len(pairs[row]),
            merged=merged,
        )
        for row, (team, name, teams, merged) in enumerate(groups)
    )
    return TeamReport(rows=rows, left_out=left_out, min_group_size=min_group_size)


def _team_order(team: str | None) -> tuple[bool, str]:
    return (team is None, team or "")
