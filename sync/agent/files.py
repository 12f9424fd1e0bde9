"""What the agent uploads: finding files in the watched folder, telling their kind, opening ZIPs.

Bank statements (v1.1) are sent too: MT940 files (``.sta``, ``.mt940``, ``.940``; a bank's ``.txt`` export is
renamed, since a folder's notes are ``.txt`` too) as kind ``mt940``, CAMT.053 XML (told by its ``camt.053``
namespace) as ``camt053``.

The kind of an exchange file is read from its content the way the portal's importer detects it — the
root element and its form code (``kodSystemowy="JPK_V7M (2)"``) or namespace (``…/KEDU_5_6``) — and only
when the content says nothing, from the file name. The portal checks again (``kind_mismatch``).
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path, PurePosixPath

EXCHANGE_SUFFIXES = (".xml",)
# Not ".txt": a folder's notes and read-me files are .txt too; a bank's .txt export is renamed .sta.
STATEMENT_SUFFIXES = (".sta", ".mt940", ".940")
BATCH_SUFFIXES = (".json",)
ZIP_SUFFIXES = (".zip",)
WATCHED_SUFFIXES = EXCHANGE_SUFFIXES + STATEMENT_SUFFIXES + BATCH_SUFFIXES + ZIP_SUFFIXES
SNIFF_BYTES = 64 * 1024
MAX_FILE_BYTES = 64 * 1024 * 1024  # the portal's default limit; larger files are refused locally
ZIP_MAX_MEMBERS = 200
ZIP_MAX_TOTAL_BYTES = 256 * 1024 * 1024

_JPK_FORM = re.compile(rb'kodSystemowy\s*=\s*["\']\s*JPK_V7([MK])', re.IGNORECASE)
_ROOT = re.compile(rb"<(?![?!])(?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)")
_KEDU_NS = re.compile(rb"zus\.pl/\d{4}/KEDU_", re.IGNORECASE)
_CAMT053_NS = re.compile(rb"urn:iso:std:iso:20022:tech:xsd:camt\.053\.", re.IGNORECASE)
# Two plain searches (a ":20:" line, later a ":25:" line), not one pattern spanning the lines between them:
# that one backtracks on a crafted file. The agent runs without Django, so not sync.importers' copy.
_MT940_20 = re.compile(rb"(?m)^:20:")
_MT940_25 = re.compile(rb"(?m)^:25:")


class LocalRejectionError(Exception):
    """A file the agent refuses before sending (unknown kind, unreadable ZIP…); ``code`` as in the API."""

    def __init__(self, code: str, detail: str):
        super().__init__(detail)
        self.code = code
        self.detail = detail

    def problem(self) -> dict:
        return {"type": f"urn:biurko:agent:{self.code}", "title": "Refused by the agent", "status": None,
                "code": self.code, "detail": self.detail}


@dataclass(frozen=True)
class Upload:
    """One thing to send: ``endpoint`` ``files`` (with ``kind``) or ``batches``."""

    endpoint: str
    name: str
    data: bytes
    kind: str = ""
    source: str = ""  # the watched file to move to rejected/ when refused ("" for ZIP members)


def _looks_like_mt940(head: bytes) -> bool:
    first = _MT940_20.search(head)
    return first is not None and _MT940_25.search(head, first.end()) is not None


def sniff_kind(data: bytes, filename: str = "") -> str | None:
    """``jpk_v7m`` / ``jpk_v7k`` / ``kedu`` / ``camt053`` / ``mt940`` from the content, else (JPK, KEDU) from the
    file name; None if neither says."""
    head = data[:SNIFF_BYTES]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16: look at it as ASCII
        head = head.decode("utf-16", "ignore").encode("ascii", "ignore")
    form = _JPK_FORM.search(head)
    if form:
        return "jpk_v7m" if form.group(1).upper() == b"M" else "jpk_v7k"
    root = _ROOT.search(head)
    if root and root.group(1) == b"KEDU" or _KEDU_NS.search(head):
        return "kedu"
    if root and root.group(1) == b"Document" and _CAMT053_NS.search(head):
        return "camt053"
    if _looks_like_mt940(head.lstrip(b"\xef\xbb\xbf \r\n\t")):
        return "mt940"
    name = filename.lower()
    if "v7m" in name:
        return "jpk_v7m"
    if "v7k" in name:
        return "jpk_v7k"
    if "kedu" in name or re.search(r"(^|[^a-z])(dra|rca|rsa)([^a-z]|$)", name):
        return "kedu"
    return None


def uploads_of(path: Path, data: bytes) -> list[Upload]:
    """The uploads one watched file gives (a ZIP gives one per member); ``LocalRejectionError`` if none can be made."""
    suffix = path.suffix.lower()
    if len(data) > MAX_FILE_BYTES and suffix not in ZIP_SUFFIXES:
        raise LocalRejectionError("too_large", f"{path.name} has {len(data)} bytes; the portal accepts at most "
                                          f"{MAX_FILE_BYTES} bytes per file.")
    if suffix in BATCH_SUFFIXES:
        return [Upload("batches", path.name, data, source=str(path))]
    if suffix in EXCHANGE_SUFFIXES + STATEMENT_SUFFIXES:
        return [_exchange(path.name, data, source=str(path))]
    if suffix in ZIP_SUFFIXES:
        return _zip_uploads(path.name, data)
    raise LocalRejectionError("unknown_kind", f"{path.name}: only .xml, .sta/.mt940, .zip and .json files are sent.")


def _exchange(name: str, data: bytes, *, source: str = "") -> Upload:
    if not data.strip():
        raise LocalRejectionError("empty", f"{name} is empty.")
    kind = sniff_kind(data, name)
    if kind is None:
        raise LocalRejectionError("unknown_kind", f"{name} is neither a JPK_V7M/JPK_V7K nor a KEDU (Płatnik) file "
                                                  "nor a bank statement (MT940, CAMT.053).")
    return Upload("files", name, data, kind=kind, source=source)


def _zip_uploads(name: str, data: bytes) -> list[Upload]:
    try:
        archive = zipfile.ZipFile(BytesIO(data))
        members = [info for info in archive.infolist() if not info.is_dir()
                   and not info.filename.startswith("__MACOSX/")]
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise LocalRejectionError("bad_zip", f"{name} is not a readable ZIP archive: {exc}") from None
    if len(members) > ZIP_MAX_MEMBERS:
        raise LocalRejectionError("zip_limits", f"{name} has {len(members)} files; at most {ZIP_MAX_MEMBERS} are sent.")
    uploads, total = [], 0
    for info in members:
        member = PurePosixPath(info.filename.replace("\\", "/")).name
        suffix = PurePosixPath(member).suffix.lower()
        if suffix not in EXCHANGE_SUFFIXES + STATEMENT_SUFFIXES + BATCH_SUFFIXES:
            continue
        if info.file_size > MAX_FILE_BYTES or info.flag_bits & 0x1:
            raise LocalRejectionError("zip_limits", f"{name}: {member} is encrypted or larger than {MAX_FILE_BYTES} "
                                               "bytes.")
        try:
            with archive.open(info) as handle:
                content = handle.read(MAX_FILE_BYTES + 1)
        except (zipfile.BadZipFile, OSError, ValueError, RuntimeError) as exc:
            raise LocalRejectionError("bad_zip", f"{name}: {member} cannot be read: {exc}") from None
        total += len(content)
        if len(content) > MAX_FILE_BYTES or total > ZIP_MAX_TOTAL_BYTES:
            raise LocalRejectionError("zip_limits", f"{name} unpacks to more than the agent sends.")
        label = f"{name}/{member}"
        if suffix in BATCH_SUFFIXES:
            uploads.append(Upload("batches", label, content))
        else:
            uploads.append(_exchange(label, content))
    if not uploads:
        raise LocalRejectionError("empty", f"{name} contains no .xml or .json file.")
    return uploads


def watched_files(folder: Path) -> list[Path]:
    """Candidate files at the top of the watched folder (not in sub-folders such as rejected/), oldest first."""
    found = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return []
    for path in entries:
        name = path.name
        if name.startswith((".", "~$")) or path.suffix.lower() not in WATCHED_SUFFIXES:
            continue
        try:
            if path.is_file():
                found.append((path.stat().st_mtime, name, path))
        except OSError:
            continue
    return [path for _mtime, _name, path in sorted(found)]
