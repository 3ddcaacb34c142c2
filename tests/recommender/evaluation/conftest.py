"""Tiny data sets written to a temporary folder: an edge list with team labels and a question-and-answer export."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

TRAIN = [("a", "b"), ("b", "c"), ("a", "d"), ("d", "e"), ("b", "d"), ("c", "f"), ("e", "f")]
TEST = [("a", "e"), ("a", "c"), ("a", "g")]
TEAMS = {"a": "X", "b": "X", "c": "X", "d": "Y", "e": "Y", "f": "Z", "g": "Z"}


@pytest.fixture
def edge_files(tmp_path: Path) -> tuple[Path, Path]:
    """Seven training events then three new pairs: a–e (cross-team), a–c (same team), a–g (g is new)."""
    lines = ["# src dst unix_time"]
    for t, (u, v) in enumerate([*TRAIN, *TEST], start=1):
        lines.append(f"{u} {v} {t * 86_400}")
    edges = tmp_path / "edges.txt"
    edges.write_text("\n".join(lines) + "\n")
    labels = tmp_path / "labels.txt"
    labels.write_text("".join(f"{node} {team}\n" for node, team in TEAMS.items()))
    return edges, labels


T0 = datetime(2024, 1, 1, tzinfo=UTC)
SUBJECTS = {"kube": "How do I restart a kubernetes pod?", "pg": "How do I vacuum a postgres table?"}
ANSWERS = {"kube": "To restart a kubernetes pod, delete it.", "pg": "To vacuum a postgres table, run VACUUM."}
EXPERTS = {"kube": "p2", "pg": "p3"}


@pytest.fixture
def qa_export(tmp_path: Path) -> Path:
    """Twelve questions alternating between two subjects, each answered by that subject's expert a day later;
    the last question is answered by ``late``, whose first post that is."""
    people = [
        {"id": pid, "name": pid.upper(), "team": team}
        for pid, team in (("p1", "A"), ("p2", "B"), ("p3", "C"), ("p4", "A"), ("late", "D"))
    ]
    posts = []
    for i in range(12):
        subject = "kube" if i % 2 == 0 else "pg"
        asker = "p1" if i % 3 else "p4"
        at = T0 + timedelta(days=3 * i)
        posts.append(
            {
                "id": f"q{i}",
                "author": asker,
                "created_at": at.isoformat(),
                "title": SUBJECTS[subject],
                "text": f"{SUBJECTS[subject]} It fails every time.",
            }
        )
        answerer = "late" if i == 11 else EXPERTS[subject]
        posts.append(
            {
                "id": f"r{i}",
                "author": answerer,
                "created_at": (at + timedelta(days=1)).isoformat(),
                "text": ANSWERS[subject],
                "reply_to": f"q{i}",
            }
        )
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "people.jsonl").write_text("".join(json.dumps(p) + "\n" for p in people))
    (folder / "posts.jsonl").write_text("".join(json.dumps(p) + "\n" for p in posts))
    return folder
