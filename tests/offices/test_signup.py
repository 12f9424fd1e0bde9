from django_tenants.utils import schema_context

from offices.accounts.models import User
from offices.models import Office

GOOD = {"name": "Biuro Rachunkowe Kowalski", "slug": "kowalski", "owner_email": "jan@kowalski.pl",
        "password1": "Zielona-Herbata-42", "password2": "Zielona-Herbata-42"}


def test_signup_creates_the_office_and_links_to_its_login(public_client):
    response = public_client.post("/signup/", GOOD)
    assert response.status_code == 201
    assert "http://kowalski.localhost:8000/accounts/login/" in response.content.decode()
    office = Office.objects.get(slug="kowalski")
    with schema_context(office.schema_name):
        assert User.objects.get().email == "jan@kowalski.pl"


def test_signup_page_renders_in_polish_by_default(public_client):
    response = public_client.get("/signup/")
    assert response.status_code == 200
    assert "Utwórz swoje biuro" in response.content.decode()


def test_signup_errors_are_specific_and_create_nothing(public_client):
    response = public_client.post("/signup/", {**GOOD, "slug": "www", "password2": "other-password-1"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "zarezerwowany" in body  # reserved, in Polish
    assert "Hasła się różnią" in body
    assert not Office.objects.filter(name=GOOD["name"]).exists()


def test_signup_rejects_a_weak_password(public_client):
    response = public_client.post("/signup/", {**GOOD, "password1": "12345678", "password2": "12345678"})
    assert response.status_code == 400
    assert not Office.objects.filter(slug="kowalski").exists()


def test_signup_in_english(public_client):
    response = public_client.get("/signup/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Create your office" in response.content.decode()
