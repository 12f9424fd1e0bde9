"""Finding 1 of the penetration test: a logo upload must never become a page on the office's origin.

The attack: an admin uploads a real PNG named ``logo.html`` with ``<script>`` in a text chunk; the portal
stored it as ``….html`` and ``/branding/logo/`` served it as ``text/html``, so the script ran for clients.
"""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context
from PIL import Image, PngImagePlugin

from offices.accounts.models import OfficeSettings
from tests.offices.panel_support import office_settings

SCRIPT = b"<script>fetch('/').then(r => r.text()).then(t => alert(t))</script>"


def _png_with_script() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", SCRIPT.decode())
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), (31, 95, 191)).save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), (200, 10, 10)).save(buffer, format="JPEG")
    return buffer.getvalue()


def _settings_form(**extra) -> dict:
    return {
        "match_payers": "on", "auto_create_companies": "on", "sync_interval_minutes": "60",
        "office_name": "Biuro Alfa", "reminder_days": "3,1", "quiet_hours_start": "21:00",
        "quiet_hours_end": "08:00", "undo_window_minutes": "5", **extra,
    }


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    settings.MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"  # clears the storage's cached root
    return tmp_path


@pytest.mark.parametrize(("name", "content", "extension", "content_type"), [
    ("logo.html", _png_with_script(), ".png", "image/png"),
    ("logo.svg", _png_with_script(), ".png", "image/png"),
    ("logo", _png_with_script(), ".png", "image/png"),
    ("logo.png", _jpeg(), ".jpg", "image/jpeg"),
], ids=["png-as-html", "png-as-svg", "png-without-extension", "jpeg-as-png"])
def test_a_logo_is_stored_and_served_as_the_image_it_really_is(office_client, cast, media_root,
                                                               name, content, extension, content_type):
    client = office_client(cast.office_a, cast.alice)
    upload = SimpleUploadedFile(name, content, content_type="text/html")
    assert client.post("/panel/settings/", _settings_form(logo=upload)).status_code == 302
    stored = office_settings(cast.office_a).logo.name
    assert stored.endswith(extension), stored

    served = office_client(cast.office_a, cast.bob).get("/branding/logo/")
    assert served.status_code == 200
    assert served["Content-Type"] == content_type
    assert served["X-Content-Type-Options"] == "nosniff"
    assert served["Content-Disposition"].startswith("inline")
    assert b"".join(served.streaming_content) == content


def test_an_svg_logo_is_refused(office_client, cast, media_root):
    svg = b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"
    upload = SimpleUploadedFile("logo.svg", svg, content_type="image/svg+xml")
    response = office_client(cast.office_a, cast.alice).post("/panel/settings/", _settings_form(logo=upload))
    assert response.status_code == 400
    assert [e.code for e in response.context["form"].errors.as_data()["logo"]] == ["logo_type"]
    assert not office_settings(cast.office_a).logo


@pytest.mark.parametrize(("content", "status", "content_type"), [
    (_png_with_script(), 200, "image/png"),
    (b"<html>" + SCRIPT, 404, None),
], ids=["a-png", "a-page"])
def test_a_logo_stored_under_a_foreign_extension_is_never_served_as_a_page(office_client, cast, media_root,
                                                                           content, status, content_type):
    """Logos stored before the fix keep their old names: served as their detected image type, or not at all."""
    with schema_context(cast.office_a.schema_name):
        row = OfficeSettings.load()
        row.logo = row.logo.storage.save("branding/logo-legacy.html", io.BytesIO(content))
        row.save()
    served = office_client(cast.office_a, cast.bob).get("/branding/logo/")
    assert served.status_code == status
    if content_type:
        assert served["Content-Type"] == content_type
        assert served["X-Content-Type-Options"] == "nosniff"
