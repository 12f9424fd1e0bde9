"""The Content-Security-Policy in a real browser: the main pages raise no violation, and what needs script
(htmx's partial updates, the copy buttons, the QR toggle, the agent API's Swagger UI) works under it."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

# Runs before any page script (injected by the browser, so not subject to the page's policy).
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => window.__csp.push(
    e.violatedDirective + " " + (e.blockedURI || "inline") + " " + (e.sourceFile || "") + ":" + e.lineNumber));
"""
STAFF_PAGES = ["/panel/", "/panel/companies/", "/panel/companies/{x}/", "/panel/events/", "/panel/settings/",
               "/panel/staff/", "/panel/agents/", "/panel/upload/", "/panel/health/", "/accounts/email/"]
CLIENT_PAGES = ["/client/", "/client/company/{x}/", "/client/company/{x}/2026-01/", "/client/preferences/"]


def _watch(page) -> list[str]:
    console = []
    page.add_init_script(RECORD_VIOLATIONS)
    page.on("console", lambda message: console.append(message.text)
            if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text else None)
    return console


def _violations(page, console) -> list[str]:
    return console + page.evaluate("window.__csp || []")


def test_staff_pages_raise_no_violation(page_as, live_url, cast):
    page = page_as(cast.alice)
    console = _watch(page)
    for path in STAFF_PAGES:
        page.goto(live_url(cast.office_a, path.format(x=cast.company_x.pk)))
        page.wait_for_load_state("networkidle")
        assert _violations(page, console) == [], path


def test_client_pages_raise_no_violation_and_the_qr_toggle_works(page_as, live_url, cast):
    page = page_as(cast.bob, viewport="phone")
    console = _watch(page)
    for path in CLIENT_PAGES:
        page.goto(live_url(cast.office_a, path.format(x=cast.company_x.pk)))
        page.wait_for_load_state("networkidle")
        assert _violations(page, console) == [], path
    page.goto(live_url(cast.office_a, f"/client/company/{cast.company_x.pk}/2026-01/"))
    qr = page.locator("details.qr").first
    qr.locator("summary").click()
    image = qr.locator("img")
    expect(image).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth > 100", arg=image.element_handle())
    assert _violations(page, console) == []


def test_htmx_filters_the_company_list_under_the_policy(page_as, live_url, cast):
    page = page_as(cast.alice)
    console = _watch(page)
    page.goto(live_url(cast.office_a, "/panel/companies/"))
    page.evaluate("window.__notReloaded = true")
    with page.expect_request(lambda request: re.search(r"q=Firma(\+|%20)Y", request.url)
                             and request.headers.get("hx-request") == "true"):
        page.locator("#id_q").fill("Firma Y")
    expect(page.get_by_text("Firma X Sp. z o.o.")).to_have_count(0)
    expect(page.get_by_text("Firma Y").first).to_be_visible()
    assert page.evaluate("window.__notReloaded === true")
    assert _violations(page, console) == []


def test_the_login_page_and_the_public_site_raise_no_violation(new_page, live_url, cast):
    page = new_page()
    console = _watch(page)
    for url in (live_url(cast.office_a, "/accounts/login/"), live_url(None, "/"), live_url(None, "/signup/")):
        page.goto(url)
        page.wait_for_load_state("networkidle")
        assert _violations(page, console) == [], url


def test_the_agent_api_docs_render_under_their_policy(new_page, live_url, cast):
    page = new_page()
    console = _watch(page)
    page.goto(live_url(cast.office_a, "/api/agent/v1/docs/"))
    expect(page.locator("#swagger-ui .info .title")).to_contain_text(re.compile("Biurko Agent API"))
    assert _violations(page, console) == []
