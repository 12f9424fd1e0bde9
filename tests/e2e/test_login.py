"""Logging in through the real login form, in a real browser, on each office's own host."""

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD

pytestmark = pytest.mark.e2e


def _log_in(page, email: str, password: str = PASSWORD):
    page.locator('input[name="login"]').fill(email)
    page.locator('input[name="password"]').fill(password)
    # Wait for the answer to the POST, so nothing below is checked against the old page.
    with page.expect_response(lambda response: response.request.method == "POST"):
        page.locator('input[name="password"]').press("Enter")
    page.wait_for_load_state()


def test_alice_logs_in_on_a_laptop_and_sees_her_home_page(new_page, live_url, cast, screenshot):
    page = new_page("laptop")
    page.goto(live_url(cast.office_a, "/"))
    # Anonymous: sent to the login form of office A.
    expect(page).to_have_url(re.compile(r"^http://alpha\.localhost:\d+/accounts/login/"))
    screenshot(page, "login-laptop")
    _log_in(page, "alice@alpha.test")
    # Her home: the office's start page (staff may be sent on to the panel), not the form.
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
    assert page.url.startswith(live_url(cast.office_a, "/"))
    expect(page.locator("header .who")).to_have_text("alice@alpha.test")
    expect(page.locator("header .brand")).to_have_text(cast.office_a.name)
    expect(page.locator("h1")).to_be_visible()
    screenshot(page, "home-alice-laptop")


def test_bob_logs_in_on_a_phone(new_page, live_url, cast, screenshot):
    page = new_page("phone")
    page.goto(live_url(cast.office_a, "/accounts/login/"))
    _log_in(page, "bob@example.com")
    expect(page).to_have_url(live_url(cast.office_a, "/client/"))  # home sends clients to their dashboard
    expect(page.locator("header .who")).to_have_text("bob@example.com")
    # Nothing on the page is wider than the phone: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "home-bob-phone")


def test_daves_credentials_do_not_work_on_office_a(new_page, live_url, cast):
    page = new_page("laptop")
    page.goto(live_url(cast.office_a, "/accounts/login/"))
    _log_in(page, "dave@beta.test")
    # The form again, with an error, and still anonymous on office A.
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.locator("header .who")).to_have_count(0)
    expect(page.locator("form .errorlist, .errorlist").first).to_be_visible()
    page.goto(live_url(cast.office_a, "/"))
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def test_a_logged_in_page_helper_skips_the_form(page_as, live_url, cast):
    page = page_as(cast.carol, "phone")
    page.goto(live_url(cast.office_a, "/"))
    expect(page.locator("header .who")).to_have_text("carol@example.com")
    # The session cookie is host-only: it means nothing on office B.
    page.goto(live_url(cast.office_b, "/"))
    expect(page).to_have_url(re.compile(r"^http://beta\.localhost:\d+/accounts/login/"))
