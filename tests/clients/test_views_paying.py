"""Paying from the client views: the QR code a banking app scans, and marking an item paid (and undoing it)."""

import re
from datetime import date
from decimal import Decimal

import zxingcpp
from django.db import connection
from django_tenants.utils import schema_context
from PIL import Image

from clients.approval import approve_company_period
from clients.dashboard import dashboard_for
from clients.models import Figure, PaymentMark, parse_period
from clients.self_service import paid_marks_for
from tests.clients.test_views_dashboard import nrb_for
from tests.conftest import NIP_X


def _figure(company, kind: str) -> Figure:
    return Figure.objects.get(company=company, kind=kind, period="2026-01-01", payer_key="")


def test_the_qr_code_of_an_item_carries_the_zbp_payload(office_client, cast):
    with schema_context(cast.office_a.schema_name):
        vat = _figure(cast.company_x, "tax:VAT-7")
    response = office_client(cast.office_a, cast.bob).get(f"/client/company/{cast.company_x.pk}/item/{vat.pk}/qr.svg")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/svg+xml")
    assert response["Cache-Control"] == "private, no-store"
    image = _svg_to_image(response.content)
    decoded = zxingcpp.read_barcodes(image)
    assert [code.text for code in decoded] == [f"|PL|{nrb_for(NIP_X)}|100000|Urząd Skarbowy|/OKR/26M01/SFP/VAT-7|||"]


def _svg_to_image(svg: bytes, pixels_per_module: int = 4):
    """Draw the served SVG's modules into a bitmap (segno writes one path of horizontal runs:
    ``M x y.5`` then ``h n`` runs and relative ``m`` moves, in module units), for a real decoder to read."""
    text = svg.decode()
    size = int(re.search(r'width="(\d+)"', text).group(1))
    path = re.search(r' d="([^"]+)"', text).group(1)
    image = Image.new("L", (size, size), 255)
    x = y = 0.0
    for command, a, b in re.findall(r"([Mmh])(-?[\d.]+)(?:\s(-?[\d.]+))?", path):
        if command == "M":
            x, y = float(a), float(b)
        elif command == "m":
            x, y = x + float(a), y + float(b)
        else:
            row = int(y)  # runs are drawn along the middle of their row (y = row + .5)
            image.paste(0, (int(x * pixels_per_module), row * pixels_per_module,
                            int((x + float(a)) * pixels_per_module), (row + 1) * pixels_per_module))
            x += float(a)
    return image


def test_bob_marks_an_item_paid_and_undoes_it_idempotently(office_client, cast):
    client = office_client(cast.office_a, cast.bob)
    with schema_context(cast.office_a.schema_name):
        vat = _figure(cast.company_x, "tax:VAT-7")
    url = f"/client/company/{cast.company_x.pk}/item/{vat.pk}/paid/"
    for _attempt in range(2):
        response = client.post(url, {"action": "paid", "next": "/client/#x"})
        assert response.status_code == 302 and response["Location"] == "/client/#x"
    with schema_context(cast.office_a.schema_name):
        marks = list(paid_marks_for(cast.company_x))
        assert [(m.figure_id, m.amount, m.marked_by_id) for m in marks] == [(vat.pk, Decimal("1000.00"), cast.bob.pk)]
    html = client.get("/client/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'id="item-{vat.pk}"' in html and "Undo: not paid yet" in html
    for _attempt in range(2):
        assert client.post(url, {"action": "undo"}).status_code == 302
    with schema_context(cast.office_a.schema_name):
        assert not PaymentMark.objects.filter(figure=vat).exists()
    connection.set_schema_to_public()


def test_a_mark_no_longer_counts_once_the_office_approves_another_amount(office_client, cast):
    client = office_client(cast.office_a, cast.bob)
    with schema_context(cast.office_a.schema_name):
        vat = _figure(cast.company_x, "tax:VAT-7")
    client.post(f"/client/company/{cast.company_x.pk}/item/{vat.pk}/paid/", {"action": "paid"})
    with schema_context(cast.office_a.schema_name):
        approve_company_period(cast.company_x, parse_period("2026-01"), by_user=cast.alice)  # 1,050.00 now

        item = next(i for i in dashboard_for(cast.bob, date(2026, 2, 1))[0].items if i.figure_id == vat.pk)
    assert item.amount == Decimal("1050.00")
    assert item.mark_outdated and not item.paid and item.to_pay


def test_marking_a_zus_part_marks_the_payers_whole_transfer(office_client, cast):
    with schema_context(cast.office_a.schema_name):
        total = Figure.objects.get(company=cast.company_x, kind="zus:total", period="2026-01-01")
    response = office_client(cast.office_a, cast.bob).post(
        f"/client/company/{cast.company_x.pk}/item/{total.pk}/paid/", {"action": "paid"})
    assert response.status_code == 302
    with schema_context(cast.office_a.schema_name):
        assert PaymentMark.objects.get(figure=total).amount == Decimal("2000.00")


def test_an_unknown_action_is_refused_and_changes_nothing(office_client, cast):
    with schema_context(cast.office_a.schema_name):
        vat = _figure(cast.company_x, "tax:VAT-7")
    response = office_client(cast.office_a, cast.bob).post(
        f"/client/company/{cast.company_x.pk}/item/{vat.pk}/paid/", {"action": "steal"})
    assert response.status_code == 400
    with schema_context(cast.office_a.schema_name):
        assert not PaymentMark.objects.exists()


def test_next_must_stay_on_the_office_host(office_client, cast):
    with schema_context(cast.office_a.schema_name):
        vat = _figure(cast.company_x, "tax:VAT-7")
    response = office_client(cast.office_a, cast.bob).post(
        f"/client/company/{cast.company_x.pk}/item/{vat.pk}/paid/", {"action": "paid", "next": "https://evil.test/"})
    assert response["Location"] == "/client/"
