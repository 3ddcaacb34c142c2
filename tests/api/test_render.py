"""How the CLI shows a suggestion: the reason that matters most first, then one quoted post with its link."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.console import Console

from api.render import card_lines, evidence_text, suggestions_table
from graph.delta import Person
from recommender.explain import Evidence, Reason, Suggestion

AT = datetime(2026, 10, 1, tzinfo=UTC)


def _evidence(pid: str, title: str, url: str | None = None) -> Evidence:
    return Evidence(post_id=pid, title=title, snippet="", url=url or f"https://intranet.example/{pid}", created_at=AT)


def _suggestion(*reasons: Reason) -> Suggestion:
    return Suggestion(
        person="me", candidate=Person(id="orla", name="Orla"), score=1.0, reasons=reasons, evidence_at=None
    )


LEAD = Reason(
    kind="complementary_topics",
    text="They know about Vault, which you asked about",
    topics=("Vault",),
    evidence=(_evidence("a1", "Re: How do we rotate credentials?"), _evidence("a2", "Vault notes")),
)
MUTUAL = Reason(kind="mutual_colleagues", text="2 mutual colleagues: Ana and Bo", people=("Ana", "Bo"))
TEAM = Reason(kind="team", text="Works in Red team")
RECENT = Reason(kind="recent_work", text="Recently: a pgbouncer talk", evidence=(_evidence("a4", "Pgbouncer talk"),))


def _plain(lines: list[tuple[str, object]]) -> list[str]:
    return [f"{mark} {line}" for mark, line in lines]


def test_a_card_states_the_lead_first_then_the_others_then_one_quote_with_its_link() -> None:
    lines = card_lines(_suggestion(LEAD, MUTUAL, TEAM, RECENT))
    assert _plain(lines) == [
        "• They know about Vault, which you asked about",
        "• 2 mutual colleagues: Ana and Bo",
        "• Works in Red team",
        "↳ “Re: How do we rotate credentials?” (01 Oct 2026) https://intranet.example/a1",
    ]
    assert lines[0][1].style == "bold" and lines[1][1].style == ""


def test_without_topic_evidence_mutual_colleagues_lead_and_recent_work_gives_the_quote() -> None:
    lines = _plain(card_lines(_suggestion(MUTUAL, TEAM, RECENT)))
    assert lines[0] == "• 2 mutual colleagues: Ana and Bo"
    assert lines[-1] == "↳ “Pgbouncer talk” (01 Oct 2026) https://intranet.example/a4"
    assert not any("Recently" in line for line in lines)


def test_quotes_are_text_not_markup_and_only_web_links_are_shown() -> None:
    hostile = _evidence("x", "[bold red]loud[/bold red] and [link=https://evil.example]here[/link]", "javascript:x")
    shown = evidence_text(hostile, link=True)
    assert shown.plain == "“[bold red]loud[/bold red] and [link=https://evil.example]here[/link]” (01 Oct 2026)"
    console = Console(width=200, record=True, color_system=None)
    loud = Reason(kind="shared_topics", text="You both know about [bold]Vault[/bold]", evidence=(hostile,))
    table = suggestions_table(Person(id="me", name="Me"), [_suggestion(LEAD, MUTUAL), _suggestion(loud)], {})
    console.print(table)
    printed = console.export_text()
    assert "They know about Vault" in printed and "https://intranet.example/a1" in printed
    assert "Vault notes" not in printed, "one quoted post per card"
    assert "[bold]Vault[/bold]" in printed and "[bold red]loud[/bold red]" in printed, "shown as written"
    assert "javascript" not in printed
