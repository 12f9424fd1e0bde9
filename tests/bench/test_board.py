"""The office's month board (``/panel/board/``) at the size of a big office: 5,000 companies.

Data: an office of its own (``benchboard``) filled through ``sync.ingest.apply_batch`` in batches of 250
companies: 3 months × 6 figures (VAT-7, PIT-5L, PIT-4; ZUS social, health, total) = 90,000 figures, approved on
arrival (the board reads one month, so older months only add rows to skip). The board's month (2026-02) is
then made varied: every 5th company's items are due in two days ("due in 3 days and not paid"), a second
sync changes the VAT of every 10th (500 pending), every 3rd is settled through
``clients.settlements.record_settlements_of`` (the service the board's "settle" uses), every 4th has the
client's paid marks (rows written directly, then ``refresh_item_statuses`` as a data fix would: 3,750
``mark_paid`` calls would only slow the loading), every 2nd a sent summary (outbox rows written directly: the
bench companies have no people to send to).

Also measured: what the writers now pay (``refresh_item_statuses`` of one batch's 250 companies × 3 months, and
the migration's backfill of the whole office), and, for scale, the old way of the board's payment columns
(``payment_items(light=True)`` of the month's 5,000 companies in Python, which every request used to pay).

Measured as ``tests/bench/test_panel.py`` measures (Django test client, the whole stack, N=20 after one
warm-up, templates without the test instrumentation), target p95 ≤ 150 ms; baseline in the same run:
``GET /panel/`` (the overview: same stack, almost no data work).
"""

import time
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.db import connection
from django.template import Template
from django.test.utils import CaptureQueriesContext, _TestState
from django.utils import timezone
from django_tenants.utils import schema_context

from clients.item_statuses import refresh_item_statuses
from clients.messaging.models import Channel, Message, Purpose, Status
from clients.models import Company, ItemStatus, PaymentMark, Revision, RevisionState, parse_period
from clients.settlements import SettlementEntry, record_settlements_of
from clients.unpaid import LightCompany, payment_items
from offices.provisioning import create_office
from sync.ingest import apply_batch
from tests.bench.conftest import timed
from tests.clients import batches as b
from tests.conftest import OfficeClient

pytestmark = pytest.mark.bench

COMPANIES = 5000
CHUNK = 250
PERIODS = ["2026-01", "2026-02", "2026-03"]
MONTH = "2026-02"
N = 20


@contextmanager
def _production_templates():
    """As in tests/bench/test_panel.py: time templates without the test environment's instrumentation."""
    instrumented = Template._render
    Template._render = _TestState.saved_data.template_render
    try:
        yield
    finally:
        Template._render = instrumented


def _get(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    if response.streaming:
        b"".join(response.streaming_content)  # the export is made while it streams: time all of it


def _samples(client, url) -> list[float]:
    _get(client, url)
    return [timed(_get, client, url) for _ in range(N)]


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        _get(client, url)
    return sum(1 for q in queries.captured_queries if not q["sql"].startswith("SET search_path"))


def _company(i: int, soon):
    taxes, zus_entries = [], []
    for m, period in enumerate(PERIODS):
        due = soon if (period == MONTH and i % 5 == 0) else None
        base = 1000 + (i % 97) * 13 + m * 11
        taxes += [b.tax(len(taxes), period, "VAT-7", base, **({"due_date": due} if due else {})),
                  b.tax(len(taxes) + 1, period, "PIT-5L", base / 4, **({"due_date": due} if due else {})),
                  b.tax(len(taxes) + 2, period, "PIT-4", 300 + i % 50, **({"due_date": due} if due else {}))]
        zus_entries.append(b.zus(m, period, social="1646.47", health=432.54 + i % 7, total=2079.01 + i % 7,
                                 **({"due_date": due} if due else {})))
    return b.company(i % CHUNK, b.make_nip(300_000 + i), f"Firma {i:05d} {('Alfa', 'Beta', 'Gamma', 'Delta')[i % 4]}",
                     taxes=taxes, zus_entries=zus_entries)


def _fill(report) -> None:
    started = time.perf_counter()
    soon = timezone.localdate() + timedelta(days=2)
    figures = 0
    for first in range(0, COMPANIES, CHUNK):
        result = apply_batch(b.batch(*[_company(i, soon) for i in range(first, min(first + CHUNK, COMPANIES))],
                                     approve=True), None)
        figures += result.figures["created"]
    load_s = time.perf_counter() - started
    changes = [b.company(j, b.make_nip(300_000 + i), taxes=[b.tax(0, MONTH, "VAT-7", 99999)])
               for j, i in enumerate(range(0, COMPANIES, 10))]
    apply_batch(b.batch(*changes), None)
    period = parse_period(MONTH)
    companies = list(Company.objects.order_by("nip"))
    approved = {}
    for revision in Revision.objects.filter(state=RevisionState.APPROVED, figure__period=period).select_related(
            "figure"):
        approved.setdefault(revision.figure.company_id, []).append(revision)
    pairs = []
    for n, company in enumerate(companies):
        if n % 3 == 0:
            pairs.append((company, [SettlementEntry(period, r.figure.kind.split(":", 1)[1], r.amount)
                                    for r in approved.get(company.pk, []) if r.figure.kind.startswith("tax:")]))
    record_settlements_of(pairs, source="program", program="optima")
    marked = [company for n, company in enumerate(companies) if n % 4 == 1]
    PaymentMark.objects.bulk_create([PaymentMark(figure=r.figure, amount=r.amount) for company in marked
                                     for r in approved.get(company.pk, []) if r.figure.kind.startswith("tax:")])
    refresh_item_statuses([company.pk for company in marked], [period])
    now = timezone.now()
    Message.objects.bulk_create([
        Message(dedup_key=f"bench-summary-{company.pk}", purpose=Purpose.SUMMARY, channel=Channel.EMAIL,
                status=Status.SENT, company=company, period=period, recipient=f"c{company.pk}@bench.test",
                subject="s", body="b", send_at=now, sent_at=now)
        for n, company in enumerate(companies) if n % 2 == 0])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    report.note(f"data: {COMPANIES} companies, {figures} figures through apply_batch in {load_s:.0f} s "
                f"(item statuses included), {len(changes)} pending changes, {len(pairs)} companies settled, "
                f"marks on every 4th, summaries sent to every 2nd; {ItemStatus.objects.count()} stored item statuses")


def _writers_and_old_way(report) -> None:
    """What the stored status costs its writers, and what the board used to compute per request."""
    period = parse_period(MONTH)
    ids = list(Company.objects.order_by("pk").values_list("pk", flat=True))
    batch = ids[:CHUNK]
    report.add("writers: refresh_item_statuses, 250 companies x 3 months",
               [timed(refresh_item_statuses, batch, [parse_period(p) for p in PERIODS]) for _ in range(5)])
    report.add("writers: refresh_item_statuses, 1 company x 1 month (a mark, a settle)",
               [timed(refresh_item_statuses, [ids[7]], [period]) for _ in range(20)])
    report.add("backfill (migration 0013): refresh_item_statuses(None), whole office",
               [timed(refresh_item_statuses, None)])
    light = [LightCompany(pk, itp, go_live) for pk, itp, go_live
             in Company.objects.values_list("pk", "income_tax_period", "go_live_month")]
    report.add("for scale, the old way: payment_items(light) of the month, 5,000 companies",
               [timed(payment_items, light, timezone.localdate(), period=period, light=True,
                      company_query=Company.objects.all()) for _ in range(3)])


def test_month_board(committed_db, bench_report):
    report = bench_report("board")
    made = create_office(slug="benchboard", name="Biuro Tablica", owner_email="owner@benchboard.test",
                         owner_password="bench-owner-password-1", owner_verified=True)
    office, owner = made.office, made.owner
    with schema_context(office.schema_name):
        _fill(report)
    client = OfficeClient(office).login_as(owner)
    board = f"/panel/board/?period={MONTH}"
    cases = [
        ("baseline: GET /panel/ (overview)", "/panel/"),
        ("board: all 5,000 companies, first page", board),
        ("board: due in 3 days and not paid (1,000)", f"{board}&filter=due_soon"),
        ("board: approved but not sent", f"{board}&filter=not_sent"),
        ("board: search by name 'Firma 0123'", f"{board}&q=Firma+0123"),
        ("board: last page (100 of 100)", f"{board}&page=100"),
        ("board export: CSV of 5,000 rows", f"/panel/board/export/?period={MONTH}&format=csv"),
    ]
    counted = {}
    with schema_context(office.schema_name), _production_templates():
        for name, url in cases:
            counted[name] = _queries(client, url)
            report.add(name, _samples(client, url), queries=counted[name])
    with schema_context(office.schema_name):
        _writers_and_old_way(report)
    # The same statements whatever the filter, search or page (tests/offices/test_month_board.py checks that
    # they do not grow with the number of companies).
    assert len({count for name, count in counted.items() if name.startswith("board:")}) == 1, counted
    report.note("server time = Django test client round trip in-process (no network, no browser), "
                "templates rendered without the test environment's instrumentation")
    assert timed(_get, client, board) < 5  # a sanity check; the figures are in docs/benchmarks.md
