"""Fixtures for the outbox tests: the local peers, workers, and a committed company in office A.

Tests that use a worker commit their data (``committed_db``) and the fixtures below delete it again.

Queues: every test publishes to a queue of its own that no worker consumes (``peers``), so a worker
left by an earlier test can never take a message a test sends by hand. Only a test that asks for
``worker`` publishes to the session worker's queue (``QUEUE``, unique to this pytest process).
"""

import itertools
import os
import secrets
from dataclasses import dataclass

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from clients.messaging.models import Message, OfficeMessaging, Suppression
from clients.models import Company, Person, parse_period
from offices.accounts.models import OfficeSettings
from offices.models import Office
from sync.ingest import apply_batch
from tests.clients import batches as b
from tests.clients.messaging.peers import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio, SmtpSink, Worker

QUEUE = f"messaging-test-{os.getpid()}-{secrets.token_hex(3)}"
_numbers = itertools.count(1)
_test_queues = itertools.count(1)


@pytest.fixture(scope="session")
def fake_twilio():
    server = FakeTwilio().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def smtp_sink():
    sink = SmtpSink().start()
    yield sink
    sink.stop()


def peer_settings(fake_twilio: FakeTwilio, smtp_sink: SmtpSink) -> dict:
    return {
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "TWILIO_API_BASE": fake_twilio.base_url,
        "TWILIO_TIMEOUT": 2,
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend", "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": smtp_sink.port, "EMAIL_USE_TLS": False, "EMAIL_USE_SSL": False, "EMAIL_HOST_USER": "",
        "EMAIL_HOST_PASSWORD": "", "EMAIL_TIMEOUT": 5,
        "MESSAGING_QUEUE": QUEUE, "MESSAGING_RETRY_BASE_SECONDS": 0.2, "MESSAGING_SENDING_TIMEOUT": 1,
        "MESSAGING_RECONCILE_AFTER": 0, "MESSAGING_EMAIL_RESEND_AFTER": 1,
    }


@pytest.fixture
def peers(fake_twilio, smtp_sink, settings):
    """Settings pointing at the local peers (in this process; workers get the same), peers emptied,
    and a queue of this test's own that nothing consumes (``worker`` switches to the worker's queue)."""
    for name, value in peer_settings(fake_twilio, smtp_sink).items():
        setattr(settings, name, value)
    settings.MESSAGING_QUEUE = f"{QUEUE}-t{next(_test_queues)}"
    if fake_twilio.server is None:
        fake_twilio.start()
    fake_twilio.reset()
    smtp_sink.reset()
    return fake_twilio, smtp_sink


class Workers:
    def __init__(self, overrides: dict):
        self.overrides = overrides
        self.running: list[Worker] = []
        self.count = 0

    def start(self, name: str | None = None, queue: str = QUEUE) -> Worker:
        """A worker on ``queue`` (another queue than the session's worker keeps a test's tasks to itself)."""
        self.count += 1
        worker = Worker(queue, {**self.overrides, "MESSAGING_QUEUE": queue}, name or f"w{self.count}").start()
        self.running.append(worker)
        return worker

    def stop_all(self):
        for worker in self.running:
            worker.stop()
        self.running.clear()


@pytest.fixture(scope="session")
def worker_pool(django_db_setup, fake_twilio, smtp_sink):
    """Starts workers on demand; stops them before the test database goes away."""
    pool = Workers(peer_settings(fake_twilio, smtp_sink))
    yield pool
    pool.stop_all()


@pytest.fixture(scope="session")
def shared_worker(worker_pool):
    """One worker for the session on ``QUEUE`` (tests that kill workers start their own)."""
    return worker_pool.start("shared")


@pytest.fixture
def worker(shared_worker, peers, settings):
    """The session's worker, and this test's messages published to its queue."""
    settings.MESSAGING_QUEUE = QUEUE
    return shared_worker


@dataclass
class Fixture:
    office: object
    company: Company
    people: list
    period: object


@pytest.fixture
def office_a_committed(committed_cast):
    """Office A with sending settings fit for tests (no undo window, no quiet hours); restored after."""
    office = committed_cast.office_a
    with schema_context(office.schema_name):
        settings_row = OfficeSettings.load()
        saved = {f: getattr(settings_row, f) for f in ("sms_sender", "undo_window_minutes", "quiet_hours_start",
                                                          "quiet_hours_end", "reminder_days")}
        settings_row.sms_sender = "BiuroAlfa"
        settings_row.undo_window_minutes = 0
        settings_row.quiet_hours_end = settings_row.quiet_hours_start
        settings_row.save()
        OfficeMessaging.objects.filter(singleton=1).delete()
        saved["logo"] = settings_row.logo.name if settings_row.logo else ""
    # A test may brand the office: the settings service copies the logo's name onto the office row, which the
    # header of every page (and so every later browser test) reads.
    saved_logo_file = Office.objects.get(pk=office.pk).logo_file
    yield office
    Office.objects.filter(pk=office.pk).update(logo_file=saved_logo_file)
    office.logo_file = saved_logo_file
    with schema_context(office.schema_name):
        OfficeSettings.objects.filter(singleton=1).update(**saved)
        OfficeMessaging.objects.filter(singleton=1).delete()
        Suppression.objects.all().delete()
        Message.objects.filter(company__isnull=True).delete()
    connection.set_schema_to_public()


@pytest.fixture
def make_company(office_a_committed):
    """``make_company(people=1, sms=True, email=True, amounts=...)`` → a committed company of office A with
    approved January figures and people on both channels; deleted (with its messages) after the test."""
    made: list[Fixture] = []

    def make(people: int = 1, *, sms: bool = True, email: bool = True, vat="1234.50", pit="250",
             approve: bool = True) -> Fixture:
        n = next(_numbers) + os.getpid() % 500 * 10
        nip = b.make_nip(50000 + n)
        persons = [b.person(i, f"Anna{i}", "Żółć", pesel=b.make_pesel(5000 + (n * 7 + i) % 4000),
                            email=f"anna{i}.{n}@example.com", phone=f"+4860{n % 10000:04d}{i:03d}")
                   for i in range(people)]
        data = b.company(0, nip, f"Firma Żółw {n} Sp. z o.o.", people=persons,
                         taxes=[b.tax(0, "2026-01", "VAT-7", vat), b.tax(1, "2026-01", "PIT-5L", pit)],
                         zus_entries=[b.zus(0, "2026-01", total=2000)])
        with schema_context(office_a_committed.schema_name):
            apply_batch(b.batch(data, approve=approve), None)
            company = Company.objects.get(nip=nip)
            people_rows = list(Person.objects.filter(memberships__company=company).order_by("pk"))
            Person.objects.filter(pk__in=[p.pk for p in people_rows]).update(notify_sms=sms, notify_email=email)
            for person in people_rows:
                person.refresh_from_db()
        fixture = Fixture(office_a_committed, company, people_rows, parse_period("2026-01"))
        made.append(fixture)
        return fixture

    yield make
    with schema_context(office_a_committed.schema_name):
        for fixture in made:
            person_ids = [p.pk for p in fixture.people]
            Message.objects.filter(company=fixture.company).delete()
            Message.objects.filter(person_id__in=person_ids).delete()
            fixture.company.delete()
            Person.objects.filter(pk__in=person_ids).delete()
    connection.set_schema_to_public()
