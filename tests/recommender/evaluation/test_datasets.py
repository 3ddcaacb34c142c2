"""Reading edge lists, team labels and paper CSVs, and telling formats apart."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from recommender.evaluation.datasets import detect_format, load_interactions, read_papers
from recommender.evaluation.errors import EvaluationError


def test_edge_list_with_labels(edge_files: tuple[Path, Path]) -> None:
    edges, labels = edge_files
    data = load_interactions(edges, labels=labels)
    assert data.people == ("a", "b", "c", "d", "e", "f", "g")
    assert data.teams == ("X", "X", "X", "Y", "Y", "Z", "Z")
    assert len(data.at) == 10 and np.all(np.diff(data.at) >= 0)
    assert data.people[data.source[0]] == "a" and data.people[data.target[0]] == "b"
    assert data.has_teams


def test_edge_list_drops_self_loops_and_rejects_bad_times(tmp_path: Path) -> None:
    good = tmp_path / "g.txt"
    good.write_text("src,dst,time\n1,2,10\n2,2,11\n2,3,12\n")
    data = load_interactions(good, fmt="edges")
    assert data.dropped_self_loops == 1 and len(data.at) == 2
    assert not data.has_teams
    bad = tmp_path / "b.txt"
    bad.write_text("1 2 10\n2 3 soon\n")
    with pytest.raises(EvaluationError, match=r"b.txt:2"):
        load_interactions(bad, fmt="edges")


def test_papers_become_co_author_pairs_on_new_year(tmp_path: Path) -> None:
    papers = tmp_path / "papers.csv"
    papers.write_text('title,Year,authors\n"One",2019,"Ada; Bob ;Cy"\n"Two",2021,Bob;Dee\n"Solo",2020,Ada\n')
    data = read_papers(papers)
    pairs = {(data.people[s], data.people[t]) for s, t in zip(data.source, data.target, strict=True)}
    assert pairs == {("Ada", "Bob"), ("Ada", "Cy"), ("Bob", "Cy"), ("Bob", "Dee")}
    assert sorted(set(data.at.tolist())) == [1546300800.0, 1609459200.0]
    assert detect_format(papers) == "papers"
    broken = tmp_path / "broken.csv"
    broken.write_text("title,when\nx,2020\n")
    with pytest.raises(EvaluationError, match="'year' and 'authors'"):
        read_papers(broken)


def test_formats_are_detected_from_what_a_folder_holds(tmp_path: Path, qa_export: Path) -> None:
    assert detect_format(qa_export) == "canonical"
    dump = tmp_path / "dump"
    dump.mkdir()
    (dump / "Posts.xml").write_text("<posts/>")
    assert detect_format(dump) == "stackexchange"
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(EvaluationError, match="--format"):
        detect_format(empty)
    with pytest.raises(EvaluationError, match="does not exist"):
        detect_format(tmp_path / "missing")


def test_an_imported_source_gives_its_reply_interactions(qa_export: Path) -> None:
    data = load_interactions(qa_export)
    pairs = {(data.people[s], data.people[t]) for s, t in zip(data.source, data.target, strict=True)}
    # Each answer is one reply from the answerer to the asker (p4 asks every third question, p1 the rest).
    assert pairs == {("p2", "p4"), ("p3", "p1"), ("p2", "p1"), ("p3", "p4"), ("late", "p1")}
    assert len(data.at) == 12
    assert dict(zip(data.people, data.teams, strict=True))["p2"] == "B"
