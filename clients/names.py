"""Display names of the vocabulary (``clients.vocabulary``), in one place; translated through locale/.

A page, an e-mail, a PDF or an export shows these, never the codes.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.formats import number_format
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from clients.vocabulary import PROGRAM_CODES, STATEMENT_PREFIX, TAX_PREFIX, ZUS_PREFIX

#: Product names are not translated; the two that are not products are.
PROGRAM_NAMES = {
    "optima": "Comarch ERP Optima", "symfonia": "Symfonia", "platnik": "Płatnik (ZUS)",
    "insert_gt": "InsERT GT (Rachmistrz, Rewizor, Gratyfikant)",
    "insert_nexo": "InsERT nexo (Rachmistrz, Rewizor, Gratyfikant)", "raks": "RAKS SQL", "ramzes": "Ramzes",
    "wapro": "WAPRO (Kaper, Fakir, Gang)", "finka": "Finka", "reset2": "Reset2 (R2księga, R2płatnik)",
    "kpr": "KPR", "fakt": "Fakt", "enova365": "enova365", "buchalter": "Buchalter", "skp": "SKP",
    "mala_ksiegowosc": "Mała Księgowość", "ognik": "Ognik", "pcbiznes": "PC-Biznes",
    "file_import": _("File import (JPK_V7, Płatnik KEDU)"), "other": _("Other program"),
}
DATA_KIND_LABELS = {
    "basic_data": _("Basic data"),
    "zus": _("ZUS"),
    "taxes": _("Taxes"),
    "statements": _("Statements"),
}


# --- companies and people ------------------------------------------------------------------------------

VAT_SETUP_NAMES = {"monthly": _("VAT monthly"), "quarterly": _("VAT quarterly"), "exempt": _("VAT exempt")}
INCOME_TAX_SETUP_NAMES = {
    "scale": _("tax scale"),
    "linear": _("linear tax"),
    "lump_sum": _("lump sum on revenue"),
    "cit": _("corporate income tax"),
}
INCOME_TAX_PERIOD_NAMES = {
    "monthly": _("income tax advances monthly"),
    "quarterly": _("income tax advances quarterly"),
}
ZUS_PAYER_KIND_NAMES = {
    "budget_unit": _("budget unit"),
    "legal_person": _("company with legal personality"),
    "other": _("other payer"),
}
PERSON_ROLE_NAMES = {"owner": _("owner"), "partner": _("partner"), "proxy": _("proxy")}


def program_choices() -> list[tuple[str, str]]:
    """``(code, name)`` for model and form fields (a callable, so renaming a program needs no migration)."""
    return [(code, PROGRAM_NAMES[code]) for code in PROGRAM_CODES]


def program_name(code: str) -> str:
    """The program's name; an unknown code (e.g. from an old record) is shown as it is."""
    return str(PROGRAM_NAMES.get(code, code))


def source_name(code: str) -> str:
    """Where a value came from (``Revision.source``): a program's name, or "entered by hand" for ``manual``."""
    return str(_("entered by hand")) if code == "manual" else program_name(code)


# --- figure kinds ------------------------------------------------------------------------------------

TAX_NAMES = {
    "VAT-7": _("VAT"),
    "VAT-7K": _("VAT (quarterly)"),
    "PIT-4": _("PIT-4 — tax withheld from salaries"),
    "PIT-5": _("Income tax advance (PIT-5)"),
    "PIT-5L": _("Income tax advance, linear (PIT-5L)"),
    "PIT-28": _("Lump-sum tax (PIT-28)"),
    "PIT-8A": _("PIT-8A — lump-sum tax withheld"),
    "CIT": _("Corporate income tax advance (CIT)"),
}
#: ZUS is paid in one transfer: a client sees one item of this name per payer and month.
ZUS_NAME = _("ZUS contributions")
ZUS_PART_NAMES = {
    "social": _("Social contributions"),
    "health": _("Health contribution"),
    "labour_fund": _("Labour Fund and Solidarity Fund (FP/FS)"),
    "fgsp": _("Guaranteed Employee Benefits Fund (FGŚP)"),
    "total": ZUS_NAME,
}
STATEMENT_NAMES = {
    "revenue": _("Revenue"),
    "costs": _("Costs"),
    "income": pgettext_lazy("statement", "Income"),
    "vat_due": _("VAT due"),
    "trial_balance_debit": _("Trial balance: debit turnover"),
    "trial_balance_credit": _("Trial balance: credit turnover"),
}


FIGURE_LABEL_NAMES = {
    "declaration": _("declaration"),
    "correction": _("correction"),
    "advance": _("advance"),
    "forecast": _("forecast"),
    "other": _("other"),
}


def statement_label(name: str) -> str:
    """A statement line's name; totals named by an agent (``trial_balance_debit``) are made readable."""
    if name in STATEMENT_NAMES:
        return str(STATEMENT_NAMES[name])
    return name.replace("_", " ").strip().capitalize()


def figure_name(kind: str) -> str:
    """What a person reads for a figure kind (``tax:VAT-7`` → "VAT", ``zus:labour_fund`` → "… (FP/FS)")."""
    if kind.startswith(TAX_PREFIX):
        name = kind[len(TAX_PREFIX):]
        return str(TAX_NAMES.get(name, name))
    if kind.startswith(ZUS_PREFIX):
        name = kind[len(ZUS_PREFIX):]
        return str(ZUS_PART_NAMES.get(name, name))
    return statement_label(kind[len(STATEMENT_PREFIX):] if kind.startswith(STATEMENT_PREFIX) else kind)


# --- amounts -----------------------------------------------------------------------------------------


def money(value) -> str:
    """``1 050,00 zł`` in Polish, ``PLN 1,050.00`` in English; grouping always on, never a float."""
    if value is None or value == "":
        return ""
    amount = number_format(Decimal(value), 2, use_l10n=True, force_grouping=True)
    if (get_language() or "pl").startswith("pl"):
        return f"{amount}\u00a0zł"
    return f"PLN\u00a0{amount}"
