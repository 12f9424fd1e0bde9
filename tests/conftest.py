"""Test infrastructure shared by every app's tests.

The fixed cast (CONTRIBUTING.md, "Tests") is created once per test session, committed,
and reused by every test; each test runs inside a transaction that is rolled
back, so tests never see each other's changes:

- office A ("alpha"): alice (staff, owner), bob and carol (clients)
- office B ("beta"):  dave (staff, owner)

Office schemas are cloned from the template once per session, never per test.
Tests that need data committed for other processes or threads (a live server,
a Celery worker, concurrency) use ``committed_db`` and clean up after themselves.
"""

from dataclasses import dataclass

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import setup_databases, teardown_databases
from django.utils import translation
from django_tenants.utils import schema_context

from clients.activation import link_login
from clients.approval import approve_company, approve_company_period, approve_revision
from clients.models import Company, Person, Revision, RevisionState, parse_period
from offices.accounts.models import Role, User
from offices.accounts.services import create_login
from offices.models import Office
from offices.provisioning import create_office, ensure_template_schema
from offices.tenancy import office_host
from sync.agents import create_agent
from sync.ingest import apply_batch
from tests.clients import batches as b

PASSWORD = "correct-horse-battery-staple"


def pytest_configure(config):
    # Hashing every test password with PBKDF2's 1M iterations would dominate the suite's time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass(frozen=True)
class Cast:
    office_a: Office
    office_b: Office
    alice: User
    bob: User
    carol: User
    dave: User
    # Office A: company X (bob is its owner), company Y (carol); office B: company B (dave's office).
    company_x: Company
    company_y: Company
    company_b: Company


# What the cast's companies hold (see _build_companies):
# X 2026-01: VAT-7 1000.00 approved with a pending change to 1050.00; PIT-5L 250.00, ZUS total 2000.00
#            and the statement approved. X 2026-02: VAT-7 1100.00 pending, never approved.
# Y 2026-01: VAT-7 700.00 and CIT 90.00, approved.  B 2026-01: VAT-7 999.00, approved.
NIP_X, NIP_Y, NIP_B = b.make_nip(9001), b.make_nip(9002), b.make_nip(9003)
PESEL_BOB, PESEL_CAROL = b.make_pesel(1), b.make_pesel(2)


def _build_companies(alice: User, bob: User, carol: User) -> tuple[Company, Company]:
    """Office A's companies, made exactly as an agent and a bookkeeper would (current schema: office A)."""
    agent, _token = create_agent("Cast agent")
    x = b.company(0, NIP_X, "Firma X Sp. z o.o.", people=[b.person(0, "Bob", "Builder", pesel=PESEL_BOB)],
                  taxes=[b.tax(0, "2026-01", "VAT-7", 1000), b.tax(1, "2026-01", "PIT-5L", 250),
                         b.tax(2, "2026-02", "VAT-7", 1100)],
                  zus_entries=[b.zus(0, "2026-01", total=2000)],
                  statements=[b.statement(0, "2026-01", 5000, 3000)])
    y = b.company(1, NIP_Y, "Firma Y", people=[b.person(0, "Carol", "Clark", pesel=PESEL_CAROL)],
                  taxes=[b.tax(0, "2026-01", "VAT-7", 700), b.tax(1, "2026-01", "CIT", 90)])
    apply_batch(b.batch(x, y), agent)
    company_x, company_y = Company.objects.get(nip=NIP_X), Company.objects.get(nip=NIP_Y)
    vat = Revision.objects.get(figure__company=company_x, figure__kind="tax:VAT-7",
                               figure__period=parse_period("2026-01"))
    approve_revision(vat, by_user=alice)
    approve_company_period(company_x, parse_period("2026-01"), by_user=alice)
    approve_company(company_y, by_user=alice)
    # A later sync changes X's approved January VAT: pending until a bookkeeper approves it.
    apply_batch(b.batch(b.company(0, NIP_X, taxes=[b.tax(0, "2026-01", "VAT-7", 1050)])), agent)
    assert Revision.objects.filter(figure__company=company_x, state=RevisionState.PENDING).count() == 2
    link_login(Person.objects.get(pesel=PESEL_BOB), bob)
    link_login(Person.objects.get(pesel=PESEL_CAROL), carol)
    return company_x, company_y


def _build_cast() -> Cast:
    office_a = create_office(slug="alpha", name="Biuro Alfa", owner_email="alice@alpha.test",
                             owner_password=PASSWORD, owner_verified=True)
    office_b = create_office(slug="beta", name="Biuro Beta", owner_email="dave@beta.test",
                             owner_password=PASSWORD, owner_verified=True)
    with schema_context(office_a.office.schema_name):
        bob = create_login("bob@example.com", role=Role.CLIENT, password=PASSWORD, first_name="Bob", verified=True)
        carol = create_login("carol@example.com", role=Role.CLIENT, password=PASSWORD, first_name="Carol",
                             verified=True)
        company_x, company_y = _build_companies(office_a.owner, bob, carol)
    with schema_context(office_b.office.schema_name):
        agent_b, _token = create_agent("Cast agent B")
        apply_batch(b.batch(b.company(0, NIP_B, "Firma B", taxes=[b.tax(0, "2026-01", "VAT-7", 999)]),
                            approve=True), agent_b)
        company_b = Company.objects.get(nip=NIP_B)
    return Cast(office_a=office_a.office, office_b=office_b.office, alice=office_a.owner, bob=bob, carol=carol,
                dave=office_b.owner, company_x=company_x, company_y=company_y, company_b=company_b)


@pytest.fixture(scope="session")
def django_db_setup(django_test_environment, django_db_blocker, django_db_keepdb, django_db_createdb,
                    django_db_modify_db_settings):
    """The test database, the office template and the cast: once per session.

    Replaces pytest-django's fixture, which sets up only the databases that tests marked with
    ``db`` need: a session of ``committed_db`` tests alone would otherwise run against the
    development database. Here the test database is always created.
    """
    with django_db_blocker.unblock():
        db_config = setup_databases(verbosity=0, interactive=False, aliases={"default"},
                                    keepdb=django_db_keepdb and not django_db_createdb)
    assert connection.settings_dict["NAME"] == connection.settings_dict["TEST"]["NAME"], "not the test database"
    with django_db_blocker.unblock():
        # A real Redis cache outlives test runs: rate-limit counters must not leak between them.
        cache.clear()
        ensure_template_schema()
        BUILT_CAST.append(_build_cast())
        connection.set_schema_to_public()
    yield
    if not django_db_keepdb:
        with django_db_blocker.unblock():
            teardown_databases(db_config, verbosity=0)


BUILT_CAST: list[Cast] = []


@pytest.fixture
def cast(db) -> Cast:
    return BUILT_CAST[0]


@pytest.fixture(autouse=True)
def _english_outside_requests():
    """Code called directly by tests (services, parsers) speaks English, so assertions read the msgids;
    requests still choose their language through LocaleMiddleware (Polish by default)."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _back_to_public_schema():
    """Each test starts (and leaves) the connection on the public schema."""
    yield
    connection.set_schema_to_public()


@pytest.fixture
def committed_db(django_db_setup, django_db_blocker):
    """Database access without a wrapping transaction, for tests that need other
    threads or processes to see their writes. Such tests clean up after themselves."""
    with django_db_blocker.unblock():
        yield
        connection.set_schema_to_public()


@pytest.fixture
def committed_cast(committed_db) -> Cast:
    """The cast, for ``committed_db`` tests (which cannot use the transactional ``cast``)."""
    return BUILT_CAST[0]


class OfficeClient(Client):
    """A test client that talks to one office's host (or the public site with office=None)."""

    def __init__(self, office: Office | None, **defaults):
        self.office = office
        self.streams = []
        host = office_host(office.slug) if office is not None else settings.BASE_DOMAIN
        super().__init__(HTTP_HOST=host, **defaults)

    def request(self, **request):
        response = super().request(**request)
        if response.streaming:
            self.streams.append(response)
        return response

    def close_streams(self) -> None:
        """Close the streamed responses, as a WSGI server does after sending one.

        Django's test client closes a streamed response only once its content has been read. A download
        left unread (a test checking only its status) would keep its generator open — the CSV export's holds
        a server-side cursor — until the garbage collector finalised it in some later test: a CLOSE of a
        cursor that test's rollback had dropped aborted that test's transaction, and a collection in the
        middle of a query deadlocked on psycopg's connection lock (the suite hung, idle in transaction).
        Called when the test ends, inside its own transaction.
        """
        while self.streams:
            self.streams.pop().close()

    def login_as(self, user: User) -> "OfficeClient":
        with schema_context(self.office.schema_name):
            self.force_login(user)
        return self


@pytest.fixture
def office_client(db):
    """``office_client(office, user=None)`` → a client on that office's host, optionally logged in.

    Its streamed responses are closed when the test ends (``OfficeClient.close_streams``)."""
    clients = []

    def make(office: Office | None, user: User | None = None) -> OfficeClient:
        client = OfficeClient(office)
        clients.append(client)
        if user is not None:
            client.login_as(user)
        return client

    yield make
    for client in clients:
        client.close_streams()


@pytest.fixture
def public_client(db) -> OfficeClient:
    client = OfficeClient(None)
    yield client
    client.close_streams()
