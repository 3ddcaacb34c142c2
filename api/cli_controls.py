"""Commands for what people and admins control: feedback, topic corrections, policies, do-not-pair, export, forget."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from api.cli_support import AsJson, DataDir, clean_errors, engine_for, out, print_json, settings_for
from api.engine import InvalidQuery
from api.schemas import (
    DoNotPairPublic,
    EffectivePolicyPublic,
    FeedbackPublic,
    PersonTopicPublic,
    PolicyPublic,
    TopicCorrectionPublic,
)
from graph.controls import FEEDBACK_KINDS, FREQUENCIES, ORG_SCOPE, CorrectionAction, person_scope, team_scope

person_app = typer.Typer(help="Everything held about a person: export it, or forget them.", no_args_is_help=True)
topics_app = typer.Typer(help="A person's own word on their topics: confirm, hide or add.", no_args_is_help=True)
policy_app = typer.Typer(help="Privacy and digest policies per person, team or organisation.", no_args_is_help=True)
do_not_pair_app = typer.Typer(help="Pairs of people never to suggest to each other.", no_args_is_help=True)

Who = Annotated[str, typer.Argument(help="A person id.")]


@clean_errors
def feedback(
    person: Who,
    candidate: Annotated[str, typer.Argument(help="The person id that was suggested to PERSON.")],
    kind: Annotated[
        str, typer.Option("--kind", help="dismiss or not-relevant (never suggest again), or met (they have met).")
    ],
    data_dir: DataDir = None,
    as_json: AsJson = False,
) -> None:
    """Record what PERSON said about the suggestion of CANDIDATE."""
    chosen = kind.replace("-", "_")
    if chosen not in FEEDBACK_KINDS:
        raise typer.BadParameter("choose one of dismiss, met, not-relevant", param_hint="--kind")
    with engine_for(settings_for(data_dir)) as engine:
        record = engine.feedback(person, candidate, chosen)  # type: ignore[arg-type]
    if as_json:
        print_json(FeedbackPublic.of(record).model_dump(mode="json"))
        return
    out.print(f"Recorded: {person} said [bold]{kind}[/] about {candidate}.")


def _correct(action: CorrectionAction, person: str, topic: str, data_dir: Path | None, as_json: bool) -> None:
    with engine_for(settings_for(data_dir)) as engine:
        record = engine.correct_topic(person, topic, action)
    if as_json:
        print_json(TopicCorrectionPublic.of(record).model_dump(mode="json"))
        return
    done = {"confirm": "confirmed", "hide": "hidden", "add": "added (self-declared)"}[action]
    out.print(f"Topic [bold]{record.topic}[/] of {person}: {done}.")


Topic = Annotated[str, typer.Argument(help="A topic id or label; `add` also takes a new one.")]


@topics_app.command("confirm")
@clean_errors
def confirm_topic(person: Who, topic: Topic, data_dir: DataDir = None, as_json: AsJson = False) -> None:
    """PERSON confirms TOPIC is theirs."""
    _correct("confirm", person, topic, data_dir, as_json)


@topics_app.command("hide")
@clean_errors
def hide_topic(person: Who, topic: Topic, data_dir: DataDir = None, as_json: AsJson = False) -> None:
    """PERSON hides TOPIC: never shown on their profile and never used to suggest them."""
    _correct("hide", person, topic, data_dir, as_json)


@topics_app.command("add")
@clean_errors
def add_topic(person: Who, topic: Topic, data_dir: DataDir = None, as_json: AsJson = False) -> None:
    """PERSON adds TOPIC themselves: shown as self-declared until their posts back it."""
    _correct("add", person, topic, data_dir, as_json)


@topics_app.command("list")
@clean_errors
def list_topics(person: Who, data_dir: DataDir = None, as_json: AsJson = False) -> None:
    """PERSON's topics: inferred, confirmed, hidden or self-declared."""
    with engine_for(settings_for(data_dir)) as engine:
        found = [PersonTopicPublic.of(item) for item in engine.person_topics(person)]
    if as_json:
        print_json({"person": person, "topics": [item.model_dump(mode="json") for item in found]})
        return
    if not found:
        out.print(f"No topics for {person} yet.")
        return
    table = Table("topic", "status", "kind", "score", title=f"Topics of {person}", title_justify="left")
    for item in found:
        table.add_row(item.label, item.status, item.kind or "", f"{item.score:.2f}")
    out.print(table)


@policy_app.command("set")
@clean_errors
def set_policy(
    person: Annotated[str | None, typer.Option("--person", help="Set a person's own policy.")] = None,
    team: Annotated[str | None, typer.Option("--team", help="Set a team's policy.")] = None,
    org: Annotated[bool, typer.Option("--org", help="Set the organisation's policy.")] = False,
    suggest: Annotated[
        bool | None, typer.Option("--suggest/--no-suggest", help="May be suggested and receive suggestions.")
    ] = None,
    infer: Annotated[
        bool | None, typer.Option("--infer/--no-infer", help="May expertise be inferred from their posts.")
    ] = None,
    digest: Annotated[str | None, typer.Option("--digest", help="weekly, biweekly, monthly or off.")] = None,
    data_dir: DataDir = None,
    as_json: AsJson = False,
) -> None:
    """Change the policy of exactly one scope; what is not given keeps its value (unset means: inherit)."""
    scopes = [scope for scope, given in ((person, person), (team, team), (ORG_SCOPE, org)) if given]
    if len(scopes) != 1:
        raise typer.BadParameter("give exactly one of --person ID, --team ID or --org")
    scope = person_scope(person) if person else team_scope(team) if team else ORG_SCOPE
    if digest is not None and digest not in FREQUENCIES:
        raise typer.BadParameter(f"choose one of {', '.join(FREQUENCIES)}", param_hint="--digest")
    if suggest is None and infer is None and digest is None:
        raise typer.BadParameter("say what to change: --suggest/--no-suggest, --infer/--no-infer or --digest")
    with engine_for(settings_for(data_dir)) as engine:
        policy = engine.set_policy(scope, suggest=suggest, infer=infer, digest=digest)  # type: ignore[arg-type]
    shown = PolicyPublic.of(policy)
    if as_json:
        print_json(shown.model_dump(mode="json"))
        return
    out.print(f"Policy of [bold]{scope}[/]: {_said(shown.suggest, shown.infer, shown.digest)}.")


@policy_app.command("show")
@clean_errors
def show_policy(person: Who, data_dir: DataDir = None, as_json: AsJson = False) -> None:
    """What applies to PERSON (their own word over their team's over the organisation's), and what they said."""
    with engine_for(settings_for(data_dir)) as engine:
        effective = EffectivePolicyPublic.of(engine.preferences(person))
        own = engine.policy_at(person_scope(person))
    own_shown = PolicyPublic.of(own) if own is not None else None
    if as_json:
        print_json(
            {
                "person": person,
                "effective": effective.model_dump(mode="json"),
                "own": own_shown.model_dump(mode="json") if own_shown else None,
            }
        )
        return
    out.print(f"{person}: suggest {_yes(effective.suggest)}, infer {_yes(effective.infer)}, digest {effective.digest}")
    if own_shown is not None:
        out.print(f"  their own word: {_said(own_shown.suggest, own_shown.infer, own_shown.digest)}")


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def _said(suggest: bool | None, infer: bool | None, digest: str | None) -> str:
    parts = [
        f"suggest {'inherit' if suggest is None else _yes(suggest)}",
        f"infer {'inherit' if infer is None else _yes(infer)}",
        f"digest {digest or 'inherit'}",
    ]
    return ", ".join(parts)


@do_not_pair_app.command("add")
@clean_errors
def add_do_not_pair(
    a: Annotated[str, typer.Argument(help="A person id.")],
    b: Annotated[str, typer.Argument(help="Another person id.")],
    data_dir: DataDir = None,
    as_json: AsJson = False,
) -> None:
    """Never suggest A and B to each other, in either direction."""
    with engine_for(settings_for(data_dir)) as engine:
        entry = engine.do_not_pair(a, b)
    if as_json:
        print_json(DoNotPairPublic.of(entry).model_dump(mode="json"))
        return
    out.print(f"{entry.a} and {entry.b} will never be suggested to each other.")


@do_not_pair_app.command("remove")
@clean_errors
def remove_do_not_pair(
    a: Annotated[str, typer.Argument(help="A person id.")],
    b: Annotated[str, typer.Argument(help="Another person id.")],
    data_dir: DataDir = None,
) -> None:
    """Drop the do-not-pair entry of A and B (either order)."""
    with engine_for(settings_for(data_dir)) as engine:
        removed = engine.remove_do_not_pair(a, b)
    if not removed:
        raise InvalidQuery(f"there is no do-not-pair entry for {a} and {b}; `weaktie do-not-pair list` shows them")
    out.print(f"Removed the do-not-pair entry of {a} and {b}.")


@do_not_pair_app.command("list")
@clean_errors
def list_do_not_pair(data_dir: DataDir = None, as_json: AsJson = False) -> None:
    """Every pair never to suggest to each other."""
    with engine_for(settings_for(data_dir)) as engine:
        entries = [DoNotPairPublic.of(entry) for entry in engine.do_not_pair_entries()]
    if as_json:
        print_json([entry.model_dump(mode="json") for entry in entries])
        return
    if not entries:
        out.print("No do-not-pair entries.")
        return
    table = Table("a", "b", "since")
    for entry in entries:
        table.add_row(entry.a, entry.b, f"{entry.at:%Y-%m-%d}")
    out.print(table)


@person_app.command("export")
@clean_errors
def export_person(
    person: Who,
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Write the JSON here (readable by you only) instead of stdout.")
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Everything held about PERSON, as JSON: record, team, posts (snippets), ties, topics, suggestions, feedback,
    corrections, policies, do-not-pair entries, tokens (never their secrets) and digests."""
    with engine_for(settings_for(data_dir)) as engine:
        data = engine.export_person(person)
    if out_file is None:
        print_json(data)
        return
    text = json.dumps(data, indent=2, ensure_ascii=False)
    # Personal data: created readable by the owner only, before anything is written to it.
    descriptor = os.open(out_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text + "\n")
    out.print(f"Wrote everything held about {person} to [bold]{out_file}[/].")


@person_app.command("forget")
@clean_errors
def forget_person(
    person: Who,
    yes: Annotated[bool, typer.Option("--yes", help="Really erase them: this cannot be undone.")] = False,
    data_dir: DataDir = None,
) -> None:
    """Erase PERSON and everything about them; later imports of the same exports leave them out."""
    if not yes:
        raise InvalidQuery(
            f"forgetting {person} erases everything about them and cannot be undone; "
            "run `weaktie person export` first if they asked for a copy, then repeat with --yes"
        )
    with engine_for(settings_for(data_dir)) as engine:
        engine.forget_person(person)
    out.print(f"Forgot {person}: their data is erased, and later imports will leave them out.")
