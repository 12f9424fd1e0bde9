"""Browser tests: the real WSGI app on a loopback port, driven by Debian's Chromium through Playwright.

Fixtures for any page test:

- ``live_portal`` (session; not pytest-django's ``live_server``, whose
  ``transactional_db`` would flush the session cast): the whole portal (django-tenants routing by Host,
  static files) served from a thread on ``127.0.0.1:<free port>`` against the
  test database. It sees committed data only: the session cast, and whatever
  a test writes through ``committed_db`` (every e2e test runs with it).
- ``live_url(office, path="/")``: ``http://alpha.localhost:<port>/path``.
  Chromium resolves every ``*.localhost`` name to loopback by itself, so no
  hosts file or DNS is needed (``office=None`` gives the public site).
- ``browser`` (session): a headless Chromium; skips the test with the
  install hint when Chromium is missing.
- ``new_page(viewport="laptop")``: a fresh context (own cookies) and page.
- ``page_as(user, viewport="laptop", office=None, **context_options)``: a page already logged in as
  ``user`` (a session made on the server side and set as the host-only cookie),
  for tests about what comes after the login form (context options as for ``new_page``).
- ``screenshot(page, name)``: saves ``var/e2e/<name>.png`` on every run and also
  ``docs/screenshots/<name>.png`` when ``UPDATE_SCREENSHOTS=1``.
"""

import os
import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
from django.core.wsgi import get_wsgi_application
from django.db import connections
from django_tenants.utils import schema_context
from playwright.sync_api import sync_playwright

from offices.models import Office
from offices.tenancy import office_host
from tests.conftest import BUILT_CAST, OfficeClient

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
VIEWPORTS = {
    "laptop": {"width": 1366, "height": 768},
    "phone": {"width": 390, "height": 844},  # iPhone 12-15 class
}
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS_DOCS = ROOT / "docs" / "screenshots"
SCREENSHOTS_RUN = ROOT / "var" / "e2e"
# Generous for a cold first request (template loading), short enough to fail fast.
TIMEOUT_MS = 10_000


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        pass


class LiveServer:
    def __init__(self):
        # StaticFilesHandler serves /static/ from the finders, as runserver does.
        self.httpd = ThreadedWSGIServer(("127.0.0.1", 0), _QuietHandler, allow_reuse_address=False)
        self.httpd.set_app(StaticFilesHandler(get_wsgi_application()))
        self.port = self.httpd.server_port
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="e2e-live-server", daemon=True)

    def start(self):
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)

    def url(self, office: Office | None = None, path: str = "/") -> str:
        host = office_host(office.slug) if office is not None else settings.BASE_DOMAIN
        return f"http://{host}:{self.port}{path}"


@pytest.fixture(scope="session")
def live_portal(django_db_setup, django_db_blocker):
    test_name = settings.DATABASES["default"]["TEST"]["NAME"]
    if connections["default"].settings_dict["NAME"] != test_name:
        pytest.fail(f"the live server would use the database {connections['default'].settings_dict['NAME']!r}, "
                    f"not the test database {test_name!r}")
    server = LiveServer()
    server.start()
    yield server
    server.stop()
    # The request threads opened their own connections; none may outlive the test database.
    with django_db_blocker.unblock():
        connections.close_all()


def pytest_collection_modifyitems(items):
    """Every e2e test carries ``django_db``, so pytest-django creates the test database even
    when only e2e tests run (it sets up only the databases the collected tests ask for;
    without one, the connection would stay on the development database)."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.django_db)


@pytest.fixture(autouse=True)
def _django_db_marker(committed_db):
    """Replaces pytest-django's fixture of this name for e2e tests: the ``django_db`` mark
    above must not wrap the test in a transaction, because the live server's threads see
    committed data only. The database is unblocked instead, as with ``committed_db``."""
    yield


@pytest.fixture
def cast():
    """The session cast without a wrapping transaction (the live server must see what tests commit)."""
    return BUILT_CAST[0]


@pytest.fixture
def live_url(live_portal):
    def make(office: Office | None, path: str = "/") -> str:
        return live_portal.url(office, path)

    return make


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium is not installed at {CHROMIUM}: install it with `apt-get install chromium` "
                    "(or point CHROMIUM_PATH at a Chromium binary) to run the browser tests.")

    # Playwright's sync API keeps an asyncio loop in this thread; the ORM calls our
    # fixtures make in between are plain synchronous code, so Django's guard is lifted
    # for the browser's lifetime only.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def new_page(browser):
    contexts = []

    def make(viewport: str | dict = "laptop", **context_options):
        size = VIEWPORTS[viewport] if isinstance(viewport, str) else viewport
        options = {"viewport": size, "locale": "pl-PL", "timezone_id": settings.TIME_ZONE, **context_options}
        if isinstance(viewport, str) and viewport == "phone":
            options.setdefault("is_mobile", True)
            options.setdefault("has_touch", True)
            options.setdefault("device_scale_factor", 2)
        context = browser.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page_as(new_page, live_portal):
    """``page_as(user, viewport="laptop", office=None)`` → a page logged in as ``user`` on their office's host.

    The office defaults to the cast's office the user belongs to (alice, bob,
    carol: office A; dave: office B). Nothing is loaded yet: call ``page.goto``.
    """
    sessions = []

    def make(user, viewport: str | dict = "laptop", office: Office | None = None, **context_options):
        office = office or _office_of(user)
        client = OfficeClient(office).login_as(user)
        session_key = client.cookies[settings.SESSION_COOKIE_NAME].value
        sessions.append((office, session_key))
        page = new_page(viewport, **context_options)
        page.context.add_cookies([{
            "name": settings.SESSION_COOKIE_NAME, "value": session_key,
            "url": live_portal.url(office, "/"), "httpOnly": True, "sameSite": "Lax",
        }])
        return page

    yield make

    for office, key in sessions:
        with schema_context(office.schema_name):
            Session.objects.filter(session_key=key).delete()


def _office_of(user) -> Office:
    cast = BUILT_CAST[0]
    for office, members in ((cast.office_a, (cast.alice, cast.bob, cast.carol)), (cast.office_b, (cast.dave,))):
        if any(member.pk == user.pk and member.email == user.email for member in members):
            return office
    raise ValueError(f"{user} is not in the cast: pass office= explicitly")


@pytest.fixture
def screenshot():
    def save(page, name: str, full_page: bool = True) -> Path:
        SCREENSHOTS_RUN.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS_RUN / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        if os.environ.get("UPDATE_SCREENSHOTS") == "1":
            SCREENSHOTS_DOCS.mkdir(parents=True, exist_ok=True)
            (SCREENSHOTS_DOCS / f"{name}.png").write_bytes(path.read_bytes())
        return path

    return save
