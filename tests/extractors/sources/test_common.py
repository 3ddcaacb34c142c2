"""Shared source helpers: unsafe or oversized archives are refused before decompression; text and times decode."""

from __future__ import annotations

import os
import stat
import zipfile
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from extractors.errors import ExtractorError
from extractors.sources.common import (
    ArchiveLimits,
    SourceError,
    decode_text,
    open_archive,
    parse_utc,
    safe_member_name,
    strip_html,
    to_utc,
    utc_from_timestamp,
)
from graph.errors import WeaktieError


def _zip(path: Path, members: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name), data, compress_type=compression)
    return path


def test_source_error_belongs_to_the_exception_tree() -> None:
    assert issubclass(SourceError, ExtractorError)
    assert issubclass(SourceError, WeaktieError)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a/b.json", "a/b.json"),
        ("./a//b.json", "a/b.json"),
        ("a\\b.json", "a/b.json"),
        ("../evil", None),
        ("a/../../evil", None),
        ("/etc/passwd", None),
        ("C:/windows/x", None),
        ("c:evil", None),
        ("", None),
    ],
)
def test_safe_member_name(name: str, expected: str | None) -> None:
    assert safe_member_name(name) == expected


def test_zip_members_are_listed_and_read(tmp_path: Path) -> None:
    path = _zip(tmp_path / "x.zip", {"top/users.json": b"[1, 2]", "top/c/2016-01-01.json": b"[]", "top/d/": b""})
    with open_archive(path) as archive:
        assert archive.is_zip
        assert archive.members() == ["top/c/2016-01-01.json", "top/users.json"]
        assert archive.read_json("top/users.json") == [1, 2]
        assert archive.find("users.json") == "top/users.json"
        assert archive.find("missing.json") is None
        assert archive.size("top/users.json") == 6


def test_find_prefers_the_shallowest_member(tmp_path: Path) -> None:
    path = _zip(tmp_path / "x.zip", {"a/b/users.json": b"[]", "a/users.json": b"[]", "z/users.json": b"[]"})
    with open_archive(path) as archive:
        assert archive.find("users.json") == "a/users.json"


@pytest.mark.parametrize("evil", ["../evil.json", "ok/../../evil.json", "/abs/evil.json"])
def test_zip_with_escaping_member_is_refused(tmp_path: Path, evil: str) -> None:
    path = _zip(tmp_path / "evil.zip", {"users.json": b"[]", evil: b"[]"})
    with pytest.raises(SourceError) as caught:
        open_archive(path)
    message = str(caught.value)
    assert evil in message
    assert str(path) in message


def test_zip_symlink_member_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "link.zip"
    with zipfile.ZipFile(path, "w") as archive:
        info = zipfile.ZipInfo("users.json")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(info, "/etc/passwd")
    with pytest.raises(SourceError, match="symbolic link"):
        open_archive(path)


def test_zip_bomb_ratio_is_refused_before_reading(tmp_path: Path) -> None:
    # 4 MiB of zeros deflates to a few KiB: a ratio far beyond any real export file.
    path = _zip(tmp_path / "bomb.zip", {"users.json": b"[]", "general/2016-01-01.json": b"0" * (4 * 1024**2)})
    with pytest.raises(SourceError) as caught:
        open_archive(path)
    assert "zip bomb" in str(caught.value)
    assert "general/2016-01-01.json" in str(caught.value)
    # The ratio check, and nothing else, refused it: with a higher ratio limit the same archive opens.
    with open_archive(path, limits=ArchiveLimits(max_ratio=1e9)) as archive:
        assert archive.size("general/2016-01-01.json") == 4 * 1024**2


def test_small_members_skip_the_ratio_check(tmp_path: Path) -> None:
    path = _zip(tmp_path / "small.zip", {"a.json": b" " * 50_000})
    with open_archive(path) as archive:
        assert archive.read_bytes("a.json") == b" " * 50_000


@pytest.mark.parametrize(
    ("limits", "words"),
    [
        (ArchiveLimits(max_members=2), "members"),
        (ArchiveLimits(max_uncompressed_bytes=250), "expands to more than"),
        (ArchiveLimits(max_member_bytes=150), "per-file limit"),
        (ArchiveLimits(max_archive_bytes=100), "over the limit"),
    ],
)
def test_zip_limits_are_enforced(tmp_path: Path, limits: ArchiveLimits, words: str) -> None:
    path = _zip(tmp_path / "x.zip", {f"{i}.json": bytes(200) for i in range(3)}, compression=zipfile.ZIP_STORED)
    with pytest.raises(SourceError, match=words):
        open_archive(path, limits=limits)
    with open_archive(path) as archive:
        assert len(archive.members()) == 3


def test_not_a_zip_nor_a_folder(tmp_path: Path) -> None:
    (tmp_path / "junk.zip").write_bytes(b"not a zip at all")
    with pytest.raises(SourceError, match="neither a folder nor a readable zip"):
        open_archive(tmp_path / "junk.zip")
    with pytest.raises(SourceError, match="does not exist"):
        open_archive(tmp_path / "missing")


def test_folder_members_and_limits(tmp_path: Path) -> None:
    (tmp_path / "c").mkdir()
    (tmp_path / "users.json").write_text("[]")
    (tmp_path / "c" / "2016-01-01.json").write_text('[{"a": 1}]')
    with open_archive(tmp_path) as archive:
        assert not archive.is_zip
        assert archive.members() == ["c/2016-01-01.json", "users.json"]
        assert archive.read_json("c/2016-01-01.json") == [{"a": 1}]
    with pytest.raises(SourceError, match="more than 1 files"):
        open_archive(tmp_path, limits=ArchiveLimits(max_members=1))


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_folder_symlink_escaping_the_root_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    root = tmp_path / "export"
    root.mkdir()
    (root / "users.json").write_text("[]")
    (root / "inside.json").symlink_to(root / "users.json")
    with open_archive(root) as archive:
        assert archive.read_json("inside.json") == []
    (root / "leak.json").symlink_to(outside)
    with pytest.raises(SourceError) as caught:
        open_archive(root)
    assert "leak.json" in str(caught.value)
    assert "outside" in str(caught.value)


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_folder_directory_symlink_escaping_the_root_is_refused(tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    root = tmp_path / "export"
    root.mkdir()
    (root / "general").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    with pytest.raises(SourceError, match="general"):
        open_archive(root)


def test_read_json_names_the_member_when_malformed(tmp_path: Path) -> None:
    path = _zip(tmp_path / "x.zip", {"c/2016-01-01.json": b'[{"a": 1,]'})
    with open_archive(path) as archive, pytest.raises(SourceError) as caught:
        archive.read_json("c/2016-01-01.json")
    assert "c/2016-01-01.json" in str(caught.value)
    assert "not valid JSON" in str(caught.value)


def test_unknown_member_is_a_clear_error(tmp_path: Path) -> None:
    path = _zip(tmp_path / "x.zip", {"a.json": b"[]"})
    with open_archive(path) as archive, pytest.raises(SourceError, match="not a file in this export"):
        archive.read_bytes("b.json")


def test_decode_text_encodings() -> None:
    assert decode_text("café".encode(), file="f") == "café"
    assert decode_text(b"\xef\xbb\xbf[1]", file="f") == "[1]"
    assert decode_text("naïve".encode("utf-16"), file="f") == "naïve"
    assert decode_text(b"caf\xe9 \x93q\x94", file="f") == "café “q”"


def test_decode_text_without_fallback_names_the_file() -> None:
    with pytest.raises(SourceError) as caught:
        decode_text(b"caf\xe9", file="'x.json' in 'export.zip'", fallback=None)
    assert "'x.json' in 'export.zip'" in str(caught.value)
    assert "UTF-8" in str(caught.value)
    # 0x81 is undefined in cp1252, so even the fallback cannot decode it.
    with pytest.raises(SourceError, match="cp1252"):
        decode_text(b"\x81\xff", file="f")


def test_strip_html_keeps_visible_text_only() -> None:
    html = (
        "<p>Use <code>xarray</code> &amp; <b>dask</b>&nbsp;now</p>\n\n<script>alert('x')</script>"
        "<style>p {color: red}</style><ul><li>one</li><li>two</li></ul>"
        '<span class="katex-html" aria-hidden="true"><span>x</span><img src="a"></span>tail &lt;3'
    )
    assert strip_html(html) == "Use xarray & dask now\none\ntwo\ntail <3"  # &nbsp; is whitespace too


def test_strip_html_script_bodies_are_not_markup() -> None:
    assert strip_html("<p>a</p><script>if (a<b) x('</p>')</script><p>b</p><STYLE>p>i{}</style >c") == "a\nb\nc"
    assert strip_html("<p>a</p><script>never closed <b>") == "a"
    assert strip_html("<!-- <p>hidden</p> -->x<!DOCTYPE html><?xml v?>y") == "xy"


def test_strip_html_collapses_whitespace_and_passes_plain_text() -> None:
    assert strip_html("  a \t b  \n\n\n c ") == "a b\nc"
    assert strip_html("<div>  a  </div><div>b</div><br/>c") == "a\nb\nc"
    assert strip_html("") == ""


def test_utc_from_timestamp_parses_strings_without_floats() -> None:
    parsed = utc_from_timestamp("1455569245.000002")
    assert parsed == datetime(2016, 2, 15, 20, 47, 25, 2, tzinfo=UTC)
    assert utc_from_timestamp("1455569245") == datetime(2016, 2, 15, 20, 47, 25, tzinfo=UTC)
    assert utc_from_timestamp("1455569245.1234567").microsecond == 123456
    assert utc_from_timestamp(1455569245) == datetime(2016, 2, 15, 20, 47, 25, tzinfo=UTC)
    assert utc_from_timestamp("-1.5") == datetime(1970, 1, 1, tzinfo=UTC) - timedelta(seconds=1.5)
    for bad in ("abc", "1.2.3", "", True):
        with pytest.raises(ValueError):
            utc_from_timestamp(bad)


def test_to_utc_and_parse_utc() -> None:
    assert to_utc(datetime(2020, 1, 1, 12)) == datetime(2020, 1, 1, 12, tzinfo=UTC)
    plus_two = datetime(2020, 1, 1, 12, tzinfo=timezone(timedelta(hours=2)))
    assert to_utc(plus_two).hour == 10
    assert to_utc(plus_two).tzinfo is UTC
    assert parse_utc("2020-01-01T12:00:00Z") == datetime(2020, 1, 1, 12, tzinfo=UTC)
    assert parse_utc("2020-01-01T12:00:00-05:00") == datetime(2020, 1, 1, 17, tzinfo=UTC)
    with pytest.raises(ValueError):
        parse_utc("yesterday")
