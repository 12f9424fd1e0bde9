"""ZUS contribution accounts (NRS): validation both ways, where each payer's is stored, and the ZUS card."""

import re
from datetime import date

import pytest
from django.utils import translation
from django_tenants.utils import schema_context

from clients.dashboard import dashboard_for
from clients.models import Company, CompanyChange, Person
from clients.payments import validate_zus_account
from clients.zus_accounts import set_company_zus_account
from sync.ingest import apply_batch
from tests.clients import batches as b
from tests.conftest import NIP_X, PESEL_BOB

# The example of the OpenAPI description (sync/api/schema/batches.py, BATCH_EXAMPLE): company NIP 5260250995
# and its NRS.
SPEC_NIP, SPEC_NRS = "5260250995", "50600000020260005260250995"


def nrs_for(nip: str, declaration_range: str = "000") -> str:
    """An NRS built here from its published structure (not with our code): check digits + ZUS + range + NIP."""
    bban = "60000002026" + declaration_range + nip
    check = 98 - int(bban + "252100") % 97  # "PL00" moved to the end, P=25 L=21
    return f"{check:02d}{bban}"


def test_the_structure_rule_here_matches_the_spec_example():
    assert nrs_for(SPEC_NIP) == SPEC_NRS


@pytest.mark.parametrize("written", [SPEC_NRS, "50 6000 0002 0260 0052 6025 0995", "PL50600000020260005260250995",
                                     " pl 50 6000000202600052602 50995 "])
def test_a_valid_nrs_is_accepted_as_26_digits_however_it_is_spaced(written):
    assert validate_zus_account(written, nip=SPEC_NIP) == SPEC_NRS


def test_another_declaration_range_is_accepted():
    assert validate_zus_account(nrs_for(SPEC_NIP, "017"), nip="526-025-09-95") == nrs_for(SPEC_NIP, "017")


@pytest.mark.parametrize(("value", "nip", "message"), [
    ("5060000002026000526025099", SPEC_NIP, "has 26 digits"),
    ("50600000020260005260250995X", SPEC_NIP, "has 26 digits"),
    ("", SPEC_NIP, "has 26 digits"),
    # a valid micro-account (check digits right) is not a ZUS account
    ("56101000712222783191636600", "7831916366", "digits 3–13 of an NRS are always 60000002026"),
    ("51600000020260005260250995", SPEC_NIP, "wrong check digits"),
    (nrs_for("7831916366"), SPEC_NIP, "ends with the payer’s NIP (5260250995); this one ends with 7831916366"),
    (SPEC_NRS, None, "this payer has no NIP"),
    (SPEC_NRS, "5260250990", "is not a valid NIP"),
])
def test_a_wrong_nrs_is_refused_with_its_reason(value, nip, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        validate_zus_account(value, nip=nip)


def test_the_reasons_are_polish_for_polish_users():
    with translation.override("pl"), pytest.raises(ValueError) as error:
        validate_zus_account(nrs_for("7831916366"), nip=SPEC_NIP)
    assert "NIP" in str(error.value) and "płatnika" in str(error.value)


def test_the_office_sets_a_company_nrs_audited_and_a_wrong_one_changes_nothing(cast):
    with schema_context(cast.office_a.schema_name):
        x = Company.objects.get(nip=NIP_X)
        with pytest.raises(Exception, match="ends with the payer"):
            set_company_zus_account(x, nrs_for(SPEC_NIP), by=cast.alice)
        assert Company.objects.get(pk=x.pk).zus_account == ""
        assert set_company_zus_account(x, " ".join(nrs_for(NIP_X)), by=cast.alice) is True
        assert Company.objects.get(pk=x.pk).zus_account == nrs_for(NIP_X)
        assert set_company_zus_account(x, nrs_for(NIP_X), by=cast.alice) is False  # a repeat changes nothing
        change = CompanyChange.objects.get(company=x, action=CompanyChange.Action.ZUS_ACCOUNT)
        assert change.user == cast.alice and change.details == {"zus_account": ["", nrs_for(NIP_X)]}
        assert set_company_zus_account(x, "", by=cast.alice) is True  # cleared: not known any more
        assert Company.objects.get(pk=x.pk).zus_account == ""


def _zus_card(cast, today=date(2026, 2, 1)):
    with schema_context(cast.office_a.schema_name):
        board = dashboard_for(cast.bob, today=today)[0]
    return next(item for item in board.items if item.group == "zus")


def test_the_zus_card_shows_the_company_nrs_one_transfer_title_and_qr(cast):
    with schema_context(cast.office_a.schema_name):
        set_company_zus_account(Company.objects.get(nip=NIP_X), nrs_for(NIP_X), by=cast.alice)
    card = _zus_card(cast)
    assert card.account == nrs_for(NIP_X)
    assert card.title == "Składki ZUS 01.2026"
    assert card.qr_payload == f"|PL|{nrs_for(NIP_X)}|200000|ZUS|Składki ZUS 01.2026|||"


def test_until_the_nrs_is_known_the_card_says_what_is_missing_and_offers_no_qr(office_client, cast):
    card = _zus_card(cast)
    assert card.account is None and card.qr_payload is None
    client = office_client(cast.office_a, cast.bob)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "pl"
    html = client.get("/client/").content.decode()
    article = re.search(r'<article class="pay-item[^"]*"[^>]*>(?:(?!</article>).)*Składki ZUS 01.2026.*?</article>',
                        html, re.S).group(0)
    assert "Brak" in article and "NRS" in article
    assert "item_qr" not in article and "/qr" not in article


def test_a_person_paying_their_own_contributions_is_paid_to_their_own_nrs(cast):
    person_nip = b.make_nip(4242)
    with schema_context(cast.office_a.schema_name):
        Person.objects.filter(pesel=PESEL_BOB).update(nip=person_nip, zus_account=nrs_for(person_nip))
        apply_batch(b.batch(b.company(0, NIP_X, zus_entries=[b.zus(0, "2026-01", total=900, payer_pesel=PESEL_BOB)]),
                            approve=True), None)
        items = [i for i in dashboard_for(cast.bob, today=date(2026, 2, 1))[0].items if i.group == "zus"]
    by_payer = {item.payer_key: item.account for item in items}
    # The company's own ZUS has no NRS yet; bob's own contributions go to bob's NRS, never the company's.
    assert by_payer == {"": None, PESEL_BOB: nrs_for(person_nip)}
