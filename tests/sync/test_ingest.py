"""apply_batch: every batch rule of docs/agent-api.md and docs/domain.md ("Batch rules")."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django_tenants.utils import schema_context

from clients.approval import approve_company
from clients.messaging.models import Message, Purpose
from clients.models import (
    ApprovalLog,
    Company,
    CompanyPerson,
    Figure,
    Person,
    Revision,
    RevisionState,
    parse_period,
)
from clients.services import release_manual, set_manual_value
from offices.accounts.models import OfficeSettings
from sync.agents import create_agent
from sync.batch import FieldError
from sync.ingest import apply_batch
from tests.clients import batches as b
from tests.clients.reading import approved_figures_for, figure_rows
from tests.conftest import PESEL_BOB

JAN, FEB, MAR = parse_period("2026-01"), parse_period("2026-02"), parse_period("2026-03")


@pytest.fixture
def office_a(cast):
    with schema_context(cast.office_a.schema_name):
        yield cast


@pytest.fixture
def agent(office_a):
    return create_agent("Test agent")[0]


def set_office(**options):
    OfficeSettings.objects.filter(singleton=1).update(**options)


def values(company, state=None) -> dict:
    revisions = Revision.objects.filter(figure__company=company)
    revisions = revisions.filter(state=state) if state else revisions.exclude(state=RevisionState.SUPERSEDED)
    return {(r.figure.period_label, r.figure.kind, r.figure.payer_key, r.state): r.amount
            for r in revisions.select_related("figure")}


def snapshot() -> tuple:
    return (list(Company.objects.order_by("pk").values()), list(Person.objects.order_by("pk").values()),
            list(Figure.objects.order_by("pk").values()), list(Revision.objects.order_by("pk").values()))


# --- companies ---------------------------------------------------------------------------------


def test_unknown_nip_creates_the_company_with_the_program_as_every_source(office_a, agent):
    nip = b.make_nip(1)
    data = b.company(0, nip, "Nowa Firma", regon="012100784", email="biuro@nowa.pl", phone="+48600100200",
                     people=[b.person(0, "Anna", "Nowak", pesel=b.make_pesel(10), email="anna@nowa.pl")],
                     taxes=[b.tax(0, "2026-01", "VAT-7", "1234.50"), b.tax(1, "2026-01", "CIT", 310)],
                     zus_entries=[b.zus(0, "2026-01", social="1646.47", health="432.54", total="2079.01")],
                     statements=[b.statement(0, "2026-01", 50000, 32000, vat_due=1234)])
    result = apply_batch(b.batch(data, program="symfonia"), agent)
    assert result.as_json() == {
        "status": "applied",
        "companies": {"created": 1, "updated": 0, "unchanged": 0, "rejected": 0},
        "figures": {"created": 9, "updated": 0, "unchanged": 0, "skipped_source": 0, "approved": 0, "rejected": 0},
        "payers": {"matched": 0, "unmatched": 0},
        "settlements": {"recorded": 0, "unchanged": 0, "unmatched": 0},
        "errors": [],
    }
    company = Company.objects.get(nip=nip)
    assert (company.source_basic_data, company.source_zus, company.source_taxes, company.source_statements) == (
        "symfonia",) * 4
    assert (company.name, company.regon, company.email, company.phone, company.city) == (
        "Nowa Firma", "012100784", "biuro@nowa.pl", "+48600100200", "Warszawa")
    assert (company.vat, company.income_tax, company.zus_payer) == ("monthly", "linear", "other")
    assert company.basic_data_program == "symfonia" and company.last_synced_at is not None
    person = company.people.get()
    assert (person.first_name, person.pesel, person.email) == ("Anna", b.make_pesel(10), "anna@nowa.pl")
    assert CompanyPerson.objects.get(company=company).role == "owner"
    vat = Revision.objects.get(figure__company=company, figure__kind="tax:VAT-7")
    assert (vat.amount, vat.state, vat.source, vat.due_date) == (
        Decimal("1234.50"), RevisionState.PENDING, "symfonia", date(2026, 2, 25))
    assert set(Figure.objects.filter(company=company).values_list("kind", flat=True)) == {
        "tax:VAT-7", "tax:CIT", "zus:social", "zus:health", "zus:total", "statement:revenue", "statement:costs",
        "statement:income", "statement:vat_due"}
    # nothing is visible to clients before approval
    assert not approved_figures_for(company).exists()


def test_auto_creation_off_rejects_unknown_companies_with_a_pointer(office_a, agent):
    set_office(auto_create_companies=False)
    before = snapshot()
    unknown = b.company(0, b.make_nip(2), taxes=[b.tax(0, "2026-01", "VAT-7", 1)])
    known = b.company(1, office_a.company_y.nip, taxes=[b.tax(0, "2026-03", "VAT-7", 5)])
    result = apply_batch(b.batch(unknown), agent)
    assert result.status == "rejected"
    assert result.errors[0].pointer == "/companies/0/nip" and result.errors[0].code == "unknown_company"
    assert result.companies["rejected"] == 1 and result.figures["rejected"] == 1
    assert snapshot()[:3] == before[:3] and snapshot()[3] == before[3]

    result = apply_batch(b.batch(unknown, known), agent)
    assert result.status == "partially_applied"
    assert result.companies == {"created": 0, "updated": 1, "unchanged": 0, "rejected": 1}
    assert not Company.objects.filter(nip=unknown.nip).exists()


def test_basic_data_only_fills_blanks_unless_update_basic_data(office_a, agent):
    nip = b.make_nip(3)
    apply_batch(b.batch(b.company(0, nip, "Stara Nazwa", email="")), agent)
    changed = b.company(0, nip, "Nowa Nazwa", email="nowy@firma.pl", city="")
    result = apply_batch(b.batch(changed), agent)
    company = Company.objects.get(nip=nip)
    assert (company.name, company.email, company.city) == ("Stara Nazwa", "nowy@firma.pl", "Warszawa")
    assert result.companies["updated"] == 1

    set_office(update_basic_data=True)
    apply_batch(b.batch(changed), agent)
    company.refresh_from_db()
    # overwritten, but an empty value never erases what the office has
    assert (company.name, company.city) == ("Nowa Nazwa", "Warszawa")
    assert apply_batch(b.batch(changed), agent).companies["unchanged"] == 1


def test_basic_data_and_people_only_from_the_basic_data_program(office_a, agent):
    nip = b.make_nip(4)
    apply_batch(b.batch(b.company(0, nip, "Z Optimy", email="")), agent)
    Company.objects.filter(nip=nip).update(source_basic_data="symfonia")
    apply_batch(b.batch(b.company(0, nip, "Z Optimy 2", email="z@optimy.pl", people=[b.person(0, "A", "B")])),
                agent)
    company = Company.objects.get(nip=nip)
    assert (company.name, company.email) == ("Z Optimy", "")
    assert not company.people.exists()
    Company.objects.filter(nip=nip).update(source_basic_data=None)  # "do not update"
    apply_batch(b.batch(b.company(0, nip, "X", email="x@x.pl"), program="symfonia"), agent)
    assert Company.objects.get(nip=nip).email == ""


def test_people_are_matched_not_duplicated(office_a, agent):
    nip1, nip2 = b.make_nip(5), b.make_nip(6)
    pesel = b.make_pesel(20)
    anna = b.person(0, "Anna", "Nowak", pesel=pesel, email="anna@example.com")
    jan = b.person(1, "Jan", "Nowak", role="proxy")  # no PESEL or NIP: matched by name within the company
    apply_batch(b.batch(b.company(0, nip1, people=[anna, jan]), b.company(1, nip2, people=[anna])), agent)
    assert Person.objects.filter(pesel=pesel).count() == 1
    assert Person.objects.get(pesel=pesel).companies.count() == 2
    count = Person.objects.count()
    result = apply_batch(b.batch(b.company(0, nip1, people=[anna, jan]), b.company(1, nip2, people=[anna])), agent)
    assert Person.objects.count() == count
    assert result.companies["unchanged"] == 2
    assert CompanyPerson.objects.get(company__nip=nip1, person__first_name="Jan").role == "proxy"


def test_a_company_listed_twice_or_a_figure_listed_twice_is_rejected(office_a, agent):
    nip = b.make_nip(7)
    twice = b.company(0, nip, taxes=[b.tax(0, "2026-01", "VAT-7", 1), b.tax(1, "2026-01", "VAT-7", 2)])
    before = snapshot()
    result = apply_batch(b.batch(twice), agent)
    assert [(e.pointer, e.code) for e in result.errors] == [("/companies/0/taxes/1", "duplicate_figure")]
    assert result.figures["rejected"] == 2 and result.status == "rejected"
    assert snapshot() == before

    good = b.company(0, nip, taxes=[b.tax(0, "2026-01", "VAT-7", 1)])
    result = apply_batch(b.batch(good, b.company(1, nip)), agent)
    assert [(e.pointer, e.code) for e in result.errors] == [("/companies/1/nip", "duplicate_company")]
    assert result.companies == {"created": 1, "updated": 0, "unchanged": 0, "rejected": 1}


def test_parser_rejections_are_passed_through(office_a, agent):
    errors = (FieldError("/companies/1/taxes/0/amount", "invalid_amount", "bad"),
              FieldError("/companies/1/taxes/2/amount", "invalid_amount", "bad"))
    good = b.company(0, b.make_nip(8), taxes=[b.tax(0, "2026-01", "VAT-7", 1)])
    result = apply_batch(b.batch(good, rejected_companies=(1,), errors=errors), agent)
    assert result.status == "partially_applied"
    assert result.companies["rejected"] == 1 and result.companies["created"] == 1
    assert result.figures["rejected"] == 2
    assert result.errors == list(errors)


def test_a_disabled_company_is_not_updated(office_a, agent):
    Company.objects.filter(pk=office_a.company_y.pk).update(enabled=False)
    result = apply_batch(b.batch(b.company(0, office_a.company_y.nip, "Inna", taxes=[
        b.tax(0, "2026-05", "VAT-7", 1)])), agent)
    assert result.figures["skipped_source"] == 1 and result.companies["unchanged"] == 1
    assert not Figure.objects.filter(company=office_a.company_y, period=parse_period("2026-05")).exists()


# --- figures -----------------------------------------------------------------------------------


def test_figures_only_from_the_companys_source_program(office_a, agent):
    nip = b.make_nip(9)
    apply_batch(b.batch(b.company(0, nip)), agent)
    Company.objects.filter(nip=nip).update(source_zus="platnik", source_statements=None)
    data = b.company(0, nip, taxes=[b.tax(0, "2026-01", "VAT-7", 1)],
                     zus_entries=[b.zus(0, "2026-01", social=1, health=2, total=3)],
                     statements=[b.statement(0, "2026-01", 10, 5)])
    result = apply_batch(b.batch(data), agent)
    assert result.figures["created"] == 1 and result.figures["skipped_source"] == 6
    result = apply_batch(b.batch(data, program="platnik"), agent)
    assert result.figures["created"] == 3 and result.figures["skipped_source"] == 4
    assert set(Figure.objects.filter(company__nip=nip).values_list("kind", flat=True)) == {
        "tax:VAT-7", "zus:social", "zus:health", "zus:total"}


def test_unchanged_updated_created_and_retries_never_duplicate(office_a, agent):
    nip = b.make_nip(11)
    first = b.company(0, nip, taxes=[b.tax(0, "2026-01", "VAT-7", 100), b.tax(1, "2026-01", "CIT", 10)])
    apply_batch(b.batch(first), agent)
    rows = (Figure.objects.count(), Revision.objects.count())
    retry = apply_batch(b.batch(first), agent)
    assert retry.figures["unchanged"] == 2 and retry.figures["created"] == 0
    assert retry.companies["unchanged"] == 1
    assert (Figure.objects.count(), Revision.objects.count()) == rows

    second = b.company(0, nip, taxes=[b.tax(0, "2026-01", "VAT-7", 120), b.tax(1, "2026-01", "CIT", 10),
                                      b.tax(2, "2026-02", "VAT-7", 5)])
    result = apply_batch(b.batch(second), agent)
    assert (result.figures["created"], result.figures["updated"], result.figures["unchanged"]) == (1, 1, 1)
    company = Company.objects.get(nip=nip)
    # the newer pending value replaced the older pending one
    assert values(company) == {("2026-01", "tax:VAT-7", "", "pending"): Decimal("120.00"),
                               ("2026-01", "tax:CIT", "", "pending"): Decimal("10.00"),
                               ("2026-02", "tax:VAT-7", "", "pending"): Decimal("5.00")}
    assert Revision.objects.filter(figure__company=company, state=RevisionState.SUPERSEDED).count() == 1


def test_agent_due_date_wins_and_a_new_due_date_is_a_change(office_a, agent):
    nip = b.make_nip(12)
    apply_batch(b.batch(b.company(0, nip, taxes=[b.tax(0, "2026-01", "VAT-7", 1)])), agent)
    revision = Revision.objects.get(figure__company__nip=nip)
    assert revision.due_date == date(2026, 2, 25)
    result = apply_batch(b.batch(b.company(0, nip, taxes=[
        b.tax(0, "2026-01", "VAT-7", 1, due_date=date(2026, 2, 24))])), agent)
    assert result.figures["updated"] == 1
    assert Revision.objects.get(figure__company__nip=nip, state="pending").due_date == date(2026, 2, 24)


def test_zus_due_date_follows_the_payer_kind(office_a, agent):
    nip = b.make_nip(13)
    apply_batch(b.batch(b.company(0, nip, zus_payer="legal_person", zus_entries=[b.zus(0, "2026-07", total=1)])),
                agent)
    assert Revision.objects.get(figure__company__nip=nip).due_date == date(2026, 8, 17)  # 15 Aug: Sat + holiday


def test_a_changed_approved_figure_shows_the_old_value_until_approved(office_a, agent, office_client):
    x = office_a.company_x
    visible = {(r.figure.period_label, r.figure.kind): r.amount for r in approved_figures_for(x)}
    assert visible[("2026-01", "tax:VAT-7")] == Decimal("1000.00")  # the cast's pending 1050 is not visible
    result = apply_batch(b.batch(b.company(0, x.nip, taxes=[b.tax(0, "2026-01", "VAT-7", 1075)])), agent)
    assert result.figures["updated"] == 1
    rows = {(r.figure.period_label, r.figure.kind): r for r in figure_rows(x)}
    assert rows[("2026-01", "tax:VAT-7")].approved.amount == Decimal("1000.00")
    assert rows[("2026-01", "tax:VAT-7")].pending.amount == Decimal("1075.00")
    assert approved_figures_for(x).get(figure__kind="tax:VAT-7", figure__period=JAN).amount == Decimal("1000.00")
    approve_company(x, by_user=office_a.alice)
    assert approved_figures_for(x).get(figure__kind="tax:VAT-7", figure__period=JAN).amount == Decimal("1075.00")


def test_sending_the_published_value_again_withdraws_the_pending_change(office_a, agent):
    x = office_a.company_x
    result = apply_batch(b.batch(b.company(0, x.nip, taxes=[b.tax(0, "2026-01", "VAT-7", 1000)])), agent)
    assert result.figures["updated"] == 1
    row = next(r for r in figure_rows(x, JAN) if r.figure.kind == "tax:VAT-7")
    assert row.pending is None and row.approved.amount == Decimal("1000.00")


def test_approve_option_approves_what_the_batch_created_as_the_agent(office_a, agent):
    x = office_a.company_x
    data = b.company(0, x.nip, taxes=[b.tax(0, "2026-01", "PIT-5L", 260), b.tax(1, "2026-03", "VAT-7", 1300)])
    summaries = Message.objects.filter(company=x, purpose=Purpose.SUMMARY)
    summaries_before = summaries.count()
    result = apply_batch(b.batch(data, approve=True), agent, batch_ref="b_test")
    assert result.figures["approved"] == 2 and result.figures["updated"] == 1 and result.figures["created"] == 1
    pit = approved_figures_for(x).get(figure__kind="tax:PIT-5L", figure__period=JAN)
    assert pit.amount == Decimal("260.00")
    assert (pit.approved_by_id, pit.approved_by_agent_id, pit.approved_by_agent_name) == (None, agent.pk, agent.name)
    assert pit.approved_at is not None and pit.batch_ref == "b_test"
    # what the batch did not create stays pending: X's January VAT change and February VAT
    assert values(x, "pending") == {("2026-01", "tax:VAT-7", "", "pending"): Decimal("1050.00"),
                                    ("2026-02", "tax:VAT-7", "", "pending"): Decimal("1100.00")}
    log = ApprovalLog.objects.get(company=x, batch_ref="b_test")
    assert (log.agent_id, log.revisions, log.user_id) == (agent.pk, 2, None)
    assert summaries.count() == summaries_before  # no send_summary: no summary


def test_approve_on_sync_does_the_same(office_a, agent):
    set_office(approve_on_sync=True)
    nip = b.make_nip(14)
    result = apply_batch(b.batch(b.company(0, nip, taxes=[b.tax(0, "2026-01", "VAT-7", 1)])), agent)
    assert result.figures["approved"] == 1
    assert approved_figures_for(Company.objects.get(nip=nip)).count() == 1


def test_send_summary_queues_the_newest_period_once(office_a, agent):
    nip = b.make_nip(15)
    data = b.company(0, nip, taxes=[b.tax(0, "2026-01", "VAT-7", 1), b.tax(1, "2026-02", "VAT-7", 2)],
                     people=[b.person(0, "Anna", "Summary", email="anna.summary@example.com")])
    apply_batch(b.batch(data, approve=True, send_summary=True), agent)
    apply_batch(b.batch(data, approve=True, send_summary=True), agent)
    summaries = Message.objects.filter(company__nip=nip, purpose=Purpose.SUMMARY)
    assert list(summaries.values_list("period", "recipient")) == [(FEB, "anna.summary@example.com")]
    # without approval there is nothing a client could read: no summary
    other = b.make_nip(16)
    apply_batch(b.batch(b.company(0, other, taxes=[b.tax(0, "2026-01", "VAT-7", 1)],
                                  people=[b.person(0, "Ewa", "Summary", email="ewa.summary@example.com")]),
                        send_summary=True), agent)
    assert Person.objects.filter(email="ewa.summary@example.com").exists()
    assert not Message.objects.filter(company__nip=other, purpose=Purpose.SUMMARY).exists()


def test_manual_value_wins_until_released(office_a, agent):
    y = office_a.company_y
    revision = set_manual_value(y, JAN, "tax:VAT-7", Decimal("777"), by=office_a.alice)
    assert revision.state == RevisionState.APPROVED and revision.manual and revision.approved_by == office_a.alice
    result = apply_batch(b.batch(b.company(0, y.nip, taxes=[b.tax(0, "2026-01", "VAT-7", 700)]), approve=True),
                         agent)
    assert result.figures["skipped_source"] == 1 and result.figures["approved"] == 0
    assert approved_figures_for(y).get(figure__kind="tax:VAT-7").amount == Decimal("777.00")
    figure = Figure.objects.get(company=y, period=JAN, kind="tax:VAT-7")
    assert release_manual(figure, by=office_a.alice) is True
    assert release_manual(figure, by=office_a.alice) is False
    result = apply_batch(b.batch(b.company(0, y.nip, taxes=[b.tax(0, "2026-01", "VAT-7", 700)])), agent)
    assert result.figures["updated"] == 1
    row = next(r for r in figure_rows(y, JAN) if r.figure.kind == "tax:VAT-7")
    assert row.approved.amount == Decimal("777.00") and row.pending.amount == Decimal("700.00")
    assert list(ApprovalLog.objects.filter(company=y).values_list("action", flat=True)[:2]) == ["release", "manual"]


# --- payers and copying ZUS -------------------------------------------------------------------


def test_payers_are_matched_by_their_peoples_pesel(office_a, agent):
    x = office_a.company_x
    payers = (b.payer(0, pesel=PESEL_BOB, zus_entries=[b.zus(0, "2026-01", social=1, total=2)]),
              b.payer(1, pesel=b.make_pesel(99), zus_entries=[b.zus(0, "2026-01", total=3)]))
    result = apply_batch(b.batch(payers=payers, program="optima"), agent)
    assert result.payers == {"matched": 1, "unmatched": 1}
    assert result.figures["created"] == 2
    assert values(x, "pending")[("2026-01", "zus:total", PESEL_BOB, "pending")] == Decimal("2.00")
    assert result.status == "applied"

    set_office(match_payers=False)
    result = apply_batch(b.batch(payers=payers), agent)
    assert result.payers == {"matched": 0, "unmatched": 2} and result.figures["created"] == 0

    set_office(match_payers=True)
    Company.objects.filter(pk=x.pk).update(source_zus="platnik")
    result = apply_batch(b.batch(payers=payers), agent)
    assert result.payers["matched"] == 1 and result.figures["skipped_source"] == 2


def test_copy_zus_from_previous_month(office_a, agent):
    set_office(copy_zus_from_previous=True)
    nip = b.make_nip(17)
    pesel = b.make_pesel(30)
    jan = b.company(0, nip, zus_entries=[b.zus(0, "2026-01", social=100, total=150),
                                         b.zus(1, "2026-01", total=50, payer_pesel=pesel)])
    apply_batch(b.batch(jan, period_from="2026-01", period_to="2026-01"), agent)
    # February and March sent nothing for ZUS: January is copied into both, pending, due dates recomputed
    only_taxes = b.company(0, nip, taxes=[b.tax(0, "2026-03", "VAT-7", 1)])
    result = apply_batch(b.batch(only_taxes, period_from="2026-02", period_to="2026-03", approve=True), agent)
    assert result.figures["created"] == 1 + 6 and result.figures["approved"] == 1
    company = Company.objects.get(nip=nip)
    copied = Revision.objects.filter(figure__company=company, figure__period=MAR, figure__kind__startswith="zus:")
    assert {(r.figure.kind, r.figure.payer_key, r.amount, r.label, r.state, r.due_date) for r in copied} == {
        ("zus:social", "", Decimal("100.00"), "forecast", "pending", date(2026, 4, 20)),
        ("zus:total", "", Decimal("150.00"), "forecast", "pending", date(2026, 4, 20)),
        ("zus:total", pesel, Decimal("50.00"), "forecast", "pending", date(2026, 4, 20)),
    }
    # a month that has ZUS (sent or copied) is never overwritten by a copy
    again = apply_batch(b.batch(only_taxes, period_from="2026-02", period_to="2026-03"), agent)
    assert again.figures["created"] == 0


def test_copy_zus_is_off_by_default(office_a, agent):
    nip = b.make_nip(18)
    apply_batch(b.batch(b.company(0, nip, zus_entries=[b.zus(0, "2026-01", total=1)])), agent)
    result = apply_batch(b.batch(b.company(0, nip), period_from="2026-02", period_to="2026-02"), agent)
    assert result.figures["created"] == 0


# --- isolation, messages, speed ------------------------------------------------------------------


def test_office_b_never_sees_office_a(cast):
    with schema_context(cast.office_b.schema_name):
        agent_b = create_agent("B")[0]
        result = apply_batch(b.batch(b.company(0, cast.company_x.nip, taxes=[b.tax(0, "2026-01", "VAT-7", 1)])),
                             agent_b)
        assert result.companies["created"] == 1  # office B's own, unrelated company with the same NIP
        assert not Company.objects.filter(pk=cast.company_y.pk, nip=cast.company_y.nip).exists()
        assert Revision.objects.filter(figure__company__nip=cast.company_x.nip).count() == 1
    with schema_context(cast.office_a.schema_name):
        assert not Company.objects.filter(nip=cast.company_b.nip).exists()
        assert Revision.objects.filter(figure__company=cast.company_x, amount=Decimal("1.00")).count() == 0


def test_error_messages_are_clear(office_a, agent):
    set_office(auto_create_companies=False)
    with translation.override("en"):
        result = apply_batch(b.batch(b.company(0, "5260250995")), agent)
    assert "5260250995" in result.errors[0].detail


def _batch_of(companies: int, periods: list[str], offset: int, *, seed: int = 0, approve: bool = False):
    return b.batch(*[b.full_company(i, b.make_nip(offset + i), periods, seed=seed,
                                    people=[b.person(0, "P", str(i), pesel=b.make_pesel(offset + i))])
                     for i in range(companies)], approve=approve)


@pytest.mark.parametrize("approve", [False, True])
def test_query_count_does_not_grow_with_figures(office_a, agent, approve):
    def count(batch_) -> int:
        with CaptureQueriesContext(connection) as queries:
            apply_batch(batch_, agent)
        # django-tenants may re-send the search path before a query; that is not a query of ours
        return sum(1 for query in queries if not query["sql"].startswith("SET search_path"))

    small = count(_batch_of(1, ["2026-01"], 1000, approve=approve))
    large = count(_batch_of(20, b.months(2026), 2000, approve=approve))  # 20 companies × 12 months × 10 figures
    assert Figure.objects.filter(company__nip=b.make_nip(2000)).count() == 12 * 10
    assert large == small
    changed = count(_batch_of(20, b.months(2026), 2000, seed=1, approve=approve))
    unchanged = count(_batch_of(20, b.months(2026), 2000, seed=1, approve=approve))
    assert changed <= small + 1 and unchanged <= small
    # with approval: publishing supersedes, approves, logs and checks for clients to correct (4 statements), then
    # stores the items' payment status (company, revisions, marks, settlements, settings, delete, insert: 7)
    assert small <= (25 if approve else 16)
