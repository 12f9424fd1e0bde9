"""The panel's messaging pages (offices/panel/messages.py): a company's delivery log with undo and nudge,
"send summaries for month M", the SMS options with the suspension banner, and invitations (from the sync
and the company page's button). Messages are only queued here (no commit, no worker): what leaves is
tested in tests/clients/messaging/."""

import datetime
import time

import pytest
from django.utils import timezone

from clients.dashboard import dashboard_for
from clients.messaging import services
from clients.messaging.models import Channel, Message, OfficeMessaging, Purpose, Status
from clients.messaging.reasons import Reason
from clients.messaging.services import queue_summary
from clients.models import Company, Person, parse_period
from clients.self_service import mark_paid
from clients.unpaid import payment_items, unpaid_items
from offices.accounts.models import OfficeSettings
from sync.agents import create_agent
from sync.ingest import apply_batch
from sync.ingest_people import invite_on_commit
from tests.clients import batches as b
from tests.conftest import PESEL_BOB, PESEL_CAROL
from tests.offices.panel_support import admin_user, bookkeeper, in_office  # noqa: F401

JAN = parse_period("2026-01")


def log_url(company, period="2026-01") -> str:
    return f"/panel/companies/{company.pk}/messages/" + (f"?period={period}" if period else "")


def texts(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def follow_texts(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


@pytest.fixture
def reachable(cast):
    """Bob and carol's people with an e-mail address (and carol with SMS), as a sync would give them."""
    with in_office(cast.office_a):
        Person.objects.filter(pesel=PESEL_BOB).update(email="bob@example.com")
        Person.objects.filter(pesel=PESEL_CAROL).update(email="carol@example.com", phone="+48600100200",
                                                        notify_sms=True)
        return Person.objects.get(pesel=PESEL_BOB), Person.objects.get(pesel=PESEL_CAROL)


def y_messages(cast, **filters):
    with in_office(cast.office_a):
        return list(Message.objects.filter(company=cast.company_y, **filters).order_by("pk"))


# --- Who reaches what -------------------------------------------------------------------------------


def test_roles(office_client, cast, bookkeeper, admin_user):  # noqa: F811
    company_pages = [log_url(cast.company_x), "/panel/messages/send/"]
    for url in company_pages:
        assert office_client(cast.office_a, cast.alice).get(url).status_code == 200
        assert office_client(cast.office_a, bookkeeper).get(url).status_code == 200
        assert office_client(cast.office_a, cast.bob).get(url).status_code == 404
        assert office_client(cast.office_a).get(url).status_code == 302
    for action in ("cancel/", "nudge/"):
        url = f"/panel/companies/{cast.company_x.pk}/messages/{action}"
        assert office_client(cast.office_a, cast.bob).post(url, {"period": "2026-01"}).status_code == 404
    with in_office(cast.office_a):
        bob_person = Person.objects.get(pesel=PESEL_BOB)
    invite = f"/panel/companies/{cast.company_x.pk}/people/{bob_person.pk}/invite/"
    assert office_client(cast.office_a, cast.bob).post(invite).status_code == 404
    # The options are for administrators.
    assert office_client(cast.office_a, bookkeeper).get("/panel/messages/settings/").status_code == 404
    assert office_client(cast.office_a, bookkeeper).post("/panel/messages/settings/resume-sms/").status_code == 404
    assert office_client(cast.office_a, admin_user).get("/panel/messages/settings/").status_code == 200


def test_another_office_sees_nothing(office_client, cast, reachable):
    with in_office(cast.office_a):
        queue_summary(cast.company_y, JAN)
    dave = office_client(cast.office_b, cast.dave)
    response = dave.get(log_url(cast.company_y))
    # Company Y's id is either missing in office B or one of B's own companies: never Y's log.
    assert response.status_code in (200, 404)
    assert b"carol@example.com" not in response.content and b"Firma Y" not in response.content
    # dave's login means nothing on office A's host
    assert office_client(cast.office_a).get(log_url(cast.company_y)).status_code == 302


def test_a_bookkeeper_who_sees_only_assigned_companies_gets_404_for_the_others(office_client, cast,
                                                                                bookkeeper):  # noqa: F811
    with in_office(cast.office_a):
        OfficeSettings.objects.filter(singleton=1).update(bookkeepers_see_assigned_only=True)
    assert office_client(cast.office_a, bookkeeper).get(log_url(cast.company_y)).status_code == 404


# --- Delivery log -----------------------------------------------------------------------------------


def test_log_shows_channel_status_reason_seen_and_paid(office_client, cast, reachable, bookkeeper):  # noqa: F811
    with in_office(cast.office_a):
        queue_summary(cast.company_y, JAN)
        email, sms = (Message.objects.get(company=cast.company_y, channel=channel) for channel in ("email", "sms"))
        sent_at = timezone.now() - datetime.timedelta(hours=2)
        Message.objects.filter(pk=email.pk).update(status=Status.SENT, sent_at=sent_at)
        Message.objects.filter(pk=sms.pk).update(status=Status.FAILED, error_code="21211",
                                                 reason="Invalid 'To' phone number")
        type(cast.carol).objects.filter(pk=cast.carol.pk).update(last_login=sent_at + datetime.timedelta(hours=1))
        vat = next(item for item in unpaid_items(cast.company_y, timezone.localdate(), period=JAN)
                   if item.tax_type == "VAT-7")
        mark_paid(vat, by=cast.carol)
    response = office_client(cast.office_a, bookkeeper).get(log_url(cast.company_y))
    assert response.status_code == 200
    rows = {row.message.channel: row for row in response.context["rows"]}
    assert rows["email"].seen_at is not None and rows["email"].paid == ["VAT-7 2026-01"]
    html = response.content.decode()
    assert "carol@example.com" in html and "+48600100200" in html
    assert "21211" in html and "Invalid &#x27;To&#x27; phone number" in html
    assert len(response.context["marks"]) == 1
    assert "2026-01 · VAT · " in html and "tax:" not in html  # the item's name, never its code
    # the failed SMS never left: "seen" counts from its creation, after carol's last login
    assert rows["sms"].seen_at is None
    with in_office(cast.office_a):
        type(cast.carol).objects.filter(pk=cast.carol.pk).update(last_login=sent_at - datetime.timedelta(days=1))
    response = office_client(cast.office_a, bookkeeper).get(log_url(cast.company_y))
    assert all(row.seen_at is None for row in response.context["rows"])


def test_log_of_all_months_and_a_company_without_messages(office_client, cast):
    client = office_client(cast.office_a, cast.alice)
    response = client.get(log_url(cast.company_x, "all"))
    assert response.status_code == 200 and response.context["period"] is None and response.context["rows"] == []


def test_cancel_within_the_undo_window(office_client, cast, reachable):
    with in_office(cast.office_a):
        assert queue_summary(cast.company_y, JAN)
    client = office_client(cast.office_a, cast.alice)
    page = client.get(log_url(cast.company_y))
    assert page.context["window_until"] is not None
    response = client.post(f"/panel/companies/{cast.company_y.pk}/messages/cancel/", {"period": "2026-01"},
                           follow=True)
    assert response.status_code == 200
    assert {m.status for m in y_messages(cast)} == {Status.CANCELLED}
    assert "2" in follow_texts(response)
    # a second click: nothing left to cancel, said so
    again = client.post(f"/panel/companies/{cast.company_y.pk}/messages/cancel/", {"period": "2026-01"},
                        follow=True)
    assert [m.level_tag for m in again.context["messages"]] == ["error"]


def test_cancel_after_the_window_is_refused(office_client, cast, reachable):
    with in_office(cast.office_a):
        queue_summary(cast.company_y, JAN)
        Message.objects.filter(company=cast.company_y).update(send_at=timezone.now() - datetime.timedelta(seconds=1))
    client = office_client(cast.office_a, cast.alice)
    assert client.get(log_url(cast.company_y)).context["window_until"] is None
    response = client.post(f"/panel/companies/{cast.company_y.pk}/messages/cancel/", {"period": "2026-01"},
                           follow=True)
    [message] = list(response.context["messages"])
    assert message.level_tag == "error"
    assert {m.status for m in y_messages(cast)} == {Status.QUEUED}


def test_cancel_and_nudge_need_a_month(office_client, cast):
    client = office_client(cast.office_a, cast.alice)
    for action in ("cancel", "nudge"):
        response = client.post(f"/panel/companies/{cast.company_y.pk}/messages/{action}/", {"period": "2026-13"},
                               follow=True)
        assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert y_messages(cast) == []


def test_nudge_reminds_the_unpaid_once_a_day(office_client, cast, reachable, bookkeeper):  # noqa: F811
    client = office_client(cast.office_a, bookkeeper)
    url = f"/panel/companies/{cast.company_y.pk}/messages/nudge/"
    response = client.post(url, {"period": "2026-01"}, follow=True)
    reminders = y_messages(cast, purpose=Purpose.REMINDER)
    assert sorted(m.channel for m in reminders) == [Channel.EMAIL, Channel.SMS]
    assert all(m.status == Status.QUEUED and m.period == JAN for m in reminders)
    assert "VAT-7" in reminders[0].body + reminders[1].body and "CIT" in reminders[0].body + reminders[1].body
    assert [m.level_tag for m in response.context["messages"]] == ["success"]
    # second click the same day: nothing new, and the page says so
    again = client.post(url, {"period": "2026-01"}, follow=True)
    assert len(y_messages(cast, purpose=Purpose.REMINDER)) == 2
    assert [m.level_tag for m in again.context["messages"]] == ["info"]
    assert follow_texts(again) != follow_texts(response)


def test_nudge_with_everything_paid_queues_nothing(office_client, cast, reachable):
    with in_office(cast.office_a):
        for item in unpaid_items(cast.company_y, timezone.localdate(), period=JAN):
            mark_paid(item, by=cast.carol)
    response = office_client(cast.office_a, cast.alice).post(
        f"/panel/companies/{cast.company_y.pk}/messages/nudge/", {"period": "2026-01"}, follow=True)
    assert y_messages(cast) == []
    assert [m.level_tag for m in response.context["messages"]] == ["info"]


# --- Send summaries for a month ---------------------------------------------------------------------


def test_bulk_send_preview_confirm_and_twice(office_client, cast, reachable, bookkeeper):  # noqa: F811
    client = office_client(cast.office_a, bookkeeper)
    preview = client.get("/panel/messages/send/", {"period": "2026-01"})
    counts = preview.context["counts"]
    assert (counts.companies, counts.people, counts.email, counts.sms) == (2, 2, 2, 1)
    with in_office(cast.office_a):
        assert not Message.objects.exists()  # a preview queues nothing
    response = client.post("/panel/messages/send/", {"period": "2026-01"}, follow=True)
    with in_office(cast.office_a):
        queued = list(Message.objects.filter(period=JAN, status=Status.QUEUED))
    assert len(queued) == 3 and {m.company_id for m in queued} == {cast.company_x.pk, cast.company_y.pk}
    assert all(m.send_at > timezone.now() for m in queued)  # the undo window
    assert [m.level_tag for m in response.context["messages"]] == ["success"]
    assert "3" in follow_texts(response) and "5" in follow_texts(response)  # messages, minutes
    # the same again: nothing new, and the preview knows
    again = client.post("/panel/messages/send/", {"period": "2026-01"}, follow=True)
    assert [m.level_tag for m in again.context["messages"]] == ["info"]
    with in_office(cast.office_a):
        assert Message.objects.count() == 3
    assert client.get("/panel/messages/send/", {"period": "2026-01"}).context["counts"].messages == 0


def test_bulk_send_after_an_undo_sends_again(office_client, cast, reachable):
    client = office_client(cast.office_a, cast.alice)
    client.post("/panel/messages/send/", {"period": "2026-01"})
    client.post(f"/panel/companies/{cast.company_y.pk}/messages/cancel/", {"period": "2026-01"})
    assert client.get("/panel/messages/send/", {"period": "2026-01"}).context["counts"].messages == 2
    client.post("/panel/messages/send/", {"period": "2026-01"})
    assert {m.status for m in y_messages(cast)} == {Status.QUEUED}


def test_bulk_send_refuses_a_bad_month(office_client, cast):
    client = office_client(cast.office_a, cast.alice)
    assert client.get("/panel/messages/send/", {"period": "January"}).status_code == 400
    assert client.post("/panel/messages/send/", {"period": ""}).status_code == 400
    with in_office(cast.office_a):
        assert not Message.objects.exists()


def test_bulk_send_of_a_month_without_figures(office_client, cast, reachable):
    preview = office_client(cast.office_a, cast.alice).get("/panel/messages/send/", {"period": "2025-06"})
    assert preview.status_code == 200 and preview.context["counts"].messages == 0


# --- Messaging options ------------------------------------------------------------------------------


def test_options_are_saved_and_validated(office_client, cast):
    client = office_client(cast.office_a, cast.alice)
    sid = "MG" + "a" * 32
    response = client.post("/panel/messages/settings/", {"sms_unicode": "on", "messaging_service_sid": sid})
    assert response.status_code == 302
    with in_office(cast.office_a):
        row = OfficeMessaging.load()
        assert row.sms_unicode and row.messaging_service_sid == sid
    bad = client.post("/panel/messages/settings/", {"messaging_service_sid": "AC123"})
    assert bad.status_code == 400 and "messaging_service_sid" in bad.context["form"].errors
    with in_office(cast.office_a):
        assert OfficeMessaging.load().messaging_service_sid == sid


def test_suspended_sms_banner_and_resume(office_client, cast):
    with in_office(cast.office_a):
        assert services.suspend_sms(Reason("twilio_error", {"status": 401, "code": "20003"}))
        assert "20003" in OfficeMessaging.load().sms_suspended_reason  # English, for the operator's logs
    client = office_client(cast.office_a, cast.alice)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "pl"
    page = client.get("/panel/messages/settings/")
    # in the reader's language, never the provider's English
    assert b'id="sms-suspended"' in page.content and "odrzucił dane dostępowe portalu" in page.content.decode()
    assert b"rejected the portal" not in page.content
    response = client.post("/panel/messages/settings/resume-sms/", follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["success"]
    with in_office(cast.office_a):
        assert OfficeMessaging.load().sms_suspended_at is None
    assert b'id="sms-suspended"' not in client.get("/panel/messages/settings/").content
    again = client.post("/panel/messages/settings/resume-sms/", follow=True)
    assert [m.level_tag for m in again.context["messages"]] == ["info"]


# --- Invitations ------------------------------------------------------------------------------------


NEW_NIP = b.make_nip(9101)


def sync_new_person(email="nowak@example.com", pesel=None):
    agent, _token = create_agent("Invite agent")
    data = b.company(0, NEW_NIP, "Firma Nowak", people=[
        b.person(0, "Jan", "Nowak", pesel=pesel or b.make_pesel(9101), email=email)],
        taxes=[b.tax(0, "2026-01", "VAT-7", 10)])
    return agent, data


def run(callbacks):
    for callback in list(callbacks):
        callback()


def test_sync_invites_new_people_once_when_the_office_says_so(cast, django_capture_on_commit_callbacks):
    with in_office(cast.office_a):
        OfficeSettings.objects.filter(singleton=1).update(send_activation=True)
        agent, data = sync_new_person()
        with django_capture_on_commit_callbacks() as callbacks:
            apply_batch(b.batch(data), agent)
        run(callbacks)
        person = Person.objects.get(pesel=b.make_pesel(9101))
        [invitation] = Message.objects.filter(person=person, purpose=Purpose.INVITATION)
        assert invitation.recipient == "nowak@example.com" and invitation.status == Status.QUEUED
        assert person.user_id is not None and not person.user.has_usable_password()
        # the same batch again (an agent's retry): nobody new, nobody invited again
        with django_capture_on_commit_callbacks() as callbacks:
            apply_batch(b.batch(data), agent)
        run(callbacks)
        # and a hook run twice for the same person (a concurrent sync) invites once
        with django_capture_on_commit_callbacks() as callbacks:
            invite_on_commit([person.pk])
        run(callbacks)
        assert Message.objects.filter(purpose=Purpose.INVITATION).count() == 1


def test_sync_invites_nobody_when_off_or_without_an_email(cast, django_capture_on_commit_callbacks):
    with in_office(cast.office_a):
        agent, data = sync_new_person()
        with django_capture_on_commit_callbacks() as callbacks:
            apply_batch(b.batch(data), agent)
        run(callbacks)
        OfficeSettings.objects.filter(singleton=1).update(send_activation=True)
        agent, data = sync_new_person(email="", pesel=b.make_pesel(9102))
        data = b.company(1, b.make_nip(9102), "Firma Bez", people=[b.person(0, "Ewa", "Bez",
                                                                            pesel=b.make_pesel(9102))])
        with django_capture_on_commit_callbacks() as callbacks:
            apply_batch(b.batch(data), agent)
        run(callbacks)
        assert not Message.objects.filter(purpose=Purpose.INVITATION).exists()
        assert Person.objects.filter(pesel__in=[b.make_pesel(9101), b.make_pesel(9102)], user__isnull=True).count() == 2


def test_resend_invitation_from_the_company_page(office_client, cast, bookkeeper):  # noqa: F811
    with in_office(cast.office_a):
        agent, data = sync_new_person()
        apply_batch(b.batch(data), agent)
        company = Company.objects.get(nip=NEW_NIP)
        person = Person.objects.get(pesel=b.make_pesel(9101))
    client = office_client(cast.office_a, bookkeeper)
    page = client.get(f"/panel/companies/{company.pk}/")
    url = f"/panel/companies/{company.pk}/people/{person.pk}/invite/"
    assert url.encode() in page.content and f"/panel/companies/{company.pk}/messages/".encode() in page.content
    response = client.post(url, follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["success"]
    with in_office(cast.office_a):
        assert Message.objects.filter(person=person, purpose=Purpose.INVITATION).count() == 1
    # a double click is not a second e-mail
    again = client.post(url, follow=True)
    assert [m.level_tag for m in again.context["messages"]] == ["error"]
    with in_office(cast.office_a):
        assert Message.objects.filter(person=person, purpose=Purpose.INVITATION).count() == 1
        # later, the office may send a fresh link
        Message.objects.filter(person=person).update(created_at=timezone.now() - datetime.timedelta(hours=1))
    time.sleep(1.05)  # an activation link holds its second: the same second gives the same link (one message)
    client.post(url)
    with in_office(cast.office_a):
        assert Message.objects.filter(person=person, purpose=Purpose.INVITATION).count() == 2


def test_resend_invitation_refusals(office_client, cast, reachable):
    bob_person, carol_person = reachable
    client = office_client(cast.office_a, cast.alice)
    # carol has activated her account: no new link
    response = client.post(f"/panel/companies/{cast.company_y.pk}/people/{carol_person.pk}/invite/", follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    # bob is not a person of company Y
    assert client.post(f"/panel/companies/{cast.company_y.pk}/people/{bob_person.pk}/invite/").status_code == 404
    assert client.get(f"/panel/companies/{cast.company_y.pk}/people/{carol_person.pk}/invite/").status_code == 405
    with in_office(cast.office_a):
        assert not Message.objects.filter(purpose=Purpose.INVITATION).exists()


def test_send_again_from_the_delivery_log_for_an_email_of_unknown_fate(office_client, cast, reachable):
    with in_office(cast.office_a):
        assert queue_summary(cast.company_y, JAN)
        lost = Message.objects.filter(company=cast.company_y, channel=Channel.EMAIL).first()
        Message.objects.filter(pk=lost.pk).update(status=Status.UNKNOWN, resends=2,
                                                  reason="The e-mail may or may not have left.")
    client = office_client(cast.office_a, cast.alice)
    page = client.get(log_url(cast.company_y)).content.decode()
    url = f"/panel/companies/{cast.company_y.pk}/messages/{lost.pk}/resend/"
    assert f'action="{url}"' in page and "may or may not have left" in page
    response = client.post(url, follow=True)
    assert response.status_code == 200 and lost.recipient in follow_texts(response)
    with in_office(cast.office_a):
        lost.refresh_from_db()
    assert lost.status == Status.QUEUED and lost.resends == 3
    # a second click (or a message that is fine) changes nothing
    again = client.post(url, follow=True)
    assert [m.level_tag for m in again.context["messages"]] == ["info"]
    assert f'action="{url}"' not in again.content.decode()
    # another company's message cannot be resent through this company's URL; a client login cannot at all
    assert client.post(f"/panel/companies/{cast.company_x.pk}/messages/{lost.pk}/resend/").status_code == 404
    assert office_client(cast.office_a, cast.bob).post(url).status_code == 404


# --- One read model of unpaid items -------------------------------------------------------------------


def test_dashboard_reminders_and_nudge_agree_on_the_unpaid_items(cast, reachable):
    today = timezone.localdate()
    with in_office(cast.office_a):
        items = payment_items(cast.company_y, today, period=JAN)
        vat = next(item for item in items if item.tax_type == "VAT-7")
        mark_paid(vat, by=cast.carol)
        unpaid = {item.figure_id for item in unpaid_items(cast.company_y, today, period=JAN)}
        assert unpaid and vat.figure_id not in unpaid
        assert unpaid == {item.figure_id for item in items if item.to_pay and item is not vat}
        # the client's dashboard
        board = next(board for board in dashboard_for(cast.carol, today) if board.company == cast.company_y)
        assert {item.figure_id for item in board.items if item.to_pay and item.period == JAN} == unpaid
        # the panel's nudge
        nudge = services.queue_nudge(cast.company_y, JAN, today)
        assert nudge.unpaid == len(unpaid) and nudge.queued
        assert all(set(message.revision_ids) == unpaid for message in nudge.queued)
        # the payment reminders, a few days before the first due date
        first_due = min(item.due_date for item in items if item.figure_id in unpaid)
        OfficeSettings.objects.filter(singleton=1).update(reminder_days=[3])
        reminders = [m for m in services.queue_reminders(first_due - datetime.timedelta(days=3))
                     if m.company_id == cast.company_y.pk]
        due_then = {item.figure_id for item in items if item.figure_id in unpaid and item.due_date == first_due}
        assert reminders and all(set(message.revision_ids) == due_then for message in reminders)
        # once everything is paid, nothing is due any more for any of them
        for item in unpaid_items(cast.company_y, today, period=JAN):
            mark_paid(item, by=cast.carol)
        assert unpaid_items(cast.company_y, today, period=JAN) == []
        assert not any(services.reminder_still_due(message) for message in nudge.queued + reminders)
