"""Commands for what people and admins control: feedback, topic corrections, policies, do-not-pair, export, forget."""

from __future__ import annotations

import typer

person_app = typer.Typer(help="Everything held about a person: export it, or forget them.", no_args_is_help=True)
topics_app = typer.Typer(help="A person's own word on their topics: confirm, hide or add.", no_args_is_help=True)
policy_app = typer.Typer(help="Privacy and digest policies per person, team or organisation.", no_args_is_help=True)
do_not_pair_app = typer.Typer(help="Pairs of people never to suggest to each other.", no_args_is_help=True)


def feedback(person: str, candidate: str, kind: str) -> None:
    """Record what PERSON said about the suggestion of CANDIDATE (stub: being built)."""
    raise NotImplementedError
