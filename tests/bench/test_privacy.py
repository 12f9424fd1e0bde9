"""RODO erasure in a busy office: how long ``erase_person`` takes when its generic scrub reads every text
and JSON column of the schema (docs/privacy.md), and the access log's one INSERT.

Data: 1,000 companies with one person each (through ``apply_batch``), 100,000 outbox messages and
100,000 event-log rows with free text (bulk inserts). Baseline in the same run: the scrub alone for a value
that matches nothing (the cost of reading every text column), and one plain ``INSERT`` of an event.

Run: ``python3 dev.py bench -k privacy``.
"""

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from clients import privacy
from clients.messaging.models import Message
from clients.models import Company, Person
from offices.provisioning import create_office
from sync.ingest import apply_batch
from sync.models import Event
from tests.bench.conftest import timed
from tests.clients import batches as b

pytestmark = pytest.mark.bench

COMPANIES, ROWS, SAMPLES = 1_000, 100_000, 10


def _people(i: int):
    return [b.person(0, f"Imię{i}", f"Nazwisko{i}", pesel=b.make_pesel(5_000 + i), email=f"osoba{i}@example.com",
                     phone=f"+48600{i:06d}")]


def _fill(report) -> None:
    for first in range(0, COMPANIES, 500):
        apply_batch(b.batch(*[b.company(i - first, b.make_nip(200_000 + i), f"Firma {i}", people=_people(i),
                                        taxes=[b.tax(0, "2026-01", "VAT-7", 100 + i)])
                              for i in range(first, first + 500)]), None)
    now = timezone.now()
    company_ids = list(Company.objects.values_list("pk", flat=True))
    Message.objects.bulk_create([Message(
        dedup_key=f"bench-{n}", purpose="summary", channel="email", company_id=company_ids[n % COMPANIES],
        recipient=f"osoba{n % COMPANIES}@example.com", subject="Podsumowanie 01.2026",
        body=f"Dzień dobry, Imię{n % COMPANIES} Nazwisko{n % COMPANIES}. Do zapłaty VAT-7: 100,00 zł.", send_at=now)
        for n in range(ROWS)], batch_size=5000)
    Event.objects.bulk_create([Event(at=now, code="sync_ok", message=f"Zsynchronizowano firmę {n % COMPANIES}",
                                     details={"person": f"osoba{n % COMPANIES}@example.com", "n": n})
                               for n in range(ROWS)], batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    report.note(f"data: {COMPANIES} companies and people, {ROWS} messages, {ROWS} events")


def test_erasure_and_access_log(committed_db, bench_report):
    report = bench_report("privacy")
    made = create_office(slug="benchprivacy", name="Biuro RODO", owner_email="owner@benchprivacy.test",
                         owner_password="bench-owner-password-1", owner_verified=True)
    with schema_context(made.office.schema_name):
        _fill(report)
        company = Company.objects.first()
        report.add("baseline: one plain INSERT (an event)",
                   [timed(Event.objects.create, at=timezone.now(), code="x") for _ in range(100)])
        report.add("record_access: one staff view (one INSERT)",
                   [timed(privacy.record_company_view, made.owner, company) for _ in range(100)])
        nowhere = ["nobody@nowhere.test"]
        report.add("baseline: scrub of a value found nowhere (reads every text column)",
                   [timed(privacy.scrub_everywhere, nowhere) for _ in range(3)])
        people = list(Person.objects.order_by("pk")[:SAMPLES])
        samples = [timed(privacy.erase_person, person, by=made.owner, reason="bench") for person in people]
        report.add("erase_person: one person (100 messages, 100 events rewritten)", samples)
        assert not Message.objects.filter(recipient=people[0].email).exists()
