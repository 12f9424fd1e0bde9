"""What an importer hands back: the validated batch plus what the user should know about the file."""

from __future__ import annotations

from dataclasses import dataclass, field

from sync.batch import Batch


class ExchangeFileError(Exception):
    """A file refused as a whole. ``message`` is translated and says which format/variant and what failed.

    Codes: ``too_large``, ``empty``, ``not_xml``, ``malformed_xml``, ``forbidden_xml`` (DTD / entities),
    ``unknown_variant``, ``unknown_kind``, ``kind_mismatch``, ``xsd_invalid``, ``missing_field``,
    ``invalid_field``, and for ZIP archives ``bad_zip``, ``zip_limits``, ``zip_unsafe_path``.
    """

    def __init__(self, message: str, *, code: str, variant: str = ""):
        super().__init__(message)
        self.message = str(message)
        self.code = code
        self.variant = variant

    def __str__(self) -> str:
        return self.message

    def as_json(self) -> dict:
        return {"code": self.code, "detail": self.message, "variant": self.variant}


def mask_identifier(value: str) -> str:
    """``50671500000`` → ``5067*****00``: enough to recognise, not enough to use."""
    if len(value) <= 4:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 6) + value[-2:]


@dataclass(frozen=True)
class InsuredPerson:
    """One insured person from a KEDU ZUSRCA report. Identifier kept masked only (see docs/importers.md)."""

    period: str
    payer: str  # the payer's NIP, or masked PESEL
    last_name: str
    first_name: str
    id_type: str  # "P" PESEL, "N" NIP, "1" ID card, "2" passport (RCA III.A.p3)
    masked_id: str
    insurance_title: str = ""  # RCA III.B.p1.p1, e.g. "0110"
    social_total: str = ""  # RCA III.B.p29, as in the file
    health_base: str = ""  # RCA III.C.p1

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name} ({self.masked_id})"


@dataclass(frozen=True)
class ReviewFlag:
    """A contradiction inside the file that the importer does not resolve: the preview shows it for review.

    ``code``: ``quarter_mismatch`` (a V7K whose ``Kwartal`` is not the quarter of its month: its VAT amount is
    withheld), ``health_mismatch`` (a DRA whose health total differs from its RCA health lines: the DRA's
    figure is kept, as filed). ``message`` is translated.
    """

    code: str
    message: str

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class ImportResult:
    batch: Batch
    kind: str  # one of sync.batch.FILE_KINDS: what the file turned out to be
    variant: str  # e.g. "JPK_V7M(2)", "JPK_V7K(3)", "KEDU 5.6"
    namespace: str
    schema: str = ""  # XSD file name the file was validated against, "" when not validated
    schema_validated: bool = False
    warnings: tuple[str, ...] = ()
    flags: tuple[ReviewFlag, ...] = ()  # contradictions for the bookkeeper to review (see ReviewFlag)
    insured: tuple[InsuredPerson, ...] = ()  # KEDU ZUSRCA people; never applied to the portal
    details: dict = field(default_factory=dict)  # counts and control values, for a preview page / the event log
    filename: str = ""
    size: int = 0

    @property
    def format(self) -> str:
        return self.kind
