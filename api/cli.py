"""The ``weaktie`` command line: each command parses its options, calls the engine, and formats the answer."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from api import render
from api.cli_controls import do_not_pair_app, feedback, person_app, policy_app, topics_app
from api.cli_digest import digest
from api.cli_support import AsJson, DataDir, clean_errors, engine_for, err, out, print_json, progress_bar, settings_for
from api.cli_tokens import token_app
from api.demo import take_tour
from api.engine import check_settings
from api.ingest import IngestReport, SourceReport, ingest_source
from api.routes_widget import prepare_demo
from api.schemas import MatchPublic, StatsPublic, SuggestionPublic, SuggestionsPublic
from extractors.identity import read_aliases
from extractors.sources.registry import FORMATS, SourceOptions
from extractors.synthetic import generate_organisation, write_canonical
from recommender.people import MODES

if TYPE_CHECKING:
    pass

app = typer.Typer(
    name="weaktie",
    help="Who you should meet across teams, and who already did what you are about to do.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,  # locals may hold settings with a password
)
# -- commands ---------------------------------------------------------------------------------------------------


@app.command()
@clean_errors
def demo(
    people: Annotated[int, typer.Option(min=20, max=20_000, help="People in the generated organisation.")] = 300,
    posts: Annotated[int, typer.Option(min=100, max=500_000, help="Posts in the generated organisation.")] = 3000,
    seed: Annotated[int, typer.Option(help="Random seed of the generator.")] = 7,
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="Keep the graph here (default: a temporary directory).")
    ] = None,
    record: Annotated[
        bool, typer.Option("--record", help="Record the suggestions shown (SUGGESTED), as `suggest --record` does.")
    ] = False,
    as_json: AsJson = False,
) -> None:
    """Generate a sample organisation, import it, and show who should meet whom and who already did what."""
    org = generate_organisation(people=people, posts=posts, seed=seed)
    with tempfile.TemporaryDirectory(prefix="weaktie-demo-") as tmp:
        source = Path(tmp) / "export"
        write_canonical(org, source)
        settings = settings_for(data_dir if data_dir is not None else Path(tmp) / "data")
        with engine_for(settings) as engine:
            with progress_bar("Importing the sample organisation", enabled=err.is_terminal) as bar:
                report = engine.ingest(source, progress=bar)
            with err.status("Fitting the recommenders…") if err.is_terminal else nullcontext():
                tour = take_tour(engine, org.planted, record=record)
    if as_json:
        print_json(render.tour_dict(report, tour))
        return
    teams = len({person.get("team") for person in org.people})
    out.print(
        f"[bold]weaktie demo[/]: a made-up organisation of {len(org.people)} people in {teams} teams "
        f"wrote {len(org.posts):,} posts over a year.\n"
        f"Imported in {report.elapsed:.1f} s; {report.topics_learned} topics learned. Here is what weaktie suggests.\n"
    )
    for intro in tour.introductions:
        out.print(render.introduction_panel(intro, tour.teams))
    if tour.already_done:
        out.print(render.already_done_panel(tour.already_done, tour.teams))
    if data_dir is not None:
        out.print(f"The graph is kept in {data_dir}: try [bold]weaktie suggest ID --data-dir {data_dir}[/].")
    else:
        out.print(
            "Next: [bold]weaktie serve --demo[/] shows the intranet widget at http://127.0.0.1:8000/demo; "
            "[bold]weaktie ingest DIR[/] imports your own export."
        )


@app.command()
@clean_errors
def ingest(
    paths: Annotated[
        list[Path],
        typer.Argument(help="One or more sources: an export folder, archive, mbox, HR table or git repository."),
    ],
    source_format: Annotated[
        str | None,
        typer.Option("--format", "-f", help=f"One of {', '.join(FORMATS)} (default: detected from the path)."),
    ] = None,
    mapping: Annotated[
        Path | None, typer.Option("--mapping", help="Directory: TOML column mapping ([people], [messages], …).")
    ] = None,
    messages: Annotated[
        Path | None, typer.Option("--messages", help="Directory: message metadata table (sender, time).")
    ] = None,
    recipients: Annotated[
        Path | None, typer.Option("--recipients", help="Directory: recipients table for --messages.")
    ] = None,
    id_prefix: Annotated[str, typer.Option("--id-prefix", help="Directory: id namespace of its people.")] = "hr",
    keep_subjects: Annotated[
        bool, typer.Option("--keep-subjects", help="Directory: keep message subjects as titles.")
    ] = False,
    aliases: Annotated[
        Path | None, typer.Option("--aliases", help="TOML or CSV of 'source id = canonical id' overrides.")
    ] = None,
    base_url: Annotated[
        str | None, typer.Option("--base-url", help="Slack, Zulip or git: base URL for links to messages.")
    ] = None,
    email_audience: Annotated[
        str, typer.Option("--email-audience", help="E-mail: 'participants' (private) or 'everyone' (a list).")
    ] = "participants",
    keep_bodies: Annotated[
        bool | None, typer.Option("--keep-bodies/--drop-bodies", help="Store full bodies (default: settings).")
    ] = None,
    data_dir: DataDir = None,
    as_json: AsJson = False,
) -> None:
    """Import exports (Slack, Zulip, Stack Exchange, e-mail, HR directory, git, canonical JSONL).

    Already imported messages are skipped; malformed records are quarantined in a rejects file with their position
    and the reason; people are matched across sources by e-mail, login and full name.
    """
    settings = settings_for(data_dir)
    if keep_bodies is not None:
        settings = settings.model_copy(update={"keep_bodies": keep_bodies})
    options = SourceOptions(
        base_url=base_url,
        mapping=mapping,
        messages=messages,
        recipients=recipients,
        id_prefix=id_prefix,
        keep_subjects=keep_subjects,
        email_audience=email_audience,
    )
    overrides = read_aliases(aliases) if aliases is not None else None
    reports: list[SourceReport] = []
    with engine_for(settings) as engine:
        try:
            for path in paths:
                with _phased_bar(path.name or str(path), enabled=err.is_terminal) as bar:
                    reports.append(
                        ingest_source(
                            path,
                            engine.store,
                            settings=settings,
                            format=source_format,
                            options=options,
                            aliases=overrides,
                            progress=bar,
                        )
                    )
        finally:
            engine.refresh()
    if as_json:
        print_json({**render.report_dict(_total(reports)), "sources": [_source_dict(r) for r in reports]})
        return
    for report in reports:
        out.print(_source_table(report))
        if report.ingest.rejects_path:
            out.print(f"Quarantined records and why: [bold]{report.ingest.rejects_path}[/]")


@contextmanager
def _phased_bar(name: str, *, enabled: bool) -> Iterator[Callable[[str, int, int | None], None] | None]:
    """One bar per source: a running count while reading, then posts extracted out of the total."""
    if not enabled:
        yield None
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task(f"Reading {name}", total=None)

        def update(phase: str, done: int, total: int | None) -> None:
            label = f"Reading {name}" if phase == "reading" else f"Extracting posts from {name}"
            bar.update(task, description=label, completed=done, total=total)

        yield update


def _total(reports: list[SourceReport]) -> IngestReport:
    """All sources of one command as one pipeline report (the ``--json`` top level)."""
    parts = [r.ingest for r in reports]
    return IngestReport(
        read=sum(p.read for p in parts),
        imported_posts=sum(p.imported_posts for p in parts),
        imported_people=sum(p.imported_people for p in parts),
        rejected=sum(p.rejected for p in parts),
        skipped_known=sum(p.skipped_known for p in parts),
        unresolved_mentions=sum(p.unresolved_mentions for p in parts),
        topics_learned=sum(p.topics_learned for p in parts),
        suppressed=sum(p.suppressed for p in parts),
        rejects_path=next((p.rejects_path for p in reversed(parts) if p.rejects_path), None),
        elapsed=sum(p.elapsed for p in parts),
    )


def _source_dict(report: SourceReport) -> dict[str, Any]:
    resolution = report.resolution
    return {
        "path": str(report.path),
        "format": report.format,
        "key": report.key,
        **render.report_dict(report.ingest),
        "quarantined": report.ingest.rejected,
        "skipped": dict(report.skipped),
        "people": {
            "in_source": resolution.people,
            "matched": dict(resolution.rules),
            "new": resolution.new,
            "ambiguous": resolution.ambiguous,
        },
        "watermark": report.watermark.isoformat() if report.watermark else None,
        "previous_watermark": report.previous_watermark.isoformat() if report.previous_watermark else None,
        "late": report.late,
    }


def _source_table(report: SourceReport) -> Table:
    table = Table("", "", title=f"{report.format}: {report.path}", title_justify="left", show_header=False)
    resolution, ingest = report.resolution, report.ingest
    across = {rule: n for rule, n in resolution.rules.items() if rule != "id"}
    rows: list[tuple[str, str]] = [
        ("read", f"{ingest.read:,}"),
        ("imported posts", f"{ingest.imported_posts:,}"),
        ("imported people", f"{ingest.imported_people:,}"),
        ("skipped", f"{sum(report.skipped.values()):,}"),
        *((f"  {reason}", f"{n:,}") for reason, n in sorted(report.skipped.items(), key=lambda item: -item[1])),
        ("quarantined", f"{ingest.rejected:,}"),
        ("dropped: forgotten people", f"{ingest.suppressed:,}"),
        ("people already known", f"{resolution.rules.get('id', 0):,}"),
        ("people matched to another source", f"{sum(across.values()):,}"),
        *((f"  by {rule}", f"{n:,}") for rule, n in sorted(across.items())),
        ("people new", f"{resolution.new:,}"),
        ("  left apart as ambiguous", f"{resolution.ambiguous:,}"),
        ("unresolved mentions", f"{ingest.unresolved_mentions:,}"),
        ("topics learned", f"{ingest.topics_learned:,}"),
    ]
    if report.late:
        rows.append(("late arrivals (older than watermark)", f"{report.late:,}"))
    rows.append(("newest message", report.watermark.isoformat(timespec="seconds") if report.watermark else "–"))
    rows.append(("elapsed", f"{ingest.elapsed:.1f} s"))
    for name, value in rows:
        table.add_row(name, value)
    return table


@app.command()
@clean_errors
def suggest(
    person: Annotated[str, typer.Argument(help="The person id to suggest introductions for.")],
    k: Annotated[int | None, typer.Option("--k", min=1, max=50, help="How many (default: settings).")] = None,
    record: Annotated[bool, typer.Option("--record", help="Record them as shown, so they are not repeated.")] = False,
    mode: Annotated[
        str, typer.Option(help="peer (weak ties), mentor, reverse (a junior strong where PERSON is weak) or mutual.")
    ] = "peer",
    data_dir: DataDir = None,
    as_json: AsJson = False,
) -> None:
    """Whom PERSON should meet in other teams, and why."""
    if mode not in MODES:
        raise typer.BadParameter(f"choose one of {', '.join(MODES)}", param_hint="--mode")
    with engine_for(settings_for(data_dir)) as engine:
        found = engine.suggestions(person, k=k, record=record, mode=mode)  # type: ignore[arg-type]
        me, teams = engine.person(person), engine.team_names()
    if as_json:
        result = SuggestionsPublic(person=person, suggestions=[SuggestionPublic.of(item) for item in found])
        print_json(result.model_dump(mode="json"))
        return
    if not found:
        out.print(f"No suggestions for {me.name} yet: they need some public posts or colleagues first.")
        return
    out.print(render.suggestions_table(me, found, teams))
    if record:
        out.print(f"Recorded {len(found)} suggestion(s) as shown.")


@app.command("already-done")
@clean_errors
def already_done(
    text: Annotated[str, typer.Argument(help="What you are working on or about to start.")],
    asker: Annotated[str | None, typer.Option("--asker", help="Your person id (flags cross-team matches).")] = None,
    k: Annotated[int, typer.Option("--k", min=1, max=50, help="How many matches.")] = 5,
    data_dir: DataDir = None,
    as_json: AsJson = False,
) -> None:
    """Who has already done what TEXT describes, with the posts that show it."""
    with engine_for(settings_for(data_dir)) as engine:
        found, teams = engine.already_done(text, asker=asker, k=k), engine.team_names()
    if as_json:
        print_json({"matches": [MatchPublic.of(match).model_dump(mode="json") for match in found]})
        return
    if not found:
        out.print("Nobody seems to have done this yet (or their posts are not visible to you).")
        return
    out.print(render.matches_table(found, teams, title="Already done by"))


@app.command()
@clean_errors
def stats(data_dir: DataDir = None, as_json: AsJson = False) -> None:
    """Nodes per label and relationships per type in the graph."""
    with engine_for(settings_for(data_dir)) as engine:
        counts = StatsPublic.of(engine.stats())
    if as_json:
        print_json(counts.model_dump(mode="json"))
        return
    out.print(render.stats_table(counts))


@app.command()
@clean_errors
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    demo_page: Annotated[
        bool,
        typer.Option(
            "--demo",
            help="Serve the generated organisation of `weaktie demo` (embedded store, temporary directory unless "
            "--data-dir) with a demo intranet page at /demo showing the widget.",
        ),
    ] = False,
    data_dir: DataDir = None,
) -> None:
    """Run the HTTP API (OpenAPI docs at /docs)."""
    import uvicorn

    from api.app import create_app

    settings = settings_for(data_dir)
    if not demo_page:
        check_settings(settings)  # a bad setting is one line here, not a traceback from the server's start-up
        uvicorn.run(create_app(settings), host=host, port=port)
        return
    with tempfile.TemporaryDirectory(prefix="weaktie-serve-demo-") as tmp:
        settings = settings.model_copy(
            update={"store": "embedded", "data_dir": data_dir if data_dir is not None else Path(tmp) / "data"}
        )
        check_settings(settings)
        with progress_bar("Importing the sample organisation", enabled=err.is_terminal) as bar:
            # generate_organisation's defaults are those of `weaktie demo`: the same people and posts.
            page = prepare_demo(generate_organisation(), settings, now=datetime.now(UTC), progress=bar)
        app = create_app(settings)
        app.state.demo_page = page
        shown = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)  # a wildcard is no URL
        shown = f"[{shown}]" if ":" in shown else shown
        out.print(
            f"Demo intranet page: [bold]http://{shown}:{port}/demo[/] (signed in as {page.person}, "
            "with a person token minted for this run)."
        )
        uvicorn.run(app, host=host, port=port)


app.add_typer(token_app, name="token")
app.add_typer(person_app, name="person")
app.add_typer(topics_app, name="topics")
app.add_typer(policy_app, name="policy")
app.add_typer(do_not_pair_app, name="do-not-pair")
app.command("feedback")(feedback)
app.command("digest")(digest)


def main() -> None:
    """Console entry point of ``weaktie``."""
    app()


# -- eval ---------------------------------------------------------------------------------------------------------


@app.command("eval")
@clean_errors
def evaluate(
    path: Annotated[Path, typer.Argument(help="A data set: an importer's export, an edge list or a papers CSV.")],
    task: Annotated[
        str,
        typer.Option(
            "--task", help="people (you should meet), answerers (who can answer) or topics (a person's topics)."
        ),
    ] = "people",
    fmt: Annotated[
        str, typer.Option("--format", help="auto, canonical, stackexchange, slack, zulip, email, edges or papers.")
    ] = "auto",
    labels: Annotated[
        Path | None, typer.Option("--labels", help="'node team' lines giving each person's team.")
    ] = None,
    train_share: Annotated[
        float, typer.Option("--train-share", min=0.05, max=0.95, help="Share of events (questions) before the cut.")
    ] = 0.7,
    cut: Annotated[str | None, typer.Option("--cut", help="Cut at this ISO date instead (e.g. 2018-07-01).")] = None,
    k: Annotated[
        int | None,
        typer.Option("--k", min=1, max=100, help="Suggestions per person (people, default 10) or topics (topics, 5)."),
    ] = None,
    people: Annotated[
        int, typer.Option("--people", min=1, help="Topics: describe this many of the most active people.")
    ] = 60,
    capacity: Annotated[
        int | None, typer.Option("--capacity", min=1, help="weaktie's per-person capacity (default: the product's).")
    ] = None,
    refit_every: Annotated[
        int, typer.Option("--refit-every", min=1, help="Answerers: refit after this many questions (1 = exact).")
    ] = 1,
    spacy_model: Annotated[str, typer.Option("--spacy-model", help="auto, none or a package name.")] = "auto",
    resamples: Annotated[int, typer.Option("--resamples", min=50, help="Bootstrap resamples.")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (random baseline, tie-breaks).")] = 0,
    chart: Annotated[Path | None, typer.Option("--chart", help="PNG chart (default: weaktie-eval-TASK.png).")] = None,
    as_json: AsJson = False,
) -> None:
    """Evaluate weaktie against baselines on a temporal split of PATH: a table (or --json) and a PNG chart."""
    from datetime import datetime

    from recommender.evaluation.chart import write_chart
    from recommender.evaluation.harness import EvalRequest, run_evaluation

    try:
        cut_at = datetime.fromisoformat(cut) if cut else None
    except ValueError:
        raise typer.BadParameter(f"--cut expects an ISO date such as 2018-07-01, got {cut!r}") from None
    request = EvalRequest(
        task=task,
        fmt=fmt,
        labels=labels,
        train_share=train_share,
        cut=cut_at,
        k=k,
        people=people,
        capacity=capacity,
        refit_every=refit_every,
        spacy_model=spacy_model,
        resamples=resamples,
        random_state=seed,
    )
    with err.status("Evaluating…") if err.is_terminal else nullcontext() as status:

        def progress(message: str) -> None:
            if status is not None:
                status.update(f"Evaluating: {message}")

        # Only the topics task imports through the product, so only it reads the deployment's settings.
        from api.topic_eval import product_topics

        topics_of = (
            product_topics(settings_for(None).model_copy(update={"spacy_model": spacy_model}))
            if task == "topics"
            else None
        )
        report = run_evaluation(path, request=request, progress=progress, topics_of=topics_of)
    written = write_chart(report, chart if chart is not None else Path(f"weaktie-eval-{task}.png"))
    if as_json:
        print_json({**report.as_dict(), "chart": str(written)})
        return
    # Nine metrics with intervals do not fit 80 columns: a pipe or a file gets a wide page instead of wrapped cells.
    shown = out if out.is_terminal else Console(highlight=False, width=160)
    for table in report.tables:
        for columns in (table.columns[:5], table.columns[5:]):
            if columns:
                shown.print(_eval_table(table, columns))
        if table.comparison is not None:
            c = table.comparison
            verdict = "within the noise" if c.within_noise else "outside the noise"
            ratio = f", {c.ratio:.2f}× {c.baseline}" if c.ratio is not None else ""
            shown.print(
                f"weaktie − {c.baseline} on {c.metric}: {c.difference.value:+.3f} "
                f"[{c.difference.low:+.3f}, {c.difference.high:+.3f}] ({verdict}{ratio})\n"
            )
    for target in report.targets:
        mark = "[green]met[/]" if target.met else "[red]not met[/]"
        note = f" ({target.note})" if target.note else ""
        shown.print(f"{mark}  {target.name}: {target.value:.3f} vs {target.threshold:.2f}{note}")
    for note in report.notes:
        shown.print(f"[dim]· {note}[/]")
    shown.print(f"Chart: [bold]{written}[/]")


def _eval_table(table: Any, columns: tuple[str, ...]) -> Any:
    """Some columns of one evaluation table as a rich table: a row per method, value and 95% interval per metric."""
    from rich.table import Table

    size = ", ".join(f"{name.replace('_', ' ')}: {value:,}" for name, value in table.test_size.items())
    shown = Table(title=f"{table.title} ({size})", title_justify="left")
    shown.add_column("method")
    for column in columns:
        shown.add_column(column, justify="right")
    for method, result in table.results.items():
        cells = []
        for column in columns:
            estimate = result.metrics[column]
            cells.append(f"{estimate.value:.3f} [dim]({estimate.low:.2f}–{estimate.high:.2f})[/]")
        shown.add_row(f"[bold]{method}[/]" if method == "weaktie" else method, *cells)
    return shown
