"""The office's logo in every page's header and on its login page (alt text: the office's name); without a
logo, the header shows the office's name. The logo's name is copied onto the office row by the settings
service, so no page pays a query in the office's schema for it."""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context
from PIL import Image

from offices.accounts.services import update_office_settings
from offices.models import Office


def _png(size=(40, 20)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (31, 95, 191)).save(buffer, format="PNG")
    return buffer.getvalue()

BRAND = re.compile(r'<a class="brand" href="/">(.*?)</a>', re.S)


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    settings.MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"
    return tmp_path


def _set_logo(cast, **kwargs):
    with schema_context(cast.office_a.schema_name):
        office = Office.objects.get(pk=cast.office_a.pk)
        update_office_settings(office, {}, by=cast.alice, **kwargs)
    return Office.objects.get(pk=cast.office_a.pk)


def test_without_a_logo_the_header_and_the_login_page_show_the_name(office_client, cast):
    content = office_client(cast.office_a).get("/accounts/login/").content.decode()
    assert BRAND.search(content).group(1) == "Biuro Alfa"
    assert "login-brand" not in content and "/branding/logo/" not in content


def test_the_logo_replaces_the_name_in_the_header_and_heads_the_login_page(office_client, cast, media_root):
    office = _set_logo(cast, logo=SimpleUploadedFile("logo.png", _png(), content_type="image/png"))
    assert office.logo_file.startswith("branding/logo-") and office.logo_version in office.logo_file
    image = f'<img src="/branding/logo/?v={office.logo_version}" alt="Biuro Alfa">'
    login = office_client(cast.office_a).get("/accounts/login/").content.decode()
    assert BRAND.search(login).group(1) == image
    assert f'<p class="login-brand">{image}</p>' in login
    panel = office_client(cast.office_a, cast.alice).get("/panel/").content.decode()
    assert BRAND.search(panel).group(1) == image
    client_page = office_client(cast.office_a, cast.bob).get("/client/").content.decode()
    assert BRAND.search(client_page).group(1) == image
    # the anonymous login page can load it
    assert office_client(cast.office_a).get(f"/branding/logo/?v={office.logo_version}").status_code == 200
    # office B keeps its name
    other = office_client(cast.office_b).get("/accounts/login/").content.decode()
    assert BRAND.search(other).group(1) == cast.office_b.name

    # a new logo gets a new version (browsers may cache the old one for a day); removing it brings the name back
    newer = _set_logo(cast, logo=SimpleUploadedFile("logo.png", _png((50, 20)), content_type="image/png"))
    assert newer.logo_version and newer.logo_version != office.logo_version
    assert _set_logo(cast, clear_logo=True).logo_file == ""
    assert BRAND.search(office_client(cast.office_a).get("/accounts/login/").content.decode()).group(1) == "Biuro Alfa"
