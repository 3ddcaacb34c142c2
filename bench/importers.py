"""Importer benchmark: records/s of each importer (read + extract) on its data set, next to a bare parse of the same
files (reading and decoding only) measured in the same run.

Run with ``python -m bench.importers`` (``--repeat``, ``--only slack,zulip``, ``--model auto`` for the spaCy model,
``--json FILE``). The ratio is the steadier number on a shared machine; nothing here is a pass/fail gate.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import asdict, dataclass
from email import policy
from email.parser import BytesParser
from pathlib import Path

from extractors.extract import ExtractOptions, extract
from extractors.sources.registry import SourceOptions, read_source

DATA = Path(os.environ.get("WEAKTIE_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
ENRON_MAPPING = """\
[people]
header = false
id = 1
name = 2
department = 3
team = 4
title = 5
[messages]
header = false
id = 1
sent_at = 3
subject = 4
sender = 5
[recipients]
header = false
message = 1
recipient = 3
"""


@dataclass(frozen=True, slots=True)
class Case:
    format: str
    label: str
    path: Path
    bare: Callable[[], int]
    """Reads and decodes the same files, nothing else; returns the records it saw."""
    options: SourceOptions | None = None


@dataclass(frozen=True, slots=True)
class Result:
    format: str
    label: str
    records: int
    posts: int
    read_s: float
    import_s: float
    bare_s: float

    @property
    def import_rate(self) -> float:
        return self.records / self.import_s

    @property
    def bare_rate(self) -> float:
        return self.records / self.bare_s

    @property
    def ratio(self) -> float:
        return self.import_s / self.bare_s


# --- bare parses ---------------------------------------------------------------------------------------------------


def bare_json_files(root: Path, pattern: str) -> int:
    records = 0
    for path in root.glob(pattern):
        data = json.loads(path.read_bytes().decode("utf-8"))
        records += len(data) if isinstance(data, list) else 1
    return records


def bare_users(root: Path) -> int:
    return bare_json_files(root, "users.json")


STACKEXCHANGE_FILES = ("Users.xml", "Posts.xml", "Comments.xml")


def bare_zulip(root: Path) -> int:
    records = 0
    for stream in os.listdir(root):  # os.listdir: topic files of resolved topics start with "."
        if (root / stream).is_dir():
            for topic in os.listdir(root / stream):
                records += len(json.loads((root / stream / topic).read_bytes().decode("utf-8")))
    return records


def bare_xml(root: Path, names: tuple[str, ...]) -> int:
    records = 0
    for name in names:
        for _, element in ET.iterparse(root / name):
            if element.tag == "row":
                records += 1
                element.clear()
    return records


def bare_mail(root: Path) -> int:
    parser = BytesParser(policy=policy.default)
    records = 0
    for path in sorted(root.rglob("*.txt")):
        message = parser.parsebytes(path.read_bytes())
        if message["from"] is not None:
            records += 1
    return records


def bare_tables(paths: tuple[Path, ...]) -> int:
    records = 0
    for path in paths:
        text = path.read_bytes().decode("utf-8")
        records += sum(1 for _ in csv.reader(io.StringIO(text, newline=""), delimiter="\t", quoting=csv.QUOTE_NONE))
    return records


def bare_git(repo: Path) -> int:
    # The same command the importer runs, read and split, nothing else.
    args = ["git", "-C", str(repo), "log", "HEAD", "-z", "--date-order", "--reverse", "--name-status"]
    args += ["--find-renames", "--format=%x1e%H%x1f%P%x1f%aN%x1f%aE%x1f%aI%x1f%B%x1f", "--no-color"]
    output = subprocess.run(args, check=True, capture_output=True).stdout
    return sum(1 for token in output.split(b"\0") if token.startswith(b"\x1e"))


# --- a synthetic repository ----------------------------------------------------------------------------------------


def make_repository(root: Path, *, commits: int = 5000, authors: int = 40, files: int = 800) -> Path:
    """A repository built with ``git fast-import`` in a second or two: commits by rotating authors on random files."""
    import random

    rng = random.Random(7)
    repo = root / "repo"
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    lines: list[str] = []
    stamp = 1_700_000_000
    for number in range(1, commits + 1):
        person = rng.randrange(authors)
        message = f"Change {number}: tune the {rng.choice(['cache', 'tiles', 'parser', 'index', 'queue'])} module\n"
        lines += [
            "commit refs/heads/main",
            f"mark :{number}",
            f"author Dev {person} <dev{person}@example.com> {stamp + number * 600} +0000",
            f"committer Dev {person} <dev{person}@example.com> {stamp + number * 600} +0000",
            f"data {len(message.encode())}",
            message,
        ]
        if number > 1:
            lines.append(f"from :{number - 1}")
        for _ in range(rng.randint(1, 4)):
            content = f"{number}\n"
            lines += [f"M 100644 inline src/file{rng.randrange(files)}.py", f"data {len(content)}", content]
    stream = ("\n".join(lines) + "\n").encode()
    subprocess.run(["git", "-C", str(repo), "fast-import", "--quiet"], input=stream, check=True)
    subprocess.run(["git", "-C", str(repo), "reset", "-q", "--hard", "main"], check=True)
    return repo


# --- running -------------------------------------------------------------------------------------------------------


def cases(tmp: Path, *, commits: int) -> list[Case]:
    slack, zulip = DATA / "slack-houstondatavis-2016", DATA / "zulip-ncar" / "zulip_json"
    se, mail, enron = (
        DATA / "stackexchange-quantumcomputing-2018",
        DATA / "enron-berkeley-categories",
        DATA / "enron-perry-wolfe",
    )
    mapping = tmp / "enron.toml"
    mapping.write_text(ENRON_MAPPING)
    repo = make_repository(tmp, commits=commits)
    tables = (enron / "employees.tsv", enron / "messages.tsv", enron / "recipients.tsv")
    return [
        Case("slack", "houstondatavis 2016", slack, lambda: bare_json_files(slack, "*/*.json") + bare_users(slack)),
        Case("zulip", "NCAR", zulip, lambda: bare_zulip(zulip)),
        Case("stackexchange", "quantumcomputing 2018", se, lambda: bare_xml(se, STACKEXCHANGE_FILES)),
        Case("email", "Enron, Berkeley categories", mail, lambda: bare_mail(mail)),
        Case(
            "directory",
            "Enron, Perry-Wolfe (+ metadata)",
            enron / "employees.tsv",
            lambda: bare_tables(tables),
            SourceOptions(mapping=mapping, messages=tables[1], recipients=tables[2], id_prefix="enron"),
        ),
        Case("git", f"synthetic, {commits:,} commits", repo, lambda: bare_git(repo)),
    ]  # fmt: skip


def measure(case: Case, *, repeat: int, model: str) -> Result:
    best_read = best_import = best_bare = float("inf")
    records = posts = 0
    for _ in range(repeat):
        started = time.perf_counter()
        imported = read_source(case.path, format=case.format, options=case.options or SourceOptions())
        read_s = time.perf_counter() - started
        extract(imported.batch, options=ExtractOptions(spacy_model=model))
        import_s = time.perf_counter() - started
        started = time.perf_counter()
        case.bare()
        bare_s = time.perf_counter() - started
        records, posts = imported.batch.read, len(imported.batch.posts)
        best_read, best_import, best_bare = min(best_read, read_s), min(best_import, import_s), min(best_bare, bare_s)
    return Result(case.format, case.label, records, posts, best_read, best_import, best_bare)


def render(results: list[Result], *, model: str) -> str:
    lines = [
        f"importer throughput (best of runs; spaCy model {model!r}); ratio = import time / bare parse time",
        f"{'format':<14}{'data set':<34}{'records':>9}{'posts':>8}{'import rec/s':>14}{'bare rec/s':>13}"
        f"{'ratio':>8}{'read only':>11}",
    ]
    for r in results:
        lines.append(
            f"{r.format:<14}{r.label:<34}{r.records:>9,}{r.posts:>8,}{r.import_rate:>14,.0f}{r.bare_rate:>13,.0f}"
            f"{r.ratio:>7.1f}×{r.read_s / r.bare_s:>10.1f}×"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", help="comma-separated formats, e.g. slack,zulip")
    parser.add_argument("--model", default="none", help="spaCy model for extraction: none (default), auto, a name")
    parser.add_argument("--commits", type=int, default=5000, help="commits in the synthetic git repository")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args(argv)
    wanted = set(args.only.split(",")) if args.only else None
    with tempfile.TemporaryDirectory(prefix="weaktie-bench-importers-") as tmp:
        results = []
        for case in cases(Path(tmp), commits=args.commits):
            if wanted is not None and case.format not in wanted:
                continue
            if not case.path.exists():
                print(f"skipping {case.format}: {case.path} not found", file=sys.stderr)
                continue
            results.append(measure(case, repeat=args.repeat, model=args.model))
    print(render(results, model=args.model))
    if args.json:
        rows = [
            {**asdict(r), "import_rate": r.import_rate, "bare_rate": r.bare_rate, "ratio": r.ratio} for r in results
        ]
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
