"""The ``weaktie`` command line: each command parses its options, calls the engine, and formats the answer."""

from __future__ import annotations

import functools
import json
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from api import render
from api.demo import take_tour
from api.engine import Engine, open_store
from api.schemas import MatchPublic, StatsPublic, SuggestionPublic, SuggestionsPublic
from api.settings import Settings, get_settings
from extractors.synthetic import generate_organisation, write_canonical
from graph.errors import WeaktieError

app = typer.Typer(
    name="weaktie",
    help="Who you should meet across teams, and who already did what you are about to do.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,  # locals may hold settings with a password
)
out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

P = ParamSpec("P")
R = TypeVar("R")

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Data directory (default: WEAKTIE_DATA_DIR, else ~/.local/share/weaktie)."),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON for machines instead of tables.")]


def _clean_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn a WeaktieError into one line on stderr and exit code 1, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except WeaktieError as exc:
            message = " ".join(str(exc).split())  # one line, however the message was built
            typer.echo(f"weaktie: error: {message}", err=True)
            raise typer.Exit(1) from None

    return wrapper


def _settings(data_dir: Path | None) -> Settings:
    settings = get_settings()
    return settings.model_copy(update={"data_dir": data_dir}) if data_dir is not None else settings


@contextmanager
def _engine(settings: Settings) -> Iterator[Engine]:
    store = open_store(settings)
    try:
        yield Engine(store, settings=settings)
    finally:
        store.close()


@contextmanager
def _progress_bar(description: str, *, enabled: bool = True) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on stderr (so ``--json`` output stays clean), fed as ``progress(done, total)``."""
    if not enabled:
        yield None
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task(description, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


# -- commands ---------------------------------------------------------------------------------------------------


@app.command()
@_clean_errors
def demo(
    people: Annotated[int, typer.Option(min=20, max=20_000, help="People in the generated organisation.")] = 300,
    posts: Annotated[int, typer.Option(min=100, max=500_000, help="Posts in the generated organisation.")] = 3000,
    seed: Annotated[int, typer.Option(help="Random seed of the generator.")] = 7,
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="Keep the graph here (default: a temporary directory).")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Generate a sample organisation, import it, and show who should meet whom and who already did what."""
    org = generate_organisation(people=people, posts=posts, seed=seed)
    with tempfile.TemporaryDirectory(prefix="weaktie-demo-") as tmp:
        source = Path(tmp) / "export"
        write_canonical(org, source)
        settings = _settings(data_dir if data_dir is not None else Path(tmp) / "data")
        with _engine(settings) as engine:
            with _progress_bar("Importing the sample organisation", enabled=err.is_terminal) as bar:
                report = engine.ingest(source, progress=bar)
            with err.status("Fitting the recommenders…") if err.is_terminal else nullcontext():
                tour = take_tour(engine, org.planted)
    if as_json:
        _print_json(render.tour_dict(report, tour))
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
        out.print("Next: [bold]weaktie ingest DIR[/] with your own export, then [bold]weaktie serve[/].")


@app.command()
@_clean_errors
def ingest(
    path: Annotated[Path, typer.Argument(help="A directory holding people.jsonl and/or posts.jsonl.")],
    data_dir: DataDir = None,
    as_json: AsJson = False,
) -> None:
    """Import a canonical JSONL export. Posts already imported are skipped; rejected records go to a file."""
    with _engine(_settings(data_dir)) as engine, _progress_bar("Extracting posts", enabled=err.is_terminal) as bar:
        report = engine.ingest(path, progress=bar)
    if as_json:
        _print_json(render.report_dict(report))
        return
    out.print(render.report_table(report))
    if report.rejects_path:
        out.print(f"Rejected records and why: [bold]{report.rejects_path}[/]")


@app.command()
@_clean_errors
def suggest(
    person: Annotated[str, typer.Argument(help="The person id to suggest introductions for.")],
    k: Annotated[int | None, typer.Option("--k", min=1, max=50, help="How many (default: settings).")] = None,
    record: Annotated[bool, typer.Option("--record", help="Record them as shown, so they are not repeated.")] = False,
    data_dir: DataDir = None,
    as_json: AsJson = False,
) -> None:
    """Whom PERSON should meet in other teams, and why."""
    with _engine(_settings(data_dir)) as engine:
        found = engine.suggestions(person, k=k, record=record)
        me, teams = engine.person(person), engine.team_names()
    if as_json:
        result = SuggestionsPublic(person=person, suggestions=[SuggestionPublic.of(item) for item in found])
        _print_json(result.model_dump(mode="json"))
        return
    if not found:
        out.print(f"No suggestions for {me.name} yet: they need some public posts or colleagues first.")
        return
    out.print(render.suggestions_table(me, found, teams))
    if record:
        out.print(f"Recorded {len(found)} suggestion(s) as shown.")


@app.command("already-done")
@_clean_errors
def already_done(
    text: Annotated[str, typer.Argument(help="What you are working on or about to start.")],
    asker: Annotated[str | None, typer.Option("--asker", help="Your person id (flags cross-team matches).")] = None,
    k: Annotated[int, typer.Option("--k", min=1, max=50, help="How many matches.")] = 5,
    data_dir: DataDir = None,
    as_json: AsJson = False,
) -> None:
    """Who has already done what TEXT describes, with the posts that show it."""
    with _engine(_settings(data_dir)) as engine:
        found, teams = engine.already_done(text, asker=asker, k=k), engine.team_names()
    if as_json:
        _print_json({"matches": [MatchPublic.of(match).model_dump(mode="json") for match in found]})
        return
    if not found:
        out.print("Nobody seems to have done this yet (or their posts are not visible to you).")
        return
    out.print(render.matches_table(found, teams, title="Already done by"))


@app.command()
@_clean_errors
def stats(data_dir: DataDir = None, as_json: AsJson = False) -> None:
    """Nodes per label and relationships per type in the graph."""
    with _engine(_settings(data_dir)) as engine:
        counts = StatsPublic.of(engine.stats())
    if as_json:
        _print_json(counts.model_dump(mode="json"))
        return
    out.print(render.stats_table(counts))


@app.command()
@_clean_errors
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    data_dir: DataDir = None,
) -> None:
    """Run the HTTP API (OpenAPI docs at /docs)."""
    import uvicorn

    from api.app import create_app

    uvicorn.run(create_app(_settings(data_dir)), host=host, port=port)


def main() -> None:
    """Console entry point of ``weaktie``."""
    app()
