"""The demo office: real data made through apply_batch, seeded fast."""

import time
from decimal import Decimal

from django_tenants.utils import schema_context

from clients.access import memberships_of
from clients.models import Company, Revision, RevisionState
from offices.accounts.models import User
from offices.demo import DEMO_SLUG, seed_demo_office
from offices.models import Office
from tests.clients.reading import approved_figures_for


def test_demo_office_has_a_year_of_data(db):
    started = time.perf_counter()
    assert seed_demo_office() is True
    # About 2 s on an idle machine, most of it hashing three passwords and cloning the schema;
    # the bound is loose so a busy CI machine does not fail it.
    assert time.perf_counter() - started < 15
    assert seed_demo_office() is False
    office = Office.objects.get(slug=DEMO_SLUG)
    with schema_context(office.schema_name):
        assert Company.objects.count() == 20
        assert Revision.objects.filter(state=RevisionState.APPROVED).count() > 2000
        assert Revision.objects.filter(state=RevisionState.PENDING).count() > 100
        correction = Revision.objects.get(state=RevisionState.PENDING, label="correction")
        assert correction.figure.revisions.filter(state=RevisionState.APPROVED).exists()
        jan = User.objects.get(email="jan.kowalski@example.com")
        ewa = User.objects.get(email="ewa.nowak@example.com")
        ((jan_company,), (ewa_company,)) = ([m.company for m in memberships_of(user)] for user in (jan, ewa))
        assert jan_company.name == "Kowalski Usługi Budowlane" and ewa_company.name == "Nowak Design Sp. z o.o."
        # the demo clients' newest month is approved too (due this month); the other companies' waits
        assert approved_figures_for(jan_company).filter(figure__kind="tax:VAT-7").count() == 12


def test_the_demo_tells_the_truth_about_paying(db):
    from django.utils import timezone  # noqa: PLC0415 - this test alone needs them

    from clients.dashboard import dashboard_for  # noqa: PLC0415
    from clients.models import add_months  # noqa: PLC0415
    from clients.settlements import unmatched_settlements  # noqa: PLC0415
    from offices.demo import WITHOUT_NRS  # noqa: PLC0415

    seed_demo_office()
    office = Office.objects.get(slug=DEMO_SLUG)
    today = timezone.localdate()
    this_month = today.replace(day=1)
    with schema_context(office.schema_name):
        jan = dashboard_for(User.objects.get(email="jan.kowalski@example.com"), today)[0]
        ewa = dashboard_for(User.objects.get(email="ewa.nowak@example.com"), today)[0]
        assert unmatched_settlements() == []
        no_nrs = list(Company.objects.order_by("pk"))[WITHOUT_NRS]
        assert no_nrs.zus_account == "" and Company.objects.exclude(zus_account="").count() == 19
    # History is settled from the books: what is to pay is the newest month plus exactly one overdue item.
    to_pay = [item for item in jan.items if item.to_pay]
    assert {item.period for item in to_pay} <= {add_months(this_month, -1), add_months(this_month, -2)}
    overdue = [item for item in jan.items if item.overdue]
    assert [(item.tax_type, item.period) for item in overdue] == [("PIT-5L", add_months(this_month, -2))]
    assert jan.overdue_total == overdue[0].amount < jan.total_to_pay
    assert all(item.account for item in jan.items if item.group == "zus")  # Jan's company has its NRS
    # Ewa's VAT of three months ago was corrected after payment: a nadpłata, nothing to pay there.
    assert ewa.overdue_total == 0
    with schema_context(office.schema_name):
        from clients.dashboard import month_view  # noqa: PLC0415

        vat = next(i for i in month_view(ewa.company, add_months(this_month, -3), today).items
                   if i.tax_type == "VAT-7")
    assert vat.status.overpayment == Decimal("44.31") and not vat.to_pay


def test_the_demo_office_has_a_bank_statement_to_import(db):
    from django.utils import timezone  # noqa: PLC0415 - this test alone needs them

    from clients.bank_statements import demo_statement_file, import_statement  # noqa: PLC0415
    from clients.models import StatementSource  # noqa: PLC0415
    from sync.importers import parse_statement  # noqa: PLC0415

    seed_demo_office()
    office = Office.objects.get(slug=DEMO_SLUG)
    with schema_context(office.schema_name):
        content = demo_statement_file()
        assert content is not None
        [data] = parse_statement(content).statements
        outcome = import_statement(data, source=StatementSource.PANEL)
        assert outcome.matched and [line.reason for line in outcome.unmatched] == ["no_tax_title"]
        assert outcome.other == 2
        ewa = User.objects.get(email="ewa.nowak@example.com")
        from clients.dashboard import dashboard_for  # noqa: PLC0415
        board = dashboard_for(ewa, timezone.localdate())[0]
        assert not [item for item in board.items if item.to_pay]
