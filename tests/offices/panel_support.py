"""Shared fixtures and helpers of the panel tests (tests/offices/test_panel_*.py)."""

import pytest
from django_tenants.utils import schema_context

from offices.accounts.models import OfficeSettings, Role
from offices.accounts.services import create_login
from tests.conftest import PASSWORD

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def bookkeeper(cast):
    """Bea, a bookkeeper of office A (rolled back with the test)."""
    with schema_context(cast.office_a.schema_name):
        return create_login("bea@alpha.test", role=Role.BOOKKEEPER, password=PASSWORD, first_name="Bea",
                            verified=True)


@pytest.fixture
def admin_user(cast):
    """Adam, an administrator (not an owner) of office A."""
    with schema_context(cast.office_a.schema_name):
        return create_login("adam@alpha.test", role=Role.ADMIN, password=PASSWORD, first_name="Adam", verified=True)


def office_settings(office) -> OfficeSettings:
    with schema_context(office.schema_name):
        return OfficeSettings.load()


def in_office(office):
    return schema_context(office.schema_name)
