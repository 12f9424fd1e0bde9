"""What a month is expected to hold, and what of it the office has not published yet ("Czekamy na dane: …").

Publishing part of a month (one manual value, one data kind approved before the others) must not look like a
complete month to the client: every item the month is expected to have and that has no approved figure yet
stays on the dashboard, the month page, the PDF and the e-mail summary as a "waiting for data" line, until the
office publishes it. The pages only render ``missing_items``; the rule is here.

An item is a *slot*: one tax type (``Slot("tax", "VAT-7")``) or one payer's ZUS contributions (``Slot("zus",
"")`` for the company itself, ``Slot("zus", <PESEL or NIP>)`` for another payer) — one per payment item of
``clients.unpaid``. A month is *published* when at least one of its figures (a statement too) is approved; the
history below counts only months with an approved tax or ZUS figure. The slots expected in the month M of a
company are:

1. **From its tax set-up** (``Company.vat``, ``income_tax``, ``income_tax_period``, ``zus_payer``): VAT-7
   (VAT monthly) or VAT-7K (quarterly; none when exempt), the income-tax advance of its form (tax scale PIT-5,
   linear PIT-5L, lump sum PIT-28, CIT), and ZUS contributions when a ZUS payer kind is set (any payer's
   contributions satisfy it). Blank set-up fields expect nothing. A set-up slot is dropped when the company's
   recent history contradicts it: its last ``RECENT`` published months (quarters, for a quarterly slot) are all
   there and the slot is in none of them — e.g. an advance that is always zero and never sent.
2. **From its recent months**: every slot present in at least ``SEEN_IN`` of its last ``RECENT`` published
   months (quarters) before M — PIT-4 of a company with employees, a partner's ZUS — except a VAT or an
   income-tax form other than the one the set-up names (the set-up wins for the taxes it describes).

Quarterly slots (VAT-7K; PIT-5, PIT-5L, PIT-28 and CIT of a company paying advances per quarter,
``clients.deadlines.is_quarterly_tax``) are expected only in the quarter's last month (March, June, September,
December), and count as published when a figure of any month of the quarter up to M is approved. Only the
``WINDOW`` months before M are read. A month before the go-live month (history, ``clients.payment_status``)
expects nothing, and a month with nothing published is the dashboard's whole-month notice, not this one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from django.utils.translation import gettext as _

from clients.deadlines import is_quarterly_tax
from clients.models import Company, Revision, RevisionState, add_months
from clients.names import TAX_NAMES, ZUS_NAME
from clients.payment_status import go_live_of
from clients.unpaid import PaymentItem, item_period_label, payer_shown
from clients.vocabulary import STATEMENT_PREFIX, TAX_PREFIX, TAX_TYPES, ZUS_PREFIX
from offices.accounts.models import OfficeSettings

#: How many published months (or quarters) back the history rule looks, and in how many of them a slot must be.
RECENT = 3
SEEN_IN = 2
#: How far back (in months before M) published months are read at all.
WINDOW = 12

VAT_BY_SETUP = {"monthly": "VAT-7", "quarterly": "VAT-7K"}
INCOME_TAX_BY_SETUP = {"scale": "PIT-5", "linear": "PIT-5L", "lump_sum": "PIT-28", "cit": "CIT"}
VAT_TYPES = frozenset({"VAT-7", "VAT-7K"})
INCOME_TAX_TYPES = frozenset(INCOME_TAX_BY_SETUP.values())
#: The payer key of the tax set-up's ZUS slot: contributions of any payer satisfy it.
ANY_PAYER = "*"


class Slot(NamedTuple):
    group: str  # "tax", "zus" (or "statement": STATEMENTS)
    code: str  # the tax type, or the ZUS payer key ("" = the company itself, ANY_PAYER = whoever pays)


ANY_ZUS = Slot("zus", ANY_PAYER)
#: A month's approved statement: it makes the month published, but is never an expected item itself.
STATEMENTS = Slot("statement", "")
#: Per month, the slots with an approved figure (of one company).
Published = Mapping[date, frozenset[Slot]]


# --- Slots ---------------------------------------------------------------------------------------------------


def slot_of_kind(kind: str, payer_key: str = "") -> Slot | None:
    """The slot of a figure kind (``tax:VAT-7``, ``zus:health``…); ``STATEMENTS`` for any statement line."""
    if kind.startswith(TAX_PREFIX):
        return Slot("tax", kind[len(TAX_PREFIX):])
    if kind.startswith(ZUS_PREFIX):
        return Slot("zus", payer_key)
    return STATEMENTS if kind.startswith(STATEMENT_PREFIX) else None


def slot_of_item(item: PaymentItem) -> Slot:
    return Slot("zus", item.payer_key) if item.group == "zus" else Slot("tax", item.tax_type)


def is_quarterly(slot: Slot, company: Company) -> bool:
    return slot.group == "tax" and is_quarterly_tax(slot.code, company.income_tax_period)


def is_quarter_end(period: date) -> bool:
    return period.month % 3 == 0


def quarter_so_far(period: date) -> list[date]:
    """The months of ``period``'s quarter up to and including it (April → [April]; June → April, May, June)."""
    first = date(period.year, (period.month - 1) // 3 * 3 + 1, 1)
    return [add_months(first, n) for n in range((period.month - first.month) + 1)]


def in_month(slot: Slot, slots: frozenset[Slot]) -> bool:
    if slot.group == "zus" and slot.code == ANY_PAYER:
        return any(other.group == "zus" for other in slots)
    return slot in slots


def is_present(slot: Slot, company: Company, period: date, published: Published) -> bool:
    """Whether the slot has an approved figure in ``period`` (a quarterly one: in the quarter so far)."""
    months = quarter_so_far(period) if is_quarterly(slot, company) else [period]
    return any(in_month(slot, published.get(month, frozenset())) for month in months)


def is_due_in(slot: Slot, company: Company, period: date) -> bool:
    """Whether the month can hold the slot at all: a quarterly one only in the quarter's last month."""
    return is_quarter_end(period) or not is_quarterly(slot, company)


# --- The rule ------------------------------------------------------------------------------------------------


def _payable(slots: Iterable[Slot]) -> list[Slot]:
    return [slot for slot in slots if slot.group in ("tax", "zus")]


def recent_periods(slot: Slot, company: Company, period: date, published: Published) -> list[date]:
    """The last ``RECENT`` published months before ``period`` (for a quarterly slot: the last months of the
    last ``RECENT`` quarters with something published), newest first, within ``WINDOW``."""
    earlier = sorted((month for month, slots in published.items()
                      if add_months(period, -WINDOW) <= month < period and _payable(slots)), reverse=True)
    if not is_quarterly(slot, company):
        return earlier[:RECENT]
    this_quarter = quarter_so_far(period)[0]
    quarter_ends = sorted({add_months(quarter_so_far(month)[0], 2) for month in earlier
                           if month < this_quarter}, reverse=True)
    return quarter_ends[:RECENT]


def times_seen(slot: Slot, company: Company, period: date, published: Published) -> tuple[int, int]:
    """``(in how many, of how many)`` recent published months (quarters) before ``period`` the slot is."""
    recent = recent_periods(slot, company, period, published)
    return sum(1 for month in recent if is_present(slot, company, month, published)), len(recent)


def setup_slots(company: Company) -> list[Slot]:
    """The slots the tax set-up names (blank fields name nothing)."""
    slots = []
    if company.vat in VAT_BY_SETUP:
        slots.append(Slot("tax", VAT_BY_SETUP[company.vat]))
    if company.income_tax in INCOME_TAX_BY_SETUP:
        slots.append(Slot("tax", INCOME_TAX_BY_SETUP[company.income_tax]))
    if company.zus_payer:
        slots.append(ANY_ZUS)
    return slots


def contradicts_setup(slot: Slot, company: Company) -> bool:
    """A VAT or income-tax form other than the one the set-up names (only when the set-up names one)."""
    if slot.group != "tax":
        return False
    if slot.code in VAT_TYPES and company.vat:
        return VAT_BY_SETUP.get(company.vat) != slot.code
    if slot.code in INCOME_TAX_TYPES and company.income_tax:
        return INCOME_TAX_BY_SETUP.get(company.income_tax) != slot.code
    return False


def history_slots(company: Company, period: date, published: Published) -> list[Slot]:
    """Slots of the recent months seen in at least ``SEEN_IN`` of the last ``RECENT`` (set-up contradictions out)."""
    seen = {slot for month, slots in published.items() if add_months(period, -WINDOW) <= month < period
            for slot in _payable(slots)}
    return [slot for slot in sorted(seen) if not contradicts_setup(slot, company)
            and times_seen(slot, company, period, published)[0] >= SEEN_IN]


def expected_slots(company: Company, period: date, published: Published) -> list[Slot]:
    """Every slot the month ``period`` is expected to have (set-up first, then history), quarterly ones only in a
    quarter's last month. When the history names ZUS payers, they stand for the set-up's "ZUS of any payer"."""
    expected = []
    for slot in setup_slots(company):
        seen, of = times_seen(slot, company, period, published)
        if not (of >= RECENT and seen == 0):
            expected.append(slot)
    from_history = history_slots(company, period, published)
    if any(slot.group == "zus" for slot in from_history):
        expected = [slot for slot in expected if slot != ANY_ZUS]
    expected += [slot for slot in from_history if slot not in expected]
    return sorted((slot for slot in expected if is_due_in(slot, company, period)), key=display_order)


def display_order(slot: Slot) -> tuple:
    """Taxes in the vocabulary's order (VAT, PIT-4, the income taxes), then ZUS: the company's own first."""
    rank = TAX_TYPES.index(slot.code) if slot.code in TAX_TYPES else len(TAX_TYPES)
    return (slot.group == "zus", rank, slot.code)


@dataclass(frozen=True)
class MissingItem:
    """An item the month is expected to have and the office has not published yet."""

    company: Company
    period: date
    slot: Slot

    @property
    def quarterly(self) -> bool:
        return is_quarterly(self.slot, self.company)

    @property
    def name(self) -> str:
        if self.slot.group == "zus":
            return str(ZUS_NAME)
        return str(TAX_NAMES.get(self.slot.code, self.slot.code))

    @property
    def payer_label(self) -> str:
        """Whose contributions (a payer other than the company); a PESEL always masked."""
        if self.slot.group != "zus" or self.slot.code in ("", ANY_PAYER):
            return ""
        return payer_shown(self.slot.code)

    @property
    def period_label(self) -> str:
        return item_period_label(self.period, self.quarterly)

    @property
    def text(self) -> str:
        """The line a page, the PDF or an e-mail shows ("Czekamy na dane: VAT za 02.2026 — …"), in the active
        language."""
        values = {"item": self.name, "period": self.period_label, "payer": self.payer_label}
        if self.payer_label:
            return _("Waiting for data: %(item)s (payer %(payer)s) for %(period)s — the office has not published "
                     "it yet.") % values
        return _("Waiting for data: %(item)s for %(period)s — the office has not published it yet.") % values

    @property
    def key(self) -> str:
        """``tax:VAT-7`` or ``zus:<payer>`` (``zus:*`` for the set-up's), e.g. for a page's data attribute."""
        return f"{self.slot.group}:{self.slot.code}"


def missing_items(company: Company, period: date, published: Published, *,
                  history: bool = False) -> list[MissingItem]:
    """What the month ``period`` is expected to have and has not published. Nothing for a month with nothing
    published at all (the whole month is waiting) or of the history before go-live (``history``). No query."""
    if history or not published.get(period):
        return []
    return [MissingItem(company, period, slot) for slot in expected_slots(company, period, published)
            if not is_present(slot, company, period, published)]


# --- Loading what is published -------------------------------------------------------------------------------


def published_of_items(items: Iterable[PaymentItem]) -> dict[int, dict[date, frozenset[Slot]]]:
    """Per company, per month, the slots of these payment items (``clients.unpaid.payment_items``). No query."""
    found: dict[int, dict[date, set[Slot]]] = defaultdict(lambda: defaultdict(set))
    for item in items:
        found[item.company.pk][item.period].add(slot_of_item(item))
    return {company: {month: frozenset(slots) for month, slots in months.items()} for company, months in found.items()}


def load_published(companies: Iterable[Company], period: date) -> dict[int, dict[date, frozenset[Slot]]]:
    """Per company, per month, the slots with an approved figure (statements as ``STATEMENTS``) in the ``WINDOW``
    months up to ``period``. 1 query."""
    ids = [company.pk for company in companies]
    found: dict[int, dict[date, set[Slot]]] = defaultdict(lambda: defaultdict(set))
    rows = (Revision.objects.filter(state=RevisionState.APPROVED, figure__company_id__in=ids,
                                    figure__period__gte=add_months(period, -WINDOW), figure__period__lte=period)
            .values_list("figure__company_id", "figure__period", "figure__kind", "figure__payer_key"))
    for company_id, month, kind, payer_key in rows:
        slot = slot_of_kind(kind, payer_key)
        if slot is not None:
            found[company_id][month].add(slot)
    return {company: {month: frozenset(slots) for month, slots in months.items()} for company, months in found.items()}


def missing_for_month(company: Company, period: date, *, history: bool | None = None) -> list[MissingItem]:
    """``missing_items`` of one month, read from the database: 1 query, 2 when ``history`` (whether the month is
    before the go-live month) is not given."""
    if history is None:
        go_live = go_live_of(company, OfficeSettings.load().go_live_month)
        history = go_live is not None and period < go_live
    return missing_items(company, period, load_published([company], period).get(company.pk, {}), history=history)
