"""Upload preview: which schema checked each file, the contradictions to review, the KSeF count."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from clients.models import Company
from tests.offices.panel_support import in_office
from tests.sync.importers.conftest import JPK_NS, KSEF_NUMBER, dra_xml, jpk_xml, kedu_xml, rca_xml

NIP = "5260250995"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    settings.MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"
    return tmp_path


def preview(client, name: str, data: bytes) -> str:
    response = client.post("/panel/upload/", {"files": [SimpleUploadedFile(name, data)]})
    assert response.status_code == 200
    return response.content.decode()


def test_a_version_3_file_shows_its_schema_and_ksef_count(office_client, cast, media):
    sales = [{"K_19": "100.00", "K_20": "23.00", "NrKSeF": KSEF_NUMBER}, {"K_19": "100.00", "K_20": "23.00",
                                                                          "OFF": "1"}]
    purchases = [{"K_42": "100.00", "K_43": "23.00", "NrKSeF": KSEF_NUMBER}]
    data = jpk_xml(ns=JPK_NS["V7M3"], month=3, declaration={"P_51": "23"}, sales_rows=sales,
                   sales_ctrl=(2, "46.00"), purchase_rows=purchases, purchase_ctrl=(1, "23.00"))
    with translation.override("pl"):
        page = preview(office_client(cast.office_a, cast.alice), "jpk3.xml", data)
    assert 'data-validated="yes"' in page and "Schemat_JPK_V7M(3)_v1-0E_14090.xsd" in page
    ksef = re.search(r'<p class="hint upload-ksef" data-ksef="2" data-rows="3">([^<]*)</p>', page)
    assert ksef, page
    assert "KSeF" in ksef.group(1) and "2" in ksef.group(1) and "3" in ksef.group(1)
    assert "upload-review" not in page  # nothing contradictory
    with in_office(cast.office_a):
        assert not Company.objects.filter(nip=NIP).exists()  # a preview changes nothing


def test_a_v7k_whose_quarter_contradicts_its_month_is_shown_for_review(office_client, cast, media):
    data = jpk_xml(ns=JPK_NS["V7K3"], month=5, quarter=1, declaration={"P_51": "870"},
                   sales_rows=[{"K_19": "100.00", "K_20": "23.00"}], sales_ctrl=(1, "23.00"))
    page = preview(office_client(cast.office_a, cast.alice), "v7k.xml", data)
    review = re.search(r'<div class="upload-review" role="alert">(.*?)</div>', page, re.S)
    assert review, page
    assert 'data-flag="quarter_mismatch"' in review.group(1) and "870.00" in review.group(1)
    # Only the register statement (sales and purchase VAT) is previewed: the VAT-7K amount is held back.
    row = re.search(rf'<tr data-nip="{NIP}"[^>]*>(.*?)</tr>', page, re.S).group(1)
    assert re.search(r'<td class="created"[^>]*>([^<]*)</td>', row).group(1) == "2"


def test_a_dra_contradicting_its_rca_health_lines_is_shown_for_review(office_client, cast, media):
    person = {"last": "NOWAK", "first": "JAN", "pesel": "26211012346", "health": {"p4": "400.00"}}
    data = kedu_xml(rca_xml(person), dra_xml(health="432.54"), ns="http://www.zus.pl/2026/KEDU_5_7")
    page = preview(office_client(cast.office_a, cast.alice), "kedu.xml", data)
    assert 'data-flag="health_mismatch"' in page and "432.54" in page and "400.00" in page
    assert "kedu_5_7.xsd" in page
