"""Who reaches which panel page: the role × page matrix, sessions of another office, MFA, login rules."""

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core.cache import cache
from django.urls import reverse
from django_tenants.utils import schema_context

from offices.accounts.models import OfficeSettings
from offices.accounts.services import deactivate_user
from offices.panel import urls as panel_urls
from sync.agents import agent_for_token, create_agent
from sync.models import Agent
from tests.conftest import PASSWORD
from tests.offices.panel_support import HTMX, admin_user, bookkeeper, in_office  # noqa: F401

STAFF_PAGES = ["/panel/"]
ADMIN_PAGES = ["/panel/agents/", "/panel/staff/", "/panel/settings/"]
ALL_PAGES = STAFF_PAGES + ADMIN_PAGES


def test_every_panel_url_goes_through_the_access_layer():
    for pattern in panel_urls.urlpatterns:
        assert getattr(pattern.callback, "panel_access", None) in ("staff", "admin"), pattern


@pytest.mark.parametrize("page", ALL_PAGES)
def test_owner_sees_every_page(office_client, cast, page):
    assert office_client(cast.office_a, cast.alice).get(page).status_code == 200


@pytest.mark.parametrize("page", ALL_PAGES)
def test_administrator_sees_every_page(office_client, cast, admin_user, page):  # noqa: F811
    assert office_client(cast.office_a, admin_user).get(page).status_code == 200


@pytest.mark.parametrize("page", STAFF_PAGES)
def test_bookkeeper_sees_the_staff_pages(office_client, cast, bookkeeper, page):  # noqa: F811
    assert office_client(cast.office_a, bookkeeper).get(page).status_code == 200


@pytest.mark.parametrize("page", ADMIN_PAGES)
def test_bookkeeper_gets_404_on_administrators_pages(office_client, cast, bookkeeper, page):  # noqa: F811
    assert office_client(cast.office_a, bookkeeper).get(page).status_code == 404


@pytest.mark.parametrize("page", ALL_PAGES)
def test_a_client_gets_404_as_if_the_panel_did_not_exist(office_client, cast, page):
    assert office_client(cast.office_a, cast.bob).get(page).status_code == 404


@pytest.mark.parametrize("page", ALL_PAGES)
def test_anonymous_is_sent_to_the_login_page(office_client, cast, page):
    response = office_client(cast.office_a).get(page)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={page}"


def test_anonymous_htmx_request_gets_an_hx_redirect_not_a_login_page_fragment(office_client, cast):
    response = office_client(cast.office_a).post("/panel/agents/1/revoke/", **HTMX)
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith("/accounts/login/")


@pytest.mark.parametrize("page", ALL_PAGES)
def test_a_session_of_office_b_is_not_valid_on_office_a(office_client, cast, page):
    dave_on_b = office_client(cast.office_b, cast.dave)
    assert dave_on_b.get("/panel/").status_code == 200
    stolen = office_client(cast.office_a)
    stolen.cookies["sessionid"] = dave_on_b.cookies["sessionid"].value
    response = stolen.get(page)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_objects_of_another_office_are_not_found(office_client, cast):
    with in_office(cast.office_a):
        ids_in_a = set(Agent.objects.values_list("pk", flat=True))
    with schema_context(cast.office_b.schema_name):
        agent_b, token_b = create_agent("Beta server")
        while agent_b.pk in ids_in_a:  # ids are per office: find one office A does not have
            agent_b, token_b = create_agent("Beta server")
    client = office_client(cast.office_a, cast.alice)
    assert client.get(f"/panel/agents/{agent_b.pk}/revoke/").status_code == 404
    assert client.post(f"/panel/agents/{agent_b.pk}/revoke/").status_code == 404
    with schema_context(cast.office_b.schema_name):
        assert agent_for_token(token_b) is not None


def test_clients_logins_are_not_managed_on_the_staff_page(office_client, cast):
    client = office_client(cast.office_a, cast.alice)
    assert client.post(f"/panel/staff/{cast.bob.pk}/deactivate/").status_code == 404
    with in_office(cast.office_a):
        cast.bob.refresh_from_db()
        assert cast.bob.is_active


def test_home_sends_staff_to_the_panel_and_clients_elsewhere(office_client, cast, bookkeeper):  # noqa: F811
    assert office_client(cast.office_a, cast.alice).get("/")["Location"] == "/panel/"
    assert office_client(cast.office_a, bookkeeper).get("/")["Location"] == "/panel/"
    client_home = office_client(cast.office_a, cast.bob).get("/")
    assert client_home.status_code == 200 or not client_home["Location"].startswith("/panel/")


# --- Two-factor -----------------------------------------------------------------------------------


@pytest.fixture
def mfa_required(cast):
    with in_office(cast.office_a):
        row = OfficeSettings.load()
        row.require_mfa_for_admins = True
        row.save()


def test_owner_without_totp_must_set_it_up_before_using_the_panel(office_client, cast, mfa_required):
    client = office_client(cast.office_a, cast.alice)
    for page in ALL_PAGES:
        response = client.get(page)
        assert response.status_code == 302
        assert response["Location"] == reverse("mfa_activate_totp", urlconf="portal.urls_tenants")
    htmx = client.post("/panel/agents/", {"name": "x"}, **HTMX)
    assert htmx.status_code == 204
    assert htmx["HX-Redirect"] == "/accounts/2fa/totp/activate/"
    # the set-up page itself stays reachable
    assert client.get("/accounts/2fa/totp/activate/").status_code in (200, 302)


def test_owner_with_totp_uses_the_panel(office_client, cast, mfa_required):
    with in_office(cast.office_a):
        TOTP.activate(cast.alice, generate_totp_secret())
    assert office_client(cast.office_a, cast.alice).get("/panel/settings/").status_code == 200


def test_bookkeepers_are_not_forced_by_the_admins_rule(office_client, cast, mfa_required, bookkeeper):  # noqa: F811
    assert office_client(cast.office_a, bookkeeper).get("/panel/").status_code == 200


def test_without_the_rule_nobody_is_forced(office_client, cast):
    assert office_client(cast.office_a, cast.alice).get("/panel/").status_code == 200


# --- Logging in -----------------------------------------------------------------------------------


def _login(client, email, password=PASSWORD):
    return client.post("/accounts/login/", {"login": email, "password": password})


def test_repeated_failed_logins_are_refused_even_with_the_right_password(office_client, cast, bookkeeper):  # noqa: F811
    client = office_client(cast.office_a)
    try:
        for _attempt in range(5):
            assert _login(client, "bea@alpha.test", "wrong-password").status_code == 200
        response = _login(client, "bea@alpha.test")
        assert response.status_code == 200
        codes = [error.code for error in response.context["form"].errors.as_data()["__all__"]]
        assert codes == ["too_many_login_attempts"]
        assert client.get("/panel/").status_code == 302
        # another person's login is not blocked by Bea's failures
        assert _login(office_client(cast.office_a), "alice@alpha.test").status_code == 302
    finally:
        cache.clear()


def test_a_deactivated_user_cannot_log_in_and_loses_open_sessions(office_client, cast, bookkeeper):  # noqa: F811
    open_session = office_client(cast.office_a, bookkeeper)
    assert open_session.get("/panel/").status_code == 200
    with in_office(cast.office_a):
        deactivate_user(bookkeeper, by=cast.alice)
    assert open_session.get("/panel/").status_code == 302
    client = office_client(cast.office_a)
    response = _login(client, "bea@alpha.test")
    assert response.status_code == 302
    assert "inactive" in response["Location"]
    assert client.get("/panel/")["Location"].startswith("/accounts/login/")
