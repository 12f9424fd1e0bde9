"""The panel's "upload a ZIP": members come out with limits against bombs, traversal and floods."""

from __future__ import annotations

import io
import zipfile

import pytest

from sync.importers import ExchangeFileError, ImportLimits, detect_and_parse, iter_zip_members

from .conftest import dra_xml, jpk_xml, kedu_xml


def _zip(members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _refused(data: bytes, code: str, limits: ImportLimits | None = None) -> ExchangeFileError:
    with pytest.raises(ExchangeFileError) as caught:
        list(iter_zip_members(data, limits=limits))
    assert caught.value.code == code, caught.value.message
    return caught.value


def test_members_come_out_and_parse():
    data = _zip({"styczen/jpk.xml": jpk_xml(declaration={"P_51": "10"}), "dra.xml": kedu_xml(dra_xml()),
                 "folder/": b"", "__MACOSX/._jpk.xml": b"junk"})
    members = list(iter_zip_members(data))
    assert [name for name, _ in members] == ["styczen/jpk.xml", "dra.xml"]
    kinds = [detect_and_parse(content, filename=name).kind for name, content in members]
    assert kinds == ["jpk_v7m", "kedu"]


@pytest.mark.parametrize("name", ["../../etc/cron.d/evil.xml", "/etc/passwd", "a/../../b.xml", "C:/x.xml",
                                  "dir\\..\\..\\x.xml"])
def test_unsafe_paths_are_refused(name):
    error = _refused(_zip({"ok.xml": b"<a/>", name: b"<a/>"}), "zip_unsafe_path")
    assert "unsafe path" in error.message


def test_zip_bomb_is_refused_by_ratio():
    bomb = _zip({"bomb.xml": b"\0" * (20 * 1024 * 1024)})
    assert len(bomb) < 100 * 1024
    error = _refused(bomb, "zip_limits")
    assert "zip bomb" in error.message


def test_lying_directory_sizes_are_caught_while_inflating():
    """A member whose header claims a small size still stops at the real limit."""
    limits = ImportLimits(max_bytes=1024 * 1024, zip_max_ratio=10**9)
    data = bytearray(_zip({"x.xml": b"<a>" + b"x" * (3 * 1024 * 1024) + b"</a>"}))
    # Patch the declared uncompressed size in the central directory to 100 bytes.
    offset = data.rfind(b"PK\x01\x02")
    data[offset + 24: offset + 28] = (100).to_bytes(4, "little")
    with pytest.raises(ExchangeFileError) as caught:
        list(iter_zip_members(bytes(data), limits=limits))
    assert caught.value.code in ("zip_limits", "bad_zip")


def test_too_many_members_and_too_much_in_total_are_refused():
    many = _zip({f"f{i}.xml": b"<a/>" for i in range(6)})
    _refused(many, "zip_limits", ImportLimits(zip_max_members=5))
    big = _zip({"a.xml": b"<a>" + b"1234567890" * 60_000 + b"</a>", "b.xml": b"<b>" + b"abcdefghij" * 60_000 + b"</b>"})
    _refused(big, "zip_limits", ImportLimits(zip_max_total_bytes=1_000_000, zip_max_ratio=10**6))


def test_member_above_the_file_limit_is_refused():
    member = b"<a>" + bytes(range(256)) * 8192 + b"</a>"  # 2 MiB, incompressible enough
    error = _refused(_zip({"a.xml": member}), "zip_limits", ImportLimits(max_bytes=1024 * 1024))
    assert "a.xml" in error.message


def test_not_a_zip_and_encrypted_members_are_refused():
    _refused(b"definitely not a zip", "bad_zip")
    data = bytearray(_zip({"a.xml": b"<a/>"}))
    offset = data.rfind(b"PK\x01\x02")
    data[offset + 8] |= 0x1  # set the "encrypted" flag in the central directory
    _refused(bytes(data), "bad_zip")
