"""The demo office: real data made through apply_batch, seeded fast."""

import time

from django_tenants.utils import schema_context

from clients.models import Company, Revision, RevisionState
from clients.services import approved_figures_for, companies_visible_to
from offices.accounts.models import User
from offices.demo import DEMO_SLUG, seed_demo_office
from offices.models import Office


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
        (jan_company,) = companies_visible_to(jan)
        (ewa_company,) = companies_visible_to(ewa)
        assert jan_company.name == "Kowalski Usługi Budowlane" and ewa_company.name == "Nowak Design Sp. z o.o."
        assert approved_figures_for(jan_company).filter(figure__kind="tax:VAT-7").count() == 11
