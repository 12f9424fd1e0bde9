"""Exchange-file importers: JPK_V7M / JPK_V7K and Płatnik KEDU → ``sync.batch.Batch`` (program ``file_import``).

Usage (panel upload, ``POST files``)::

    from sync.importers import ExchangeFileError, detect_and_parse
    try:
        result = detect_and_parse(upload.read(), filename=upload.name, kind=kind_or_none)
    except ExchangeFileError as error:
        ...  # refuse: error.code, error.message (translated), error.variant
    batch_result = apply_batch(result.batch, agent)  # + show result.warnings / result.flags / result.insured

See docs/importers.md for the formats, the field mapping and the safety limits.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.utils.translation import gettext as _

from clients.bank_matching import StatementData
from clients.vocabulary import EXCHANGE_KINDS, STATEMENT_KINDS

from .camt053 import is_camt053, parse_camt053
from .jpk import VARIANTS as JPK_VARIANTS
from .jpk import describe_unknown, parse_jpk
from .kedu import kedu_variant, parse_kedu
from .mt940_statements import looks_like_mt940, parse_mt940
from .result import ExchangeFileError, ImportResult, InsuredPerson, ReviewFlag, mask_identifier
from .safexml import ImportLimits, StreamReader, default_limits, local, namespace, precheck
from .zipfiles import iter_zip_members

__all__ = [
    "ExchangeFileError", "ImportLimits", "ImportResult", "InsuredPerson", "ReviewFlag", "StatementFile",
    "default_limits", "detect", "detect_and_parse", "iter_zip_members", "mask_identifier", "parse_statement",
    "statement_kind",
]

_KIND_LABELS = {"jpk_v7m": "JPK_V7M", "jpk_v7k": "JPK_V7K", "kedu": "KEDU (Płatnik)", "mt940": "MT940",
                "camt053": "CAMT.053"}


def detect(data: bytes, *, limits: ImportLimits | None = None) -> tuple[str, str, str]:
    """``(kind, variant label, namespace)`` from the root element, after the safety pre-checks."""
    limits = limits or default_limits()
    precheck(data, limits)
    events = StreamReader(data).events(("start",))
    try:
        root = next(events)
    except StopIteration:
        raise ExchangeFileError(_("The file contains no XML element."), code="malformed_xml") from None
    finally:
        events.close()
    ns, name = namespace(root.tag), local(root.tag)
    if name == "JPK":
        variant = JPK_VARIANTS.get(ns)
        if variant is None:
            what = describe_unknown(data)
            raise ExchangeFileError(
                _("This JPK file (%(what)s, namespace %(ns)s) is not a JPK_V7M or JPK_V7K variant the portal "
                  "reads (JPK_V7M/V7K (1), (2) and (3)).") % {"what": what or _("unknown form"), "ns": ns or "-"},
                code="unknown_variant", variant=what)
        return variant.kind, variant.label, ns
    if name == "Document" and is_camt053(ns):
        return "camt053", "CAMT.053", ns
    if name == "KEDU":
        known = kedu_variant(ns)
        if known is None:
            raise ExchangeFileError(
                _("This KEDU file has namespace %(ns)s; the portal reads KEDU 5.x (Płatnik, namespaces "
                  "http://www.zus.pl/2024/KEDU_5_6, http://www.zus.pl/2026/KEDU_5_7).") % {"ns": ns or "-"},
                code="unknown_variant", variant="KEDU")
        return "kedu", known[0], ns
    raise ExchangeFileError(
        _("The file is XML but neither JPK_V7M/JPK_V7K nor KEDU: its root element is <%(name)s> (namespace "
          "%(ns)s).") % {"name": name[:60], "ns": ns[:200] or "-"}, code="unknown_variant")


def detect_and_parse(data: bytes, *, filename: str = "", kind: str | None = None,
                     limits: ImportLimits | None = None) -> ImportResult:
    """Parse one exchange file into a validated ``Batch`` (inside ``ImportResult``) or raise ``ExchangeFileError``.

    ``kind`` (``jpk_v7m | jpk_v7k | kedu``) is what the uploader says the file is; None means detect it.
    A declared kind that differs from the detected one is refused (``kind_mismatch``).
    """
    limits = limits or default_limits()
    if kind is not None and kind not in EXCHANGE_KINDS:
        raise ExchangeFileError(_("Unknown file kind %(kind)r; expected one of: %(kinds)s.")
                                % {"kind": str(kind)[:40], "kinds": ", ".join(EXCHANGE_KINDS)}, code="unknown_kind")
    detected, label, ns = detect(data, limits=limits)
    if detected in STATEMENT_KINDS:
        raise ExchangeFileError(_("The file is a bank statement (%(variant)s): import it as a bank statement.")
                                % {"variant": label}, code="kind_mismatch", variant=label)
    if kind is not None and kind != detected:
        raise ExchangeFileError(
            _("The file was sent as %(declared)s but it is %(variant)s (namespace %(ns)s).")
            % {"declared": _KIND_LABELS[kind], "variant": label, "ns": ns}, code="kind_mismatch", variant=label)
    if detected == "kedu":
        return parse_kedu(data, ns, limits=limits, filename=filename)
    return parse_jpk(data, JPK_VARIANTS[ns], limits=limits, filename=filename)


# --- bank statements (MT940, CAMT.053): parsed into StatementData, settled by clients.bank_statements -------

@dataclass(frozen=True)
class StatementFile:
    """A parsed bank-statement file: one ``StatementData`` per statement (account) it holds."""

    kind: str  # "mt940" | "camt053"
    statements: tuple[StatementData, ...]
    filename: str = ""
    sha256: str = ""
    size: int = 0

    @property
    def label(self) -> str:
        return _KIND_LABELS[self.kind]


def statement_kind(data: bytes) -> str | None:
    """``mt940`` / ``camt053`` when the content is a bank statement, else None (cheap: the first bytes only)."""
    if looks_like_mt940(data):
        return "mt940"
    head = data[:4096]
    if b"camt.053" in head and b"Document" in head:
        return "camt053"
    return None


def parse_statement(data: bytes, *, filename: str = "", kind: str | None = None,
                    limits: ImportLimits | None = None) -> StatementFile:
    """Parse a bank statement or raise ``ExchangeFileError`` (same safety rules and codes as JPK/KEDU files).

    ``kind`` (``mt940 | camt053``) is what the uploader says the file is; None means detect it.
    """
    limits = limits or default_limits()
    if kind is not None and kind not in STATEMENT_KINDS:
        raise ExchangeFileError(_("Unknown file kind %(kind)r; expected one of: %(kinds)s.")
                                % {"kind": str(kind)[:40], "kinds": ", ".join(STATEMENT_KINDS)}, code="unknown_kind")
    if len(data) > limits.max_bytes or not data.strip():
        precheck(data, limits)  # the same too_large / empty refusals as every exchange file
    text_file = not data.lstrip(b"\xef\xbb\xbf \r\n\t").startswith((b"<", b"\xff\xfe", b"\xfe\xff", b"PK"))
    detected = "mt940" if looks_like_mt940(data) or (kind == "mt940" and text_file) else None
    if detected is None:
        detected, label, _ns = detect(data, limits=limits)  # XML: the hardened pre-checks, then the root
        if detected != "camt053":
            raise ExchangeFileError(_("The file was sent as a bank statement but it is %(variant)s.")
                                    % {"variant": label}, code="kind_mismatch", variant=label)
    if kind is not None and kind != detected:
        raise ExchangeFileError(_("The file was sent as %(declared)s but it is %(variant)s.")
                                % {"declared": _KIND_LABELS[kind], "variant": _KIND_LABELS[detected]},
                                code="kind_mismatch", variant=_KIND_LABELS[detected])
    statements = parse_mt940(data, limits=limits) if detected == "mt940" else parse_camt053(data, limits=limits)
    return StatementFile(detected, tuple(statements), filename=filename, sha256=hashlib.sha256(data).hexdigest(),
                         size=len(data))
