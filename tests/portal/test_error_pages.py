"""Error pages speak Polish and look like the portal (Django's English defaults never reach a person)."""

from django.test import RequestFactory
from django.utils import translation
from django.views.defaults import permission_denied, server_error

from tests.conftest import OfficeClient

ENGLISH_DEFAULTS = ("Not Found", "The requested resource was not found", "Forbidden", "CSRF verification failed",
                    "Server Error (500)")


def _assert_no_english_default(html: str):
    for phrase in ENGLISH_DEFAULTS:
        assert phrase not in html


def test_an_office_404_is_polish_and_names_the_office(office_client, cast):
    response = office_client(cast.office_a).get("/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "Nie ma takiej strony" in html
    assert cast.office_a.name in html
    _assert_no_english_default(html)


def test_the_public_site_404_is_polish(public_client):
    response = public_client.get("/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "Nie ma takiej strony" in html
    _assert_no_english_default(html)


def test_the_english_ui_gets_the_english_page(office_client, cast):
    response = office_client(cast.office_a).get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="en")
    assert "There is no such page" in response.content.decode()


def test_a_csrf_failure_explains_what_to_do_in_polish(cast):
    client = OfficeClient(cast.office_a, enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"login": "bob@example.com", "password": "x"})
    html = response.content.decode()
    assert response.status_code == 403
    assert "Nie udało się wysłać formularza" in html
    assert cast.office_a.name in html
    _assert_no_english_default(html)


def test_403_and_500_pages_are_polish(db):
    request = RequestFactory().get("/")
    with translation.override("pl"):
        denied = permission_denied(request, Exception("no")).content.decode()
        failed = server_error(request).content.decode()
    assert "Nie masz dostępu do tej strony" in denied
    assert "Coś poszło nie tak po naszej stronie" in failed
    _assert_no_english_default(denied + failed)


def test_every_page_starts_with_a_skip_link_to_the_content(office_client, cast):
    html = office_client(cast.office_a).get("/accounts/login/").content.decode()
    assert html.index('class="skip-link" href="#main"') < html.index("<header")
    assert '<main id="main"' in html
