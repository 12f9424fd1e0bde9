"""The portal's vocabulary, defined once: program codes, data kinds, figure kinds.

Everything else imports these: the models, the agent API (``sync.batch``, the OpenAPI schema), the panel,
the client views and the reference agent. Codes are plain strings (they travel in JSON and in the database);
what a person reads is their display name (``clients.names``, translated), never the code. Standard library
only: the reference agent, which runs without Django, imports it.

A figure's ``kind`` is ``"tax:<type>"``, ``"zus:<part>"`` or ``"statement:<name>"`` (statement names come
from agents); build and test kinds with the helpers below rather than writing the prefixes out.
"""

from __future__ import annotations

# --- programs ----------------------------------------------------------------------------------------

#: The programs an agent may post from (``program.code`` in the agent API, ``Company.source_*``).
PROGRAM_CODES = (
    "optima", "symfonia", "platnik", "insert_gt", "insert_nexo", "raks", "ramzes", "wapro", "finka",
    "reset2", "kpr", "fakt", "enova365", "buchalter", "skp", "mala_ksiegowosc", "ognik", "pcbiznes",
    "file_import", "other",
)

# --- data kinds: what a program feeds ------------------------------------------------------------------

DATA_KINDS = ("basic_data", "zus", "taxes", "statements")
#: The data kinds that are monthly figures (``basic_data`` is the company's own fields).
FIGURE_DATA_KINDS = ("zus", "taxes", "statements")

# --- companies and people: tax set-up and roles (``Company``, ``CompanyPerson``, the agent API) ---------

VAT_SETUPS = ("monthly", "quarterly", "exempt")
INCOME_TAX_SETUPS = ("scale", "linear", "lump_sum", "cit")
#: How often income-tax advances are paid (agent API v1.1 ``tax_setup.income_tax_period``).
INCOME_TAX_PERIODS = ("monthly", "quarterly")
ZUS_PAYER_KINDS = ("budget_unit", "legal_person", "other")
PERSON_ROLES = ("owner", "partner", "proxy")

# --- exchange files -----------------------------------------------------------------------------------

#: The exchange files that carry figures (``sync.importers``: JPK, KEDU).
EXCHANGE_KINDS = ("jpk_v7m", "jpk_v7k", "kedu")
#: Bank statements (agent API v1.1, ``sync.importers.bank``): their debit lines settle payable items.
STATEMENT_KINDS = ("mt940", "camt053")
#: Every file ``POST files`` and the panel's upload accept.
FILE_KINDS = EXCHANGE_KINDS + STATEMENT_KINDS

# --- figure kinds ------------------------------------------------------------------------------------

TAX_TYPES = ("VAT-7", "VAT-7K", "PIT-4", "PIT-5", "PIT-5L", "PIT-28", "PIT-8A", "CIT")
ZUS_PARTS = ("social", "health", "labour_fund", "fgsp", "total")
STATEMENT_PARTS = ("revenue", "costs", "income")
#: What a figure's value is (``Revision.label``, ``label`` in the agent API).
FIGURE_LABELS = ("declaration", "correction", "advance", "forecast", "other")

TAX_PREFIX = "tax:"
ZUS_PREFIX = "zus:"
STATEMENT_PREFIX = "statement:"
#: The figure-kind prefix of each data kind that is monthly figures.
KIND_PREFIX = {"zus": ZUS_PREFIX, "taxes": TAX_PREFIX, "statements": STATEMENT_PREFIX}
#: ``Figure.kind`` fits in this many characters (statement names are agents' own).
MAX_KIND_LENGTH = 80


def tax_kind(tax_type: str) -> str:
    return TAX_PREFIX + tax_type


def zus_kind(part: str) -> str:
    return ZUS_PREFIX + part


def statement_kind(name: str) -> str:
    return STATEMENT_PREFIX + name


ZUS_TOTAL = zus_kind("total")
#: The single contributions (without the total).
ZUS_PART_KINDS = tuple(zus_kind(part) for part in ZUS_PARTS if part != "total")


def is_zus(kind: str) -> bool:
    return kind.startswith(ZUS_PREFIX)

