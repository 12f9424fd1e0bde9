"""Test infrastructure shared by every app's tests.

The fixed cast (CONVENTIONS.md) is created once per test session, committed,
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
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from offices.accounts.models import Role, User
from offices.accounts.services import create_login
from offices.models import Office
from offices.provisioning import create_office, ensure_template_schema, office_host

PASSWORD = "correct-horse-battery-staple"


@dataclass(frozen=True)
class Cast:
    office_a: Office
    office_b: Office
    alice: User
    bob: User
    carol: User
    dave: User


def _build_cast() -> Cast:
    office_a = create_office(slug="alpha", name="Biuro Alfa", owner_email="alice@alpha.test",
                             owner_password=PASSWORD, owner_verified=True)
    office_b = create_office(slug="beta", name="Biuro Beta", owner_email="dave@beta.test",
                             owner_password=PASSWORD, owner_verified=True)
    with schema_context(office_a.office.schema_name):
        bob = create_login("bob@example.com", role=Role.CLIENT, password=PASSWORD, first_name="Bob", verified=True)
        carol = create_login("carol@example.com", role=Role.CLIENT, password=PASSWORD, first_name="Carol",
                             verified=True)
    return Cast(office_a=office_a.office, office_b=office_b.office, alice=office_a.owner, bob=bob, carol=carol,
                dave=office_b.owner)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database, the office template and the cast: once per session."""
    with django_db_blocker.unblock():
        # A real Redis cache outlives test runs: rate-limit counters must not leak between them.
        cache.clear()
        ensure_template_schema()
        _CAST.append(_build_cast())
        connection.set_schema_to_public()


_CAST: list[Cast] = []


@pytest.fixture
def cast(db) -> Cast:
    return _CAST[0]


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


class OfficeClient(Client):
    """A test client that talks to one office's host (or the public site with office=None)."""

    def __init__(self, office: Office | None, **defaults):
        from django.conf import settings

        self.office = office
        host = office_host(office.slug) if office is not None else settings.BASE_DOMAIN
        super().__init__(HTTP_HOST=host, **defaults)

    def login_as(self, user: User) -> "OfficeClient":
        with schema_context(self.office.schema_name):
            self.force_login(user)
        return self


@pytest.fixture
def office_client(db):
    """``office_client(office, user=None)`` → a client on that office's host, optionally logged in."""

    def make(office: Office | None, user: User | None = None) -> OfficeClient:
        client = OfficeClient(office)
        if user is not None:
            client.login_as(user)
        return client

    return make


@pytest.fixture
def public_client(db) -> OfficeClient:
    return OfficeClient(None)
