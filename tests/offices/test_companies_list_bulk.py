"""The companies list's search without diacritics, pending counts and amounts per company, and bulk approval
of the ticked rows, the page, or every company matching the filters (after a confirmation of the count)."""

from decimal import Decimal

from clients.models import Company, Revision, RevisionState
from sync.agents import create_agent
from sync.ingest import apply_batch
from tests.clients import batches as b
from tests.conftest import NIP_X, NIP_Y
from tests.offices.panel_support import HTMX, in_office

URL = "/panel/companies/"
APPROVE = f"{URL}approve/"
ZUS_NIP = "5260250995"


def _nips(response) -> list[str]:
    return [company.nip for company in response.context["companies"]]


def _load(*companies) -> None:
    agent, _token = create_agent("Test agent")
    apply_batch(b.batch(*companies), agent)


def _pending(**filters) -> int:
    return Revision.objects.filter(state=RevisionState.PENDING, **filters).count()


# --- Search ------------------------------------------------------------------------------------------------


def test_search_ignores_diacritics_and_case(office_client, cast):
    with in_office(cast.office_a):
        _load(b.company(0, ZUS_NIP, "Zając i Syn Sp. z o.o."), b.company(1, b.make_nip(31), "Łódzka Żegluga"))
    client = office_client(cast.office_a, cast.alice)
    for query in ("zajac", "ZAJĄC", "Zając", "zAjAc i syn"):
        assert _nips(client.get(URL, {"q": query})) == [ZUS_NIP], query
    assert _nips(client.get(URL, {"q": "lodzka zeglUGA"})) == [b.make_nip(31)]
    assert _nips(client.get(URL, {"q": "ŁÓDZKA"})) == [b.make_nip(31)]
    assert _nips(client.get(URL, {"q": "zajaz"})) == []


def test_search_by_nip_with_dashes_or_spaces(office_client, cast):
    with in_office(cast.office_a):
        _load(b.company(0, ZUS_NIP, "Zakład"))
    client = office_client(cast.office_a, cast.alice)
    for query in ("526-025-09-95", "526 025 09 95", "5260250995", "025-09"):
        assert _nips(client.get(URL, {"q": query})) == [ZUS_NIP], query
    assert _nips(client.get(URL, {"q": "526-025-09-96"})) == []


# --- Pending count and amount ----------------------------------------------------------------------------------


def test_pending_count_and_amount_count_taxes_and_the_zus_total_only(office_client, cast):
    with in_office(cast.office_a):
        _load(b.company(0, ZUS_NIP, "Zakład", taxes=[b.tax(0, "2026-01", "VAT-7", "1000.50"),
                                                        b.tax(1, "2026-01", "PIT-5L", "200")],
                        zus_entries=[b.zus(0, "2026-01", total="500", social="300", health="200")],
                        statements=[b.statement(0, "2026-01", "10000", "4000")]))
        company = Company.objects.get(nip=ZUS_NIP)
        waiting = _pending(figure__company=company)
    client = office_client(cast.office_a, cast.alice)
    rows = {row.nip: row for row in client.get(URL).context["companies"]}
    # every pending value is counted, but only what the client will pay is summed (ZUS parts once, via the total)
    assert rows[ZUS_NIP].pending_count == waiting and waiting >= 6
    assert rows[ZUS_NIP].pending_amount == Decimal("1700.50")
    assert rows[NIP_Y].pending_count == 0 and rows[NIP_Y].pending_amount is None
    html = client.get(URL, {"q": "Zakład"}).content.decode()
    assert f'data-pending-count="{waiting}"' in html and "1\xa0700,50" in html

    with in_office(cast.office_a):
        vat = Revision.objects.get(figure__company=company, figure__kind="tax:VAT-7", state=RevisionState.PENDING)
    client.post(f"{URL}{company.pk}/approve/", {"revision": vat.pk})
    row = client.get(URL, {"q": "Zakład"}).context["companies"][0]
    assert row.pending_count == waiting - 1 and row.pending_amount == Decimal("700.00")


def test_clients_never_see_the_list_or_its_amounts(office_client, cast):
    client = office_client(cast.office_a, cast.bob)
    assert client.get(URL).status_code == 404
    assert client.get(URL, HTTP_HX_TARGET="company-table", **HTMX).status_code == 404
    assert client.post(APPROVE, {"scope": "matching", "confirmed": "on", "expected": "2"}).status_code == 404


# --- Select all -------------------------------------------------------------------------------------------------


def _add_extras(count: int) -> None:
    _load(*[b.company(i, b.make_nip(40000 + i), f"Extra {i:03d}", taxes=[b.tax(0, "2026-01", "VAT-7", 100 + i)])
            for i in range(count)])


def test_page_scope_approves_exactly_the_rows_shown(office_client, cast):
    with in_office(cast.office_a):
        _add_extras(55)
    client = office_client(cast.office_a, cast.alice)
    shown = [row.pk for row in client.get(URL, {"q": "extra"}).context["companies"]]
    assert len(shown) == 50
    client.post(APPROVE, {"scope": "page", "page_company": shown, "next": f"{URL}?q=extra"})
    with in_office(cast.office_a):
        assert _pending(figure__company__in=shown) == 0
        assert _pending(figure__company__name__startswith="Extra") == 5
        assert _pending(figure__company__nip=NIP_X) == 2


def test_all_matching_applies_the_filter_on_the_server_after_confirming_the_count(office_client, cast):
    with in_office(cast.office_a):
        _add_extras(55)
    client = office_client(cast.office_a, cast.alice)
    listing = client.get(URL, {"q": "EXTRA"}).content.decode()
    assert 'value="matching"' in listing and 'name="expected" value="55"' in listing
    ask = {"scope": "matching", "expected": "55", "next": f"{URL}?q=EXTRA"}

    confirmation = client.post(APPROVE, ask)
    assert confirmation.status_code == 200 and confirmation.context["count"] == 55
    assert 'name="confirmed"' in confirmation.content.decode()
    with in_office(cast.office_a):
        assert _pending(figure__company__name__startswith="Extra") == 55  # nothing approved before confirming

    # the count changed under the user (a confirmation for 54): asked again, nothing approved
    stale = client.post(APPROVE, {**ask, "expected": "54", "confirmed": "on"})
    assert stale.context["count"] == 55 and stale.context["changed"]
    with in_office(cast.office_a):
        assert _pending(figure__company__name__startswith="Extra") == 55

    done = client.post(APPROVE, {**ask, "confirmed": "on"})
    assert done.status_code == 302 and done["Location"] == f"{URL}?q=EXTRA"
    with in_office(cast.office_a):
        assert _pending(figure__company__name__startswith="Extra") == 0
        assert _pending(figure__company__nip=NIP_X) == 2  # not matching the filter: untouched


def test_all_matching_with_htmx_confirms_in_the_table_and_refreshes_it(office_client, cast):
    with in_office(cast.office_a):
        _add_extras(3)
    client = office_client(cast.office_a, cast.alice)
    ask = {"scope": "matching", "expected": "3", "next": f"{URL}?q=extra"}
    confirmation = client.post(APPROVE, ask, **HTMX).content.decode()
    assert confirmation.startswith('<div id="company-table">') and "<html" not in confirmation
    table = client.post(APPROVE, {**ask, "confirmed": "on"}, **HTMX).content.decode()
    assert table.startswith('<div id="company-table">') and 'class="messages"' in table
    with in_office(cast.office_a):
        assert _pending(figure__company__name__startswith="Extra") == 0
        assert _pending(figure__company__nip=NIP_X) == 2

