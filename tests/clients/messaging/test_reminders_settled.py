"""Reminders read the payment status: a settled item gets none, and a queued one is cancelled once settled."""

import datetime
from decimal import Decimal

from django.utils import timezone
from django_tenants.utils import schema_context

from clients.messaging import dispatch, services
from clients.messaging.models import Message
from clients.models import parse_period
from clients.settlements import SettlementEntry, record_settlements_of

TODAY = datetime.date(2026, 2, 22)  # VAT-7 of January is due on 25.02.2026: the 3-day reminder


def _settle_vat(company, amount="1234.50"):
    record_settlements_of([(company, [SettlementEntry(parse_period("2026-01"), "VAT-7", Decimal(amount))])],
                          source="program", program="optima")


def test_no_reminder_for_a_settled_item(peers, make_company):
    f = make_company()
    with schema_context(f.office.schema_name):
        _settle_vat(f.company)
        assert not [m for m in services.queue_reminders(TODAY) if m.company_id == f.company.pk]


def test_a_queued_reminder_is_cancelled_once_the_office_settles_the_item(peers, make_company):
    f = make_company()
    with schema_context(f.office.schema_name):
        queued = [m for m in services.queue_reminders(TODAY) if m.company_id == f.company.pk]
        assert queued
        _settle_vat(f.company)
        Message.objects.filter(pk__in=[m.pk for m in queued]).update(send_at=timezone.now())
        assert {dispatch.send(m.pk) for m in queued} == {"cancelled"}


def test_a_partial_settlement_reminds_of_the_difference_only(peers, make_company):
    f = make_company()
    with schema_context(f.office.schema_name):
        _settle_vat(f.company, "1000.00")
        sms = next(m for m in services.queue_reminders(TODAY) if m.company_id == f.company.pk and m.channel == "sms")
    assert "234,50" in sms.body and "1 234,50" not in sms.body
