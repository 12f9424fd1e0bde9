"""Finding 9 of the penetration test: no Content-Security-Policy anywhere, pages with figures cacheable,
case-sensitive office hosts. (The browser tests check that the pages work under the policy.)"""

import re
from html.parser import HTMLParser

import orjson
import pytest

from tests.sync.conftest import assert_problem

STAFF_PAGES = ["/panel/", "/panel/companies/", "/panel/companies/{x}/", "/panel/companies/{x}/basic/",
               "/panel/events/", "/panel/settings/", "/panel/staff/", "/panel/agents/", "/panel/upload/",
               "/panel/messages/settings/", "/panel/approval-rules/", "/panel/health/", "/panel/export/",
               "/accounts/email/", "/accounts/password/change/", "/accounts/2fa/"]
CLIENT_PAGES = ["/client/", "/client/preferences/", "/client/company/{x}/", "/client/company/{x}/2026-01/"]
ANONYMOUS_PAGES = ["/accounts/login/", "/accounts/password/reset/"]


def _directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


class _InlineCode(HTMLParser):
    """Collects what a strict policy would block: inline scripts, event-handler and style attributes."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []
        self._in_inline_script = False

    def handle_starttag(self, tag, attrs):
        names = dict(attrs)
        if tag == "script" and "src" not in names and names.get("type") not in ("application/json",):
            self._in_inline_script = True
        for name, value in attrs:
            if name.startswith("on") or name == "style" or name.startswith("hx-on"):
                self.found.append(f"<{tag} {name}=…>")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}=javascript:…>")
        if tag == "style":
            self.found.append("<style>")

    def handle_data(self, data):
        if self._in_inline_script and data.strip():
            self.found.append(f"<script>{data.strip()[:40]}")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_inline_script = False


def _inline_code(html: str) -> list[str]:
    parser = _InlineCode()
    parser.feed(html)
    return parser.found


def _pages(cast):
    yield from ((cast.alice, page.format(x=cast.company_x.pk)) for page in STAFF_PAGES)
    yield from ((cast.bob, page.format(x=cast.company_x.pk)) for page in CLIENT_PAGES)
    yield from ((None, page) for page in ANONYMOUS_PAGES)


def test_every_page_has_a_strict_policy_and_no_inline_code(office_client, cast):
    checked = 0
    for user, page in _pages(cast):
        response = office_client(cast.office_a, user).get(page)
        assert response.status_code == 200, (page, response.status_code)
        directives = _directives(response)
        assert directives["script-src"] == ["'self'"], page
        assert directives["style-src"] == ["'self'"], page
        assert directives["object-src"] == ["'none'"] and directives["frame-ancestors"] == ["'none'"]
        assert directives["base-uri"] == ["'none'"] and directives["form-action"] == ["'self'"]
        assert _inline_code(response.content.decode()) == [], page
        checked += 1
    assert checked == len(STAFF_PAGES) + len(CLIENT_PAGES) + len(ANONYMOUS_PAGES)


@pytest.mark.parametrize("host", ["public", "unknown"])
def test_the_public_site_and_the_no_such_office_page_too(client, public_client, db, host):
    response = public_client.get("/") if host == "public" else client.get("/", HTTP_HOST="nope.localhost")
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert _inline_code(response.content.decode()) == []


def test_pages_with_figures_or_personal_data_are_never_stored(office_client, cast):
    for user, page in _pages(cast):
        if user is None:
            continue
        response = office_client(cast.office_a, user).get(page)
        assert "no-store" in response["Cache-Control"], page


def test_the_agent_apis_answers_are_never_stored(cast, agent_client):
    response = agent_client(cast.office_a).api_get("config")
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]


def test_the_logo_keeps_its_own_caching(office_client, cast):
    """Files that hold no personal data choose their own caching (the logo is public for a day)."""
    response = office_client(cast.office_a).get("/static/css/biurko.css")
    assert "no-store" not in response.get("Cache-Control", "")


@pytest.mark.parametrize("host", ["ALPHA.localhost", "Alpha.Localhost:8000"])
def test_office_hosts_are_case_insensitive(client, cast, host):
    response = client.get("/accounts/login/", HTTP_HOST=host)
    assert response.status_code == 200
    assert "Biuro Alfa" in response.content.decode()


@pytest.mark.parametrize(("host", "path", "status"), [
    ("nope.localhost", "/api/agent/v1/config", 404),
    ("evil.example.com", "/api/agent/v1/config", 404),
    ("alpha.localhost", "/api/agent/v1/no-such-endpoint", 404),
    ("alpha.localhost", "/api/agent/v1/" + "x" * 5000, 404),
])
def test_errors_under_the_agent_api_are_problem_json(client, cast, host, path, status):
    body = assert_problem(client.get(path, HTTP_HOST=host), status)
    assert re.fullmatch(r"urn:biurko:problem:[a-z_]+", body["type"])
    assert orjson.dumps(body)


def test_the_agent_api_docs_run_no_inline_script(office_client, cast):
    client = office_client(cast.office_a)
    page = client.get("/api/agent/v1/docs/")
    assert page.status_code == 200
    directives = _directives(page)
    assert directives["script-src"] == ["'self'"]
    html = page.content.decode()
    assert [found for found in _inline_code(html) if found.startswith("<script")] == []
    [script] = re.findall(r'<script src="([^"]*script[^"]*)"', html)
    start = client.get(script.replace("&amp;", "&"))
    assert start.status_code == 200 and "javascript" in start["Content-Type"]
    assert "SwaggerUIBundle" in start.content.decode()
