"""``weaktie digest``: compose and send (or write) the weekly serendipity e-mails."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from api.cli_support import AsJson, DataDir, clean_errors, engine_for, err, out, print_json, progress_bar, settings_for
from api.digest import SKIP_REASONS, DigestReport, Outbox, parse_period, period_of, run_digest
from api.mail import Composer, DirectoryOutbox, SmtpOutbox
from api.signing import signing_key


@clean_errors
def digest(
    period: Annotated[
        str | None, typer.Option("--period", help="ISO week to send for, e.g. 2026-W48 (default: this week).")
    ] = None,
    send: Annotated[
        bool, typer.Option("--send", help="Send over SMTP (WEAKTIE_SMTP_*); each person gets at most one per week.")
    ] = False,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="Dry run: write <period>-<person>.eml files here; nothing is reserved or recorded."),
    ] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Deliver at most N messages in this run.")] = None,
    data_dir: DataDir = None,
    as_json: AsJson = False,
) -> None:
    """Compose the serendipity e-mails of a week: people to meet, and who already did what each person is working on.

    Each person gets one per period at most, however often this runs (see docs/digest.md).
    """
    if send == (out_dir is not None):
        raise typer.BadParameter("give either --send (for real) or --out DIR (a dry run)", param_hint="--send/--out")
    now = datetime.now(UTC)
    period = period.strip() if period else period_of(now)
    parse_period(period)
    settings = settings_for(data_dir)
    key = signing_key(settings)
    with engine_for(settings) as engine:
        with err.status("Fitting the recommenders…") if err.is_terminal else nullcontext():
            engine.people_model()
            engine.already_done_model()
        build = Composer(settings, key=key, team_names=engine.team_names(), now=now)
        outbox: Outbox
        opened: AbstractContextManager[Any]
        if out_dir is not None:
            outbox = DirectoryOutbox(out_dir)
            opened = nullcontext()
        else:
            outbox = opened = SmtpOutbox(settings)
        with opened, progress_bar("Composing digests", enabled=err.is_terminal) as bar:
            report = run_digest(engine, period=period, outbox=outbox, build=build, now=now, limit=limit, progress=bar)
    if as_json:
        print_json(report_dict(report))
    else:
        out.print(report_table(report, out_dir=out_dir))
    if report.error is not None:
        typer.echo(f"weaktie: error: {report.error}", err=True)
        raise typer.Exit(1)


def report_dict(report: DigestReport) -> dict[str, Any]:
    """The run as JSON: person ids per outcome."""
    return {
        "period": report.period,
        "dry_run": report.dry_run,
        "written" if report.dry_run else "sent": report.delivered,
        "skipped": {reason: report.skipped[reason] for reason in SKIP_REASONS if reason in report.skipped},
        "already_sent": report.already_sent,
        "reserved_earlier_unconfirmed": report.unconfirmed,
        "refused": report.refused,
        "failed": report.failed,
        "not_reached": report.not_reached,
        "error": report.error,
    }


def report_table(report: DigestReport, *, out_dir: Path | None) -> Table:
    title = f"Digest {report.period}" + (f" (dry run: {out_dir})" if report.dry_run else "")
    table = Table("outcome", "people", title=title, title_justify="left")
    table.add_row("written" if report.dry_run else "sent", f"{len(report.delivered):,}")
    for reason, label in SKIP_REASONS.items():
        if report.skipped.get(reason):
            table.add_row(f"skipped: {label}", f"{len(report.skipped[reason]):,}")
    rows = (
        ("already sent earlier", report.already_sent),
        ("reserved earlier, not confirmed sent (not retried)", report.unconfirmed),
        ("refused by the mail server (not retried)", report.refused),
        ("in flight when the run stopped (not retried)", report.failed),
        ("not reached (--limit; a later run sends them)", report.not_reached),
    )
    for label, ids in rows:
        if ids:
            table.add_row(label, f"{len(ids):,}")
    return table
