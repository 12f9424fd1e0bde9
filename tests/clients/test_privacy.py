"""RODO services: a person's export holds everything about them; erasure removes their identifiers from
every table of the office while the company's tax records stay; retention of departed companies."""

import datetime
import io
import json

import pytest
from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context
from pypdf import PdfReader

from clients import privacy, retention
from clients.messaging.models import Message, Suppression
from clients.messaging.services import queue_summary
from clients.models import (
    ApprovalLog,
    Company,
    CompanyChange,
    CompanyPerson,
    Erasure,
    Figure,
    Person,
    Revision,
    RevisionState,
    parse_period,
)
from clients.sources import set_enabled
from offices.accounts.models import AuditAction, AuditEntry, OfficeSettings, Role, User
from offices.accounts.services import create_login
from sync.agents import create_agent
from sync.events import EventData, record_events
from sync.ingest import apply_batch
from tests.clients import batches as b
from tests.conftest import NIP_X, NIP_Y, PASSWORD, PESEL_BOB, PESEL_CAROL

JAN = parse_period("2026-01")
BOB_EMAIL, BOB_PHONE = "Bob.Builder@Example.com", "+48600100200"


def _bob_with_traces(cast) -> Person:
    """Bob (client of X) with an e-mail and phone, a ZUS payer key, an outbox message, an event and a block."""
    agent, _token = create_agent("Privacy agent")
    apply_batch(b.batch(b.company(0, NIP_X, zus_entries=[b.zus(0, "2026-01", total=1500, payer_pesel=PESEL_BOB)])),
                agent)
    Person.objects.filter(pesel=PESEL_BOB).update(email=BOB_EMAIL, phone=BOB_PHONE, notify_sms=True)
    assert queue_summary(cast.company_x, JAN)
    record_events([EventData(at=timezone.now(), level="error", code="payer_unknown",
                             message=f"Payer {PESEL_BOB} (Bob Builder) has no company", details={
                                 "pesel": PESEL_BOB, "contact": BOB_EMAIL.lower()})], agent=agent)
    Suppression.objects.create(channel="sms", address=BOB_PHONE, reason="STOP")
    return Person.objects.select_related("user").get(pesel=PESEL_BOB)


def _every_text_value() -> str:
    """Every text and JSON value of every table of the current office's schema, as one string."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.table_name, c.column_name FROM information_schema.columns c JOIN information_schema.tables t "
            "USING (table_schema, table_name) WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' "
            "AND c.data_type IN ('text', 'character varying', 'json', 'jsonb')")
        columns = cursor.fetchall()
        parts = []
        for table, column in columns:
            cursor.execute(f'SELECT string_agg("{column}"::text, \' | \') FROM "{table}"')  # noqa: S608
            parts.append(cursor.fetchone()[0] or "")
    return "\n".join(parts)


def _tax_records() -> tuple:
    return (Revision.objects.count(), Revision.objects.filter(state=RevisionState.APPROVED).count(),
            ApprovalLog.objects.count(), Figure.objects.count(),
            sorted(Revision.objects.values_list("amount", flat=True)))


# --- Export ---------------------------------------------------------------------------------------------------------


def test_the_export_holds_the_persons_data_consents_memberships_login_and_messages(cast):
    with schema_context(cast.office_a.schema_name):
        bob = _bob_with_traces(cast)
        data = json.loads(privacy.person_export_json(bob))
    assert data["person"] | {"created": None} == {
        "first_name": "Bob", "last_name": "Builder", "pesel": PESEL_BOB, "nip": "", "email": BOB_EMAIL,
        "phone": BOB_PHONE, "created": None}
    assert data["consents"]["sms"] is True and data["consents"]["email"] is True
    assert [row["address"] for row in data["consents"]["suppressed_addresses"]] == [BOB_PHONE]
    assert data["memberships"] == [{"company": "Firma X Sp. z o.o.", "nip": NIP_X, "role": "owner"}]
    assert data["login"]["email"] == "bob@example.com"
    assert data["login"]["addresses"] == [{"email": "bob@example.com", "verified": True, "primary": True}]
    channels = sorted(row["channel"] for row in data["messages"])
    assert channels == ["SMS", "e-mail"]
    assert {row["recipient"] for row in data["messages"]} == {BOB_EMAIL.lower(), BOB_PHONE}
    assert all(row["text"] for row in data["messages"])
    assert data["office"] == "Biuro Alfa"
    # Readable values, not codes: the purpose of a summary is its label.
    assert {row["purpose"] for row in data["messages"]} == {"monthly summary"}


def test_the_export_pdf_is_readable_and_carries_the_data(cast):
    with schema_context(cast.office_a.schema_name):
        bob = _bob_with_traces(cast)
        pdf = privacy.render_person_pdf(bob)
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    for value in ("Bob", "Builder", PESEL_BOB, BOB_EMAIL, BOB_PHONE, "Firma X Sp. z o.o.", "bob@example.com"):
        assert value in text, value


# --- Erasure -------------------------------------------------------------------------------------------------------


def test_erasure_removes_the_person_from_every_table_and_keeps_the_tax_records(cast):
    with schema_context(cast.office_a.schema_name):
        bob = _bob_with_traces(cast)
        before = _tax_records()
        everything = _every_text_value()
        assert PESEL_BOB in everything and BOB_PHONE in everything and "Bob Builder" in everything
        erasure, done = privacy.erase_person(bob, by=cast.alice, reason="Request by e-mail of 1 Dec 2026")
        assert done
        everything = _every_text_value()
        for value in (PESEL_BOB, BOB_EMAIL, BOB_EMAIL.lower(), BOB_PHONE, "600100200", "Bob Builder",
                      "bob@example.com"):
            assert value not in everything, value
        assert _tax_records() == before  # every figure, revision and approval stays
        assert Figure.objects.filter(payer_key=f"X{bob.pk}", kind="zus:total").exists()  # the payer, pseudonymous
        assert not User.objects.filter(pk=cast.bob.pk).exists()
        assert not EmailAddress.objects.filter(user_id=cast.bob.pk).exists()
        assert not CompanyPerson.objects.filter(person=bob).exists()
        assert Company.objects.get(pk=cast.company_x.pk).name == "Firma X Sp. z o.o."
        # The outbox keeps that messages went out (for the office's records), without their text or address.
        messages = Message.objects.filter(person=bob)
        assert messages.count() == 2 and set(messages.values_list("recipient", "body")) == {("", "")}
        # Carol is untouched.
        assert Person.objects.get(pesel=PESEL_CAROL).first_name == "Carol"
        assert erasure.reason == "Request by e-mail of 1 Dec 2026" and erasure.company_ids == [cast.company_x.pk]
        audit = AuditEntry.objects.get(action=AuditAction.PERSONAL_DATA_ERASED)
        assert audit.actor == cast.alice and audit.target == str(bob.pk)


def test_erasure_is_idempotent(cast):
    with schema_context(cast.office_a.schema_name):
        bob = _bob_with_traces(cast)
        first, done = privacy.erase_person(bob, by=cast.alice, reason="request")
        again, done_again = privacy.erase_person(bob, by=cast.alice, reason="another reason")
        assert done and not done_again and again.pk == first.pk
        assert Erasure.objects.count() == 1
        assert AuditEntry.objects.filter(action=AuditAction.PERSONAL_DATA_ERASED).count() == 1
        assert Erasure.objects.get().reason == "request"


def test_a_bookkeeper_cannot_erase_and_nothing_changes(cast):
    with schema_context(cast.office_a.schema_name):
        bea = create_login("bea@alpha.test", role=Role.BOOKKEEPER, password=PASSWORD, verified=True)
        bob = Person.objects.get(pesel=PESEL_BOB)
        with pytest.raises(ValidationError) as refused:
            privacy.erase_person(bob, by=bea, reason="request")
        assert refused.value.code == "not_allowed"
        bob.refresh_from_db()
        assert bob.first_name == "Bob" and bob.user_id == cast.bob.pk
        assert not Erasure.objects.exists()


def test_an_erasure_needs_a_reason(cast):
    with schema_context(cast.office_a.schema_name):
        bob = Person.objects.get(pesel=PESEL_BOB)
        with pytest.raises(ValidationError) as refused:
            privacy.erase_person(bob, by=cast.alice, reason="   ")
        assert refused.value.code == "reason_required"
        assert Person.objects.get(pk=bob.pk).pesel == PESEL_BOB


def test_access_is_recorded_with_one_insert(cast):
    with schema_context(cast.office_a.schema_name):
        with CaptureQueriesContext(connection) as queries:
            privacy.record_company_view(cast.alice, cast.company_x)
        statements = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith("SET search_path")]
        assert len(statements) == 1 and statements[0].startswith("INSERT")
        row = privacy.access_log(cast.company_x)[0]
        assert row.user == cast.alice and row.user_email == "alice@alpha.test" and row.get_what_display()


# --- Retention -----------------------------------------------------------------------------------------------------


def _switch_off(company, by, when):
    set_enabled(company, False, by=by)
    CompanyChange.objects.filter(company=company, action=CompanyChange.Action.DISABLED).update(at=when)


def _at(year, month, day):
    return timezone.make_aware(datetime.datetime(year, month, day, 12))


def test_tax_records_are_kept_five_years_after_the_year_of_the_last_payment(cast):
    with schema_context(cast.office_a.schema_name):
        # Y's newest values are for January 2026, due in February 2026: kept through 2031.
        assert retention.tax_records_kept_until(cast.company_y) == datetime.date(2032, 1, 1)


def test_retention_erases_the_people_of_a_departed_company_and_keeps_its_figures_until_the_law_allows(cast):
    with schema_context(cast.office_a.schema_name):
        agent, _token = create_agent("Retention agent")
        # Bob is also a partner of Y, but still a client of X (served): he keeps his data.
        apply_batch(b.batch(b.company(1, NIP_Y, people=[b.person(0, "Bob", "Builder", pesel=PESEL_BOB,
                                                                 role="partner")])), agent)
        assert CompanyPerson.objects.filter(company=cast.company_y).count() == 2
        _switch_off(cast.company_y, cast.alice, _at(2027, 1, 10))
        revisions_of_y = Revision.objects.filter(figure__company=cast.company_y).count()

        assert retention.erase_departed_companies(now=_at(2030, 1, 1)).companies == 0  # no retention set
        OfficeSettings.objects.filter(singleton=1).update(retention_months=12)
        assert retention.erase_departed_companies(now=_at(2027, 12, 1)).companies == 0  # not yet 12 months
        assert [c.pk for c in retention.retention_preview(12, now=_at(2028, 2, 1))] == [cast.company_y.pk]

        result = retention.erase_departed_companies(now=_at(2028, 2, 1))
        assert (result.companies, result.people, result.deleted) == (1, 1, 0)
        assert not Person.objects.filter(pesel=PESEL_CAROL).exists()
        assert not User.objects.filter(pk=cast.carol.pk).exists()
        assert Person.objects.get(pesel=PESEL_BOB).companies.get() == cast.company_x
        assert Revision.objects.filter(figure__company=cast.company_y).count() == revisions_of_y
        assert "Carol" not in _every_text_value()
        erasure = Erasure.objects.get(person__isnull=True)
        assert "art. 86" in erasure.reason and erasure.company_ids == [cast.company_y.pk]

        # The next daily run changes nothing; once the tax law no longer requires the figures, they go too.
        assert retention.erase_departed_companies(now=_at(2028, 2, 2)).companies == 0
        assert retention.retention_preview(12, now=_at(2028, 2, 2)) == []
        result = retention.erase_departed_companies(now=_at(2032, 1, 2))
        assert (result.companies, result.deleted) == (1, 1)
        assert not Company.objects.filter(pk=cast.company_y.pk).exists()
        assert Company.objects.filter(pk=cast.company_x.pk).exists()
        assert Erasure.objects.get(person__isnull=True).company_deleted
        assert retention.erase_departed_companies(now=_at(2032, 1, 3)).companies == 0


def test_retention_in_another_office_leaves_this_office_alone(cast):
    with schema_context(cast.office_b.schema_name):
        OfficeSettings.objects.filter(singleton=1).update(retention_months=1)
        _switch_off(cast.company_b, cast.dave, _at(2020, 1, 1))
        assert retention.erase_departed_companies(now=_at(2040, 1, 1)).deleted == 1
    with schema_context(cast.office_a.schema_name):
        assert Company.objects.filter(nip__in=[NIP_X, NIP_Y]).count() == 2
        assert Person.objects.filter(pesel=PESEL_CAROL).exists()


def test_the_scrub_replaces_whole_numbers_only_and_any_letter_case(cast):
    with schema_context(cast.office_a.schema_name):
        agent, _token = create_agent("Scrub agent")
        record_events([EventData(at=timezone.now(), level="info", code="note", message=(
            f"PESEL {PESEL_BOB}; account 12{PESEL_BOB}34; BOB@EXAMPLE.COM; 50% of_it"))], agent=agent)
        assert privacy.scrub_everywhere([PESEL_BOB, "bob@example.com", "50% of_it"]) >= 1
        text = _every_text_value()
        assert f"PESEL ***; account 12{PESEL_BOB}34; ***; ***" in text
