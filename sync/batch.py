"""The validated batch: what every entry point hands to ``sync.ingest.apply_batch``.

The ingestion API (JSON), the exchange-file importers (JPK, KEDU) and the
reference agent all build these value objects; nothing downstream ever sees
raw JSON. Values here are already validated and normalised: NIP/PESEL as
digits, phone numbers in E.164, amounts as two-place ``Decimal``, periods as
``"YYYY-MM"``. ``index`` fields keep the position in the request so errors can
carry a JSON Pointer (``/companies/3/taxes/0/amount``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from clients.vocabulary import STATEMENT_PARTS, TAX_TYPES, ZUS_PARTS

FIGURE_LABELS = ("declaration", "correction", "advance", "forecast", "other")
PERSON_ROLES = ("owner", "partner", "proxy")
VAT_SETUPS = ("monthly", "quarterly", "exempt")
INCOME_TAX_SETUPS = ("scale", "linear", "lump_sum", "cit")
ZUS_PAYER_KINDS = ("budget_unit", "legal_person", "other")
INCOME_TAX_PERIODS = ("monthly", "quarterly")  # v1.1
SETTLEMENT_WHATS = (*TAX_TYPES, "ZUS")  # v1.1 settlements[].what
# A response lists at most this many errors and counts the rest in ``errors_omitted``: a body of a
# million empty companies must not answer with a million errors.
MAX_ERRORS_LISTED = 100


@dataclass(frozen=True)
class FieldError:
    """One refusal, pointing into the request body (RFC 6901 JSON Pointer)."""

    pointer: str
    code: str
    detail: str

    def as_json(self) -> dict:
        return {"pointer": self.pointer, "code": self.code, "detail": self.detail}


def json_pointer(path) -> str:
    """RFC 6901: ``("companies", 3, "a/b")`` → ``/companies/3/a~1b``."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


def listed_errors(errors) -> dict:
    """``{"errors": [first MAX_ERRORS_LISTED as JSON]}``, plus ``errors_omitted`` when there were more."""
    errors = list(errors)
    listed = {"errors": [error.as_json() if isinstance(error, FieldError) else error
                         for error in errors[:MAX_ERRORS_LISTED]]}
    if len(errors) > MAX_ERRORS_LISTED:
        listed["errors_omitted"] = len(errors) - MAX_ERRORS_LISTED
    return listed


@dataclass(frozen=True)
class Address:
    street: str = ""
    postal_code: str = ""
    city: str = ""
    country: str = "PL"


@dataclass(frozen=True)
class TaxSetup:
    vat: str | None = None  # one of VAT_SETUPS
    income_tax: str | None = None  # one of INCOME_TAX_SETUPS
    zus_payer: str | None = None  # one of ZUS_PAYER_KINDS
    income_tax_period: str | None = None  # v1.1: one of INCOME_TAX_PERIODS (None: leave as it is)


@dataclass(frozen=True)
class PersonData:
    index: int
    first_name: str
    last_name: str
    pesel: str | None = None
    nip: str | None = None
    email: str = ""
    phone: str = ""  # E.164 or ""
    role: str = "owner"  # one of PERSON_ROLES
    zus_account: str | None = None  # v1.1: the person's own NRS, 26 digits; None: leave the stored one alone


@dataclass(frozen=True)
class TaxEntry:
    index: int
    period: str  # "YYYY-MM"
    type: str  # one of clients.vocabulary.TAX_TYPES
    amount: Decimal
    due_date: date | None = None  # None: computed from the rules in docs/glossary.md
    label: str = "declaration"


@dataclass(frozen=True)
class ZusEntry:
    index: int
    period: str
    payer_pesel: str | None = None
    payer_nip: str | None = None
    # Each part is optional; only the parts present become figures.
    social: Decimal | None = None
    health: Decimal | None = None
    labour_fund: Decimal | None = None
    fgsp: Decimal | None = None
    total: Decimal | None = None
    due_date: date | None = None
    label: str = "declaration"

    def parts(self) -> dict[str, Decimal]:
        return {name: getattr(self, name) for name in ZUS_PARTS if getattr(self, name) is not None}


@dataclass(frozen=True)
class StatementEntry:
    index: int
    period: str
    revenue: Decimal | None = None
    costs: Decimal | None = None
    income: Decimal | None = None
    totals: dict[str, Decimal] = field(default_factory=dict)  # further named totals, shown as they are

    def parts(self) -> dict[str, Decimal]:
        values = {name: getattr(self, name) for name in STATEMENT_PARTS if getattr(self, name) is not None}
        values.update(self.totals)
        return values


@dataclass(frozen=True)
class SettlementData:
    """v1.1: what the accounting program booked as paid for one item (a tax type, or ``ZUS`` of a payer)."""

    index: int
    period: str  # "YYYY-MM"
    what: str  # one of SETTLEMENT_WHATS
    amount: Decimal
    paid_on: date | None = None
    payer_pesel: str | None = None  # ZUS of a payer other than the company
    payer_nip: str | None = None


@dataclass(frozen=True)
class CompanyData:
    index: int  # position in "companies", for pointers
    nip: str  # 10 digits, checksum-valid
    name: str = ""
    regon: str = ""
    address: Address | None = None
    email: str = ""
    phone: str = ""
    tax_setup: TaxSetup | None = None
    zus_account: str | None = None  # v1.1: the company's own NRS, 26 digits; None: leave the stored one alone
    people: tuple[PersonData, ...] = ()
    taxes: tuple[TaxEntry, ...] = ()
    zus: tuple[ZusEntry, ...] = ()
    statements: tuple[StatementEntry, ...] = ()
    settlements: tuple[SettlementData, ...] = ()  # v1.1


@dataclass(frozen=True)
class PayerData:
    """ZUS data for a payer not attached to a company (e.g. from Płatnik)."""

    index: int
    pesel: str | None = None
    nip: str | None = None
    zus: tuple[ZusEntry, ...] = ()
    zus_account: str | None = None  # v1.1: the payer's NRS, stored on the people it is matched to


@dataclass(frozen=True)
class AgentInfo:
    version: str = ""
    os: str = ""
    hostname: str = ""


@dataclass(frozen=True)
class Batch:
    program: str  # one of clients.vocabulary.PROGRAM_CODES
    program_version: str = ""
    agent: AgentInfo = field(default_factory=AgentInfo)
    period_from: str | None = None
    period_to: str | None = None
    approve: bool = False
    send_summary: bool = False
    companies: tuple[CompanyData, ...] = ()
    payers: tuple[PayerData, ...] = ()
    # Companies refused while parsing (bad NIP, bad figure…): counted as rejected, never applied.
    rejected_companies: tuple[int, ...] = ()
    errors: tuple[FieldError, ...] = ()


@dataclass
class BatchResult:
    """The outcome of ``apply_batch``; ``as_json`` is the API's 200 body minus the batch id."""

    companies: dict[str, int] = field(
        default_factory=lambda: {"created": 0, "updated": 0, "unchanged": 0, "rejected": 0})
    figures: dict[str, int] = field(
        default_factory=lambda: {"created": 0, "updated": 0, "unchanged": 0, "skipped_source": 0,
                                 "approved": 0, "rejected": 0})
    payers: dict[str, int] = field(default_factory=lambda: {"matched": 0, "unmatched": 0})
    settlements: dict[str, int] = field(default_factory=lambda: {"recorded": 0, "unchanged": 0, "unmatched": 0})
    errors: list[FieldError] = field(default_factory=list)

    @property
    def status(self) -> str:
        applied = sum(self.companies[k] for k in ("created", "updated", "unchanged")) + sum(self.payers.values())
        if not self.errors:
            return "applied"
        return "partially_applied" if applied else "rejected"

    def as_json(self) -> dict:
        return {
            "status": self.status,
            "companies": dict(self.companies),
            "figures": dict(self.figures),
            "payers": dict(self.payers),
            "settlements": dict(self.settlements),
            **listed_errors(self.errors),
        }
