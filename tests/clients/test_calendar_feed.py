"""The private calendar feed: what is still to pay, as all-day events, at a secret URL the client can rotate."""

import re
from datetime import date
from decimal import Decimal

import icalendar
from django_tenants.utils import schema_context

from clients.models import Company, CompanyPerson, Figure, Person, PersonRole
from clients.settlements import SettlementEntry, record_settlements_of
from offices.accounts.models import User
from tests.conftest import OfficeClient

JAN = date(2026, 1, 1)
NBSP = "\u00a0"


def _turn_on(office_client, cast, user=None) -> str:
    """The feed URL's path as the preferences page shows it, after the client asks for one."""
    client = office_client(cast.office_a, user or cast.bob)
    assert client.post("/client/preferences/calendar/").status_code == 302
    html = client.get("/client/preferences/").content.decode()
    match = re.search(r'value="https?://[^/"]+(/client/calendar/[A-Za-z0-9_-]+\.ics)"', html)
    assert match, "the preferences page shows the calendar address"
    return match.group(1)


def _events(response) -> dict[str, icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(response.content)
    return {str(event["uid"]): event for event in calendar.walk("VEVENT")}


def _summaries(response) -> list[str]:
    return sorted(str(event["summary"]) for event in _events(response).values())


def test_bob_subscribes_without_a_session_and_sees_company_x_unsettled_approved_items(office_client, cast):
    path = _turn_on(office_client, cast)
    response = OfficeClient(cast.office_a).get(path)  # a calendar app: no cookie at all
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "no-store" in response["Cache-Control"]
    calendar = icalendar.Calendar.from_ical(response.content)
    assert str(calendar["x-wr-calname"]) == "Płatności — Biuro Alfa"
    # Approved January only: VAT 1000 (not the pending 1050), PIT-5L, ZUS; never February's unapproved VAT
    # 1100, never company Y's (carol's) items.
    assert _summaries(response) == [
        f"Składki ZUS 01.2026 — 2{NBSP}000,00{NBSP}zł — Firma X Sp. z o.o.",
        f"VAT 01.2026 — 1{NBSP}000,00{NBSP}zł — Firma X Sp. z o.o.",
        f"Zaliczka na podatek liniowy (PIT-5L) 01.2026 — 250,00{NBSP}zł — Firma X Sp. z o.o.",
    ]
    text = response.content.decode()
    assert "1050" not in text and "1 050" not in text and "1100" not in text and "Firma Y" not in text
    vat = next(e for e in _events(response).values() if str(e["summary"]).startswith("VAT"))
    assert vat.decoded("dtstart") == date(2026, 2, 25)  # all-day, on the due date
    assert vat.decoded("dtend") == date(2026, 2, 26)
    description = str(vat["description"])
    assert "Tytuł przelewu: " in description and "/OKR/26M01/SFP/VAT-7" in description
    assert "Rachunek: " in description


def test_uids_are_stable_across_fetches(office_client, cast):
    path = _turn_on(office_client, cast)
    first, second = OfficeClient(cast.office_a).get(path), OfficeClient(cast.office_a).get(path)
    assert set(_events(first)) == set(_events(second)) and len(_events(first)) == 3


def test_a_settled_item_disappears_from_the_feed(office_client, cast):
    path = _turn_on(office_client, cast)
    before = _events(OfficeClient(cast.office_a).get(path))
    with schema_context(cast.office_a.schema_name):
        paid = SettlementEntry(JAN, "VAT-7", Decimal("1000.00"), date(2026, 2, 20))
        record_settlements_of([(cast.company_x, [paid])], source="program", program="optima")
    after = _events(OfficeClient(cast.office_a).get(path))
    assert len(after) == len(before) - 1
    assert not any(str(event["summary"]).startswith("VAT ") for event in after.values())


def test_rotating_the_address_makes_the_old_one_404(office_client, cast):
    old = _turn_on(office_client, cast)
    new = _turn_on(office_client, cast)
    assert new != old
    assert OfficeClient(cast.office_a).get(old).status_code == 404
    assert OfficeClient(cast.office_a).get(new).status_code == 200


def test_a_wrong_token_is_the_same_404_as_a_missing_one(office_client, cast):
    path = _turn_on(office_client, cast)
    token = path.rsplit("/", 1)[1].removesuffix(".ics")
    wrong = OfficeClient(cast.office_a).get(path.replace(token, token[:-1] + ("A" if token[-1] != "A" else "B")))
    missing = OfficeClient(cast.office_a).get("/client/calendar/.ics")
    short = OfficeClient(cast.office_a).get("/client/calendar/x.ics")
    assert wrong.status_code == short.status_code == missing.status_code == 404
    assert wrong.content == short.content


def test_another_offices_host_with_the_token_is_404(office_client, cast):
    path = _turn_on(office_client, cast)
    assert OfficeClient(cast.office_b).get(path).status_code == 404


def test_a_deactivated_login_gets_404(office_client, cast):
    path = _turn_on(office_client, cast)
    with schema_context(cast.office_a.schema_name):
        User.objects.filter(pk=cast.bob.pk).update(is_active=False)
    assert OfficeClient(cast.office_a).get(path).status_code == 404


def test_carol_sees_only_her_company(office_client, cast):
    path = _turn_on(office_client, cast, cast.carol)
    summaries = _summaries(OfficeClient(cast.office_a).get(path))
    assert len(summaries) == 2 and all(s.endswith("— Firma Y") for s in summaries)


def test_staff_cannot_create_a_feed_and_the_token_is_only_set_by_post(office_client, cast):
    assert office_client(cast.office_a, cast.alice).post("/client/preferences/calendar/").status_code == 404
    assert office_client(cast.office_a, cast.bob).get("/client/preferences/calendar/").status_code == 405
    with schema_context(cast.office_a.schema_name):
        assert Person.objects.get(user=cast.bob).calendar_token is None


def test_a_partner_of_a_company_not_shared_with_partners_gets_none_of_its_items(office_client, cast):
    with schema_context(cast.office_a.schema_name):
        carol = Person.objects.get(user=cast.carol)
        CompanyPerson.objects.create(company=cast.company_x, person=carol, role=PersonRole.PARTNER)
        Company.objects.filter(pk=cast.company_x.pk).update(share_with_partners=False)
    path = _turn_on(office_client, cast, cast.carol)
    summaries = _summaries(OfficeClient(cast.office_a).get(path))
    assert len(summaries) == 2 and not any("Firma X" in s for s in summaries)
    with schema_context(cast.office_a.schema_name):
        Company.objects.filter(pk=cast.company_x.pk).update(share_with_partners=True)
    assert len(_summaries(OfficeClient(cast.office_a).get(path))) == 5


def test_an_item_the_client_marked_paid_leaves_the_feed(office_client, cast):
    path = _turn_on(office_client, cast)
    with schema_context(cast.office_a.schema_name):
        pit = Figure.objects.get(company=cast.company_x, kind="tax:PIT-5L", period=JAN, payer_key="")
    office_client(cast.office_a, cast.bob).post(f"/client/company/{cast.company_x.pk}/item/{pit.pk}/paid/",
                                                {"action": "paid"})
    summaries = _summaries(OfficeClient(cast.office_a).get(path))
    assert len(summaries) == 2 and not any("PIT-5L" in s for s in summaries)
