"""Data sets the evaluation reads: any source the importers read, plus timestamped edge lists and paper CSVs.

This is the one module of the recommender package that imports ``extractors/``: the harness sits above the whole
pipeline, as the API does, and replays it on real data. Nothing here writes to a store.
"""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import combinations
from pathlib import Path
from typing import Literal

import numpy as np

from extractors.canonical import PEOPLE_FILE, POSTS_FILE, CanonicalBatch, read_canonical
from extractors.extract import ExtractOptions, extract
from extractors.interactions import interactions
from extractors.sources.common import Archive, SourceError, open_archive, parse_utc
from recommender.answer_outcomes import AnswerOutcomes, Vote
from recommender.evaluation.errors import EvaluationError

Format = Literal["auto", "canonical", "stackexchange", "slack", "zulip", "email", "edges", "papers"]
FORMATS: tuple[str, ...] = ("auto", "canonical", "stackexchange", "slack", "zulip", "email", "edges", "papers")
SOURCE_FORMATS = frozenset({"canonical", "stackexchange", "slack", "zulip", "email"})


@dataclass(frozen=True, slots=True)
class Interactions:
    """Timestamped directed interactions between people (row ``i`` is ``source[i] → target[i]`` at ``at[i]``)."""

    name: str
    people: tuple[str, ...]
    teams: tuple[str | None, ...]
    """Each person's team (aligned with ``people``), ``None`` when unknown."""
    source: np.ndarray
    target: np.ndarray
    at: np.ndarray
    """Epoch seconds."""
    dropped_self_loops: int = 0

    @property
    def n_people(self) -> int:
        return len(self.people)

    @property
    def has_teams(self) -> bool:
        return len({team for team in self.teams if team is not None}) > 1


def detect_format(path: Path) -> str:
    """The format of ``path`` from what it holds: a source export (folder or zip), a papers ``.csv`` or an edge list."""
    path = Path(path)
    if not path.exists():
        raise EvaluationError(f"{str(path)!r} does not exist; pass a data set folder, archive or file")
    if path.is_file() and path.suffix.lower() == ".csv":
        return "papers"
    if path.is_dir() or path.suffix.lower() == ".zip":
        try:
            with open_archive(path) as archive:
                for member, kind in (
                    (POSTS_FILE, "canonical"),
                    (PEOPLE_FILE, "canonical"),
                    ("Posts.xml", "stackexchange"),
                    ("channels.json", "slack"),
                    ("stream_index.json", "zulip"),
                ):
                    if archive.find(member) is not None:
                        return kind
        except SourceError as exc:
            raise EvaluationError(str(exc)) from None
        raise EvaluationError(
            f"cannot tell what {str(path)!r} holds; pass --format (one of {', '.join(FORMATS[1:])}), or for an "
            "edge list pass the file itself"
        )
    if path.suffix.lower() in (".mbox", ".eml"):
        return "email"
    return "edges"


def read_source(path: Path, *, fmt: str) -> CanonicalBatch:
    """A source export as a canonical batch, through the importer for its format."""
    # Importers are loaded on demand: each pulls in its own parsing stack.
    if fmt == "canonical":
        return read_canonical(Path(path))
    if fmt == "stackexchange":
        from extractors.sources.stackexchange import read_stackexchange

        return read_stackexchange(Path(path))
    if fmt == "slack":
        from extractors.sources.slack import read_slack

        return read_slack(Path(path))
    if fmt == "zulip":
        from extractors.sources.zulip import read_zulip

        return read_zulip(Path(path))
    if fmt == "email":
        from extractors.sources.email_archive import read_email

        return read_email(Path(path))
    raise EvaluationError(f"{fmt!r} is not a source format; expected one of {', '.join(sorted(SOURCE_FORMATS))}")


_VOTE_VALUES = {"2": 1, "3": -1}
"""Stack Exchange vote types counted as votes: UpMod and DownMod (type 1, AcceptedByOriginator, is read apart)."""
_ACCEPTED_VOTE = "1"


def read_stackexchange_outcomes(path: Path) -> AnswerOutcomes:
    """Which posts of a Stack Exchange dump are answers, when each accepted answer was accepted, and the votes.

    The dump stores only the day of a vote (acceptances included), so each is taken as known at the end of its day:
    later than it happened, never earlier. An accepted answer without its acceptance vote is left out (its date is
    unknown). A dump without ``Votes.xml`` gives the answers only.
    """
    from extractors.sources.stackexchange import ANSWER, post_id

    answers: set[str] = set()
    accepted: dict[str, datetime] = {}
    votes: list[Vote] = []
    try:
        with open_archive(Path(path)) as archive:
            for row in xml_rows(archive, archive.find("Posts.xml")):
                if row.get("PostTypeId") == ANSWER and row.get("Id"):
                    answers.add(post_id(row["Id"]))
            for row in xml_rows(archive, archive.find("Votes.xml")):
                kind, post, day = row.get("VoteTypeId"), row.get("PostId"), row.get("CreationDate")
                if not post or not day or (kind != _ACCEPTED_VOTE and kind not in _VOTE_VALUES):
                    continue
                try:
                    known = parse_utc(day) + timedelta(days=1)
                except (SourceError, ValueError):
                    continue
                if kind == _ACCEPTED_VOTE:
                    accepted[post_id(post)] = known
                else:
                    votes.append(Vote(post=post_id(post), known_at=known, value=_VOTE_VALUES[kind]))
    except SourceError as exc:
        raise EvaluationError(str(exc)) from None
    return AnswerOutcomes.of(answers=answers, accepted=accepted, votes=votes)


def xml_rows(archive: Archive, member: str | None) -> Iterator[dict[str, str]]:
    """The attributes of each ``<row>`` of a dump file, streamed (nothing when the file is absent)."""
    if member is None:
        return
    with archive.open(member) as stream:
        for _event, element in ET.iterparse(stream, events=("end",)):
            if element.tag == "row":
                yield dict(element.attrib)
                element.clear()


def load_interactions(path: Path, *, fmt: str = "auto", labels: Path | None = None) -> Interactions:
    """Timestamped interactions from any supported data set; ``labels`` (``node team`` lines) sets teams."""
    path = Path(path)
    fmt = detect_format(path) if fmt == "auto" else fmt
    if fmt == "edges":
        data = read_edge_list(path)
    elif fmt == "papers":
        data = read_papers(path)
    elif fmt in SOURCE_FORMATS:
        data = interactions_from_batch(read_source(path, fmt=fmt), name=path.name)
    else:
        raise EvaluationError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    if labels is not None:
        data = with_teams(data, read_labels(labels))
    return data


def read_edge_list(path: Path) -> Interactions:
    """``src dst unix_time`` lines (whitespace or commas; ``#`` comments and a non-numeric header are skipped)."""
    sources: list[str] = []
    targets: list[str] = []
    times: list[float] = []
    for number, fields in _table_lines(Path(path)):
        if len(fields) < 3:
            raise EvaluationError(f"{path}:{number}: expected 'src dst unix_time', got {' '.join(fields)!r}")
        try:
            times.append(float(fields[2]))
        except ValueError:
            if number == 1:
                continue  # a header row
            raise EvaluationError(f"{path}:{number}: the time {fields[2]!r} is not a number of seconds") from None
        sources.append(fields[0])
        targets.append(fields[1])
    return _from_pairs(Path(path).name, sources, targets, times, teams={})


def read_labels(path: Path) -> dict[str, str]:
    """``node team`` lines (extra columns ignored; ``#`` comments skipped) as node → team."""
    labels: dict[str, str] = {}
    for number, fields in _table_lines(Path(path)):
        if len(fields) < 2:
            raise EvaluationError(f"{path}:{number}: expected 'node team', got {' '.join(fields)!r}")
        labels[fields[0]] = fields[1]
    return labels


def read_papers(path: Path) -> Interactions:
    """A CSV of papers with a ``year`` column and an ``authors`` column of ``;``-separated names.

    Every pair of co-authors interacts once per paper, on 1 January of its year (UTC).
    """
    text = Path(path).read_text(encoding="utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    columns = {name.strip().lower(): name for name in reader.fieldnames or ()}
    year_column = columns.get("year")
    author_column = columns.get("authors") or columns.get("author")
    if year_column is None or author_column is None:
        raise EvaluationError(
            f"{path}: expected a header with 'year' and 'authors' columns, got {list(columns.values())}"
        )
    sources: list[str] = []
    targets: list[str] = []
    times: list[float] = []
    for number, row in enumerate(reader, start=2):
        try:
            year = int(float((row.get(year_column) or "").strip()))
        except ValueError:
            raise EvaluationError(f"{path}:{number}: the year {row.get(year_column)!r} is not a number") from None
        authors = list(dict.fromkeys(a.strip() for a in (row.get(author_column) or "").split(";") if a.strip()))
        at = datetime(year, 1, 1, tzinfo=UTC).timestamp()
        for a, b in combinations(authors, 2):
            sources.append(a)
            targets.append(b)
            times.append(at)
    return _from_pairs(Path(path).name, sources, targets, times, teams={})


def interactions_from_batch(batch: CanonicalBatch, *, name: str) -> Interactions:
    """Replies, mentions and co-authorship of an imported source, found by the same extractors as an import."""
    # Topics play no part here: the blank pipeline finds mentions and replies just as well, and fast.
    posts = extract(batch, options=ExtractOptions(spacy_model="none")).delta.posts
    events = interactions(posts)
    teams = {person.id: person.team for person in batch.people if person.team is not None}
    return _from_pairs(
        name,
        [event.source for event in events],
        [event.target for event in events],
        [event.at.timestamp() for event in events],
        teams=teams,
        people=[person.id for person in batch.people],
    )


def with_teams(data: Interactions, labels: dict[str, str]) -> Interactions:
    """``data`` with each person's team taken from ``labels`` (people not listed keep their team)."""
    teams = tuple(labels.get(person, team) for person, team in zip(data.people, data.teams, strict=True))
    return Interactions(
        name=data.name,
        people=data.people,
        teams=teams,
        source=data.source,
        target=data.target,
        at=data.at,
        dropped_self_loops=data.dropped_self_loops,
    )


def _from_pairs(
    name: str,
    sources: Sequence[str],
    targets: Sequence[str],
    times: Sequence[float],
    *,
    teams: dict[str, str],
    people: Iterable[str] = (),
) -> Interactions:
    ids = sorted({*people, *sources, *targets})
    index = {person: i for i, person in enumerate(ids)}
    source = np.array([index[s] for s in sources], dtype=np.int64)
    target = np.array([index[t] for t in targets], dtype=np.int64)
    at = np.array(times, dtype=np.float64)
    loops = source == target
    order = np.argsort(at[~loops], kind="stable")
    return Interactions(
        name=name,
        people=tuple(ids),
        teams=tuple(teams.get(person) for person in ids),
        source=source[~loops][order],
        target=target[~loops][order],
        at=at[~loops][order],
        dropped_self_loops=int(loops.sum()),
    )


def _table_lines(path: Path) -> Iterator[tuple[int, list[str]]]:
    if not path.is_file():
        raise EvaluationError(f"{str(path)!r} is not a file; pass the edge list or labels file itself")
    with path.open(encoding="utf-8-sig") as stream:
        for number, line in enumerate(stream, start=1):
            line = line.strip()
            if line and not line.startswith("#"):
                yield number, line.replace(",", " ").replace("\t", " ").split()
