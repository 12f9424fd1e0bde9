"""The office's own e-mail: its SMTP server (with authentication, a real aiosmtpd on loopback), its branding,
what a summary says after a payment (dopłata / nadpłata), delivery reasons in the reader's language, and the
allauth e-mails replaced by the office's."""

import io
from decimal import Decimal
from importlib import import_module

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone, translation
from django_tenants.utils import schema_context
from PIL import Image

from clients.approval import approve_company_period
from clients.dashboard import item_for_figure
from clients.messaging import dispatch, reasons
from clients.messaging.links import unsubscribe_url
from clients.messaging.models import Channel, Message, Purpose, Status
from clients.messaging.services import queue_summary
from clients.models import Figure
from clients.self_service import mark_paid
from offices.accounts import services as account_services
from offices.accounts.encryption import decrypt
from offices.accounts.mail import office_connection, smtp_error_text
from offices.accounts.models import OfficeSettings
from offices.models import Office
from sync.ingest import apply_batch
from tests.clients import batches as b
from tests.clients.messaging.peers import SmtpSink
from tests.conftest import OfficeClient

SMTP_USER, SMTP_PASSWORD = "biuro@alfa.test", "s3kret-haslo-SMTP!"
SMTP_FIELDS = ("smtp_host", "smtp_port", "smtp_security", "smtp_username", "smtp_password_encrypted",
               "smtp_from_email", "brand_color", "contact_phone", "reply_to_email", "logo")


@pytest.fixture(scope="module")
def office_smtp():
    """The office's own server: AUTH required (PLAIN/LOGIN), on loopback."""
    sink = SmtpSink(auth=(SMTP_USER, SMTP_PASSWORD)).start()
    yield sink
    sink.stop()


@pytest.fixture
def own_server(peers, office_smtp, office_a_committed, committed_cast):
    """Office A set to send through ``office_smtp`` (through the settings service, as the panel does)."""
    office_smtp.reset()
    office_smtp.authenticator.logins.clear()
    office_smtp.authenticator.failures = 0
    with schema_context(office_a_committed.schema_name):
        row = OfficeSettings.load()
        saved = {name: getattr(row, name) for name in SMTP_FIELDS}
    # The settings service copies the logo's name onto the office row (the header reads it from there).
    saved_logo_file = Office.objects.get(pk=office_a_committed.pk).logo_file

    def configure(password=SMTP_PASSWORD, **extra):
        with schema_context(office_a_committed.schema_name):
            values = {"smtp_host": "127.0.0.1", "smtp_port": office_smtp.port, "smtp_security": "none",
                      "smtp_username": SMTP_USER, "smtp_from_email": "biuro@alfa.test", **extra}
            if password is not None:
                values["smtp_password"] = password
            account_services.update_office_settings(office_a_committed, values, by=committed_cast.alice)

    configure()
    yield configure
    with schema_context(office_a_committed.schema_name):
        OfficeSettings.objects.filter(singleton=1).update(**saved)
    Office.objects.filter(pk=office_a_committed.pk).update(logo_file=saved_logo_file)
    office_a_committed.logo_file = saved_logo_file
    connection.set_schema_to_public()


def send_all(schema: str) -> list[str]:
    with schema_context(schema):
        return [dispatch.send(pk) for pk in Message.objects.filter(status=Status.QUEUED).order_by("pk")
                .values_list("pk", flat=True)]


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), (31, 95, 191)).save(buffer, format="PNG")
    return buffer.getvalue()


# --- per-office SMTP --------------------------------------------------------------------------------


def test_the_password_is_stored_encrypted_and_never_in_the_audit_trail(own_server, office_a_committed):
    with schema_context(office_a_committed.schema_name):
        row = OfficeSettings.load()
        assert row.smtp_password_encrypted and SMTP_PASSWORD not in row.smtp_password_encrypted
        assert decrypt(row.smtp_password_encrypted) == SMTP_PASSWORD
        with connection.cursor() as cursor:  # nothing in the database holds it in clear
            cursor.execute("SELECT details::text FROM accounts_auditentry")
            assert all(SMTP_PASSWORD not in text for (text,) in cursor.fetchall())
            cursor.execute("SELECT smtp_password_encrypted FROM accounts_officesettings")
            assert SMTP_PASSWORD not in cursor.fetchone()[0]


def test_summaries_leave_through_the_offices_own_server_with_its_login(own_server, make_company, office_smtp,
                                                                      peers):
    f = make_company(sms=False)
    person = f.people[0]
    with schema_context(f.office.schema_name):
        queue_summary(f.company, f.period)
    assert send_all(f.office.schema_name) == ["sent"]
    [mail] = office_smtp.to(person.email)
    assert "biuro@alfa.test" in str(mail["From"])  # the office's own address through its own server
    assert office_smtp.authenticator.logins == [SMTP_USER]
    assert peers[1].messages == []  # nothing through the platform's server


def test_the_platforms_server_is_used_when_the_office_has_none(peers, make_company, office_smtp):
    _twilio, platform_smtp = peers
    office_smtp.reset()
    f = make_company(sms=False)
    with schema_context(f.office.schema_name):
        assert not OfficeSettings.load().uses_own_smtp
        queue_summary(f.company, f.period)
    assert send_all(f.office.schema_name) == ["sent"]
    assert len(platform_smtp.to(f.people[0].email)) == 1 and office_smtp.messages == []


def test_a_wrong_password_is_retried_with_a_polish_reason(own_server, make_company, office_smtp):
    own_server(password="wrong-password")
    f = make_company(sms=False)
    with schema_context(f.office.schema_name):
        queue_summary(f.company, f.period)
    assert send_all(f.office.schema_name) == ["retry"]
    with schema_context(f.office.schema_name):
        message = Message.objects.get(company=f.company)
        assert message.status == Status.QUEUED and message.reason_code == "attempt_failed"
        assert message.reason_params["error"] == "smtp_auth"
        with translation.override("pl"):
            assert "Próba 1 nie powiodła się" in message.reason_text
            assert "odrzucił nazwę użytkownika lub hasło" in message.reason_text
    assert office_smtp.messages == [] and office_smtp.authenticator.failures >= 1


def test_an_office_server_on_a_private_address_is_refused_in_production(own_server, office_a_committed, settings):
    settings.OFFICE_SMTP_ALLOW_PRIVATE_HOSTS = False
    with schema_context(office_a_committed.schema_name), pytest.raises(Exception) as raised:
        office_connection()
    assert raised.value.code == "smtp_private_host"
    with translation.override("pl"):
        assert "sieci prywatnej" in smtp_error_text(raised.value.code, raised.value.params)


def test_a_bad_host_and_a_missing_sender_are_refused(office_a_committed, committed_cast):
    with schema_context(office_a_committed.schema_name):
        with pytest.raises(ValidationError) as raised:
            account_services.update_office_settings(office_a_committed, {"smtp_host": "smtp://mail.example.com"},
                                                    by=committed_cast.alice)
        assert "smtp_host" in raised.value.error_dict
        with pytest.raises(ValidationError) as raised:
            account_services.update_office_settings(office_a_committed, {"smtp_host": "mail.example.com"},
                                                    by=committed_cast.alice)
        assert "smtp_from_email" in raised.value.error_dict
        assert not OfficeSettings.load().smtp_host  # nothing written
        with pytest.raises(ValidationError) as raised:  # smtplib logs in with ASCII only
            account_services.update_office_settings(
                office_a_committed, {"smtp_host": "mail.example.com", "smtp_from_email": "a@example.com",
                                     "smtp_username": "a", "smtp_password": "zażółć"}, by=committed_cast.alice)
        assert [e.code for e in raised.value.error_dict["smtp_password"]] == ["smtp_password_ascii"]


def test_the_test_button_sends_through_the_server_and_explains_failures_in_polish(
        own_server, office_smtp, committed_cast):
    client = OfficeClient(committed_cast.office_a).login_as(committed_cast.alice)
    response = client.post("/panel/settings/test-email/", {"to": "ktos@example.com"}, follow=True)
    page = response.content.decode()
    assert "ktos@example.com" in page and "Wysłano" in page
    [mail] = office_smtp.to("ktos@example.com")
    assert "127.0.0.1" in mail.get_body(("plain",)).get_content()
    own_server(password="wrong-password")
    response = client.post("/panel/settings/test-email/", {"to": "ktos@example.com"}, follow=True)
    page = response.content.decode()
    assert "Nie udało się wysłać" in page and "odrzucił nazwę użytkownika lub hasło" in page
    assert "SMTPAuthenticationError" not in page and "535" in page


def test_the_settings_page_never_shows_the_password_and_keeps_it_when_left_empty(
        own_server, committed_cast, office_a_committed):
    client = OfficeClient(committed_cast.office_a).login_as(committed_cast.alice)
    page = client.get("/panel/settings/").content.decode()
    assert 'name="smtp_password"' in page and SMTP_PASSWORD not in page
    with schema_context(office_a_committed.schema_name):
        assert OfficeSettings.load().smtp_password_encrypted not in page
    form = {"office_name": office_a_committed.name, "match_payers": "on", "auto_create_companies": "on",
            "sync_interval_minutes": "60", "reminder_days": "", "quiet_hours_start": "21:00",
            "quiet_hours_end": "21:00", "undo_window_minutes": "0", "sms_sender": "BiuroAlfa",
            "smtp_host": "127.0.0.1", "smtp_port": "2525", "smtp_security": "none", "smtp_username": SMTP_USER,
            "smtp_from_email": "biuro@alfa.test", "smtp_password": ""}
    assert client.post("/panel/settings/", form).status_code == 302
    with schema_context(office_a_committed.schema_name):
        row = OfficeSettings.load()
        assert row.smtp_port == 2525 and decrypt(row.smtp_password_encrypted) == SMTP_PASSWORD
    assert client.post("/panel/settings/", {**form, "smtp_host": ""}).status_code == 302
    with schema_context(office_a_committed.schema_name):
        assert OfficeSettings.load().smtp_password_encrypted == ""  # no own server: no password kept


# --- branded HTML, content --------------------------------------------------------------------------


def test_the_summary_is_branded_with_the_logo_inline_and_the_text_part_kept(
        peers, make_company, office_a_committed, committed_cast, settings, tmp_path):
    _twilio, smtp = peers
    settings.MEDIA_ROOT = str(tmp_path)
    settings.MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"
    with schema_context(office_a_committed.schema_name):
        saved = {name: getattr(OfficeSettings.load(), name) for name in SMTP_FIELDS}
        account_services.update_office_settings(
            office_a_committed, {"brand_color": "#7a1f3d", "contact_phone": "+48 22 123 45 67",
                                 "reply_to_email": "kontakt@alfa.test"},
            by=committed_cast.alice, logo=SimpleUploadedFile("logo.png", _png(), content_type="image/png"))
    try:
        f = make_company(sms=False)
        with schema_context(f.office.schema_name):
            apply_batch(b.batch(b.company(0, f.company.nip, statements=[b.statement(0, "2026-01", "10000", "4000")]),
                                approve=True), None)
            queue_summary(f.company, f.period)
        assert send_all(f.office.schema_name) == ["sent"]
    finally:
        with schema_context(office_a_committed.schema_name):
            OfficeSettings.objects.filter(singleton=1).update(**saved)
    [mail] = smtp.to(f.people[0].email)
    html = mail.get_body(("html",)).get_content()
    text = mail.get_body(("plain",)).get_content()
    assert "#7a1f3d" in html and 'src="cid:office-logo"' in html
    assert "+48 22 123 45 67" in html and "kontakt@alfa.test" in html and "+48 22 123 45 67" in text
    related = next(part for part in mail.walk() if part.get_content_type() == "multipart/related")
    [image] = [part for part in related.iter_parts() if part.get_content_type() == "image/png"]
    assert image["Content-ID"] == "<office-logo>" and image.get_content() == _png()
    # "Sp. z o.o." ends the sentence once; statement lines in the accounting order
    assert "Sp. z o.o.." not in text and "Sp. z o.o.." not in html and "Sp. z o.o." in text
    statement = text.split("Zestawienie:")[1] if "Zestawienie:" in text else text.split("Statement:")[1]
    positions = [statement.index(amount) for amount in ("10 000,00 zł", "4 000,00 zł", "6 000,00 zł")]
    assert positions == sorted(positions), statement


def test_paid_then_lowered_is_an_overpayment_and_paid_then_raised_an_additional_payment(
        peers, make_company, committed_cast):
    for new_amount, word, difference in (("1205.69", "nadpłata", "44,31 zł"), ("1300", "dopłata", "50,00 zł")):
        f = make_company(vat="1250", sms=True)
        with schema_context(f.office.schema_name):
            queue_summary(f.company, f.period)
        send_all(f.office.schema_name)
        with schema_context(f.office.schema_name):
            vat = Figure.objects.get(company=f.company, kind="tax:VAT-7")
            mark_paid(item_for_figure(vat, timezone.localdate()), by=None)
            apply_batch(b.batch(b.company(0, f.company.nip, taxes=[b.tax(0, "2026-01", "VAT-7", new_amount)])),
                        None)
            approve_company_period(f.company, f.period, by_user=committed_cast.alice)
            email = Message.objects.get(company=f.company, purpose=Purpose.CORRECTION, channel=Channel.EMAIL)
            sms = Message.objects.get(company=f.company, purpose=Purpose.CORRECTION, channel=Channel.SMS)
            assert f"zapłacono 1 250,00 zł: {word} {difference}" in email.body, email.body
            assert f"{word} {difference}" in email.html
            assert word.replace("ł", "l") in sms.body and difference.replace("ł", "l") in sms.body
            if word == "nadpłata":
                assert "nie płać ponownie" in email.body
            # a later summary of the month (another channel's first) says the same
            assert Decimal(new_amount) != Decimal("1250")


# --- reasons ----------------------------------------------------------------------------------------


def test_reasons_are_codes_rendered_in_the_readers_language():
    reason = reasons.Reason("attempt_failed", {"attempt": 2, "error": "twilio_error",
                                               "error_params": {"status": 400, "code": "21211"}})
    with translation.override("pl"):
        polish = reasons.render(reason.code, reason.params)
    with translation.override("en"):
        english = reasons.render(reason.code, reason.params)
    assert "Próba 2" in polish and "nie jest prawidłowym numerem" in polish
    assert english.startswith("Attempt 2 failed:") and "not a valid phone number" in english
    assert reason.as_fields()["reason"] == english


def test_the_data_migration_turns_the_old_sentences_into_codes():
    migration = import_module("clients.messaging.migrations.0003_message_reason_code")
    assert migration.code_of("The worker was lost while sending; asking the provider.") == ("lost_sms", {})
    assert migration.code_of("Sent again (2×): an earlier copy may have arrived too; the same Message-ID lets "
                             "mail systems recognise it.") == ("resent_email_sent", {"count": 2})
    assert migration.code_of("Attempt 3 failed: Twilio 503 error 20500: Internal Server Error") == (
        "attempt_failed", {"attempt": 3, "error": "twilio_error", "error_params": {"status": 503, "code": "20500"}})
    assert migration.code_of("something else entirely") is None


# --- the unsubscribe page, allauth's e-mails ------------------------------------------------------


def test_the_unsubscribe_page_names_the_address_not_the_person_in_the_nominative(peers, make_company):
    f = make_company(sms=False)
    with schema_context(f.office.schema_name):
        url = unsubscribe_url(f.people[0])
    page = OfficeClient(f.office).get(url.split(":8000", 1)[1]).content.decode()
    assert f"na adres {f.people[0].email}" in page and " do Anna0" not in page
