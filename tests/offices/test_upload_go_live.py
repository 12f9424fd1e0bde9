"""A declaration older than the go-live month is flagged for review: in the panel's upload preview, and on the
batch page of a file posted by an agent (``POST files``), in the reader's language."""

from __future__ import annotations

import html
import re

import orjson
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from django_tenants.utils import schema_context

from clients.models import Company, parse_period
from offices.accounts.models import OfficeSettings
from sync.models import Batch
from tests.sync.conftest import agent_client  # noqa: F401
from tests.sync.importers.conftest import jpk_xml

NIP = "5213017228"  # a NIP the JPK schema's pattern accepts


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    settings.MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"
    return tmp_path


def _office_go_live(office, month):
    with schema_context(office.schema_name):
        row = OfficeSettings.load()
        row.go_live_month = parse_period(month) if month else None
        row.save()


def _jpk(month: int) -> bytes:
    return jpk_xml(nip=NIP, year=2025, month=month, declaration={"P_51": "1234"})


def _preview(client, data: bytes) -> str:
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "pl"
    response = client.post("/panel/upload/", {"files": [SimpleUploadedFile("stary.xml", data)]})
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def _review(page: str) -> str:
    review = re.search(r'<div class="upload-review" role="alert">(.*?)</div>', page, re.S)
    return review.group(1) if review else ""


def test_a_file_for_a_month_before_the_go_live_month_is_flagged_in_the_preview(office_client, cast, media):
    _office_go_live(cast.office_a, "2026-01")
    review = _review(_preview(office_client(cast.office_a, cast.alice), _jpk(3)))
    assert 'data-flag="before_go_live"' in review
    assert "2025-03" in review and "2026-01" in review
    assert "historii" in review, review  # said in Polish, what approving it means
    with schema_context(cast.office_a.schema_name):
        assert not Company.objects.filter(nip=NIP).exists()  # a preview changes nothing


def test_no_flag_without_a_go_live_month_or_for_a_month_after_it(office_client, cast, media):
    client = office_client(cast.office_a, cast.alice)
    _office_go_live(cast.office_a, None)
    assert "before_go_live" not in _preview(client, _jpk(3))
    _office_go_live(cast.office_a, "2025-03")
    assert "before_go_live" not in _preview(client, _jpk(3))  # the go-live month itself is not history


def test_the_company_s_own_go_live_month_outranks_the_office_s(office_client, cast, media):
    _office_go_live(cast.office_a, "2026-01")
    with schema_context(cast.office_a.schema_name):
        Company.objects.create(nip=NIP, name="Firma Wcześnie", go_live_month=parse_period("2025-01"))
    assert "before_go_live" not in _preview(office_client(cast.office_a, cast.alice), _jpk(3))


def test_a_file_posted_by_an_agent_keeps_the_flag_for_the_batch_page(office_client, cast, agent_client):  # noqa: F811
    _office_go_live(cast.office_a, "2026-01")
    agent = agent_client(cast.office_a)
    upload = SimpleUploadedFile("jpk.xml", _jpk(3), content_type="application/xml")
    response = agent.post("/api/agent/v1/files", {"kind": "jpk_v7m", "file": upload},
                          HTTP_IDEMPOTENCY_KEY="go-live-1")
    assert response.status_code == 200, response.content
    answer = orjson.loads(response.content)
    assert "flags" not in answer  # the public contract's batch response is unchanged
    with schema_context(cast.office_a.schema_name):
        assert Batch.objects.get(public_id=answer["batch"]).source == Batch.Source.FILE
    staff = office_client(cast.office_a, cast.alice)
    for language, words in (("pl", "historii"), ("en", "history")):
        staff.defaults["HTTP_ACCEPT_LANGUAGE"] = language
        with translation.override(language):
            page = html.unescape(staff.get(f"/panel/events/batches/{answer['batch']}/").content.decode())
        assert 'data-flag="before_go_live"' in page and "2025-03" in page
        assert words in page, page
