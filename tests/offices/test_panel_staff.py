"""Staff page and the rules behind it: invitations, roles, deactivation."""

import re
from urllib.parse import urlsplit

import pytest
from django.core.exceptions import ValidationError

from clients.messaging import dispatch
from clients.messaging.models import Message, Purpose, Status
from offices.accounts.models import AuditAction, AuditEntry, OfficeSettings, Role, User
from offices.accounts.services import change_role, deactivate_user, invite_staff, reactivate_user
from tests.conftest import PASSWORD
from tests.offices.panel_support import HTMX, admin_user, bookkeeper, in_office  # noqa: F401

NEW_PASSWORD = "a-fresh-password-for-nina"


def send_invitations(office) -> None:
    """What the outbox's worker does with the queued invitations (the e-mail goes to ``mailoutbox``)."""
    with in_office(office):
        for pk in Message.objects.filter(purpose=Purpose.INVITATION, status=Status.QUEUED).values_list("pk", flat=True):
            assert dispatch.send(pk) == "sent"


def _invite(client, email="Nina@Alpha.test", role="bookkeeper", **extra):
    return client.post("/panel/staff/", {"email": email, "role": role, "first_name": "Nina", **extra})


def test_an_invitation_creates_the_login_and_mails_a_working_activation_link(
        office_client, cast, mailoutbox, django_capture_on_commit_callbacks):
    client = office_client(cast.office_a, cast.alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = _invite(client)
    send_invitations(cast.office_a)
    assert response.status_code == 302
    assert response["Location"] == "/panel/staff/"
    with in_office(cast.office_a):
        nina = User.objects.get(email="nina@alpha.test")
        assert nina.role == Role.BOOKKEEPER
        assert not nina.has_usable_password()
        assert AuditEntry.objects.filter(action=AuditAction.STAFF_INVITED, target="nina@alpha.test").exists()
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["nina@alpha.test"]
    assert "Biuro Alfa" in message.from_email
    link = re.search(r"https?://\S+", message.body).group(0)
    parts = urlsplit(link)
    assert parts.hostname == "alpha.localhost"

    visitor = office_client(cast.office_a)
    opened = visitor.get(parts.path)
    assert opened.status_code == 302  # allauth keeps the key in the session and hides it from the URL
    form_page = visitor.get(opened["Location"])
    assert form_page.status_code == 200
    done = visitor.post(opened["Location"], {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert done.status_code == 302

    fresh = office_client(cast.office_a)
    login = fresh.post("/accounts/login/", {"login": "nina@alpha.test", "password": NEW_PASSWORD})
    assert login.status_code == 302
    assert login["Location"] == "/"  # the link proved the address: no second confirmation
    assert fresh.get("/panel/").status_code == 200
    assert fresh.get("/panel/staff/").status_code == 404  # a bookkeeper, not an administrator


def test_the_invitation_uses_the_offices_e_mail_identity(office_client, cast, mailoutbox,
                                                         django_capture_on_commit_callbacks):
    with in_office(cast.office_a):
        row = OfficeSettings.load()
        row.email_from_name = "Kancelaria Alfa"
        row.reply_to_email = "biuro@alfa.test"
        row.save()
    with django_capture_on_commit_callbacks(execute=True):
        _invite(office_client(cast.office_a, cast.alice))
    send_invitations(cast.office_a)
    assert mailoutbox[0].from_email.startswith("Kancelaria Alfa <")
    assert mailoutbox[0].reply_to == ["biuro@alfa.test"]


@pytest.mark.parametrize("email", ["alice@alpha.test", "BOB@example.com"])
def test_inviting_an_existing_address_is_refused_clearly(office_client, cast, mailoutbox, email,
                                                         django_capture_on_commit_callbacks):
    client = office_client(cast.office_a, cast.alice)
    with in_office(cast.office_a):
        users_before = User.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        response = _invite(client, email=email)
    send_invitations(cast.office_a)
    assert response.status_code == 400
    errors = response.context["form"].errors.as_data()["email"]
    assert [error.code for error in errors] == ["email_taken"]
    assert email.lower() in str(errors[0].message % errors[0].params)
    assert mailoutbox == []
    with in_office(cast.office_a):
        assert User.objects.count() == users_before


def test_owners_are_not_invited_directly(cast):
    with in_office(cast.office_a), pytest.raises(ValidationError) as refused:
        invite_staff("olga@alpha.test", role=Role.OWNER, by=cast.alice)
    assert refused.value.code == "role_not_invitable"


def test_a_bookkeeper_cannot_invite(office_client, cast, bookkeeper):  # noqa: F811
    assert _invite(office_client(cast.office_a, bookkeeper)).status_code == 404
    with in_office(cast.office_a), pytest.raises(ValidationError) as refused:
        invite_staff("x@alpha.test", role=Role.BOOKKEEPER, by=bookkeeper)
    assert refused.value.code == "not_allowed"


# --- Roles ------------------------------------------------------------------------------------------


def test_an_administrator_cannot_demote_an_owner(cast, admin_user):  # noqa: F811
    with in_office(cast.office_a):
        with pytest.raises(ValidationError) as refused:
            change_role(cast.alice, Role.BOOKKEEPER, by=admin_user)
        assert refused.value.code == "owner_only"
        with pytest.raises(ValidationError):
            change_role(admin_user, Role.OWNER, by=admin_user)
        cast.alice.refresh_from_db()
        assert cast.alice.role == Role.OWNER


def test_the_last_owner_cannot_step_down_but_can_after_naming_another(cast, admin_user):  # noqa: F811
    with in_office(cast.office_a):
        with pytest.raises(ValidationError) as refused:
            change_role(cast.alice, Role.ADMIN, by=cast.alice)
        assert refused.value.code == "last_owner"
        assert change_role(admin_user, Role.OWNER, by=cast.alice) is True
        assert change_role(cast.alice, Role.ADMIN, by=cast.alice) is True
        cast.alice.refresh_from_db()
        assert cast.alice.role == Role.ADMIN
        assert list(AuditEntry.objects.filter(action=AuditAction.ROLE_CHANGED).values_list("details", flat=True)) \
            == [{"from": "owner", "to": "admin"}, {"from": "admin", "to": "owner"}]


def test_the_last_owner_cannot_be_deactivated(cast, admin_user):  # noqa: F811
    with in_office(cast.office_a):
        with pytest.raises(ValidationError) as by_admin:
            deactivate_user(cast.alice, by=admin_user)
        assert by_admin.value.code == "owner_only"
        with pytest.raises(ValidationError) as by_self:
            deactivate_user(cast.alice, by=cast.alice)
        assert by_self.value.code == "self"
        cast.alice.refresh_from_db()
        assert cast.alice.is_active


def test_clients_cannot_be_given_staff_roles_here(cast):
    with in_office(cast.office_a), pytest.raises(ValidationError) as refused:
        change_role(cast.bob, Role.BOOKKEEPER, by=cast.alice)
    assert refused.value.code == "not_a_staff_role"


def test_role_change_without_js_redirects_with_a_message(office_client, cast, bookkeeper):  # noqa: F811
    client = office_client(cast.office_a, cast.alice)
    response = client.post(f"/panel/staff/{bookkeeper.pk}/role/", {f"m{bookkeeper.pk}-role": "admin"})
    assert response.status_code == 302
    assert response["Location"] == "/panel/staff/"
    with in_office(cast.office_a):
        bookkeeper.refresh_from_db()
        assert bookkeeper.role == Role.ADMIN


def test_role_change_with_htmx_returns_the_row(office_client, cast, bookkeeper):  # noqa: F811
    client = office_client(cast.office_a, cast.alice)
    response = client.post(f"/panel/staff/{bookkeeper.pk}/role/", {f"m{bookkeeper.pk}-role": "admin"}, **HTMX)
    assert response.status_code == 200
    html = response.content.decode().strip()
    assert html.startswith(f'<tr id="member-{bookkeeper.pk}"')
    assert '<option value="admin" selected>' in html
    assert "<html" not in html


def test_a_refused_role_change_shows_the_reason_in_the_row(office_client, cast, admin_user):  # noqa: F811
    client = office_client(cast.office_a, admin_user)
    response = client.post(f"/panel/staff/{cast.alice.pk}/role/", {f"m{cast.alice.pk}-role": "bookkeeper"}, **HTMX)
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
    plain = client.post(f"/panel/staff/{cast.alice.pk}/role/", {f"m{cast.alice.pk}-role": "bookkeeper"},
                        follow=True)
    assert [m.level_tag for m in plain.context["messages"]] == ["error"]
    with in_office(cast.office_a):
        cast.alice.refresh_from_db()
        assert cast.alice.role == Role.OWNER


def test_deactivating_and_reactivating_from_the_page(office_client, cast, bookkeeper):  # noqa: F811
    client = office_client(cast.office_a, cast.alice)
    assert client.post(f"/panel/staff/{bookkeeper.pk}/deactivate/", **HTMX).status_code == 200
    with in_office(cast.office_a):
        bookkeeper.refresh_from_db()
        assert not bookkeeper.is_active
    refused = office_client(cast.office_a).post("/accounts/login/", {"login": "bea@alpha.test", "password": PASSWORD})
    assert "inactive" in refused["Location"]
    assert client.post(f"/panel/staff/{bookkeeper.pk}/reactivate/").status_code == 302
    with in_office(cast.office_a):
        bookkeeper.refresh_from_db()
        assert bookkeeper.is_active
        assert reactivate_user(bookkeeper, by=cast.alice) is False  # already active: nothing recorded
        actions = list(AuditEntry.objects.order_by("id").values_list("action", flat=True))
    assert actions == [AuditAction.USER_DEACTIVATED, AuditAction.USER_REACTIVATED]


def test_resending_an_invitation(office_client, cast, mailoutbox, django_capture_on_commit_callbacks):
    client = office_client(cast.office_a, cast.alice)
    with django_capture_on_commit_callbacks(execute=True):
        _invite(client)
    send_invitations(cast.office_a)
    assert len(mailoutbox) == 1
    with in_office(cast.office_a):
        nina = User.objects.get(email="nina@alpha.test")
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/panel/staff/{nina.pk}/resend/").status_code == 302
    send_invitations(cast.office_a)
    assert len(mailoutbox) == 2
    # somebody already active gets no new link
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/panel/staff/{cast.alice.pk}/resend/")
    send_invitations(cast.office_a)
    assert len(mailoutbox) == 2


def test_the_staff_page_lists_staff_but_not_clients(office_client, cast, bookkeeper):  # noqa: F811
    html = office_client(cast.office_a, cast.alice).get("/panel/staff/").content.decode()
    assert "bea@alpha.test" in html and "alice@alpha.test" in html
    assert "bob@example.com" not in html
