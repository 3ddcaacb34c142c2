"""How the CLI shows results: rich tables and panels for people, plain dicts for ``--json``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from api.demo import AlreadyDoneExample, Introduction, Tour
from api.ingest import IngestReport
from api.mail import safe_link
from api.schemas import MatchPublic, StatsPublic, SuggestionPublic
from graph.delta import Person
from recommender.explain import Evidence, Match, Suggestion

SHOWN_PER_PERSON = 1
"""Suggestions the demo explains in full for each person; the rest are only named."""


def report_dict(report: IngestReport) -> dict[str, Any]:
    return {
        "read": report.read,
        "imported": report.imported,
        "imported_posts": report.imported_posts,
        "imported_people": report.imported_people,
        "rejected": report.rejected,
        "suppressed": report.suppressed,
        "skipped_known": report.skipped_known,
        "unresolved_mentions": report.unresolved_mentions,
        "topics_learned": report.topics_learned,
        "rejects_path": str(report.rejects_path) if report.rejects_path else None,
        "elapsed_seconds": round(report.elapsed, 3),
    }


def tour_dict(report: IngestReport, tour: Tour) -> dict[str, Any]:
    example = tour.already_done
    return {
        "ingest": report_dict(report),
        "introductions": [
            {
                "person": intro.person.id,
                "planted_expert": intro.planted.expert if intro.planted else None,
                "found_planted": intro.found_planted,
                "suggestions": [SuggestionPublic.of(s).model_dump(mode="json") for s in intro.suggestions],
            }
            for intro in tour.introductions
        ],
        "already_done": None
        if example is None
        else {
            "asker": example.asker.id,
            "query": example.query,
            "planted_expert": example.planted.expert,
            "found_planted": example.found_planted,
            "matches": [MatchPublic.of(match).model_dump(mode="json") for match in example.matches],
        },
    }


def report_table(report: IngestReport) -> Table:
    table = Table("", "", title="Import", title_justify="left", show_header=False)
    rows = (
        ("read", report.read),
        ("imported posts", report.imported_posts),
        ("imported people", report.imported_people),
        ("rejected", report.rejected),
        ("suppressed (forgotten people)", report.suppressed),
        ("skipped (already imported)", report.skipped_known),
        ("unresolved mentions", report.unresolved_mentions),
        ("topics learned", report.topics_learned),
    )
    for name, value in rows:
        table.add_row(name, f"{value:,}")
    table.add_row("elapsed", f"{report.elapsed:.1f} s")
    return table


def stats_table(counts: StatsPublic) -> Table:
    table = Table("kind", "name", "count", title="Graph", title_justify="left")
    for label, n in counts.nodes.items():
        table.add_row("node", label, f"{n:,}")
    for kind, n in counts.relationships.items():
        table.add_row("relationship", kind, f"{n:,}")
    table.add_row("", "total", f"{counts.total:,}", style="bold")
    if counts.suppressed:
        table.caption = "Fewer people than WEAKTIE_MIN_GROUP_SIZE: counts this small are not shown."
    return table


def suggestions_table(person: Person, found: Sequence[Suggestion], teams: Mapping[str, str]) -> Table:
    table = Table(title=f"{person.name} ({_team(person, teams)}) should meet", title_justify="left", show_lines=True)
    for column in ("#", "who", "team", "why"):
        table.add_column(column)
    for rank, suggestion in enumerate(found, 1):
        why = Text("\n").join(Text.assemble(mark, " ", line) for mark, line in card_lines(suggestion))
        table.add_row(str(rank), Text(suggestion.candidate.name), _team(suggestion.candidate, teams), why)
    return table


def matches_table(matches: Sequence[Match], teams: Mapping[str, str], *, title: str, evidence: int = 2) -> Table:
    table = Table(title=title, title_justify="left")
    for column in ("#", "who", "team", "evidence"):
        table.add_column(column)
    for rank, match in enumerate(matches, 1):
        team = _team(match.person, teams) + (" (other team)" if match.cross_team else "")
        shown = Text("\n").join(evidence_text(item) for item in match.evidence[:evidence])
        table.add_row(str(rank), Text(match.person.name), team, shown)
    return table


def introduction_panel(intro: Introduction, teams: Mapping[str, str]) -> Panel:
    parts: list[RenderableType] = []
    if not intro.suggestions:
        parts.append(Text("No suggestions yet."))
    for suggestion in intro.suggestions[:SHOWN_PER_PERSON]:
        candidate = suggestion.candidate
        head = Text.assemble("→ meet ", (candidate.name, "bold"), f" ({_team(candidate, teams)})")
        if intro.planted and candidate.id == intro.planted.expert:
            head.append("  ✓ the introduction hidden in the sample data", style="green")
        parts.append(head)
        reasons = Table.grid(padding=(0, 1))
        reasons.add_column(width=4, justify="right")
        reasons.add_column()
        for mark, line in card_lines(suggestion):
            reasons.add_row(mark, line)
        parts.append(reasons)
    if len(intro.suggestions) > SHOWN_PER_PERSON:
        others = ", ".join(s.candidate.name for s in intro.suggestions[SHOWN_PER_PERSON:])
        parts.append(Text(f"Also worth meeting: {others}", style="dim"))
    title = f"{intro.person.name} · {_team(intro.person, teams)}"
    return Panel(Group(*parts), title=title, title_align="left", expand=False)


def already_done_panel(example: AlreadyDoneExample, teams: Mapping[str, str]) -> Panel:
    asker = example.asker
    parts: list[RenderableType] = [
        Text(f"{asker.name} ({_team(asker, teams)}) is about to start:"),
        Text(f"“{shorten(example.query, 200)}”\n", style="italic"),
    ]
    if example.matches:
        parts.append(matches_table(example.matches, teams, title="Someone already did that:", evidence=1))
    else:
        parts.append(Text("Nobody has done it yet."))
    if example.found_planted:
        parts.append(Text("✓ includes the match hidden in the sample data", style="green"))
    return Panel(Group(*parts), title="Already done?", title_align="left", expand=False)


def card_lines(suggestion: Suggestion) -> list[tuple[str, Text]]:
    """What a card says, as (mark, line): the reason that matters most first (bold), the other reasons a card states
    (see :attr:`Suggestion.stated`), then the one post it quotes, with its link."""
    lead = suggestion.lead
    lines = [("•", Text(reason.text, style="bold" if reason is lead else "")) for reason in suggestion.stated]
    quote = suggestion.quote
    if quote is not None:
        lines.append(("↳", evidence_text(quote, link=True)))
    return lines


def evidence_text(evidence: Evidence, *, link: bool = False) -> Text:
    """A quoted post: its title (or snippet) and date; with ``link``, its web address too."""
    text = Text(f"“{shorten(evidence.title or evidence.snippet, 70)}” ({evidence.created_at:%d %b %Y})")
    url = safe_link(evidence.url) if link else None
    if url is not None:
        text.append(f" {url}", style=f"dim link {url}")
    return text


def shorten(text: str, limit: int) -> str:
    """``text`` on one line, cut at a word boundary to at most ``limit`` characters."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,.;:")
    return f"{cut}…"


def _team(person: Person, teams: Mapping[str, str]) -> str:
    return teams.get(person.team, person.team) if person.team else "no team"
