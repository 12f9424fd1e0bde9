"""axe-core on the main pages, in a real browser: no serious or critical accessibility violation.

axe-core is the npm package pinned in tests/e2e/package.json (``npm ci --prefix tests/e2e``, run by .ci/run).
It is injected into the page by Playwright; the pages' Content-Security-Policy forbids injected scripts, so
these tests (and only these) use a browser context with ``bypass_csp=True``. tests/e2e/test_csp.py checks the
policy itself with no bypass.
"""

import os
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

AXE = Path(os.environ.get("AXE_CORE_PATH", Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"))
BLOCKING = ("serious", "critical")
STAFF_PAGES = ["/panel/companies/", "/panel/companies/{x}/?period=2026-01&tab=taxes", "/panel/events/",
               "/panel/settings/", "/panel/upload/"]
CLIENT_PAGES = ["/client/", "/client/company/{x}/2026-01/"]


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.exists():
        pytest.skip(f"axe-core is not installed ({AXE} is missing): run `npm ci --prefix tests/e2e` "
                    "(or point AXE_CORE_PATH at axe.min.js) to run the accessibility tests.")
    return AXE.read_text(encoding="utf-8")


def _violations(page, axe_source: str) -> list[str]:
    page.wait_for_load_state("networkidle")
    page.add_script_tag(content=axe_source)
    result = page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ["violations"]});
        return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            targets: v.nodes.slice(0, 5).map(n => n.target.join(" ") + " :: " + n.failureSummary)}));
    }""")
    return [f"{v['impact']} {v['id']}: {v['help']}\n    " + "\n    ".join(v["targets"])
            for v in result if v["impact"] in BLOCKING]


@pytest.mark.parametrize("path", STAFF_PAGES)
@pytest.mark.parametrize("viewport", ["laptop", "phone"])
def test_panel_pages_have_no_serious_violation(page_as, live_url, cast, axe_source, path, viewport):
    page = page_as(cast.alice, viewport, bypass_csp=True)
    page.goto(live_url(cast.office_a, path.format(x=cast.company_x.pk)))
    found = _violations(page, axe_source)
    assert not found, f"{path}:\n" + "\n".join(found)


@pytest.mark.parametrize("path", CLIENT_PAGES)
def test_client_pages_have_no_serious_violation(page_as, live_url, cast, axe_source, path):
    page = page_as(cast.bob, "phone", bypass_csp=True)
    page.goto(live_url(cast.office_a, path.format(x=cast.company_x.pk)))
    found = _violations(page, axe_source)
    assert not found, f"{path}:\n" + "\n".join(found)


@pytest.mark.parametrize("where", ["login", "public-home", "public-signup"])
def test_logged_out_pages_have_no_serious_violation(new_page, live_url, cast, axe_source, where):
    url = {"login": live_url(cast.office_a, "/accounts/login/"), "public-home": live_url(None, "/"),
           "public-signup": live_url(None, "/signup/")}[where]
    page = new_page("phone", bypass_csp=True)
    page.goto(url)
    found = _violations(page, axe_source)
    assert not found, f"{url}:\n" + "\n".join(found)
