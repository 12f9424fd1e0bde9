"""What an importer hands back: the validated batch plus what the user should know about the file."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

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


#: What each review flag says, with its parameters (``ReviewFlag.params``); rendered in the reader's language.
REVIEW_FLAG_TEXTS: dict[str, Promise] = {
    "quarter_mismatch": gettext_lazy(
        "%(variant)s: the VAT-7K declaration says quarter %(q)s (Kwartal), but the file is for %(period)s, "
        "which is in quarter %(file_q)s. Its VAT amount (%(amount)s) was not imported: correct the file in "
        "the accounting program, or enter the amount by hand for the right quarter."),
    "health_mismatch": gettext_lazy(
        "ZUSDRA %(period)s (%(who)s): the health contribution total VI.07 is %(dra)s, but the ZUSRCA "
        "reports of this payer and month add up to %(rca)s (III.C fields 2–5). The DRA's figure was "
        "kept, as filed; check which one is right before applying."),
    "before_go_live": gettext_lazy(
        "%(company)s: the file declares %(periods)s, before the go-live month %(go_live)s. Once approved, "
        "these figures count as history (settled without payment confirmation), not as something to pay."),
}


@dataclass(frozen=True)
class ReviewFlag:
    """A contradiction the importer does not resolve: the preview (and the batch page) shows it for review.

    ``code``: ``quarter_mismatch`` (a V7K whose ``Kwartal`` is not the quarter of its month: its VAT amount is
    withheld), ``health_mismatch`` (a DRA whose health total differs from its RCA health lines: the DRA's
    figure is kept, as filed), ``before_go_live`` (a declaration for a month before the go-live month of the
    office or company: ``sync.preview.go_live_flags``). ``params`` fill the code's text in
    ``REVIEW_FLAG_TEXTS``; they are kept (JSON) with the batch, so the text is rendered in the reader's language.
    """

    code: str
    params: dict = field(default_factory=dict, hash=False)

    @property
    def message(self) -> str:
        return str(REVIEW_FLAG_TEXTS[self.code]) % self.params

    def __str__(self) -> str:
        return self.message

    def as_json(self) -> dict:
        return {"code": self.code, "params": dict(self.params)}

    @classmethod
    def from_json(cls, data: dict) -> ReviewFlag | None:
        """The flag a batch record kept; None for a code this version no longer knows."""
        if not isinstance(data, dict) or data.get("code") not in REVIEW_FLAG_TEXTS:
            return None
        return cls(data["code"], dict(data.get("params") or {}))


@dataclass(frozen=True)
class ImportResult:
    batch: Batch
    kind: str  # one of clients.vocabulary.FILE_KINDS: what the file turned out to be
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
