"""``weaktie eval``: options in, one library call, a table or JSON out, and a PNG written."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from api.cli import app


def test_eval_prints_json_keyed_by_method_and_writes_the_chart(edge_files: tuple[Path, Path], tmp_path: Path) -> None:
    edges, labels = edge_files
    chart = tmp_path / "chart.png"
    args = ["eval", str(edges), "--labels", str(labels), "--resamples", "50", "--chart", str(chart), "--json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["task"] == "people" and data["chart"] == str(chart)
    assert "weaktie" in data["tables"]["cross_team"]["results"]
    assert "adamic_adar" in data["tables"]["all"]["results"]
    assert chart.read_bytes()[:4] == b"\x89PNG"


def test_eval_table_and_clean_errors(edge_files: tuple[Path, Path], tmp_path: Path) -> None:
    edges, labels = edge_files
    runner = CliRunner()
    shown = runner.invoke(
        app, ["eval", str(edges), "--labels", str(labels), "--resamples", "50", "--chart", str(tmp_path / "c.png")]
    )
    assert shown.exit_code == 0, shown.output
    assert "all new ties" in shown.stdout and "resource_allocation" in shown.stdout
    bad = runner.invoke(app, ["eval", str(edges), "--task", "gossip", "--chart", str(tmp_path / "d.png")])
    assert bad.exit_code == 1
    assert "unknown task 'gossip'" in bad.stderr
