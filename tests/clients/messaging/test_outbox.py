"""The outbox in one process: what gets queued, for whom, with which text, and how one send ends.

Sending goes through the real transports to the local peers (fake Twilio over HTTP, aiosmtpd).
"""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone, translation
from django_tenants.utils import schema_context

from clients.approval import approve_company_period
from clients.dashboard import item_for_figure
from clients.messaging import dispatch, services
from clients.messaging.composing import shift_out_of_quiet_hours
from clients.messaging.content import format_amount
from clients.messaging.models import Channel, Message, OfficeMessaging, Purpose, Status, Suppression
from clients.messaging.services import queue_summary
from clients.models import Figure, Person
from clients.self_service import mark_paid
from offices.accounts.models import OfficeSettings
from sync.ingest import apply_batch
from tests.clients import batches as b


def send_all(schema: str) -> list[str]:
    with schema_context(schema):
        return [dispatch.send(pk) for pk in Message.objects.filter(status=Status.QUEUED).order_by("pk")
                .values_list("pk", flat=True)]


def test_summary_is_one_message_per_person_and_channel_and_queuing_twice_changes_nothing(peers, make_company):
    f = make_company(people=2)
    with schema_context(f.office.schema_name):
        assert queue_summary(f.company, f.period) is True
        assert queue_summary(f.company, f.period) is False
        messages = list(Message.objects.filter(company=f.company).order_by("person_id", "channel"))
        assert [(m.person_id, m.channel, m.purpose) for m in messages] == [
            (f.people[0].pk, "email", "summary"), (f.people[0].pk, "sms", "summary"),
            (f.people[1].pk, "email", "summary"), (f.people[1].pk, "sms", "summary")]
        sms = messages[1]
        assert sms.recipient == f.people[0].phone and sms.status == Status.QUEUED
        assert sms.body.startswith(f"Biuro Alfa: Firma Zolw {f.company.name.split()[2]} Sp. z o.o., 01.2026. ")
        assert "VAT-7 1 234,50 zl" in sms.body and "PIT-5L 250,00 zl" in sms.body and "ZUS 2 000,00 zl" in sms.body
        assert "25.02.2026" in sms.body and "http://alpha.localhost:8000/" in sms.body
        assert sms.encoding == "gsm7" and sms.segments == 2 and "\u00a0" not in sms.body
        email = messages[0]
        assert email.recipient == f.people[0].email and "01.2026" in email.subject
        assert "1 234,50 zł" in email.body and "1 234,50 zł" in email.html
        # a neutral Polish greeting, never "Dzień dobry Anna0," (the bare nominative of a name)
        assert "Dzień dobry," in email.body and "Dzień dobry," in email.html and "Dzień dobry Anna" not in email.body
        assert len({m.dedup_key for m in messages}) == 4


def test_channels_follow_the_persons_choices(peers, make_company):
    f = make_company(people=3)
    with schema_context(f.office.schema_name):
        Person.objects.filter(pk=f.people[0].pk).update(notify_sms=False)
        Person.objects.filter(pk=f.people[1].pk).update(phone="", email="")
        Person.objects.filter(pk=f.people[2].pk).update(opted_out=True)
        queue_summary(f.company, f.period)
        assert list(Message.objects.filter(company=f.company).values_list("person_id", "channel")) == [
            (f.people[0].pk, "email")]


def test_sending_delivers_email_with_pdf_and_sms_through_twilio(peers, make_company):
    twilio, smtp = peers
    f = make_company(people=1)
    person = f.people[0]
    with schema_context(f.office.schema_name):
        OfficeSettings.objects.filter(singleton=1).update(email_from_name="Biuro Alfa — księgowość",
                                                          reply_to_email="biuro@alfa.test")
        queue_summary(f.company, f.period)
    assert sorted(send_all(f.office.schema_name)) == ["sent", "sent"]
    [mail] = smtp.to(person.email)
    assert "Biuro Alfa — księgowość" in str(mail["From"]) and str(mail["Reply-To"]) == "biuro@alfa.test"
    assert str(mail["List-Unsubscribe"]).strip().startswith("<http://alpha.localhost:8000/messaging/unsubscribe/")
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail["Message-ID"].startswith("<biurko.office_alpha.")
    text = mail.get_body(("plain",)).get_content()
    assert "1 234,50 zł" in text and "2 000,00 zł" in text
    assert "1 234,50 zł" in mail.get_body(("html",)).get_content()
    pdfs = [part for part in mail.iter_attachments() if part.get_content_type() == "application/pdf"]
    assert len(pdfs) == 1 and pdfs[0].get_content().startswith(b"%PDF")
    [sms] = twilio.messages
    assert sms["to"] == person.phone and sms["from"] == "BiuroAlfa" and "VAT-7 1 234,50 zl" in sms["body"]
    assert sms["status_callback"].startswith("http://alpha.localhost:8000/messaging/twilio/status/?m=")
    with schema_context(f.office.schema_name):
        message = Message.objects.get(company=f.company, channel=Channel.SMS)
        assert message.status == Status.SENT and message.provider_id == sms["sid"] and message.attempts == 1
        # a repeated task finds nothing to do
        assert dispatch.send(message.pk) == "not_claimed"
    assert len(twilio.messages) == 1 and len(smtp.messages) == 1


def test_messaging_service_sid_replaces_the_sender(peers, make_company):
    twilio, _smtp = peers
    f = make_company(email=False)
    with schema_context(f.office.schema_name):
        OfficeMessaging.objects.update_or_create(singleton=1, defaults={"messaging_service_sid": "MG" + "a" * 32})
        queue_summary(f.company, f.period)
    send_all(f.office.schema_name)
    assert twilio.messages[0]["messaging_service_sid"] == "MG" + "a" * 32 and twilio.messages[0]["from"] is None


def test_unicode_option_keeps_polish_letters(peers, make_company):
    f = make_company(email=False)
    with schema_context(f.office.schema_name):
        OfficeMessaging.objects.update_or_create(singleton=1, defaults={"sms_unicode": True})
        queue_summary(f.company, f.period)
        message = Message.objects.get(company=f.company)
        assert "Firma Żółw" in message.body and "1 234,50 zł" in message.body
        assert message.encoding == "ucs2" and message.segments >= 3


def test_undo_window_holds_summaries_and_cancel_summary_stops_them(peers, make_company):
    twilio, smtp = peers
    f = make_company()
    with schema_context(f.office.schema_name):
        OfficeSettings.objects.filter(singleton=1).update(undo_window_minutes=5)
        before = timezone.now()
        queue_summary(f.company, f.period)
        messages = Message.objects.filter(company=f.company)
        assert all(m.send_at >= before + datetime.timedelta(minutes=5) for m in messages)
        assert [dispatch.send(m.pk) for m in messages] == ["not_claimed", "not_claimed"]  # not due yet
        assert services.cancel_summary(f.company, f.period) == 2
        assert set(messages.values_list("status", flat=True)) == {Status.CANCELLED}
        # sending the summary again after an undo revives the same rows (no second key)
        OfficeSettings.objects.filter(singleton=1).update(undo_window_minutes=0)
        assert queue_summary(f.company, f.period) is True
        assert set(messages.values_list("status", flat=True)) == {Status.QUEUED} and messages.count() == 2
    assert twilio.messages == [] and smtp.messages == []


def test_quiet_hours_shift_sms_but_not_email(peers, make_company):
    f = make_company()
    with schema_context(f.office.schema_name):
        office_settings = OfficeSettings.load()
        office_settings.quiet_hours_start, office_settings.quiet_hours_end = datetime.time(21), datetime.time(8)
        tz = timezone.get_current_timezone()
        late = datetime.datetime(2026, 3, 2, 22, 30, tzinfo=tz)
        early = datetime.datetime(2026, 3, 3, 6, 0, tzinfo=tz)
        noon = datetime.datetime(2026, 3, 3, 12, 0, tzinfo=tz)
        morning = datetime.datetime(2026, 3, 3, 8, 0, tzinfo=tz)
        assert shift_out_of_quiet_hours(late, office_settings) == morning
        assert shift_out_of_quiet_hours(early, office_settings) == morning
        assert shift_out_of_quiet_hours(noon, office_settings) == noon
        # now: the whole day is quiet except one minute ago → SMS waits, e-mail does not
        now = timezone.localtime()
        OfficeSettings.objects.filter(singleton=1).update(
            quiet_hours_start=(now - datetime.timedelta(minutes=1)).time().replace(second=0, microsecond=0),
            quiet_hours_end=(now - datetime.timedelta(minutes=2)).time().replace(second=0, microsecond=0))
        queue_summary(f.company, f.period)
        sms = Message.objects.get(company=f.company, channel=Channel.SMS)
        email = Message.objects.get(company=f.company, channel=Channel.EMAIL)
        assert sms.send_at > timezone.now() + datetime.timedelta(hours=23)
        assert email.send_at <= timezone.now()


def test_an_approved_change_after_sending_is_a_correction_old_to_new(peers, make_company, committed_cast):
    twilio, smtp = peers
    f = make_company()
    with schema_context(f.office.schema_name):
        queue_summary(f.company, f.period)
    send_all(f.office.schema_name)
    with schema_context(f.office.schema_name):
        apply_batch(b.batch(b.company(0, f.company.nip, taxes=[b.tax(0, "2026-01", "VAT-7", "1300")])), None)
        assert not Message.objects.filter(purpose=Purpose.CORRECTION).exists()  # pending: nothing to tell
        approve_company_period(f.company, f.period, by_user=committed_cast.alice)
        corrections = Message.objects.filter(company=f.company, purpose=Purpose.CORRECTION).order_by("channel")
        assert [m.channel for m in corrections] == ["email", "sms"]
        sms = corrections[1]
        assert sms.body.startswith("KOREKTA Biuro Alfa: ")
        assert "VAT-7: 1 234,50 zl -> 1 300,00 zl" in sms.body and "PIT-5L" not in sms.body
        assert "KOREKTA" in corrections[0].subject and "1 234,50 zł → 1 300,00 zł" in corrections[0].body
        # the panel's "send summary" after the same approval adds nothing
        assert queue_summary(f.company, f.period) is False or corrections.count() == 2
        assert corrections.count() == 2
    send_all(f.office.schema_name)
    assert len(twilio.messages) == 2 and len(smtp.messages) == 2


def test_invalid_number_fails_with_the_reason_and_is_never_retried(peers, make_company):
    twilio, _smtp = peers
    f = make_company(email=False)
    twilio.invalid.add(f.people[0].phone)
    with schema_context(f.office.schema_name):
        queue_summary(f.company, f.period)
        [message] = Message.objects.filter(company=f.company)
        assert dispatch.send(message.pk) == "failed"
        message.refresh_from_db()
        assert message.status == Status.FAILED and message.error_code == "21211"
        assert "not a valid phone number" in message.reason and message.attempts == 1
        assert Suppression.objects.filter(channel="sms", address=f.people[0].phone).exists()
        assert dispatch.send(message.pk) == "not_claimed"
        # the next summary to that number is not even tried
        apply_batch(b.batch(b.company(0, f.company.nip, taxes=[b.tax(0, "2026-01", "VAT-7", "1")]), approve=True),
                    None)
        queue_summary(f.company, f.period)
        latest = Message.objects.filter(company=f.company).latest("pk")
        assert latest.status == Status.FAILED and latest.error_code == "suppressed"
    assert twilio.requests == 1


def test_rejected_credentials_suspend_sms_for_the_office_and_alert_admins(peers, make_company):
    twilio, smtp = peers
    f = make_company(people=2, email=False)
    twilio.token = "rotated-elsewhere"
    with schema_context(f.office.schema_name):
        queue_summary(f.company, f.period)
        first, second = Message.objects.filter(company=f.company).order_by("pk")
        assert dispatch.send(first.pk) == "suspended"
        assert dispatch.send(second.pk) == "suspended"
        assert twilio.requests == 1  # the second never reached the provider
        assert set(Message.objects.filter(company=f.company).values_list("status", "attempts")) == {("queued", 0)}
        state = OfficeMessaging.load()
        assert state.sms_suspended_at is not None and "20003" in state.sms_suspended_reason
        with translation.override("pl"):
            assert "wstrzymana" in services.sms_disabled_reason() and "20003" in services.sms_disabled_reason()
        alerts = Message.objects.filter(purpose=Purpose.OFFICE_ALERT)
        assert list(alerts.values_list("recipient", flat=True)) == ["alice@alpha.test"]
        assert dispatch.send(alerts[0].pk) == "sent"
        assert dispatch.dispatch_due()["published"] == 0 or not Message.objects.filter(
            company=f.company, enqueued_at__isnull=False).exists()
        # fixed: resume, and the waiting SMS go out
        twilio.token = peers[0].token = "test-auth-token-0123456789abcdef"
        services.resume_sms()
        assert [dispatch.send(m.pk) for m in (first, second)] == ["sent", "sent"]
    assert "SMS" in str(smtp.to("alice@alpha.test")[0]["Subject"])
    assert len(twilio.messages) == 2


def test_without_twilio_credentials_sms_is_disabled_with_a_clear_reason(peers, make_company, settings):
    settings.TWILIO_ACCOUNT_SID = ""
    f = make_company()
    with schema_context(f.office.schema_name):
        queue_summary(f.company, f.period)
        with translation.override("pl"):
            reason = services.sms_disabled_reason()
        assert "nie ma skonfigurowanego dostawcy SMS" in reason and "TWILIO" not in reason  # Polish, no setting names
        sms = Message.objects.get(company=f.company, channel=Channel.SMS)
        email = Message.objects.get(company=f.company, channel=Channel.EMAIL)
        assert dispatch.send(sms.pk) == "failed" and dispatch.send(email.pk) == "sent"
        sms.refresh_from_db()
        assert sms.error_code == "sms_disabled" and sms.reason_code == "sms_disabled"
        with translation.override("pl"):
            assert "nie ma skonfigurowanego dostawcy SMS" in sms.reason_text  # the delivery log: Polish, no codes


def test_delivery_log_lists_the_month(peers, make_company):
    f = make_company()
    with schema_context(f.office.schema_name):
        queue_summary(f.company, f.period)
        log = services.delivery_log(f.company, f.period)
        assert {(m.channel, m.status, m.person.pk) for m in log} == {
            ("sms", "queued", f.people[0].pk), ("email", "queued", f.people[0].pk)}


@pytest.mark.parametrize("days", [3, 1])
def test_reminders_before_the_due_date_for_unpaid_items_stop_once_paid(peers, make_company, days):
    f = make_company()
    today = datetime.date(2026, 2, 25) - datetime.timedelta(days=days)  # VAT-7 of January is due on 25.02.2026
    with schema_context(f.office.schema_name):
        queued = [m for m in services.queue_reminders(today) if m.company_id == f.company.pk]
        assert sorted(m.channel for m in queued) == ["email", "sms"]
        sms = next(m for m in queued if m.channel == "sms")
        assert "VAT-7 1 234,50 zl" in sms.body and "25.02.2026" in sms.body and "PIT-5L" not in sms.body
        assert services.queue_reminders(today) == []  # idempotent
        vat = Figure.objects.get(company=f.company, kind="tax:VAT-7")
        mark_paid(item_for_figure(vat, today), by=None)
        Message.objects.filter(pk__in=[m.pk for m in queued]).update(send_at=timezone.now())
        assert [dispatch.send(m.pk) for m in queued] == ["cancelled", "cancelled"]
        assert set(Message.objects.filter(pk__in=[m.pk for m in queued]).values_list("reason", flat=True)) == {
            "Paid before the reminder went out."}


def test_no_reminder_on_other_days_or_for_refunds(peers, make_company):
    f = make_company(vat="-50")
    with schema_context(f.office.schema_name):
        assert not [m for m in services.queue_reminders(datetime.date(2026, 2, 22)) if m.company_id == f.company.pk]
        assert not [m for m in services.queue_reminders(datetime.date(2026, 2, 20)) if m.company_id == f.company.pk]


def test_invitation_email(peers, make_company):
    _twilio, smtp = peers
    f = make_company()
    with schema_context(f.office.schema_name):
        message = services.queue_invitation(f.people[0], "http://alpha.localhost:8000/accounts/x/")
        again = services.queue_invitation(f.people[0], "http://alpha.localhost:8000/accounts/x/")
        assert again.pk == message.pk and message.purpose == Purpose.INVITATION
        assert dispatch.send(message.pk) == "sent"
    [mail] = smtp.to(f.people[0].email)
    assert "http://alpha.localhost:8000/accounts/x/" in mail.get_body(("plain",)).get_content()


def test_amount_formatting_in_sms_never_uses_django_locale():
    assert "\u00a0" not in format_amount(Decimal("1000000"))
