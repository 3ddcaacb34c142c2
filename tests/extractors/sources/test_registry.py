"""Format detection and dispatch: each layout is recognised, ambiguity and unknown input are clear errors."""

from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path

import pytest

from extractors.sources.common import SourceError
from extractors.sources.registry import FORMATS, FormatError, SourceOptions, detect_format, read_source, source_key

MAIL = b"From: Ana <ana@acme.com>\nTo: bob@acme.com\nDate: Mon, 2 Mar 2026 09:00:00 +0000\nSubject: maps\n\nhello\n"


def _write(root: Path, files: dict[str, object]) -> Path:
    for name, content in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return root


def _zip(folder: Path, path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for file in sorted(folder.rglob("*")):
            if file.is_file():
                archive.write(file, file.relative_to(folder).as_posix())
    return path


LAYOUTS: dict[str, dict[str, object]] = {
    "canonical": {"people.jsonl": '{"id": "p1", "name": "Ana"}\n'},
    "slack": {"users.json": [], "channels.json": [], "general/2026-03-02.json": []},
    # Wrapped in one folder, as zulip-archive publishes it.
    "zulip": {"zulip_json/stream_index.json": {"streams": {}}, "zulip_json/1-general/hello.json": []},
    "stackexchange": {"Posts.xml": "<posts></posts>", "Users.xml": "<users></users>"},
    "email": {"inbox/1.txt": MAIL, "inbox/1.cats": "1,1,1\n", "inbox/2.txt": MAIL},
}


@pytest.mark.parametrize("expected", sorted(LAYOUTS))
def test_each_folder_layout_is_recognised(tmp_path: Path, expected: str) -> None:
    assert detect_format(_write(tmp_path / "export", LAYOUTS[expected])) == expected


@pytest.mark.parametrize("expected", ["slack", "zulip", "stackexchange", "email"])
def test_each_zip_layout_is_recognised(tmp_path: Path, expected: str) -> None:
    folder = _write(tmp_path / "export", LAYOUTS[expected])
    assert detect_format(_zip(folder, tmp_path / "export.zip")) == expected


def test_files_are_recognised_by_content_or_extension(tmp_path: Path) -> None:
    mbox = _write(tmp_path, {"archive": b"From ana@acme.com Mon Mar  2 09:00:00 2026\n" + MAIL})
    assert detect_format(mbox / "archive") == "email"
    assert detect_format(_write(tmp_path, {"one.eml": MAIL}) / "one.eml") == "email"
    for name in ("people.csv", "people.tsv", "people.jsonl"):
        assert detect_format(_write(tmp_path, {name: "id,name\n1,Ana\n"}) / name) == "directory"


def test_a_git_repository_is_recognised(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path / "repo")], check=True)
    assert detect_format(tmp_path / "repo") == "git"


def test_ambiguous_and_unknown_paths_list_the_formats(tmp_path: Path) -> None:
    both = _write(tmp_path / "both", {**LAYOUTS["slack"], **LAYOUTS["stackexchange"]})
    with pytest.raises(FormatError, match=r"several formats \(slack, stackexchange\).*--format"):
        detect_format(both)
    notes = _write(tmp_path / "notes", {"README.txt": "Nothing to see: just notes.\n"})
    with pytest.raises(FormatError) as unknown:
        detect_format(notes)
    assert all(name in str(unknown.value) for name in FORMATS)
    with pytest.raises(FormatError, match="does not exist"):
        detect_format(tmp_path / "missing")


def test_read_source_detects_and_dispatches(tmp_path: Path) -> None:
    export = _write(tmp_path / "mail", LAYOUTS["email"])
    result = read_source(export)
    # Two byte-identical messages without a Message-ID are one message seen twice; the .cats label file is no mail.
    assert (len(result.batch.posts), result.batch.read) == (1, 2)
    assert result.batch.posts[0].author == "email:ana@acme.com"


def test_directory_with_message_metadata_is_one_source(tmp_path: Path) -> None:
    files = _write(
        tmp_path,
        {
            "people.tsv": "1\tAna Silva\tmaps\n2\tBob Ng\tdata\n",
            "messages.tsv": "10\t1772442000\t1\n11\t1772445600\t9\n",
            "recipients.tsv": "10\t2\n",
            "map.toml": (
                "[people]\nheader = false\nid = 1\nname = 2\nteam = 3\n"
                "[messages]\nheader = false\nid = 1\nsent_at = 2\nsender = 3\nsubject = false\n"
                "[recipients]\nheader = false\nmessage = 1\nrecipient = 2\n"
            ),
        },
    )
    options = SourceOptions(
        mapping=files / "map.toml", messages=files / "messages.tsv", recipients=files / "recipients.tsv", id_prefix="x"
    )
    result = read_source(files / "people.tsv", options=options)
    assert [p.id for p in result.batch.people] == ["x:1", "x:2"]
    assert [(p.id, p.author, p.mentions) for p in result.batch.posts] == [("x:msg:10", "x:1", ("x:2",))]
    assert result.skipped == {"sender not in the directory": 1}
    assert result.batch.read == 2 + 2 + 1
    assert source_key("directory", result.batch) == "directory:x"
    with pytest.raises(FormatError, match="both --messages and --recipients"):
        read_source(files / "people.tsv", options=SourceOptions(messages=files / "messages.tsv"))
    with pytest.raises(FormatError, match="go with --format directory"):
        read_source(files, format="canonical", options=options)


def test_unknown_format_name_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="unknown format 'teams'"):
        read_source(tmp_path, format="teams")
    assert issubclass(FormatError, SourceError)
