"""The office panel in a real browser: layout on a laptop, and htmx doing its partial updates."""

import re

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from offices.accounts.models import AuditEntry
from sync.models import Agent

pytestmark = pytest.mark.e2e
LAPTOP_WIDTH = 1366


@pytest.fixture
def cleanup_agents(cast):
    """E2E tests commit: remove the agents (and their audit rows) a test registered."""
    with schema_context(cast.office_a.schema_name):
        known = set(Agent.objects.values_list("pk", flat=True))
        known_audit = set(AuditEntry.objects.values_list("pk", flat=True))
    yield
    with schema_context(cast.office_a.schema_name):
        Agent.objects.exclude(pk__in=known).delete()
        AuditEntry.objects.exclude(pk__in=known_audit).delete()


@pytest.mark.parametrize("path", ["/panel/", "/panel/agents/", "/panel/staff/", "/panel/settings/"])
def test_panel_pages_fit_a_laptop(page_as, live_url, cast, screenshot, path):
    page = page_as(cast.alice)
    page.goto(live_url(cast.office_a, path))
    expect(page.locator(".panel-nav")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= LAPTOP_WIDTH
    screenshot(page, "panel" + path.strip("/").replace("panel", "").replace("/", "-") + "-laptop")


def test_register_then_revoke_in_place_with_htmx(page_as, live_url, cast, screenshot, cleanup_agents):
    page = page_as(cast.alice)
    page.goto(live_url(cast.office_a, "/panel/agents/"))
    page.locator('input[name="name"]').fill("Optima – e2e")
    page.locator('form.card button[type="submit"]').click()
    token = page.locator("#agent-token").inner_text()
    assert token.startswith("bk_")
    screenshot(page, "panel-agent-created-laptop")
    page.goto(live_url(cast.office_a, "/panel/agents/"))
    assert token not in page.content()
    with schema_context(cast.office_a.schema_name):
        agent = Agent.objects.get(name="Optima – e2e")
    # A marker that survives only if the page is not reloaded: the row is swapped in place.
    page.evaluate("window.__notReloaded = true")
    page.once("dialog", lambda dialog: dialog.accept())
    row = page.locator(f"#agent-{agent.pk}")
    row.get_by_role("link").click()
    expect(page.locator(f"#agent-{agent.pk}.revoked")).to_be_visible()
    assert page.evaluate("window.__notReloaded === true")
    expect(page).to_have_url(re.compile(r"/panel/agents/$"))
    with schema_context(cast.office_a.schema_name):
        agent.refresh_from_db()
        assert agent.revoked_at is not None
