"""HR directory exports and message metadata: real counts on the Perry–Wolfe Enron tables, hand-made files for the
mapping rules, bad rows and unknown people."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from extractors.sources.common import ArchiveLimits, SourceError
from extractors.sources.directory import (
    SKIP_DUPLICATE_ROW,
    SKIP_ORPHAN_RECIPIENT,
    SKIP_UNKNOWN_MANAGER,
    SKIP_UNKNOWN_RECIPIENT,
    SKIP_UNKNOWN_SENDER,
    ColumnMapping,
    MessageColumns,
    RecipientColumns,
    import_directory,
    import_message_metadata,
    read_directory,
    read_message_metadata,
)
from graph.delta import Person

ENRON = Path("/work/shared/data/enron-perry-wolfe")
# The mapping for the Perry–Wolfe tables (documented in docs/sources.md): the files have no header row, so columns
# are 1-based positions. Gender (6) and seniority (7) are deliberately not imported.
ENRON_MAPPING = """
[people]
header = false
id = 1
name = 2
department = 3   # Legal, Trading or Other
team = 4         # the long department, e.g. "ENA Gas Financial"
title = 5

[messages]
header = false
id = 1
sent_at = 3      # Unix seconds
subject = 4
sender = 5       # an employee id

[recipients]
header = false
message = 1
recipient = 3    # an employee id
"""

real_data = pytest.mark.skipif(not (ENRON / "employees.tsv").is_file(), reason=f"Enron tables not present at {ENRON}")


def _rows(name: str) -> list[list[str]]:
    with (ENRON / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


@pytest.fixture
def enron_mapping(tmp_path: Path) -> Path:
    path = tmp_path / "enron.toml"
    path.write_text(ENRON_MAPPING, encoding="utf-8")
    return path


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_text(text, encoding=encoding, newline="")
    return path


# --- the real Enron tables -----------------------------------------------------------------------------------------


@pytest.mark.slow
@real_data
def test_enron_employees_with_the_documented_mapping(enron_mapping: Path) -> None:
    rows = _rows("employees.tsv")
    result = import_directory(
        ENRON / "employees.tsv", mapping=ColumnMapping.from_toml(enron_mapping), id_prefix="enron"
    )
    people = {p.id: p for p in result.batch.people}
    assert result.batch.rejects == ()
    assert result.skipped == {}
    assert result.batch.read == len(rows)
    assert set(people) == {f"enron:{r[0]}" for r in rows}
    # Cells are trimmed: three names in the file end in a space.
    expected = {f"enron:{r[0]}": (r[1].strip(), r[2], r[3], r[4]) for r in rows}
    assert {p.id: (p.name, p.department, p.team, p.title) for p in people.values()} == expected
    assert Counter(p.department for p in people.values()) == Counter(r[2] for r in rows)
    assert all(p.email is None and p.handles == () and not p.opted_out for p in people.values())


@pytest.mark.slow
@real_data
def test_enron_message_metadata_counts(enron_mapping: Path) -> None:
    messages, recipients = _rows("messages.tsv"), _rows("recipients.tsv")
    people = read_directory(ENRON / "employees.tsv", mapping=ColumnMapping.from_toml(enron_mapping), id_prefix="enron")
    result = import_message_metadata(
        ENRON / "messages.tsv",
        ENRON / "recipients.tsv",
        people=people.people,
        people_id_prefix="enron",
        message_columns=MessageColumns.from_toml(enron_mapping),
        recipient_columns=RecipientColumns.from_toml(enron_mapping),
    )
    batch = result.batch
    per_message: dict[str, set[str]] = {}
    for mid, _, rid in recipients:
        per_message.setdefault(mid, set()).add(rid)
    assert batch.rejects == ()
    assert result.skipped == {}  # every sender and recipient is one of the 156 employees
    assert batch.read == len(messages) + len(recipients)
    assert len(batch.posts) == len(messages)
    posts = {p.id: p for p in batch.posts}
    assert set(posts) == {f"enron:msg:{m[0]}" for m in messages}
    assert sum(len(p.mentions) for p in batch.posts) == sum(len(r - {m[4]}) for m in messages
                                                            for r in [per_message.get(m[0], set())])  # fmt: skip
    for mid, _, _, _, sender in messages[:: len(messages) // 50]:
        post = posts[f"enron:msg:{mid}"]
        assert post.author == f"enron:{sender}"
        assert set(post.mentions) == {f"enron:{r}" for r in per_message.get(mid, set()) - {sender}}
        assert post.audience[0] == post.author and set(post.audience[1:]) == set(post.mentions)
    assert all(p.text == "" and p.title is None for p in batch.posts)  # subjects are content: off by default
    stamps = [int(m[2]) for m in messages]
    assert min(p.created_at for p in batch.posts) == datetime.fromtimestamp(min(stamps), tz=UTC)
    assert max(p.created_at for p in batch.posts) == datetime.fromtimestamp(max(stamps), tz=UTC)


@pytest.mark.slow
@real_data
def test_enron_messages_from_outside_a_partial_directory_are_counted_not_invented(enron_mapping: Path) -> None:
    messages, recipients = _rows("messages.tsv"), _rows("recipients.tsv")
    legal = {r[0] for r in _rows("employees.tsv") if r[2] == "Legal"}
    everyone = read_directory(ENRON / "employees.tsv", mapping=ColumnMapping.from_toml(enron_mapping), id_prefix="e")
    people = [p for p in everyone.people if p.department == "Legal"]
    result = import_message_metadata(
        ENRON / "messages.tsv",
        ENRON / "recipients.tsv",
        people=people,
        people_id_prefix="e",
        message_columns=MessageColumns.from_toml(enron_mapping),
        recipient_columns=RecipientColumns.from_toml(enron_mapping),
        keep_subjects=True,
    )
    kept = {m[0] for m in messages if m[4] in legal}
    assert len(result.batch.posts) == len(kept)
    assert result.skipped[SKIP_UNKNOWN_SENDER] == len(messages) - len(kept)
    assert result.skipped[SKIP_UNKNOWN_RECIPIENT] == sum(1 for mid, _, rid in recipients
                                                         if mid in kept and rid not in legal)  # fmt: skip
    ids = {p.id for p in people}
    assert all(p.author in ids and set(p.mentions) <= ids for p in result.batch.posts)
    assert result.batch.people == tuple(people)
    posts = {p.id: p for p in result.batch.posts}
    with_subject = {f"e:msg:{m[0]}" for m in messages if m[0] in kept and m[3].strip()}
    assert {p.id for p in result.batch.posts if p.title} <= with_subject
    plain = {
        f"e:msg:{m[0]}": m[3].strip()
        for m in messages
        if m[0] in kept and m[3].strip() and not re.match(r"(?i)\s*(re|fwd?)\s*:", m[3])
    }
    assert {i: posts[i].title for i in plain} == plain
    assert any(s.startswith('"') for s in plain.values())  # TSV has no quoting: quotes are literal text


# --- directories: mapping rules ------------------------------------------------------------------------------------


HR_CSV = """\
Employee ID,First,Last,Work Email,Slack,GitHub,Org,Division,Job Title,City,Manager ID,Hire Date,Opt Out
7,Ana,Silva,ana@acme.org,ana.s,asilva,Data Platform,Engineering,Staff Engineer,Lisbon,,03/01/2019,no
8,Bob,Ng,bob@acme.org,@bob,,Data Platform,Engineering,Engineer,Porto,7,11/15/2021,
9,Carol,Diaz,carol@acme.org,carol,carold,Finance Ops,Finance,Analyst,Lisbon,42,01/02/2020,yes
"""
HR_MAPPING = ColumnMapping(
    id="Employee ID",
    name=("First", "Last"),
    email="Work Email",
    handles=("Slack", "GitHub"),
    team="Org",
    department="Division",
    title="Job Title",
    location="City",
    manager="Manager ID",
    started_at="Hire Date",
    opted_out="Opt Out",
    date_format="%m/%d/%Y",
)


def test_csv_export_with_a_mapping_in_code(tmp_path: Path) -> None:
    result = import_directory(_write(tmp_path / "hr.csv", HR_CSV), mapping=HR_MAPPING)
    people = {p.id: p for p in result.batch.people}
    assert list(people) == ["hr:7", "hr:8", "hr:9"]
    ana = people["hr:7"]
    assert (ana.name, ana.email, ana.handles) == ("Ana Silva", "ana@acme.org", ("ana.s", "asilva"))
    assert (ana.team, ana.department, ana.title, ana.location) == ("Data Platform", "Engineering", "Staff Engineer",
                                                                   "Lisbon")  # fmt: skip
    assert ana.started_at == datetime(2019, 3, 1, tzinfo=UTC)
    assert people["hr:8"].handles == ("bob",)  # "@bob": the @ is not part of the handle
    assert people["hr:8"].manager == "hr:7"
    assert people["hr:9"].manager is None  # 42 is nobody in this export: not invented
    assert [p.opted_out for p in people.values()] == [False, False, True]
    assert result.skipped == {SKIP_UNKNOWN_MANAGER: 1}
    assert result.batch.read == 3 and result.batch.rejects == () and result.batch.posts == ()


def test_mapping_from_toml_equals_mapping_in_code(tmp_path: Path) -> None:
    toml = _write(
        tmp_path / "hr.toml",
        """[people]
id = "Employee ID"
name = ["First", "Last"]
email = "Work Email"
handles = ["Slack", "GitHub"]
team = "Org"
department = "Division"
title = "Job Title"
location = "City"
manager = "Manager ID"
started_at = "Hire Date"
opted_out = "Opt Out"
date_format = "%m/%d/%Y"
""",
    )
    assert ColumnMapping.from_toml(toml) == HR_MAPPING
    untabled = _write(tmp_path / "flat.toml", "id = 1\nname = 2\nheader = false\nemail = false\n")
    assert ColumnMapping.from_toml(untabled) == ColumnMapping(id=1, name=2, header=False, email=None)


def test_bad_mapping_files_are_refused_with_the_field_named(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="unknown field 'nmae'"):
        ColumnMapping.from_toml(_write(tmp_path / "a.toml", '[people]\nnmae = "Name"\n'))
    with pytest.raises(SourceError, match="'team' takes one column"):
        ColumnMapping.from_toml(_write(tmp_path / "b.toml", '[people]\nteam = ["A", "B"]\n'))
    with pytest.raises(SourceError, match="'header' must be true or false"):
        ColumnMapping.from_toml(_write(tmp_path / "c.toml", '[people]\nheader = "no"\n'))
    with pytest.raises(SourceError, match="not valid TOML"):
        ColumnMapping.from_toml(_write(tmp_path / "d.toml", "[people\n"))


def test_default_columns_are_our_field_names_and_may_be_absent(tmp_path: Path) -> None:
    path = _write(tmp_path / "people.csv", "id,name,team,handles\n1,Ana Silva,Data,ana\n2,Bob Ng,,\n")
    people = read_directory(path).people
    assert [(p.id, p.name, p.team, p.handles) for p in people] == [
        ("hr:1", "Ana Silva", "Data", ("ana",)),
        ("hr:2", "Bob Ng", None, ()),
    ]


def test_an_explicitly_mapped_column_that_is_missing_is_an_error(tmp_path: Path) -> None:
    path = _write(tmp_path / "people.csv", "id,name\n1,Ana\n")
    with pytest.raises(SourceError, match=r"no column 'Mail' \(mapped to 'email'\).*\['id', 'name'\]"):
        read_directory(path, mapping=ColumnMapping(email="Mail"))
    with pytest.raises(SourceError, match=r"no column 'Full Name' \(mapped to 'name'\)"):
        read_directory(path, mapping=ColumnMapping(name="Full Name"))
    with pytest.raises(SourceError, match="1-based position"):
        read_directory(path, mapping=ColumnMapping(header=False))


def test_bad_rows_are_rejected_with_line_and_field_and_the_rest_imports(tmp_path: Path) -> None:
    text = (
        "id,name,email,started_at,opted_out\n"
        "1,Ana,ana@x.org,2020-01-01,no\n"
        '2,"Bob\nNg",bob@x.org,,\n'  # a quoted newline: one record over two lines
        ",Nobody,,,\n"
        "4,Dan,not-an-address,,\n"
        "5,Eve,,last spring,\n"
        "6,Fay,,,maybe\n"
        "7,Gus\n"
        "8,,,,\n"
        "1,Ana,ana@x.org,2020-01-01,no\n"
        "1,Ana Other,,,\n"
        "\n"
        "9,Ivy,ivy@x.org,2021-06-30T09:00:00+02:00,TRUE\n"
    )
    result = import_directory(_write(tmp_path / "people.csv", text))
    batch = result.batch
    assert [p.id for p in batch.people] == ["hr:1", "hr:2", "hr:9"]
    assert next(p for p in batch.people if p.id == "hr:2").name == "Bob\nNg"
    assert [(r.line, r.field, r.record_id) for r in batch.rejects] == [
        (5, "id", None),
        (6, "email", "hr:4"),
        (7, "started_at", "hr:5"),
        (8, "opted_out", "hr:6"),
        (9, None, None),  # a short row: no column, not even the id, can be trusted
        (10, "name", "hr:8"),
        (12, "id", "hr:1"),
    ]
    assert "expected 5 fields" in batch.rejects[4].reason
    assert "line 2 is kept" in batch.rejects[6].reason
    assert all(r.file == "people.csv" for r in batch.rejects)
    assert result.skipped == {SKIP_DUPLICATE_ROW: 1}
    assert batch.read == 11  # data rows; the header and the blank line are not records
    ivy = batch.people[2]
    assert ivy.started_at == datetime(2021, 6, 30, 7, tzinfo=UTC) and ivy.opted_out


def test_jsonl_directory(tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": 1, "name": "Ana", "handles": ["ana", "@asilva"], "team": "Data"}),
        "{broken",
        json.dumps(["not", "an", "object"]),
        json.dumps({"id": "2", "name": "Bob", "opted_out": True, "handles": "bob"}),
        json.dumps({"id": "3", "name": {"first": "C"}}),
    ]
    batch = read_directory(_write(tmp_path / "people.jsonl", "\n".join(lines) + "\n"), id_prefix="okta")
    assert [(p.id, p.handles, p.opted_out) for p in batch.people] == [
        ("okta:1", ("ana", "asilva"), False),
        ("okta:2", ("bob",), True),
    ]
    assert [(r.line, r.field) for r in batch.rejects] == [(2, None), (3, None), (5, "name")]
    assert batch.read == 5


def test_tsv_handle_separator_and_cp1252(tmp_path: Path) -> None:
    path = _write(tmp_path / "people.tsv", "id\tname\thandles\n1\tJosé Müller\tjose; jmuller\n", encoding="cp1252")
    (person,) = read_directory(path, mapping=ColumnMapping(handle_separator=";")).people
    assert (person.name, person.handles) == ("José Müller", ("jose", "jmuller"))


def test_format_from_extension_or_option(tmp_path: Path) -> None:
    path = _write(tmp_path / "export.txt", "id\tname\n1\tAna\n")
    with pytest.raises(SourceError, match=r"\.csv, \.tsv or \.jsonl"):
        read_directory(path)
    assert [p.name for p in read_directory(path, format="tsv").people] == ["Ana"]
    with pytest.raises(SourceError, match="does not exist"):
        read_directory(tmp_path / "missing.csv")
    with pytest.raises(SourceError, match="over the limit"):
        read_directory(path, format="tsv", limits=ArchiveLimits(max_member_bytes=4))


def test_progress_reports_rows_read(tmp_path: Path) -> None:
    rows = "".join(f"{i},P{i}\n" for i in range(2500))
    seen: list[int] = []
    read_directory(_write(tmp_path / "p.csv", "id,name\n" + rows), progress=seen.append)
    assert seen == [1000, 2000, 2500]


# --- message metadata ----------------------------------------------------------------------------------------------

PEOPLE = (Person(id="hr:1", name="Ana"), Person(id="hr:2", name="Bob"), Person(id="hr:3", name="Cy"))


def test_message_metadata_with_headers(tmp_path: Path) -> None:
    messages = _write(
        tmp_path / "messages.csv",
        "id,sender,sent_at,subject\n"
        "m1,1,2001-05-14T16:39:00Z,Re: FW: Gas prices\n"
        "m2,9,2001-05-14T17:00:00Z,from outside\n"
        "m3,2,990000000,\n"
        "m1,3,2001-05-15T00:00:00Z,again\n"
        "m4,3,yesterday,x\n"
        "m5,,2001-05-15T00:00:00Z,x\n",
    )
    recipients = _write(
        tmp_path / "recipients.csv",
        "message,recipient\nm1,2\nm1,3\nm1,2\nm1,1\nm1,77\nm2,1\nm3,1\nm9,1\n",
    )
    result = import_message_metadata(messages, recipients, people=PEOPLE, keep_subjects=True)
    posts = {p.id: p for p in result.batch.posts}
    assert list(posts) == ["hr:msg:m1", "hr:msg:m3"]
    first = posts["hr:msg:m1"]
    assert (first.author, first.mentions, first.audience) == ("hr:1", ("hr:2", "hr:3"), ("hr:1", "hr:2", "hr:3"))
    assert first.title == "Gas prices" and first.text == ""
    assert first.created_at == datetime(2001, 5, 14, 16, 39, tzinfo=UTC)
    assert posts["hr:msg:m3"].created_at == datetime.fromtimestamp(990000000, tz=UTC)
    assert posts["hr:msg:m3"].title is None
    assert result.skipped == {SKIP_UNKNOWN_SENDER: 1, SKIP_UNKNOWN_RECIPIENT: 1, SKIP_ORPHAN_RECIPIENT: 1}
    assert [(r.file, r.line, r.field) for r in result.batch.rejects] == [
        ("messages.csv", 5, "id"),
        ("messages.csv", 6, "sent_at"),
        ("messages.csv", 7, "sender"),
    ]
    assert result.batch.read == 6 + 8
    assert result.batch.people == PEOPLE
    without = read_message_metadata(messages, recipients, people=PEOPLE)
    assert all(p.title is None for p in without.posts)


def test_message_metadata_prefix_mismatch_is_explained(tmp_path: Path) -> None:
    messages = _write(tmp_path / "m.tsv", "id\tsender\tsent_at\n1\t1\t990000000\n")
    recipients = _write(tmp_path / "r.tsv", "message\trecipient\n1\t2\n")
    with pytest.raises(SourceError, match=r"'enron:1'.*people_id_prefix"):
        read_message_metadata(messages, recipients, people=PEOPLE, people_id_prefix="enron")
    batch = read_message_metadata(messages, recipients, people=PEOPLE, id_prefix="mail")
    assert [p.id for p in batch.posts] == ["mail:msg:1"]
