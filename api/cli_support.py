"""What every ``weaktie`` command shares: consoles, common options, clean errors, the engine and progress bars."""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from api.engine import Engine, open_store
from api.settings import Settings, get_settings
from graph.errors import WeaktieError

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

P = ParamSpec("P")
R = TypeVar("R")

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Data directory (default: WEAKTIE_DATA_DIR, else ~/.local/share/weaktie)."),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON for machines instead of tables.")]


def clean_errors(command: Callable[P, R]) -> Callable[P, R]:
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


def settings_for(data_dir: Path | None) -> Settings:
    settings = get_settings()
    return settings.model_copy(update={"data_dir": data_dir}) if data_dir is not None else settings


@contextmanager
def engine_for(settings: Settings) -> Iterator[Engine]:
    # The Neo4j driver logs each retry as a warning, which Python would print: the one error line says it all.
    logging.getLogger("neo4j").setLevel(logging.ERROR)
    store = open_store(settings)
    try:
        yield Engine(store, settings=settings)
    finally:
        store.close()


@contextmanager
def progress_bar(description: str, *, enabled: bool = True) -> Iterator[Callable[[int, int], None] | None]:
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


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))
