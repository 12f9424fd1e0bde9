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

from django.utils.translation import gettext as _

from sync.batch import FILE_KINDS

from .jpk import VARIANTS as JPK_VARIANTS
from .jpk import describe_unknown, parse_jpk
from .kedu import kedu_variant, parse_kedu
from .result import ExchangeFileError, ImportResult, InsuredPerson, ReviewFlag, mask_identifier
from .safexml import ImportLimits, StreamReader, default_limits, local, namespace, precheck
from .zipfiles import iter_zip_members

__all__ = [
    "ExchangeFileError", "ImportLimits", "ImportResult", "InsuredPerson", "ReviewFlag", "default_limits",
    "detect", "detect_and_parse", "iter_zip_members", "mask_identifier",
]

_KIND_LABELS = {"jpk_v7m": "JPK_V7M", "jpk_v7k": "JPK_V7K", "kedu": "KEDU (Płatnik)"}


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
    if kind is not None and kind not in FILE_KINDS:
        raise ExchangeFileError(_("Unknown file kind %(kind)r; expected one of: %(kinds)s.")
                                % {"kind": str(kind)[:40], "kinds": ", ".join(FILE_KINDS)}, code="unknown_kind")
    detected, label, ns = detect(data, limits=limits)
    if kind is not None and kind != detected:
        raise ExchangeFileError(
            _("The file was sent as %(declared)s but it is %(variant)s (namespace %(ns)s).")
            % {"declared": _KIND_LABELS[kind], "variant": label, "ns": ns}, code="kind_mismatch", variant=label)
    if detected == "kedu":
        return parse_kedu(data, ns, limits=limits, filename=filename)
    return parse_jpk(data, JPK_VARIANTS[ns], limits=limits, filename=filename)
