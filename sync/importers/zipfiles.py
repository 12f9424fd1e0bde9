"""Unpacking an uploaded ZIP of exchange files, with limits against bombs and hostile paths."""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from collections.abc import Iterator

from django.utils.translation import gettext as _

from .result import ExchangeFileError
from .safexml import ImportLimits, default_limits, human_size

_CHUNK = 64 * 1024
_SKIPPED_PREFIXES = ("__MACOSX/",)


def _unsafe(name: str) -> bool:
    if not name or "\x00" in name or "\\" in name:
        return True
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return True
    return any(part == ".." for part in name.split("/"))


def iter_zip_members(data: bytes, *, limits: ImportLimits | None = None) -> Iterator[tuple[str, bytes]]:
    """Yield ``(name, bytes)`` for each file in the archive, after checking the whole directory first.

    Refused (``ExchangeFileError``): not a ZIP / encrypted (``bad_zip``), a path that is absolute or climbs
    out with ``..`` (``zip_unsafe_path``), too many members, too much uncompressed data in total or in one
    member, or a compression ratio typical of a zip bomb (``zip_limits``). Sizes are enforced on the bytes
    actually inflated, not only on what the directory claims. Directories and ``__MACOSX/`` entries are skipped.
    """
    limits = limits or default_limits()
    if len(data) > limits.zip_max_total_bytes:
        raise ExchangeFileError(_("The ZIP archive is %(size)s; the limit is %(limit)s.")
                                % {"size": human_size(len(data)), "limit": human_size(limits.zip_max_total_bytes)},
                                code="too_large")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError) as error:
        raise ExchangeFileError(_("The file is not a readable ZIP archive (%(error)s).") % {"error": error},
                                code="bad_zip") from None
    members = [i for i in infos if not i.is_dir() and not i.filename.startswith(_SKIPPED_PREFIXES)]
    if len(members) > limits.zip_max_members:
        raise ExchangeFileError(_("The ZIP archive holds %(n)s files; at most %(max)s are accepted at once.")
                                % {"n": len(members), "max": limits.zip_max_members}, code="zip_limits")
    for info in members:
        if _unsafe(info.filename):
            raise ExchangeFileError(_("The ZIP archive contains an unsafe path %(name)r (absolute or with '..'); "
                                      "it was refused.") % {"name": info.filename[:200]}, code="zip_unsafe_path")
        if info.flag_bits & 0x1:
            raise ExchangeFileError(_("%(name)s in the ZIP archive is encrypted; upload it without a password.")
                                    % {"name": info.filename[:200]}, code="bad_zip")
    declared = sum(i.file_size for i in members)
    if declared > limits.zip_max_total_bytes:
        raise ExchangeFileError(_("The ZIP archive unpacks to %(size)s; the limit is %(limit)s.")
                                % {"size": human_size(declared), "limit": human_size(limits.zip_max_total_bytes)},
                                code="zip_limits")
    total = 0
    for info in members:
        _check_ratio(info, info.file_size, limits)
        cap = min(limits.max_bytes, limits.zip_max_total_bytes - total)
        out = bytearray()
        try:
            with archive.open(info) as stream:
                while chunk := stream.read(_CHUNK):
                    out += chunk
                    if len(out) > cap:
                        raise ExchangeFileError(
                            _("%(name)s in the ZIP archive unpacks to more than %(limit)s; it was refused.")
                            % {"name": info.filename[:200], "limit": human_size(cap)}, code="zip_limits")
                    _check_ratio(info, len(out), limits)
        except (zipfile.BadZipFile, EOFError, OSError, NotImplementedError, RuntimeError) as error:
            raise ExchangeFileError(_("%(name)s in the ZIP archive cannot be unpacked (%(error)s).")
                                    % {"name": info.filename[:200], "error": error}, code="bad_zip") from None
        total += len(out)
        yield posixpath.normpath(info.filename), bytes(out)


def _check_ratio(info: zipfile.ZipInfo, size: int, limits: ImportLimits) -> None:
    # Small members compress well whatever they hold; judge the ratio only past 1 MiB.
    if size > 1024 * 1024 and size > limits.zip_max_ratio * max(info.compress_size, 1):
        raise ExchangeFileError(
            _("%(name)s in the ZIP archive expands more than %(ratio)s times (a zip bomb?); it was refused.")
            % {"name": info.filename[:200], "ratio": limits.zip_max_ratio}, code="zip_limits")
