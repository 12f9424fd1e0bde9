"""Every page of the office panel and the client views, as each role reads it, on the demo data, in Polish and
in English: no internal code, no untranslated msgid and no English word in the Polish UI (issue 13).

Pages are discovered from the URLconfs (``portal.urls_tenants``: the panel, the client views, the messaging
pages), so a new page is covered without touching this file; its path parameters are filled from the demo
office (``PARAMS``; a new parameter name fails the test until it gets a value). A route answering 405 to GET
is a POST-only action and is skipped; a route whose answer is neither HTML, PDF, CSV nor XLSX must be listed in
``EXCLUDED`` with the reason. PDFs are read with pypdf; CSV and XLSX exports are checked on their header row.

The demo office (``offices.demo.seed_demo_office``, what ``biurko run`` seeds) is created once for this
module, committed, with a few more things the seed does not make (an administrator, a bookkeeper, a partner's
login, a refused batch, a conflict, messages, a suppressed number, suspended SMS), and deleted afterwards.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date

import openpyxl
import pytest
from django.db import connection
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django_tenants.utils import schema_context
from pypdf import PdfReader

from clients.activation import link_login
from clients.calendar_feed import rotate_calendar_token
from clients.conflicts import ConflictData, record_conflicts
from clients.messaging.links import unsubscribe_token
from clients.messaging.models import Channel, Message, Suppression
from clients.messaging.reasons import Reason
from clients.messaging.services import queue_summary, suspend_sms
from clients.models import BasicDataConflict, Company, CompanyPerson, Figure, Person, add_months
from offices.accounts.models import Role, User
from offices.accounts.services import change_role, create_login, invite_staff, update_office_settings
from offices.demo import DEMO_CLIENTS, DEMO_OWNER, DEMO_SLUG, seed_demo_office
from offices.models import Office
from offices.provisioning import delete_office
from sync.models import Agent, Batch, ErrorReport
from sync.parsing.request import parse_batch
from sync.recording import apply_and_record
from tests.conftest import OfficeClient
from tests.portal.visible_text import problems, visible_text

pytestmark = pytest.mark.django_db

URLCONF = "portal.urls_tenants"
#: the parts of the office's site that are pages people read (the agent API, allauth and i18n are not)
STAFF_NAMESPACES = {"panel"}
CLIENT_NAMESPACES = {"clients", "messaging"}
CLIENT_NAMES = {"client_statements", "client_demo_statement"}
#: allauth's pages a person reads before signing in (allauth's other routes are actions or need a key)
PUBLIC_NAMES = {"account_login", "account_reset_password", "account_signup", "home"}

#: routes not read as pages, by URL name, with the reason
EXCLUDED = {
    "panel:demo_statement": "a bank statement file (MT940) to download, not text for people",
    "clients:client_demo_statement": "a bank statement file (MT940) to download",
    "client_demo_statement": "a bank statement file (MT940) to download",
    "clients:calendar_feed": "an iCalendar feed for calendar programs (its texts: tests/clients/test_calendar*)",
    "clients:item_qr": "an SVG QR code (a bank's transfer data, no words)",
    "panel:person_export_json": "the RODO export as JSON: machine-readable by law, keys stay English",
    "messaging:twilio_status": "Twilio's status callback (POST only, signed)",
    "clients:rotate_calendar": "an action: GET redirects to the preferences page",
}

#: query strings that make a download page produce a file (name → list of query strings)
QUERIES = {
    "panel:export_download": ["period={period}&format=csv", "period={period}&format=xlsx"],
    "panel:board_export": ["period={period}&format=csv", "period={period}&format=xlsx", ""],
    "panel:export": ["", "company={company_id}"],
    "panel:companies": ["", "q=zajac"],
    "panel:board": ["", "period={period}"],
}

BAD_NIP = "5250001012"  # a NIP whose check digit does not match
AGENT_ERROR = "NullReferenceException in Export"  # an agent's own words (data, shown as sent)


@dataclass(frozen=True)
class Demo:
    office: Office
    users: dict[str, User]
    params: dict[str, dict[str, str]]  # role → parameter name → value
    names: frozenset[str]  # people's and companies' names (data, not UI words)


def _params(role: str, company: Company, person: Person, period: date, extra: dict) -> dict[str, str]:
    figure = (Figure.objects.filter(company=company, period=period, kind__startswith="tax:").order_by("pk")
              .first())
    return {"company_id": str(company.pk), "period": f"{period:%Y-%m}", "figure_id": str(figure.pk),
            "person_id": str(person.pk), **extra}


def _seed() -> Demo:
    assert seed_demo_office() is True, "a demo office was left behind by an earlier test"
    office = Office.objects.get(slug=DEMO_SLUG)
    with schema_context(office.schema_name):
        owner = User.objects.get(email=DEMO_OWNER)
        users = {"owner": owner,
                 "admin": create_login("admin@demo.test", role=Role.ADMIN, first_name="Adam", verified=True),
                 "bookkeeper": create_login("ksiegowy@demo.test", role=Role.BOOKKEEPER, first_name="Beata",
                                            verified=True),
                 "client": User.objects.get(email=DEMO_CLIENTS[0][0])}
        # The office's audit trail (settings, staff and agents pages): an invitation, a role change, settings.
        invited = invite_staff("nowy@demo.test", role=Role.BOOKKEEPER, by=owner, first_name="Nowy")
        change_role(invited, Role.ADMIN, by=owner)
        update_office_settings(office, {"sms_sender": "BIURODEMO", "reply_to_email": "biuro@demo.test"}, by=owner)
        companies = list(Company.objects.order_by("pk"))
        jan_company = companies[0]
        partner_link = CompanyPerson.objects.filter(role="partner").select_related("person", "company") \
            .order_by("pk").first()
        users["partner"] = create_login("adam.partner@demo.test", role=Role.CLIENT, first_name="Adam",
                                        verified=True)
        link_login(partner_link.person, users["partner"])
        today = timezone.localdate()
        newest = add_months(today.replace(day=1), -1)
        # What the seed does not make, so those pages have something to say.
        agent = Agent.objects.order_by("pk").first()
        refused = apply_and_record(parse_batch({"program": {"code": "optima", "version": "2026.1"}, "companies": [
            {"nip": BAD_NIP, "name": "Firma Zła"},
            {"nip": jan_company.nip, "taxes": [{"period": f"{newest:%Y-%m}", "type": "VAT-7", "amount": 12.5}]},
        ]}), agent, source=Batch.Source.API, body_bytes=200)
        record_conflicts([ConflictData(jan_company.pk, "phone", "+48600000001", "+48600000002", "optima"),
                          ConflictData(jan_company.pk, "email", "a@example.com", "b@example.com", "optima")])
        conflict = BasicDataConflict.objects.filter(company=jan_company).order_by("pk").first()
        report = ErrorReport.objects.create(agent=agent, message=AGENT_ERROR,
                                            stacktrace="at Foo()")
        queue_summary(jan_company, newest)
        message = Message.objects.filter(company=jan_company).order_by("pk").first()
        # a number refused before reasons had codes (only the English sentence), one with its code
        Suppression.objects.create(channel=Channel.SMS, address="+48600000009", error_code="21610",
                                   reason="Twilio 400 error 21610: Attempt to send to unsubscribed recipient")
        Suppression.objects.create(channel=Channel.SMS, address=jan_company.phone or "+48600000008",
                                   error_code="21614", **Reason("twilio_error", {"status": 400, "code": "21614"})
                                   .as_fields())
        suspend_sms(Reason("twilio_error", {"status": 401, "code": "20003"}))
        jan_person = Person.objects.get(user=users["client"])
        common = {"agent_id": str(agent.pk), "user_id": str(users["bookkeeper"].pk),
                  "public_id": refused.public_id, "report_id": str(report.pk),
                  "message_id": str(message.pk) if message else "0",
                  "conflict_id": str(conflict.pk),
                  "token": rotate_calendar_token(jan_person), "key": "none"}
        staff = _params("staff", jan_company, jan_person, newest, common)
        client = _params("client", jan_company, jan_person, newest,
                         {**common, "token": rotate_calendar_token(jan_person)})
        partner = _params("partner", partner_link.company, partner_link.person, newest,
                          {**common, "token": rotate_calendar_token(partner_link.person)})
        unsubscribe = {"client": unsubscribe_token(jan_person), "partner": unsubscribe_token(partner_link.person)}
        client["unsubscribe"], partner["unsubscribe"] = unsubscribe["client"], unsubscribe["partner"]
        names = set()
        for person in Person.objects.all():
            names |= {person.first_name, person.last_name}
        for company in companies:
            names |= {company.name, *company.name.split()}
        names |= {user.first_name for user in User.objects.all() if user.first_name} | {AGENT_ERROR}
    connection.set_schema_to_public()
    params = {"owner": staff, "admin": staff, "bookkeeper": staff, "client": client, "partner": partner,
              "anonymous": {}}
    return Demo(office=office, users=users, params=params, names=frozenset(n for n in names if n))


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        built = _seed()
        yield built
        connection.set_schema_to_public()
        delete_office(Office.objects.get(slug=DEMO_SLUG))


# --- Discovering the pages ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    name: str  # "panel:company"
    route: str  # "panel/companies/<int:company_id>/"
    params: tuple[str, ...]
    access: str  # "staff", "admin" or "client"
    callback: object


def _walk(patterns, prefix: str = "", namespace: str | None = None):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), entry.namespace or namespace)
        elif isinstance(entry, URLPattern) and entry.name:
            yield prefix + str(entry.pattern), (f"{namespace}:{entry.name}" if namespace else entry.name), entry


def routes() -> list[Route]:
    found = []
    for route, name, entry in _walk(get_resolver(URLCONF).url_patterns):
        namespace = name.split(":")[0] if ":" in name else None
        if namespace in STAFF_NAMESPACES:
            access = getattr(entry.callback, "panel_access", "staff")
        elif namespace in CLIENT_NAMESPACES or name in CLIENT_NAMES:
            access = "client"
        elif name in PUBLIC_NAMES:
            access = "public"
        else:
            continue
        found.append(Route(name, route, tuple(re.findall(r"<(?:\w+:)?(\w+)>", route)), access, entry.callback))
    return found


ROLES = {"owner": ("staff", "admin"), "admin": ("staff", "admin"), "bookkeeper": ("staff",),
         "client": ("client",), "partner": ("client",), "anonymous": ("public",)}


def _urls(route: Route, params: dict[str, str]) -> list[str]:
    missing = [name for name in route.params if name not in params]
    assert not missing, f"{route.name}: no demo value for the path parameter(s) {missing}: add them to _seed()"
    kwargs = {name: params[name] for name in route.params}
    if route.name == "messaging:unsubscribe":
        kwargs["token"] = params["unsubscribe"]
    path = reverse(route.name, urlconf=URLCONF, kwargs=kwargs)
    return [f"{path}?{query.format(**params)}" if query else path for query in QUERIES.get(route.name, [""])]


# --- Reading an answer --------------------------------------------------------------------------------


def _read(response) -> list[str] | None:
    """The text a person reads in the answer (None: a kind of answer this test does not read)."""
    kind = response.get("Content-Type", "").split(";")[0]
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if kind == "text/html":
        return visible_text(content.decode())
    if kind == "application/pdf":
        return [line for page in PdfReader(io.BytesIO(content)).pages for line in page.extract_text().splitlines()
                if line.strip()]
    if kind == "text/csv":
        text = content.decode("utf-8-sig")
        header = next(csv.reader(io.StringIO(text), delimiter=";"), [])
        return [cell for cell in header if cell]
    if kind == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
        lines = []
        for sheet in book.worksheets:
            lines.append(sheet.title)
            for row in sheet.iter_rows(max_row=3, values_only=True):
                lines += [cell for cell in row if isinstance(cell, str)]
        return lines
    return None


@pytest.mark.parametrize("language", ["pl", "en"])
@pytest.mark.parametrize("role", list(ROLES))
def test_every_page_reads_in_the_readers_language(demo, role, language):
    client = OfficeClient(demo.office, HTTP_ACCEPT_LANGUAGE=language)
    client.cookies["django_language"] = language
    if role != "anonymous":
        client.login_as(demo.users[role])
    found, read = [], 0
    try:
        for route in routes():
            if route.access not in ROLES[role] or route.name in EXCLUDED:
                continue
            for url in _urls(route, demo.params[role]):
                response = client.get(url)
                if response.status_code in (405, 302):
                    continue  # a POST-only action, or a GET that only redirects
                if response.status_code != 200:
                    found.append(f"{url}: HTTP {response.status_code}")
                    continue
                lines = _read(response)
                if lines is None:
                    found.append(f"{url}: {response.get('Content-Type')} is not read: add {route.name!r} to EXCLUDED "
                                 "with the reason")
                    continue
                read += 1
                found += [f"{url}: {problem}" for problem in problems(lines, language, names=demo.names)]
    finally:
        client.close_streams()
        connection.set_schema_to_public()
    assert read >= (2 if role == "anonymous" else 5), f"only {read} pages read as {role}"
    assert not found, f"{len(found)} problem(s) as {role} in {language}:\n" + "\n".join(sorted(set(found)))


def test_every_route_of_the_panel_and_the_client_views_is_discovered():
    names = {route.name for route in routes()}
    assert {"panel:home", "panel:company", "panel:events", "clients:dashboard", "clients:month",
            "clients:month_pdf"} <= names
    assert not set(EXCLUDED) - names - {"client_demo_statement", "clients:client_demo_statement"}
