"""``weaktie token``: issue, list and revoke API tokens."""

from __future__ import annotations

import typer

token_app = typer.Typer(help="Issue, list and revoke API tokens.", no_args_is_help=True)
