"""Hardened, streaming XML reading for exchange files.

- Every file is read with ``lxml.etree.iterparse`` (entities not resolved, no network, no DTD loading,
  ``huge_tree`` off) and the importers clear each element once they have read it, so memory stays
  bounded whatever the register's length.
- Any DOCTYPE is refused (``forbidden_xml``) before the first element is handed out: exchange files never
  carry one, and a DOCTYPE is what billion-laughs and external-entity attacks need.
- XSD validation runs in the same single streaming pass (libxml2 validates SAX events), against schemas
  shipped in ``sync/importers/xsd/``; their imports are resolved to those local files only, never the network.
"""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _
from lxml import etree

from .result import ExchangeFileError
from .xsderrors import schema_error_message, strip_ns

XSD_DIR = Path(__file__).resolve().parent / "xsd"
MIB = 1024 * 1024


@dataclass(frozen=True)
class ImportLimits:
    max_bytes: int = 64 * MIB  # a bigger file is refused (too_large)
    xsd_max_bytes: int = 32 * MIB  # above this the XSD check is skipped with a warning (CPU time, not memory)
    zip_max_members: int = 200
    zip_max_total_bytes: int = 256 * MIB  # sum of uncompressed member sizes
    zip_max_ratio: int = 200  # uncompressed / compressed, per member


def default_limits() -> ImportLimits:
    """The limits configured in the settings (``EXCHANGE_FILE_MAX_BYTES`` …, README "Configuration")."""
    return ImportLimits(
        max_bytes=settings.EXCHANGE_FILE_MAX_BYTES,
        xsd_max_bytes=settings.EXCHANGE_FILE_XSD_MAX_BYTES,
        zip_max_members=settings.EXCHANGE_ZIP_MAX_MEMBERS,
        zip_max_total_bytes=settings.EXCHANGE_ZIP_MAX_TOTAL_BYTES,
        zip_max_ratio=settings.EXCHANGE_ZIP_MAX_RATIO,
    )


def human_size(n: int) -> str:
    return f"{n / MIB:.1f} MiB" if n >= MIB else f"{n / 1024:.0f} KiB"


# --- before lxml sees a byte ------------------------------------------------------------------------------

_PROLOG_SCAN = 256 * 1024
_ROOT_START = re.compile(r"<[A-Za-z_:]")


def _prolog_text(data: bytes) -> str:
    head = data[:_PROLOG_SCAN]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or head[:2] in (b"<\x00", b"\x00<"):
        encoding = "utf-16-be" if head.startswith(b"\xfe\xff") or head[:2] == b"\x00<" else "utf-16-le"
        return head.decode(encoding, errors="ignore")
    return head.decode("latin-1")


def precheck(data: bytes, limits: ImportLimits) -> None:
    """Size, emptiness, ZIP-instead-of-XML and DOCTYPE checks that need no parser."""
    if len(data) > limits.max_bytes:
        raise ExchangeFileError(
            _("The file is %(size)s; the limit for one exchange file is %(limit)s. Split the register into "
              "smaller files or ask the office administrator to raise the limit.")
            % {"size": human_size(len(data)), "limit": human_size(limits.max_bytes)},
            code="too_large")
    if not data.strip():
        raise ExchangeFileError(_("The file is empty."), code="empty")
    if data.startswith(b"PK\x03\x04"):
        raise ExchangeFileError(
            _("This is a ZIP archive, not an XML exchange file. Upload it as a ZIP archive, or unpack it first."),
            code="not_xml")
    text = _prolog_text(data)
    root = _ROOT_START.search(text)
    prolog = text[: root.start()] if root else text
    if "<!DOCTYPE" in prolog or "<!ENTITY" in prolog:
        raise _forbidden()


def _forbidden() -> ExchangeFileError:
    return ExchangeFileError(
        _("The file declares a DOCTYPE or entities. JPK and KEDU files never do; such files are refused "
          "because they can hide entity-expansion or external-entity attacks."),
        code="forbidden_xml")


# --- streaming parse --------------------------------------------------------------------------------------

def local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def namespace(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


class StreamReader:
    """Iterates the *end* events over the bytes (one element at a time, children complete).

    A DTD is refused at the first event (on top of ``precheck``). ``variant_label`` goes into error
    messages so the user knows what the file was taken for; ``last`` is the last element read.
    """

    def __init__(self, data: bytes, *, schema: etree.XMLSchema | None = None, variant_label: str = ""):
        self.data = data
        self.schema = schema
        self.variant_label = variant_label
        self.last = ""

    def events(self, events: tuple[str, ...] = ("end",)) -> Iterator[etree._Element]:
        context = etree.iterparse(
            io.BytesIO(self.data), events=events, resolve_entities=False, no_network=True,
            load_dtd=False, dtd_validation=False, huge_tree=False, remove_comments=True, remove_pis=True,
            schema=self.schema)
        first = True
        root_closed = False
        try:
            for event, element in context:
                if first:
                    first = False
                    docinfo = element.getroottree().docinfo
                    if docinfo.doctype or docinfo.internalDTD is not None:
                        raise _forbidden()
                if event == "end" and element.getparent() is None:
                    root_closed = True
                yield element
                self.last = element.tag
        except etree.XMLSyntaxError as error:
            raise self._syntax_error(error) from None
        # With a schema attached, libxml2 may end a truncated document without an error: check it ourselves.
        if "end" in events and not root_closed:
            raise ExchangeFileError(
                _("The %(variant)s file ends before its root element is closed: it is truncated or not XML.")
                % {"variant": self.variant_label or "XML"}, code="malformed_xml", variant=self.variant_label)

    def _syntax_error(self, error: etree.XMLSyntaxError) -> ExchangeFileError:
        # Classify by the libxml2 error code of *this* error: lxml's error_log is per thread and may still
        # hold entries from earlier documents. Codes 1700–1899 are XML Schema (XML_SCHEMAP_*, XML_SCHEMAV_*).
        detail = _clean_message(str(error.msg if getattr(error, "msg", None) else error))
        if 1700 <= (getattr(error, "code", 0) or 0) < 1900:
            return ExchangeFileError(
                schema_error_message(self.variant_label, detail, *locate(self.data, self.schema)),
                code="xsd_invalid", variant=self.variant_label)
        lowered = detail.lower()
        if "entity" in lowered and ("amplification" in lowered or "loop" in lowered or "not defined" in lowered):
            return ExchangeFileError(str(_forbidden()), code="forbidden_xml", variant=self.variant_label)
        line = f" (line {error.lineno})" if getattr(error, "lineno", None) else ""
        if self.variant_label:
            message = _("The %(variant)s file is not well-formed XML%(line)s: %(detail)s") % {
                "variant": self.variant_label, "line": line, "detail": detail}
        else:
            message = _("The file is not well-formed XML%(line)s: %(detail)s") % {"line": line, "detail": detail}
        return ExchangeFileError(message, code="malformed_xml", variant=self.variant_label)


# Up to this size a refused file is read once more as a tree, to say where the error is (see ``locate``).
LOCATE_MAX_BYTES = 8 * MIB
_LP = ("LpSprzedazy", "LpZakupu")


def locate(data: bytes, schema: etree.XMLSchema) -> tuple[int | None, str]:
    """``(line, "Ewidencja/SprzedazWiersz 57")`` of the first schema violation, or ``(None, "")``.

    libxml2's streaming validation reports neither a line nor a path, yet a bookkeeper finds a register row by
    its number. So, only after a refusal and only for files up to ``LOCATE_MAX_BYTES`` (a tree costs memory),
    the file is parsed again (same hardened options) and validated as a tree, whose errors carry both.
    """
    if len(data) > LOCATE_MAX_BYTES:
        return None, ""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                             remove_comments=True, remove_pis=True)
    try:
        tree = etree.parse(io.BytesIO(data), parser)
    except etree.XMLSyntaxError:
        return None, ""
    if schema.validate(tree) or not schema.error_log:
        return None, ""
    entry = schema.error_log[0]
    try:
        found = tree.xpath(entry.path, namespaces={k: v for k, v in tree.getroot().nsmap.items() if k})
    except etree.XPathError:
        found = []
    if not found or not isinstance(found[0], etree._Element):
        return entry.line or None, ""
    return entry.line or None, "/".join(_step(node) for node in reversed(list(found[0].iterancestors()))
                                        if node.getparent() is not None)


def _step(node: etree._Element) -> str:
    """``SprzedazWiersz 57`` (its Lp), ``ZUSDRA 2`` (its position among its kind), or just the name."""
    number = next((c.text.strip() for c in node if local(c.tag) in _LP and c.text), "")
    if not number:
        same = [sibling for sibling in node.getparent() if sibling.tag == node.tag]
        number = str(same.index(node) + 1) if len(same) > 1 else ""
    return f"{local(node.tag)} {number}" if number else local(node.tag)


_BYTES_REPR = re.compile(r"^(?:line \d+: )?b'(.*)'$", re.S)


def _clean_message(text: str) -> str:
    """``line 2: b'Premature end…'`` → ``Premature end…``; ``{namespace}P_51`` → ``P_51``."""
    text = text.strip()
    match = _BYTES_REPR.match(text)
    if match:
        text = match.group(1)
    return strip_ns(text)[:500]


def is_top(element: etree._Element) -> bool:
    """A child of the root element."""
    parent = element.getparent()
    return parent is not None and parent.getparent() is None


def release(element: etree._Element) -> None:
    """Drop an element already read, and its finished preceding siblings, to keep memory flat."""
    element.clear(keep_tail=False)
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


def child_text(element: etree._Element, *names: str) -> str:
    """Text of the descendant reached by local names (``child_text(dra, "IX", "p2")``), stripped; "" if absent."""
    node = element
    for name in names:
        node = next((c for c in node if local(c.tag) == name), None)
        if node is None:
            return ""
    return (node.text or "").strip()


# --- schemas ----------------------------------------------------------------------------------------------


class _LocalOnlyResolver(etree.Resolver):
    """Serve schema imports/includes from ``XSD_DIR`` by file name; refuse everything else."""

    def resolve(self, url, pubid, context):
        name = url.replace("\\", "/").rsplit("/", 1)[-1]
        candidate = XSD_DIR / name
        if name and candidate.is_file() and candidate.resolve().parent == XSD_DIR:
            return self.resolve_filename(str(candidate), context)
        raise _SchemaUnavailableError(f"{url} is not shipped in sync/importers/xsd")


class _SchemaUnavailableError(Exception):
    pass


_schemas: dict[str, etree.XMLSchema | str] = {}
_schemas_lock = threading.Lock()


def load_schema(filename: str) -> tuple[etree.XMLSchema | None, str]:
    """The compiled schema (cached per process), or ``(None, reason)`` when it cannot be compiled offline.

    Schema files are trusted, local, official documents; the xmldsig schema needs its internal DTD
    entities, so this parser (unlike the one for uploads) resolves entities — but only from local files.
    """
    with _schemas_lock:
        cached = _schemas.get(filename)
        if cached is None:
            try:
                parser = etree.XMLParser(no_network=True, resolve_entities=True, load_dtd=False, huge_tree=False)
                parser.resolvers.add(_LocalOnlyResolver())
                document = etree.parse(str(XSD_DIR / filename), parser)
                cached = etree.XMLSchema(document)
            except (OSError, etree.XMLSchemaParseError, etree.XMLSyntaxError, _SchemaUnavailableError) as error:
                cached = strip_ns(str(error)) or error.__class__.__name__
            _schemas[filename] = cached
    if isinstance(cached, str):
        return None, cached
    return cached, ""
