"""A client chooses SMS and/or e-mail, or no messages at all; the phone number is validated."""

from django_tenants.utils import schema_context

from clients.models import Person


def _person(cast) -> Person:
    with schema_context(cast.office_a.schema_name):
        return Person.objects.get(user=cast.bob)


def test_bob_chooses_sms_with_a_valid_number(office_client, cast):
    client = office_client(cast.office_a, cast.bob)
    assert client.get("/client/preferences/").status_code == 200
    response = client.post("/client/preferences/", {"notify_sms": "on", "notify_email": "on",
                                                     "phone": "600 100 200"})
    assert response.status_code == 302
    person = _person(cast)
    assert (person.notify_sms, person.notify_email, person.phone, person.opted_out) == (
        True, True, "+48600100200", False)


def test_a_bad_number_is_refused_inline_and_nothing_changes(office_client, cast):
    response = office_client(cast.office_a, cast.bob).post(
        "/client/preferences/", {"notify_sms": "on", "phone": "12"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "is not a valid phone number" in response.content.decode()
    assert _person(cast).notify_sms is False


def test_sms_needs_a_number(office_client, cast):
    response = office_client(cast.office_a, cast.bob).post("/client/preferences/", {"notify_sms": "on"},
                                                           HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert _person(cast).notify_sms is False


def test_opting_out_switches_every_channel_off(office_client, cast):
    office_client(cast.office_a, cast.bob).post("/client/preferences/", {"notify_sms": "on", "notify_email": "on",
                                                                         "phone": "+48600100200", "opted_out": "on"})
    person = _person(cast)
    assert (person.notify_sms, person.notify_email, person.opted_out) == (False, False, True)
    assert person.phone == "+48600100200"


def test_staff_have_no_preferences_page(office_client, cast):
    assert office_client(cast.office_a, cast.alice).get("/client/preferences/").status_code == 404
