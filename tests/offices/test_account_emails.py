"""allauth's e-mails (password reset, unknown account, notices) are the office's own: branded, in Polish, with
no "[host]" subject prefix, through the office's connection."""

from django_tenants.utils import schema_context

from offices.accounts.models import OfficeSettings


def test_the_password_reset_email_is_the_offices_branded_polish_email(office_client, cast, mailoutbox):
    with schema_context(cast.office_a.schema_name):
        OfficeSettings.objects.filter(singleton=1).update(brand_color="#7a1f3d", contact_phone="+48 22 555 00 11")
    response = office_client(cast.office_a).post("/accounts/password/reset/", {"email": "alice@alpha.test"})
    assert response.status_code == 302
    [mail] = mailoutbox
    assert mail.subject == "Ustaw hasło do portalu: Biuro Alfa" and "[" not in mail.subject
    assert "Biuro Alfa" in mail.from_email
    assert mail.body.startswith("Dzień dobry,") and "ktoś (zapewne Ty) poprosił" in mail.body
    assert "/accounts/password/reset/key/" in mail.body and "+48 22 555 00 11" in mail.body
    assert "Hello from" not in mail.body and "Thank you for using" not in mail.body
    [(html, mimetype)] = mail.alternatives
    assert mimetype == "text/html" and "#7a1f3d" in html and 'href="http://alpha.localhost' in html


def test_an_unknown_address_is_told_to_ask_the_office_not_to_sign_up(office_client, cast, mailoutbox, settings):
    settings.ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = True
    office_client(cast.office_a).post("/accounts/password/reset/", {"email": "nikt@example.com"})
    [mail] = mailoutbox
    assert mail.subject == "Brak logowania z tym adresem w portalu: Biuro Alfa"
    assert "poproś je o zaproszenie" in mail.body and "signup" not in mail.body
