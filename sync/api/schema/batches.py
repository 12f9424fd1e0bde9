"""The body of ``POST batches`` and the response of a batch, as the OpenAPI description shows them."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from clients.vocabulary import (
    FIGURE_LABELS,
    INCOME_TAX_PERIODS,
    INCOME_TAX_SETUPS,
    PERSON_ROLES,
    PROGRAM_CODES,
    TAX_TYPES,
    VAT_SETUPS,
    ZUS_PAYER_KINDS,
)
from sync.api.schema.fields import (
    BATCH_ID_PATTERN,
    TOLERANT,
    FieldErrorSerializer,
    amount_field,
    date_field,
    period_field,
)
from sync.batch import SETTLEMENT_WHATS


class ProgramSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=PROGRAM_CODES)
    version = serializers.CharField(required=False, allow_blank=True, max_length=50)


class AgentInfoSerializer(serializers.Serializer):
    version = serializers.CharField(required=False, allow_blank=True, help_text=_("Stored (cut to 50)."))
    os = serializers.CharField(required=False, allow_blank=True, help_text=_("Stored (cut to 100)."))
    hostname = serializers.CharField(required=False, allow_blank=True, help_text=_("Stored (cut to 100)."))


# "from" is a Python keyword, hence type().
RangeSerializer = type("RangeSerializer", (serializers.Serializer,), {
    "__module__": __name__, "from": period_field(), "to": period_field(),
})


class OptionsSerializer(serializers.Serializer):
    approve = serializers.BooleanField(required=False, default=False,
                                       help_text=_("Approve what this batch creates, as this agent."))
    send_summary = serializers.BooleanField(required=False, default=False,
                                            help_text=_("Then queue the newest period's summary per company."))


class AddressSerializer(serializers.Serializer):
    street = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=200)
    postal_code = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=10)
    city = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=100)
    country = serializers.RegexField(r"^[A-Za-z]{2}$", required=False, allow_null=True,
                                     help_text=_("ISO 3166 alpha-2, default PL."))


class TaxSetupSerializer(serializers.Serializer):
    vat = serializers.ChoiceField(choices=VAT_SETUPS, required=False, allow_null=True)
    income_tax = serializers.ChoiceField(choices=INCOME_TAX_SETUPS, required=False, allow_null=True)
    zus_payer = serializers.ChoiceField(choices=ZUS_PAYER_KINDS, required=False, allow_null=True)
    income_tax_period = serializers.ChoiceField(
        choices=INCOME_TAX_PERIODS, required=False, allow_null=True,
        help_text=_("v1.1: quarterly income-tax advances (PIT-5, PIT-5L, PIT-28, CIT) are due on the 20th after "
                    "the quarter and titled RRKqq; default monthly."))


ZUS_ACCOUNT_HELP = _(
    "v1.1: the payer's ZUS contribution account (NRS), 26 digits, spaces tolerated: 2 check digits, 60000002026, "
    "3 digits of the declaration range and the payer's NIP; mod-97 checked. Absent or null: the stored one stays.")


class PersonSerializer(serializers.Serializer):
    first_name = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=100)
    last_name = serializers.CharField(max_length=100)
    pesel = serializers.CharField(required=False, allow_null=True, help_text=_("11 digits, checksum-validated."))
    nip = serializers.CharField(required=False, allow_null=True, help_text=_("Checksum-validated."))
    email = serializers.EmailField(required=False, allow_blank=True, allow_null=True)
    phone = serializers.CharField(required=False, allow_blank=True, allow_null=True,
                                  help_text=_("Stored as E.164; without a country code it is Polish."))
    role = serializers.ChoiceField(choices=PERSON_ROLES, required=False, default="owner")
    zus_account = serializers.CharField(required=False, allow_null=True, help_text=ZUS_ACCOUNT_HELP)


class TaxEntrySerializer(serializers.Serializer):
    period = period_field()
    type = serializers.ChoiceField(choices=TAX_TYPES)
    amount = amount_field()
    due_date = date_field(required=False, allow_null=True)
    label = serializers.ChoiceField(choices=FIGURE_LABELS, required=False, default="declaration")


class PayerIdSerializer(serializers.Serializer):
    pesel = serializers.CharField(required=False, allow_null=True)
    nip = serializers.CharField(required=False, allow_null=True)


class ZusEntrySerializer(serializers.Serializer):
    period = period_field()
    payer = PayerIdSerializer(required=False, allow_null=True,
                              help_text=_("PESEL or NIP of the payer; absent = the company itself."))
    social = amount_field(required=False, allow_null=True)
    health = amount_field(required=False, allow_null=True)
    labour_fund = amount_field(required=False, allow_null=True)
    fgsp = amount_field(required=False, allow_null=True)
    total = amount_field(required=False, allow_null=True)
    due_date = date_field(required=False, allow_null=True)
    label = serializers.ChoiceField(choices=FIGURE_LABELS, required=False, default="declaration")


class PayerZusEntrySerializer(ZusEntrySerializer):
    payer = None


class SettlementSerializer(serializers.Serializer):
    period = period_field()
    what = serializers.ChoiceField(choices=SETTLEMENT_WHATS, help_text=_("v1.1: a tax type, or ZUS."))
    payer = PayerIdSerializer(required=False, allow_null=True,
                              help_text=_("ZUS only: PESEL or NIP of the payer; absent = the company itself."))
    amount = amount_field(help_text=_("What was paid."))
    paid_on = date_field(required=False, allow_null=True)


class StatementSerializer(serializers.Serializer):
    period = period_field()
    revenue = amount_field(required=False, allow_null=True)
    costs = amount_field(required=False, allow_null=True)
    income = amount_field(required=False, allow_null=True)
    totals = serializers.DictField(child=amount_field(), required=False, help_text=_(
        "Further named totals (names: letters, digits, _; at most 70), e.g. vat_due, trial_balance_debit."))


class CompanySerializer(serializers.Serializer):
    nip = serializers.CharField(help_text=_("10 digits with a valid checksum; spaces and dashes tolerated."))
    regon = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    name = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=255)
    address = AddressSerializer(required=False, allow_null=True)
    email = serializers.EmailField(required=False, allow_blank=True, allow_null=True)
    phone = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    tax_setup = TaxSetupSerializer(required=False, allow_null=True)
    zus_account = serializers.CharField(required=False, allow_null=True, help_text=ZUS_ACCOUNT_HELP)
    people = PersonSerializer(many=True, required=False)
    taxes = TaxEntrySerializer(many=True, required=False)
    zus = ZusEntrySerializer(many=True, required=False)
    statements = StatementSerializer(many=True, required=False)
    settlements = SettlementSerializer(
        many=True, required=False,
        help_text=_("v1.1: what the accounting program booked as paid; outranks the client's own mark."))


class PayerSerializer(serializers.Serializer):
    pesel = serializers.CharField(required=False, allow_null=True)
    nip = serializers.CharField(required=False, allow_null=True)
    zus = PayerZusEntrySerializer(many=True, required=False)
    zus_account = serializers.CharField(required=False, allow_null=True, help_text=ZUS_ACCOUNT_HELP)


class BatchRequestSerializer(serializers.Serializer):
    program = ProgramSerializer()
    agent = AgentInfoSerializer(required=False)
    range = RangeSerializer(required=False)
    options = OptionsSerializer(required=False)
    companies = CompanySerializer(many=True, required=False, help_text=_(
        "Validated per company: a bad company (or a bad figure inside it) is rejected with pointers, the others "
        "are applied." + TOLERANT))
    payers = PayerSerializer(many=True, required=False, help_text=_("ZUS data of payers not attached to a company."))


class CountsCompaniesSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    rejected = serializers.IntegerField()


class CountsFiguresSerializer(CountsCompaniesSerializer):
    skipped_source = serializers.IntegerField()
    approved = serializers.IntegerField()


class CountsPayersSerializer(serializers.Serializer):
    matched = serializers.IntegerField()
    unmatched = serializers.IntegerField()


class CountsSettlementsSerializer(serializers.Serializer):
    recorded = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    unmatched = serializers.IntegerField(help_text=_("No item yet: kept, shown to the office, applied on arrival."))


class StatementLineSerializer(serializers.Serializer):
    position = serializers.IntegerField(help_text=_("The line's position in its statement, from 1."))
    booked_on = serializers.DateField()
    amount = serializers.CharField(help_text=_("Decimal string, two places."))
    account = serializers.CharField(help_text=_("The beneficiary account, 26 digits (or empty)."))
    title = serializers.CharField()
    code = serializers.CharField(help_text=_("Why it was not matched, e.g. amount_mismatch, no_item, ambiguous."))
    reason = serializers.CharField(help_text=_("The reason as a sentence (the office's language)."))


class StatementResultSerializer(serializers.Serializer):
    account = serializers.CharField(help_text=_("The statement's account, 26 digits."))
    reference = serializers.CharField()
    lines = serializers.IntegerField(help_text=_("Every booked line of the statement."))
    matched = serializers.IntegerField(help_text=_("Payments matched to an item and settled by this upload."))
    already_matched = serializers.IntegerField(help_text=_("Payments matched by an earlier upload: unchanged."))
    unmatched = StatementLineSerializer(many=True, help_text=_("Payments to a tax or ZUS account that settled "
                                                               "nothing, with the reason (at most 100)."))
    unmatched_count = serializers.IntegerField()
    other_lines = serializers.IntegerField(help_text=_("Credits and payments to other accounts: not stored."))


class BatchResponseSerializer(serializers.Serializer):
    batch = serializers.RegexField(BATCH_ID_PATTERN, help_text=_("The batch id, for GET batches/{id}."))
    status = serializers.ChoiceField(choices=("applied", "partially_applied", "rejected"))
    companies = CountsCompaniesSerializer()
    figures = CountsFiguresSerializer()
    payers = CountsPayersSerializer()
    settlements = CountsSettlementsSerializer(help_text=_("v1.1."))
    errors = FieldErrorSerializer(many=True)
    errors_omitted = serializers.IntegerField(
        required=False, min_value=1, help_text=_("How many errors were left out of the list (at most 100 are listed)."))
    statements = StatementResultSerializer(
        many=True, required=False,
        help_text=_("v1.1, POST files with a bank statement (mt940, camt053) only: one per statement in the file."))


BATCH_EXAMPLE = {
    "program": {"code": "optima", "version": "2025.0.1"},
    "agent": {"version": "1.4.0", "os": "Windows 11 Pro", "hostname": "BIURO-PC1"},
    "range": {"from": "2026-01", "to": "2026-10"},
    "options": {"approve": False, "send_summary": False},
    "companies": [{
        "nip": "5260250995", "regon": "012100784", "name": "Przykład Sp. z o.o.",
        "address": {"street": "ul. Prosta 1", "postal_code": "00-001", "city": "Warszawa", "country": "PL"},
        "email": "biuro@przyklad.pl", "phone": "+48 600 100 200",
        "tax_setup": {"vat": "monthly", "income_tax": "cit", "income_tax_period": "monthly",
                      "zus_payer": "legal_person"},
        "people": [{"first_name": "Anna", "last_name": "Nowak", "pesel": "44051401359", "nip": None,
                    "email": "anna@przyklad.pl", "phone": "+48600100200", "role": "owner"}],
        "taxes": [{"period": "2026-10", "type": "VAT-7", "amount": "1234.00", "due_date": "2026-11-25"},
                  {"period": "2026-10", "type": "CIT", "amount": "310.00"}],
        "zus": [{"period": "2026-10", "social": "1646.47", "health": "432.54", "labour_fund": "104.34",
                 "fgsp": "0.00", "total": "2183.35", "due_date": "2026-11-17"}],
        "statements": [{"period": "2026-10", "revenue": "50000.00", "costs": "32000.00", "income": "18000.00",
                        "totals": {"vat_due": "1234.00"}}],
        "zus_account": "50600000020260005260250995",
        "settlements": [{"period": "2026-09", "what": "VAT-7", "paid_on": "2026-10-24", "amount": "1180.00"},
                        {"period": "2026-09", "what": "ZUS", "paid_on": "2026-10-15", "amount": "2183.35"}],
    }],
}
