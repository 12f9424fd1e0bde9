from decimal import Decimal

from django_tenants.utils import schema_context

from clients.models import Company, RevisionState
from tests.clients.reading import approved_figures_for, figure_rows


def test_cast_companies(cast):
    with schema_context(cast.office_a.schema_name):
        x = Company.objects.get(pk=cast.company_x.pk)
        assert x.people.get().user == cast.bob
        approved = {(r.figure.period_label, r.figure.kind): r.amount for r in approved_figures_for(x)}
        assert approved[("2026-01", "tax:VAT-7")] == Decimal("1000.00")
        assert ("2026-02", "tax:VAT-7") not in approved
        rows = {(row.figure.period_label, row.figure.kind): row for row in figure_rows(x)}
        assert rows[("2026-01", "tax:VAT-7")].pending.amount == Decimal("1050.00")
        assert rows[("2026-02", "tax:VAT-7")].pending.state == RevisionState.PENDING
    with schema_context(cast.office_b.schema_name):
        assert list(Company.objects.values_list("pk", flat=True)) == [cast.company_b.pk]
