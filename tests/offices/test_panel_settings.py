"""Office settings page: validation (specific errors, nothing changed), saving, logo storage, audit."""

import datetime
import io

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context
from PIL import Image

from offices.accounts.models import AuditAction, AuditEntry, OfficeSettings
from offices.accounts.validators import LOGO_MAX_BYTES, parse_reminder_days, validate_sms_sender
from offices.models import Office
from tests.offices.panel_support import bookkeeper, in_office, office_settings  # noqa: F401


def _form_data(**overrides) -> dict:
    data = {
        "update_basic_data": "", "approve_on_sync": "", "send_activation": "", "copy_zus_from_previous": "",
        "match_payers": "on", "auto_create_companies": "on", "sync_interval_minutes": "60",
        "office_name": "Biuro Alfa", "email_from_name": "", "reply_to_email": "", "sms_sender": "",
        "reminder_days": "3,1", "quiet_hours_start": "21:00", "quiet_hours_end": "08:00",
        "undo_window_minutes": "5", "bookkeepers_see_assigned_only": "", "require_mfa_for_admins": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value != ""}


def _png(size=(40, 20)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (31, 95, 191)).save(buffer, format="PNG")
    return buffer.getvalue()


def _error_codes(response, field):
    return [error.code for error in response.context["form"].errors.as_data()[field]]


def _snapshot(office):
    with schema_context(office.schema_name):
        row = OfficeSettings.load()
        values = {field.name: getattr(row, field.name) for field in OfficeSettings._meta.fields}
        values["logo"] = row.logo.name
    values["office_name"] = Office.objects.get(pk=office.pk).name
    return values


def test_defaults_match_the_product(cast):
    row = office_settings(cast.office_a)
    assert row.reminder_days == [3, 1]
    assert (row.quiet_hours_start, row.quiet_hours_end) == (datetime.time(21), datetime.time(8))
    assert row.undo_window_minutes == 5
    assert not row.require_mfa_for_admins and not row.bookkeepers_see_assigned_only


def test_the_page_shows_every_option_with_help(office_client, cast):
    response = office_client(cast.office_a, cast.alice).get("/panel/settings/")
    html = response.content.decode()
    for name in _form_data() | {"logo": "", "clear_logo": ""}:
        assert f'name="{name}"' in html, name
    assert 'value="3,1"' in html
    assert 'enctype="multipart/form-data"' in html


def test_saving_changes_the_settings_and_the_office_name_and_is_audited(office_client, cast):
    with in_office(cast.office_a):
        TOTP.activate(cast.alice, generate_totp_secret())
    client = office_client(cast.office_a, cast.alice)
    response = client.post("/panel/settings/", _form_data(
        office_name="Biuro Rachunkowe Alfa", approve_on_sync="on", sms_sender="BiuroAlfa", reminder_days="1, 7,3",
        quiet_hours_start="20:30", reply_to_email="Biuro@Alfa.test", require_mfa_for_admins="on",
        sync_interval_minutes="30", undo_window_minutes="10",
    ))
    assert response.status_code == 302
    assert response["Location"] == "/panel/settings/"
    row = office_settings(cast.office_a)
    assert row.approve_on_sync and row.require_mfa_for_admins
    assert row.sms_sender == "BiuroAlfa"
    assert row.reminder_days == [7, 3, 1]
    assert row.quiet_hours_start == datetime.time(20, 30)
    assert (row.sync_interval_minutes, row.undo_window_minutes) == (30, 10)
    assert row.reply_to_email == "Biuro@alfa.test"  # the domain is case-insensitive
    assert Office.objects.get(pk=cast.office_a.pk).name == "Biuro Rachunkowe Alfa"
    with in_office(cast.office_a):
        entry = AuditEntry.objects.get(action=AuditAction.SETTINGS_CHANGED)
    assert entry.actor_email == "alice@alpha.test"
    assert entry.details["changed"]["office_name"] == ["Biuro Alfa", "Biuro Rachunkowe Alfa"]
    assert entry.details["changed"]["reminder_days"] == [[3, 1], [7, 3, 1]]
    # saving the same values again records nothing
    client.post("/panel/settings/", _form_data(
        office_name="Biuro Rachunkowe Alfa", approve_on_sync="on", sms_sender="BiuroAlfa", reminder_days="7,3,1",
        quiet_hours_start="20:30", reply_to_email="Biuro@alfa.TEST", require_mfa_for_admins="on",
        sync_interval_minutes="30", undo_window_minutes="10",
    ))
    with in_office(cast.office_a):
        assert AuditEntry.objects.count() == 1, list(AuditEntry.objects.values_list("details", flat=True))


def test_requiring_two_factor_needs_it_set_up_for_yourself_first(office_client, cast):
    before = _snapshot(cast.office_a)
    response = office_client(cast.office_a, cast.alice).post("/panel/settings/", _form_data(
        require_mfa_for_admins="on", approve_on_sync="on"))
    assert response.status_code == 400
    assert _error_codes(response, "require_mfa_for_admins") == ["mfa_setup_first"]
    assert _snapshot(cast.office_a) == before


@pytest.mark.parametrize(("field", "value", "code"), [
    ("sms_sender", "BiuroRachunkowe", "sms_sender_too_long"),
    ("sms_sender", "Biuro-Alfa", "invalid_sms_sender"),
    ("sms_sender", "Biuró", "invalid_sms_sender"),
    ("sms_sender", "12345", "sms_sender_needs_letter"),
    ("sms_sender", "+48 12", "invalid_sms_number"),
    ("reminder_days", "3,x", "invalid_reminder_day"),
    ("reminder_days", "40", "reminder_day_too_far"),
    ("reminder_days", "1,2,3,4,5,6", "too_many_reminders"),
    ("sync_interval_minutes", "1", "min_value"),
    ("undo_window_minutes", "120", "max_value"),
    ("reply_to_email", "not-an-address", "invalid"),
    ("office_name", "", "required"),
    ("quiet_hours_end", "25:00", "invalid"),
])
def test_a_bad_value_gets_a_specific_error_and_changes_nothing(office_client, cast, field, value, code):
    before = _snapshot(cast.office_a)
    data = _form_data(**{"approve_on_sync": "on", "office_name": "Changed name", field: value})
    response = office_client(cast.office_a, cast.alice).post("/panel/settings/", data)
    assert response.status_code == 400
    assert code in _error_codes(response, field)
    assert _snapshot(cast.office_a) == before
    with in_office(cast.office_a):
        assert not AuditEntry.objects.exists()


@pytest.mark.parametrize(("value", "stored"), [
    ("BIURO 24", "BIURO 24"), ("Alfa", "Alfa"), ("+48 600 100 200", "+48600100200"), ("", ""),
])
def test_accepted_sms_senders(office_client, cast, value, stored):
    response = office_client(cast.office_a, cast.alice).post("/panel/settings/", _form_data(sms_sender=value))
    assert response.status_code == 302
    assert office_settings(cast.office_a).sms_sender == stored


def test_validators_directly():
    assert parse_reminder_days(" 1 ; 3,3 ,") == [3, 1]
    assert parse_reminder_days("") == []
    assert parse_reminder_days("0") == [0]
    with pytest.raises(ValidationError):
        validate_sms_sender("+0123456789")
    validate_sms_sender("A1")


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    settings.MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"  # clears the storage's cached root
    return tmp_path


def test_a_logo_is_stored_under_the_offices_prefix_and_served(office_client, cast, media_root):
    client = office_client(cast.office_a, cast.alice)
    upload = SimpleUploadedFile("logo.PNG", _png(), content_type="image/png")
    response = client.post("/panel/settings/", {**_form_data(), "logo": upload})
    assert response.status_code == 302
    row = office_settings(cast.office_a)
    assert row.logo.name.startswith("branding/logo-") and row.logo.name.endswith(".png")
    stored = media_root / cast.office_a.schema_name / row.logo.name
    assert stored.read_bytes() == _png()
    served = client.get("/branding/logo/")
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"
    assert b"".join(served.streaming_content) == _png()
    # office B has no logo: its own prefix, its own answer
    assert office_client(cast.office_b).get("/branding/logo/").status_code == 404
    # removing it
    assert client.post("/panel/settings/", {**_form_data(), "clear_logo": "on"}).status_code == 302
    assert not office_settings(cast.office_a).logo
    assert client.get("/branding/logo/").status_code == 404


@pytest.mark.parametrize(("name", "content", "code"), [
    ("logo.png", b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", "logo_type"),
    ("logo.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "logo_type"),
    ("logo.png", b"\x89PNG" + b"\x00" * (LOGO_MAX_BYTES + 1), "logo_too_large"),
])
def test_a_bad_logo_is_refused(office_client, cast, media_root, name, content, code):
    before = _snapshot(cast.office_a)
    upload = SimpleUploadedFile(name, content, content_type="image/png")
    response = office_client(cast.office_a, cast.alice).post("/panel/settings/", {**_form_data(), "logo": upload})
    assert response.status_code == 400
    assert _error_codes(response, "logo") == [code]
    assert _snapshot(cast.office_a) == before
    assert not any(media_root.rglob("logo-*"))


def test_a_bookkeeper_cannot_change_settings(office_client, cast, bookkeeper):  # noqa: F811
    before = _snapshot(cast.office_a)
    response = office_client(cast.office_a, bookkeeper).post("/panel/settings/", _form_data(approve_on_sync="on"))
    assert response.status_code == 404
    assert _snapshot(cast.office_a) == before


def test_quiet_hours_wrap_past_midnight(cast):
    row = office_settings(cast.office_a)
    assert row.in_quiet_hours(datetime.time(22, 0)) and row.in_quiet_hours(datetime.time(7, 59))
    assert not row.in_quiet_hours(datetime.time(8, 0)) and not row.in_quiet_hours(datetime.time(20, 59))
