"""The import preview shows, before "Apply", each company's amounts and the months the file covers, and warns
when the file is old (the age rule lives in sync.preview, not in the template)."""

from __future__ import annotations

import html
from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone, translation
from django_tenants.utils import schema_context

from sync.importers import detect_and_parse
from sync.preview import STALE_AFTER_MONTHS, amount_lines, months_before, preview_batch
from tests.offices.test_upload import EXAMPLE_NIP, upload
from tests.sync.importers.conftest import JPK_NS, jpk_xml, v7m2_like_the_shared_example


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    settings.MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"  # clears the storage's cached root
    return tmp_path


@pytest.fixture
def old_file() -> bytes:
    return v7m2_like_the_shared_example(EXAMPLE_NIP)  # 2022-02


def _last_month() -> tuple[int, int]:
    today = timezone.localdate()
    return (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)


@pytest.fixture
def recent_file() -> bytes:
    year, month = _last_month()
    return jpk_xml(ns=JPK_NS["V7M3"], year=year, month=month, nip=EXAMPLE_NIP, declaration={"P_51": "321"},
                   sales_rows=[{"K_19": "1000.00", "K_20": "230.00"}], sales_ctrl=(1, "230.00"),
                   purchase_rows=[], purchase_ctrl=(0, "0"))


def test_months_before_counts_calendar_months():
    assert months_before("2026-12", date(2026, 12, 2)) == 0
    assert months_before("2025-12", date(2026, 12, 31)) == 12
    assert months_before("2022-02", date(2026, 12, 2)) == 58
    assert months_before("2027-01", date(2026, 12, 2)) == -1


def test_a_file_more_than_twelve_months_old_is_stale(cast, old_file):
    batch = detect_and_parse(old_file, filename="old.xml").batch
    with schema_context(cast.office_a.schema_name):
        just_in_time = preview_batch(batch, today=date(2023, 2, 28))
        late = preview_batch(batch, today=date(2023, 3, 1))
        long_after = preview_batch(batch, today=date(2026, 12, 2))
    assert just_in_time.periods == ["2022-02"] and just_in_time.period_range == ("2022-02", "2022-02")
    assert just_in_time.stale_months == STALE_AFTER_MONTHS and not just_in_time.stale
    assert late.stale and late.stale_months == 13
    assert long_after.stale_months == 58


def test_the_amounts_of_each_company_are_listed_in_period_order(old_file):
    company = detect_and_parse(old_file, filename="old.xml").batch.companies[0]
    lines = amount_lines(company)
    assert [line.period for line in lines] == ["2022-02"] * len(lines)
    assert lines[0].kind == "tax:VAT-7" and lines[0].amount == Decimal("124")
    assert {line.kind for line in lines[1:]} == {"statement:sales_vat", "statement:purchase_vat"}


def test_the_preview_page_shows_amounts_periods_and_the_age_warning(office_client, cast, media, old_file):
    client = office_client(cast.office_a, cast.alice)
    with translation.override("pl"):
        content = html.unescape(upload(client, ("stary.xml", old_file)).content.decode())
    assert 'data-periods="2022-02:2022-02"' in content
    assert 'class="banner warn upload-stale"' in content and 'data-stale-months="' in content
    assert 'data-period="2022-02"' in content and "124,00" in content
    # shown before the apply button
    assert content.index("upload-stale") < content.index('value="apply"')
    assert content.index('data-period="2022-02"') < content.index('value="apply"')


def test_a_recent_file_gets_no_age_warning(office_client, cast, media, recent_file):
    client = office_client(cast.office_a, cast.alice)
    content = upload(client, ("nowy.xml", recent_file)).content.decode()
    year, month = _last_month()
    assert f'data-periods="{year}-{month:02d}:{year}-{month:02d}"' in content
    assert "upload-stale" not in content
