"""Twilio's status callbacks and the unsubscribe link, through the real URLs of an office's host."""

from django.test import Client
from django_tenants.utils import schema_context
from twilio.request_validator import RequestValidator

from clients.messaging import dispatch, links
from clients.messaging.models import Channel, Message, Status, Suppression
from clients.messaging.services import queue_summary
from clients.models import Person
from offices.tenancy import office_host
from tests.clients.messaging.peers import AUTH_TOKEN

PATH = "/messaging/twilio/status/"


def post_callback(office, message_id, params, *, token=AUTH_TOKEN, signature=None):
    host = office_host(office.slug)
    url = f"http://{host}{PATH}?m={message_id}"
    if signature is None:
        signature = RequestValidator(token).compute_signature(url, params)
    return Client(HTTP_HOST=host).post(f"{PATH}?m={message_id}", params, HTTP_X_TWILIO_SIGNATURE=signature)


def sent_sms(f):
    with schema_context(f.office.schema_name):
        queue_summary(f.company, f.period)
        message = Message.objects.get(company=f.company, channel=Channel.SMS)
        assert dispatch.send(message.pk) == "sent"
        message.refresh_from_db()
        return message


def status_of(f, message):
    with schema_context(f.office.schema_name):
        return Message.objects.values_list("status", "error_code").get(pk=message.pk)


def test_delivered_report_with_a_valid_signature(peers, make_company):
    f = make_company(email=False)
    message = sent_sms(f)
    params = {"MessageSid": message.provider_id, "MessageStatus": "delivered", "AccountSid": "AC1"}
    response = post_callback(f.office, message.pk, params)
    assert response.status_code == 200
    assert status_of(f, message) == (Status.DELIVERED, "")
    # a late "sent" never moves it back
    post_callback(f.office, message.pk, {**params, "MessageStatus": "sent"})
    assert status_of(f, message) == (Status.DELIVERED, "")


def test_bad_or_missing_signature_is_ignored_with_200(peers, make_company):
    f = make_company(email=False)
    message = sent_sms(f)
    params = {"MessageSid": message.provider_id, "MessageStatus": "delivered"}
    assert post_callback(f.office, message.pk, params, token="not-our-token").status_code == 200
    assert post_callback(f.office, message.pk, params, signature="").status_code == 200
    # signed for another message id: the query string is part of what Twilio signs
    url = f"http://{office_host(f.office.slug)}{PATH}?m={message.pk + 1}"
    signature = RequestValidator(AUTH_TOKEN).compute_signature(url, params)
    assert post_callback(f.office, message.pk, params, signature=signature).status_code == 200
    assert status_of(f, message) == (Status.SENT, "")


def test_undelivered_with_opt_out_code_fails_and_suppresses_the_number(peers, make_company):
    f = make_company(email=False)
    message = sent_sms(f)
    post_callback(f.office, message.pk, {"MessageSid": message.provider_id, "MessageStatus": "undelivered",
                                         "ErrorCode": "21610"})
    assert status_of(f, message) == (Status.FAILED, "21610")
    with schema_context(f.office.schema_name):
        assert Suppression.objects.filter(channel="sms", address=message.recipient).exists()


def test_a_report_for_office_a_cannot_touch_office_b(peers, make_company, committed_cast):
    f = make_company(email=False)
    message = sent_sms(f)
    office_b = committed_cast.office_b
    with schema_context(office_b.schema_name):
        before = list(Message.objects.values_list("pk", "status"))
    params = {"MessageSid": message.provider_id, "MessageStatus": "failed", "ErrorCode": "30008"}
    # correctly signed for office B's host (what an attacker with a real callback could replay): nothing there
    assert post_callback(office_b, message.pk, params).status_code == 200
    with schema_context(office_b.schema_name):
        assert list(Message.objects.values_list("pk", "status")) == before
    assert status_of(f, message) == (Status.SENT, "")
    # and the sid must match the message the id names
    post_callback(f.office, message.pk, {**params, "MessageSid": "SM" + "0" * 32})
    assert status_of(f, message) == (Status.SENT, "")


def test_a_report_overtaking_the_worker_still_lands(peers, make_company):
    f = make_company(email=False)
    with schema_context(f.office.schema_name):
        queue_summary(f.company, f.period)
        message = Message.objects.get(company=f.company)
        Message.objects.filter(pk=message.pk).update(status=Status.SENDING)  # the worker is mid-send
    post_callback(f.office, message.pk, {"MessageSid": "SM" + "1" * 32, "MessageStatus": "delivered"})
    with schema_context(f.office.schema_name):
        message.refresh_from_db()
        assert message.status == Status.DELIVERED and message.provider_id == "SM" + "1" * 32


def test_unsubscribe_link_turns_off_emails_and_only_in_its_office(peers, make_company, committed_cast):
    f = make_company()
    person = f.people[0]
    with schema_context(f.office.schema_name):
        url = links.unsubscribe_url(person)
    path = url.split(":8000", 1)[1]
    client = Client(HTTP_HOST=office_host(f.office.slug))
    page = client.get(path)
    assert page.status_code == 200 and b"<form method=\"post\">" in page.content
    with schema_context(f.office.schema_name):
        assert Person.objects.get(pk=person.pk).notify_email is True  # a GET (link scanners) changes nothing
    # another office's host does not accept this office's token
    assert Client(HTTP_HOST=office_host(committed_cast.office_b.slug)).post(path).status_code == 404
    assert client.post(path).status_code == 200  # RFC 8058 one-click POST, no CSRF token
    with schema_context(f.office.schema_name):
        assert Person.objects.get(pk=person.pk).notify_email is False
        queue_summary(f.company, f.period)
        assert list(Message.objects.filter(company=f.company).values_list("channel", flat=True)) == ["sms"]
    assert client.get(path[:-5] + "xxxx/").status_code == 404
