"""A bookkeeper marks items settled (the office's word, ``SettlementSource.BOOKKEEPER``): one item, one month,
or everything up to a month, of one company or a selection. Each item is settled for its approved amount;
items the office has already settled are left alone; every change is audited by
``clients.settlements``."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone

from clients.item_statuses import refresh_after_company_go_live, refresh_after_office_go_live
from clients.models import Company, CompanyChange, add_months
from clients.models_payments import ZUS_ITEM, SettlementSource
from clients.settlements import SettlementCounts, SettlementEntry, record_settlements_of
from clients.unpaid import PaymentItem, payment_items
from offices.accounts import services as office_services
from offices.accounts.models import OfficeSettings


def update_office_settings(office, values: dict, *, by, logo=None, clear_logo: bool = False) -> list[str]:
    """The office's settings (``offices.accounts.services.update_office_settings``); when the go-live month
    changes, the stored payment status of the items it turns into history (or back into debt) follows, in the
    same transaction. Returns the names of the changed settings."""
    old_go_live = OfficeSettings.load().go_live_month
    with transaction.atomic():
        changed = office_services.update_office_settings(office, values, by=by, logo=logo, clear_logo=clear_logo)
        if "go_live_month" in changed:
            refresh_after_office_go_live(old_go_live, OfficeSettings.load().go_live_month)
    return changed


def set_company_go_live(company: Company, month: date | None, *, by) -> bool:
    """This company's own go-live month (None: the office's); audited, and its items' stored status follows.
    Returns whether it changed."""
    if company.go_live_month == month:
        return False
    CompanyChange.objects.create(company=company, user=by, action=CompanyChange.Action.GO_LIVE, details={
        "go_live_month": [f"{company.go_live_month:%Y-%m}" if company.go_live_month else "",
                          f"{month:%Y-%m}" if month else ""]})
    old = company.go_live_month
    Company.objects.filter(pk=company.pk).update(go_live_month=month)
    company.go_live_month = month
    refresh_after_company_go_live(company, old, month, OfficeSettings.load().go_live_month)
    return True


def settle_approved(companies: list[Company], *, by, period: date | None = None,
                    up_to: date | None = None) -> SettlementCounts:
    """Settle the approved items of ``period`` (one month) or of every month up to ``up_to`` (inclusive)."""
    if (period is None) == (up_to is None):
        raise ValueError("Give either a period or up_to.")
    # The same items the client's dashboard shows (clients.unpaid), so what is settled is what was to pay;
    # only their status is needed here, hence the light rows.
    months = {"period": period} if period else {"before": add_months(up_to, 1)}
    entries: dict[int, list[SettlementEntry]] = {company.pk: [] for company in companies}
    for item in payment_items(companies, timezone.localdate(), light=True, **months):
        if item.payable and not item.settled:
            entries[item.company.pk].append(_entry(item))
    pairs = [(company, entries[company.pk]) for company in companies]
    return record_settlements_of(pairs, source=SettlementSource.BOOKKEEPER, by=by)


def _entry(item: PaymentItem) -> SettlementEntry:
    return SettlementEntry(item.period, ZUS_ITEM if item.group == "zus" else item.tax_type, item.amount,
                           payer_key=item.payer_key)


def open_items(company: Company, today: date | None = None) -> list[PaymentItem]:
    """The company's approved items the office has not settled yet (what "settle this item" offers), oldest first."""
    items = payment_items(company, today or timezone.localdate(), light=True)
    return [item for item in items if item.payable and not item.settled]


def settle_item(company: Company, figure_id: int, *, by) -> SettlementCounts:
    """Settle the one item whose anchor figure is ``figure_id`` (a tax, or a payer's ZUS month) for its approved
    amount; nothing when it is not an approved payable item of this company or is settled already."""
    item = next((item for item in open_items(company) if item.figure_id == figure_id), None)
    if item is None:
        return SettlementCounts()
    return record_settlements_of([(company, [_entry(item)])], source=SettlementSource.BOOKKEEPER, by=by)
