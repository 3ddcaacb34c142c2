"""``weaktie token``: issue, list and revoke API tokens. Only digests are stored; a secret is shown once, at issue."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table

from api.cli_support import AsJson, DataDir, clean_errors, engine_for, err, out, print_json, settings_for
from api.tokens import issue_token, revoke_token
from graph.controls import TOKEN_SCOPES, AccessToken, TokenScope

token_app = typer.Typer(help="Issue, list and revoke API tokens.", no_args_is_help=True)


def _row(token: AccessToken) -> dict[str, str | None]:
    # Never the digest: a listing is for people, who have no use for it, and it is one step closer to the secret.
    return {
        "id": token.id,
        "scope": token.scope,
        "person": token.person,
        "label": token.label,
        "created_at": token.created_at.isoformat(),
        "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None,
    }


@token_app.command("issue")
@clean_errors
def issue(
    scope: Annotated[
        str, typer.Option("--scope", help="person (one person's own data), admin (everything) or ingest (POST only).")
    ],
    person: Annotated[str | None, typer.Option("--person", help="The person a person token acts for.")] = None,
    label: Annotated[str, typer.Option("--label", help="A note saying who or what holds the token.")] = "",
    data_dir: DataDir = None,
    as_json: AsJson = False,
) -> None:
    """Issue a token and print it once: it is stored only as a digest and cannot be shown again."""
    if scope not in TOKEN_SCOPES:
        raise typer.BadParameter(f"choose one of {', '.join(TOKEN_SCOPES)}", param_hint="--scope")
    chosen: TokenScope = scope  # type: ignore[assignment]
    with engine_for(settings_for(data_dir)) as engine:
        record, plaintext = issue_token(engine.store, scope=chosen, person=person, label=label, now=datetime.now(UTC))
    # The secret goes to stdout alone (TOKEN=$(weaktie token issue ...) works); everything else to stderr.
    if as_json:
        print_json({**_row(record), "token": plaintext})
    else:
        typer.echo(plaintext)
    who = f" for {record.person}" if record.person else ""
    err.print(f"Issued {record.scope} token [bold]{record.id}[/]{who}.")
    err.print(
        "[bold yellow]This is the only time the token is shown:[/] weaktie keeps only its digest. "
        f"Store it safely; if it is lost, revoke it (weaktie token revoke {record.id}) and issue a new one."
    )


@token_app.command("list")
@clean_errors
def list_tokens(data_dir: DataDir = None, as_json: AsJson = False) -> None:
    """Every token: id, scope, person, label, when it was created and revoked. Secrets cannot be listed."""
    with engine_for(settings_for(data_dir)) as engine:
        rows = [_row(token) for token in engine.store.tokens()]
    if as_json:
        print_json(rows)
        return
    if not rows:
        out.print("No tokens yet: issue one with [bold]weaktie token issue --scope admin[/].")
        return
    table = Table("id", "scope", "person", "label", "created", "revoked")
    for row in rows:
        table.add_row(
            row["id"],
            row["scope"],
            row["person"] or "",
            row["label"] or "",
            _day(row["created_at"]),
            _day(row["revoked_at"]) if row["revoked_at"] else "",
        )
    out.print(table)


@token_app.command("revoke")
@clean_errors
def revoke(
    token_id: Annotated[str, typer.Argument(metavar="ID", help="The token's id, as `weaktie token list` shows it.")],
    data_dir: DataDir = None,
    as_json: AsJson = False,
) -> None:
    """Revoke a token: every request with it is refused from now on (401). Revoking twice changes nothing."""
    with engine_for(settings_for(data_dir)) as engine:
        record = revoke_token(engine.store, token_id, now=datetime.now(UTC))
    if as_json:
        print_json(_row(record))
    else:
        out.print(f"Revoked token [bold]{record.id}[/] ({record.scope}) at {_day(_row(record)['revoked_at'])}.")


def _day(iso: str | None) -> str:
    return (iso or "")[:16].replace("T", " ")
