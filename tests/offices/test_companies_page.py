"""A company's page in the panel: who reaches it, old → new, approval (htmx and plain), manual values,
source programs, the sync switch, basic data and the audit trail; constant queries whatever the months."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clients.models import (
    ApprovalLog,
    Company,
    CompanyChange,
    Figure,
    Revision,
    RevisionState,
    parse_period,
)
from offices.accounts.models import OfficeSettings
from sync.agents import create_agent
from sync.ingest import apply_batch
from tests.clients import batches as b
from tests.clients.reading import approved_figures_for
from tests.conftest import NIP_X, PESEL_BOB
from tests.offices.panel_support import HTMX, admin_user, bookkeeper, in_office  # noqa: F401

JAN, FEB = parse_period("2026-01"), parse_period("2026-02")


def page(company) -> str:
    return f"/panel/companies/{company.pk}/"


def bob_sees(cast, kind="tax:VAT-7", period=JAN):
    """What bob (client of X) sees: the approved revisions only, through the clients service."""
    with in_office(cast.office_a):
        return {(r.figure.kind, r.figure.period): r.amount for r in approved_figures_for(cast.company_x)}.get(
            (kind, period))


def pending_of(cast, company=None) -> int:
    with in_office(cast.office_a):
        return Revision.objects.filter(figure__company=company or cast.company_x, state=RevisionState.PENDING).count()


# --- Who reaches it ----------------------------------------------------------------------------------------

ACTIONS = ["approve/", "manual/", "sources/", "enabled/", "basic/"]


def test_role_matrix(office_client, cast, bookkeeper):  # noqa: F811
    url = page(cast.company_x)
    assert office_client(cast.office_a, cast.alice).get(url).status_code == 200
    assert office_client(cast.office_a, bookkeeper).get(url).status_code == 200
    assert office_client(cast.office_a, cast.bob).get(url).status_code == 404
    assert office_client(cast.office_a).get(url).status_code == 302
    for action in ACTIONS:
        assert office_client(cast.office_a, cast.bob).post(url + action, {"all": "1"}).status_code == 404
    # the assignment is for administrators only
    assert office_client(cast.office_a, bookkeeper).post(url + "assign/", {"bookkeeper": ""}).status_code == 404
    assert pending_of(cast) == 2


def test_dave_of_office_b_reaches_nothing_of_office_a(office_client, cast):
    dave = office_client(cast.office_b, cast.dave)
    with in_office(cast.office_b):
        ids_in_b = set(Company.objects.values_list("pk", flat=True))
    for company in (cast.company_x, cast.company_y):
        if company.pk not in ids_in_b:
            assert dave.get(page(company)).status_code == 404
            assert dave.post(page(company) + "approve/", {"all": "1"}).status_code == 404
    assert pending_of(cast) == 2


def test_unknown_ids_are_404(office_client, cast):
    client = office_client(cast.office_a, cast.alice)
    assert client.get("/panel/companies/999999/").status_code == 404
    assert client.post(page(cast.company_x) + "figures/999999/release/").status_code == 404
    assert client.post(page(cast.company_x) + "approve/", {"revision": "999999"}).status_code == 404
    # a revision of another company through X's URL
    with in_office(cast.office_a):
        y_revision = Revision.objects.filter(figure__company=cast.company_y).first()
    assert client.post(page(cast.company_x) + "approve/", {"revision": y_revision.pk}).status_code == 404


# --- What the page shows ------------------------------------------------------------------------------------


def test_page_shows_old_and_new_side_by_side_and_masks_pesel(office_client, cast):
    response = office_client(cast.office_a, cast.alice).get(page(cast.company_x), {"period": "2026-01"})
    html = response.content.decode()
    assert response.status_code == 200
    changed = [row for row in response.context["rows"] if row.changed]
    assert [(row.approved.amount, row.pending.amount) for row in changed] == [(Decimal("1000.00"), Decimal("1050.00"))]
    # amounts are localised (1000,00 in Polish)
    assert re.search(r"1000[.,]00", html) and re.search(r"1050[.,]00", html) and re.search(r"\+50[.,]00", html)
    assert PESEL_BOB not in html
    assert PESEL_BOB[6:] in html  # the masked form shows the last five digits
    assert "optima" in html.lower()
    months = {month.label: month.pending for month in response.context["months"]}
    assert months == {"2026-01": 1, "2026-02": 1}


def test_default_month_is_one_with_something_to_approve_and_tabs_switch(office_client, cast):
    client = office_client(cast.office_a, cast.alice)
    assert client.get(page(cast.company_x)).context["month"].label in ("2026-01", "2026-02")
    zus = client.get(page(cast.company_x), {"period": "2026-01", "tab": "zus"}, HTTP_HX_TARGET="review", **HTMX)
    html = zus.content.decode()
    assert html.startswith('<section id="review"') and "<html" not in html
    assert [row.figure.kind for row in zus.context["rows"]] == ["zus:total"]
    statements = client.get(page(cast.company_x), {"period": "2026-01", "tab": "statements"})
    assert sorted(row.figure.kind for row in statements.context["rows"]) == [
        "statement:costs", "statement:income", "statement:revenue"]


def test_figures_and_the_manual_value_form_show_names_never_codes(office_client, cast):
    client = office_client(cast.office_a, cast.alice)  # the panel speaks Polish by default
    zus = client.get(page(cast.company_x), {"period": "2026-01", "tab": "zus"}, HTTP_HX_TARGET="review", **HTMX)
    assert "Składki ZUS" in zus.content.decode()
    statements = client.get(page(cast.company_x), {"period": "2026-01", "tab": "statements"}).content.decode()
    assert "Przychód" in statements
    for code in (">labour_fund<", ">fgsp<", ">social<", ">revenue<", ">total<"):
        assert code not in statements, code  # the manual value form lists every kind


def test_no_data_where_the_program_has_nothing_or_do_not_update(office_client, cast):
    client = office_client(cast.office_a, cast.alice)
    with in_office(cast.office_a):
        Company.objects.filter(pk=cast.company_y.pk).update(source_zus="kpr", source_statements=None)
    zus = client.get(page(cast.company_y), {"period": "2026-01", "tab": "zus"})
    assert zus.context["rows"] == [] and zus.context["tab_program_lacks"]
    statements = client.get(page(cast.company_y), {"period": "2026-01", "tab": "statements"})
    assert statements.context["tab_source"] is None
    assert 'class="no-data"' in statements.content.decode()


def _add_months(company_nip: str, count: int, start_year: int = 2024) -> None:
    agent, _token = create_agent("Months")
    periods = [f"{start_year + i // 12:04d}-{i % 12 + 1:02d}" for i in range(count)]
    apply_batch(b.batch(b.full_company(0, company_nip, periods)), agent)


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, {"period": "2026-01"}).status_code == 200
    return sum(1 for query in queries.captured_queries if not query["sql"].startswith("SET search_path"))


def test_constant_queries_whatever_the_number_of_months(office_client, cast):
    client = office_client(cast.office_a, cast.alice)
    with in_office(cast.office_a):
        _add_months(NIP_X, 2)
    few = _queries(client, page(cast.company_x))
    with in_office(cast.office_a):
        _add_months(NIP_X, 24)
    many = _queries(client, page(cast.company_x))
    assert few == many, (few, many)
    assert many <= 16


# --- Approval -------------------------------------------------------------------------------------------------


def test_approving_a_month_without_js_publishes_it_to_bob(office_client, cast):
    assert bob_sees(cast) == Decimal("1000.00")
    client = office_client(cast.office_a, cast.alice)
    response = client.post(page(cast.company_x) + "approve/", {"period": "2026-01", "tab": "taxes"})
    assert response.status_code == 302
    assert response["Location"] == page(cast.company_x) + "?period=2026-01&tab=taxes"
    assert bob_sees(cast) == Decimal("1050.00")
    assert pending_of(cast) == 1  # February still waits
    with in_office(cast.office_a):
        log = ApprovalLog.objects.filter(company=cast.company_x).first()
        assert (log.user, log.period, log.revisions) == (cast.alice, JAN, 1)
    # the mark of January is gone, February keeps it
    months = {m.label: m.pending for m in client.get(page(cast.company_x)).context["months"]}
    assert months == {"2026-01": 0, "2026-02": 1}


def test_approving_with_htmx_returns_the_review_fragment_without_the_mark(office_client, cast):
    client = office_client(cast.office_a, cast.alice)
    response = client.post(page(cast.company_x) + "approve/", {"all": "1", "period_view": "2026-01"}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and html.startswith('<section id="review"')
    assert 'data-pending="1"' not in html
    assert pending_of(cast) == 0
    assert bob_sees(cast, period=FEB) == Decimal("1100.00")
    # approving again is idempotent and says so
    again = client.post(page(cast.company_x) + "approve/", {"all": "1"}, **HTMX)
    assert again.context["review_message"][0]


def test_approving_one_value_and_a_superseded_one(office_client, cast):
    client = office_client(cast.office_a, cast.alice)
    with in_office(cast.office_a):
        pending = Revision.objects.get(figure__company=cast.company_x, figure__period=FEB, state=RevisionState.PENDING)
    # a sync replaces the pending February value before the bookkeeper clicks
    with in_office(cast.office_a):
        agent, _token = create_agent("Later")
        apply_batch(b.batch(b.company(0, NIP_X, taxes=[b.tax(0, "2026-02", "VAT-7", 1200)])), agent)
    response = client.post(page(cast.company_x) + "approve/", {"revision": pending.pk}, **HTMX)
    assert response.status_code == 200
    assert bob_sees(cast, period=FEB) is None
    with in_office(cast.office_a):
        newer = Revision.objects.get(figure__company=cast.company_x, figure__period=FEB, state=RevisionState.PENDING)
    client.post(page(cast.company_x) + "approve/", {"revision": newer.pk})
    assert bob_sees(cast, period=FEB) == Decimal("1200.00")


def test_approve_without_a_month_is_an_error_and_changes_nothing(office_client, cast):
    response = office_client(cast.office_a, cast.alice).post(page(cast.company_x) + "approve/", {"period": "x"},
                                                             follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert pending_of(cast) == 2


# --- Manual values ---------------------------------------------------------------------------------------------


def test_manual_value_wins_over_the_sync_until_released(office_client, cast):
    client = office_client(cast.office_a, cast.alice)
    response = client.post(page(cast.company_x) + "manual/", {
        "period": "2026-01", "kind": "tax:PIT-5L", "amount": "333.33", "approve": "on"})
    assert response.status_code == 302
    assert bob_sees(cast, "tax:PIT-5L") == Decimal("333.33")
    html = client.get(page(cast.company_x), {"period": "2026-01", "tab": "taxes"}).content.decode()
    assert "manual" in html
    with in_office(cast.office_a):
        figure = Figure.objects.get(company=cast.company_x, period=JAN, kind="tax:PIT-5L")
        assert figure.manual
        agent, _token = create_agent("Sync")
        apply_batch(b.batch(b.company(0, NIP_X, taxes=[b.tax(0, "2026-01", "PIT-5L", 999)]), approve=True), agent)
    assert bob_sees(cast, "tax:PIT-5L") == Decimal("333.33")
    release = client.post(page(cast.company_x) + f"figures/{figure.pk}/release/", {"period_view": "2026-01"}, **HTMX)
    assert release.status_code == 200
    with in_office(cast.office_a):
        apply_batch(b.batch(b.company(0, NIP_X, taxes=[b.tax(0, "2026-01", "PIT-5L", 999)]), approve=True), agent)
        actions = list(ApprovalLog.objects.filter(company=cast.company_x).values_list("action", flat=True))
    assert bob_sees(cast, "tax:PIT-5L") == Decimal("999.00")
    assert "manual" in actions and "release" in actions


def test_manual_value_errors_change_nothing(office_client, cast):
    client = office_client(cast.office_a, cast.alice)
    response = client.post(page(cast.company_x) + "manual/", {"period": "2026-13", "kind": "tax:VAT-7",
                                                              "amount": "abc"})
    assert response.status_code == 400
    assert set(response.context["manual_form"].errors) == {"period", "amount"}
    htmx = client.post(page(cast.company_x) + "manual/", {"period": "2026-01", "kind": "tax:VAT-7", "amount": "1",
                                                          "payer_key": "44051401359"}, **HTMX)
    assert htmx.status_code == 400 and "payer_key" in htmx.context["manual_form"].errors
    with in_office(cast.office_a):
        assert not Figure.objects.filter(company=cast.company_x, manual=True).exists()


# --- Sources, switch, bookkeeper, basic data ------------------------------------------------------------------------


def test_sources_per_kind_and_for_all_companies(office_client, cast):
    client = office_client(cast.office_a, cast.alice)
    response = client.post(page(cast.company_x) + "sources/", {
        "basic_data": "optima", "zus": "platnik", "taxes": "optima", "statements": "", "for_all": ["zus"]})
    assert response.status_code == 302
    with in_office(cast.office_a):
        x, y = Company.objects.get(pk=cast.company_x.pk), Company.objects.get(pk=cast.company_y.pk)
        assert (x.source_zus, x.source_statements, y.source_zus, y.source_statements) == (
            "platnik", None, "platnik", "optima")
        changes = CompanyChange.objects.filter(action=CompanyChange.Action.SOURCES)
        assert changes.filter(company=x).count() == 1 and changes.filter(company=y).count() == 1
    # the sync now skips X's statements and ZUS from optima
    with in_office(cast.office_a):
        agent, _token = create_agent("Sync")
        result = apply_batch(b.batch(b.company(0, NIP_X, statements=[b.statement(0, "2026-03", 1, 1)])), agent)
    assert result.figures["skipped_source"] == 3
    audit = client.get(page(cast.company_x)).context["audit"]
    # in words: the kind by its label, the programs by their names, never the codes
    assert any("Zestawienia z: Comarch ERP Optima → —" in row.details for row in audit), [r.details for r in audit]
    assert not any("statements" in row.details or "optima" in row.details for row in audit)


def test_unknown_program_is_refused(office_client, cast):
    response = office_client(cast.office_a, cast.alice).post(page(cast.company_x) + "sources/", {"zus": "excel"},
                                                             follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    with in_office(cast.office_a):
        assert Company.objects.get(pk=cast.company_x.pk).source_zus == "optima"


def test_switching_synchronisation_off_and_on(office_client, cast):
    client = office_client(cast.office_a, cast.alice)
    client.post(page(cast.company_x) + "enabled/", {"enabled": "0"})
    with in_office(cast.office_a):
        assert not Company.objects.get(pk=cast.company_x.pk).enabled
        agent, _token = create_agent("Sync")
        result = apply_batch(b.batch(b.company(0, NIP_X, taxes=[b.tax(0, "2026-03", "VAT-7", 5)])), agent)
        assert result.figures["skipped_source"] == 1
    response = client.post(page(cast.company_x) + "enabled/", {"enabled": "1"}, **HTMX)
    assert response.status_code == 204 and response["HX-Redirect"].startswith(page(cast.company_x))
    with in_office(cast.office_a):
        assert Company.objects.get(pk=cast.company_x.pk).enabled
        assert list(CompanyChange.objects.filter(company=cast.company_x).values_list("action", flat=True)) == [
            "enabled", "disabled"]


def test_administrator_assigns_a_bookkeeper_who_then_sees_the_company(office_client, cast, bookkeeper):  # noqa: F811
    with in_office(cast.office_a):
        row = OfficeSettings.load()
        row.bookkeepers_see_assigned_only = True
        row.save()
    assert office_client(cast.office_a, bookkeeper).get(page(cast.company_x)).status_code == 404
    office_client(cast.office_a, cast.alice).post(page(cast.company_x) + "assign/", {"bookkeeper": bookkeeper.pk})
    assert office_client(cast.office_a, bookkeeper).get(page(cast.company_x)).status_code == 200
    # a client cannot be assigned
    response = office_client(cast.office_a, cast.alice).post(page(cast.company_x) + "assign/",
                                                             {"bookkeeper": cast.bob.pk}, follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["error"]


def test_editing_basic_data_marks_the_fields_as_the_offices(office_client, cast):
    client = office_client(cast.office_a, cast.alice)
    assert client.get(page(cast.company_x) + "basic/").status_code == 200
    with in_office(cast.office_a):
        company = Company.objects.get(pk=cast.company_x.pk)
    data = {name: getattr(company, name) for name in ("name", "regon", "street", "postal_code", "city", "country",
                                                      "email", "phone", "vat", "income_tax", "zus_payer")}
    data.update(name="Firma X (nazwa biura)", email="not-an-email")
    assert client.post(page(cast.company_x) + "basic/", data).status_code == 400
    data["email"] = "biuro@x.pl"
    assert client.post(page(cast.company_x) + "basic/", data).status_code == 302
    with in_office(cast.office_a):
        company.refresh_from_db()
        assert company.name == "Firma X (nazwa biura)" and sorted(company.office_edited) == ["email", "name"]


@pytest.mark.parametrize("who", ["alice", "bookkeeper"])
def test_audit_trail_lists_approvals_with_who(office_client, cast, bookkeeper, who):  # noqa: F811
    user = cast.alice if who == "alice" else bookkeeper
    client = office_client(cast.office_a, user)
    client.post(page(cast.company_x) + "approve/", {"period": "2026-02"})
    audit = client.get(page(cast.company_x)).context["audit"]
    assert audit[0].who == str(user) and audit[0].period == FEB
