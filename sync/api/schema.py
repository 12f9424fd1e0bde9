"""The OpenAPI description of the agent API (drf-spectacular).

The serializers here only *describe* the request and response bodies for the
schema; requests are validated by ``sync.parsing`` / ``sync.events`` (plain Python,
for speed). Enums are built from the same constants the parser uses, so the two
cannot drift apart.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers

from clients.vocabulary import FILE_KINDS, PROGRAM_CODES, TAX_TYPES
from sync.api.problems import PROBLEM_CONTENT_TYPE, PROBLEMS
from sync.batch import (
    FIGURE_LABELS,
    INCOME_TAX_PERIODS,
    INCOME_TAX_SETUPS,
    PERSON_ROLES,
    SETTLEMENT_WHATS,
    VAT_SETUPS,
    ZUS_PAYER_KINDS,
)
from sync.models import EventLevel

AMOUNT_PATTERN = r"^-?[0-9]{1,12}(\.[0-9]{1,2})?$"
PERIOD_PATTERN = r"^(19|20)[0-9]{2}-(0[1-9]|1[0-2])$"
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
BATCH_ID_PATTERN = r"^b_[0-9A-HJKMNP-TV-Z]{26}$"

ENUM_NAMES = {
    "ProgramCodeEnum": PROGRAM_CODES,
    "TaxTypeEnum": TAX_TYPES,
    "FigureLabelEnum": FIGURE_LABELS,
    "PersonRoleEnum": PERSON_ROLES,
    "VatSetupEnum": VAT_SETUPS,
    "IncomeTaxSetupEnum": INCOME_TAX_SETUPS,
    "ZusPayerKindEnum": ZUS_PAYER_KINDS,
    "IncomeTaxPeriodEnum": INCOME_TAX_PERIODS,
    "EventLevelEnum": tuple(EventLevel.values),
    "FileKindEnum": FILE_KINDS,
    "BatchStatusEnum": ("applied", "partially_applied", "rejected"),
    "ProblemCodeEnum": tuple(PROBLEMS),
}

TOLERANT = " Members not listed here are ignored (newer agents may send more than this portal knows)."

DESCRIPTION = """
API for the desktop agents of an accounting office. The office is the host:
`https://{office}.{domain}/api/agent/v1/…`; a token of another office is `401`.

* **Auth**: `Authorization: Bearer <token>` (tokens: office panel → *Agents*, or
  `manage.py create_agent --office <slug> --name <name>`).
* **Bodies**: JSON, UTF-8, optionally `Content-Encoding: gzip`; at most 64 MiB after
  decompression by default (`413` beyond; the current limit is in `GET config` → `limits`).
* **Amounts** are JSON *strings* with at most two decimals and 12 integer digits
  (`"1234.50"`, `"-12.00"`); a JSON number is `invalid_amount`. Periods `YYYY-MM`, dates `YYYY-MM-DD`.
* **Errors** are `application/problem+json` (RFC 9457) with `type`, `title`, `status`, `detail`,
  `code` and, for validation, `errors: [{pointer, code, detail}]` (JSON Pointers into the body;
  query-string problems carry `parameter` instead of `pointer`).
* **Idempotency**: `POST batches` and `POST files` require `Idempotency-Key` (1–255 visible ASCII
  characters); `POST events` and `POST error-reports` accept one. Same key + same body (byte for
  byte after decompression) → the stored response again with `Idempotent-Replayed: true`; same key
  + different body → `422 idempotency_key_reused`; still in progress → `409` (with `Retry-After`).
  Keys are kept at least 24 hours, per agent.
* **Rate limit** per agent and minute → `429` with `Retry-After`; database unavailable → `503`
  with `Retry-After`. Retry those (and network errors) with backoff.
* **Unknown members** of request objects are ignored.
"""

SPECTACULAR_SETTINGS = {
    "TITLE": "Biurko Agent API",
    "VERSION": "1.0.0",
    "DESCRIPTION": DESCRIPTION,
    "ENUM_NAME_OVERRIDES": ENUM_NAMES,
    "ENUM_ADD_EXPLICIT_BLANK_NULL_CHOICE": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/agent/v1",
    "TAGS": [{"name": "agent", "description": "Desktop agent endpoints"}],
}


class AgentTokenScheme(OpenApiAuthenticationExtension):
    target_class = "sync.api.authentication.AgentTokenAuthentication"
    name = "agentToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "The agent's token, e.g. `bk_…`."}


# --- shared pieces ---------------------------------------------------------------------------------

def _amount(help_text="", **kwargs):
    return serializers.RegexField(AMOUNT_PATTERN, max_length=16, help_text=help_text or _(
        "Amount in PLN as a string, at most 2 decimals and 12 integer digits; negative = refund/surplus."), **kwargs)


def _period(**kwargs):
    return serializers.RegexField(PERIOD_PATTERN, max_length=7, help_text=_("Month, YYYY-MM."), **kwargs)


def _date(**kwargs):
    return serializers.RegexField(DATE_PATTERN, max_length=10, help_text=_("Date, YYYY-MM-DD."), **kwargs)


class FieldErrorSerializer(serializers.Serializer):
    pointer = serializers.CharField(required=False, help_text=_("JSON Pointer (RFC 6901) into the request body."))
    parameter = serializers.CharField(required=False, help_text=_("Query parameter, for query-string problems."))
    code = serializers.CharField(help_text=_(
        "invalid_amount, invalid_period, invalid_date, invalid_nip, invalid_pesel, invalid_regon, invalid_phone, "
        "invalid_email, invalid_choice, invalid_type, required, too_long, duplicate_company, duplicate_figure, "
        "unknown_company, …"))
    detail = serializers.CharField()


class ProblemSerializer(serializers.Serializer):
    type = serializers.CharField(help_text=_("urn:biurko:problem:<code>"))
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    code = serializers.ChoiceField(choices=list(PROBLEMS), help_text=_("Stable machine-readable problem code."))
    errors = FieldErrorSerializer(many=True, required=False)
    errors_omitted = serializers.IntegerField(
        required=False, min_value=1, help_text=_("How many errors were left out of the list (at most 100 are listed)."))


def _problems(*statuses: int) -> dict:
    described = {
        400: _("Malformed JSON, bad gzip, missing or invalid Idempotency-Key, invalid query parameter."),
        401: _("No token, unknown or revoked token, or a token of another office."),
        404: _("Not found (also for another office's batch)."),
        405: _("Method not allowed."),
        409: _("A request with this Idempotency-Key is still in progress (Retry-After)."),
        413: _("Body larger than the limit after decompression, or a batch over its maxima (batch_too_large)."),
        415: _("Wrong Content-Type or Content-Encoding."),
        422: _("Validation failed (errors with pointers), or Idempotency-Key reused with another body."),
        429: _("Rate limit exceeded (Retry-After)."),
        501: _("Not available on this portal."),
        503: _("Temporarily unavailable, e.g. database unreachable (Retry-After)."),
    }
    responses = {}
    for status in (401, 429, 503, *statuses):
        responses[(status, PROBLEM_CONTENT_TYPE)] = OpenApiResponse(ProblemSerializer, description=described[status])
    return responses


RETRY_AFTER = OpenApiParameter("Retry-After", OpenApiTypes.INT, OpenApiParameter.HEADER, response=[409, 429, 503],
                               description=_("Seconds to wait before retrying."))


def _idempotency_key(required: bool) -> OpenApiParameter:
    return OpenApiParameter(
        "Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER, required=required, pattern=r"^[!-~]{1,255}$",
        description=_("1–255 visible ASCII characters, unique per request (e.g. a UUID). Same key + same body → "
                      "stored response with Idempotent-Replayed: true; same key + other body → 422; in progress → "
                      "409. Kept at least 24 hours."),
    )


REPLAYED = OpenApiParameter("Idempotent-Replayed", OpenApiTypes.STR, OpenApiParameter.HEADER, response=[200, 201],
                            enum=["true"], description=_("Present when this is the stored response of an earlier "
                                                         "request with the same Idempotency-Key."))
GZIP = OpenApiParameter("Content-Encoding", OpenApiTypes.STR, OpenApiParameter.HEADER, enum=["gzip", "identity"],
                        description=_("Send gzip to compress the body (the size limit applies after decompression)."))


# --- GET config ----------------------------------------------------------------------------------

class OfficeSerializer(serializers.Serializer):
    name = serializers.CharField()
    slug = serializers.CharField()


class LimitsSerializer(serializers.Serializer):
    max_body_bytes = serializers.IntegerField(help_text=_("Largest accepted body after decompression."))
    rate_limit_per_minute = serializers.IntegerField(help_text=_("Requests per agent per minute."))
    max_companies_per_batch = serializers.IntegerField(help_text=_(
        "Most companies in one batch (v1.1); a larger batch is 413 batch_too_large: split it."))
    max_figures_per_batch = serializers.IntegerField(help_text=_(
        "Most figures (single values) in one batch (v1.1); a larger batch is 413 batch_too_large: split it."))


class ConfigSerializer(serializers.Serializer):
    office = OfficeSerializer()
    update_basic_data = serializers.BooleanField()
    approve_on_sync = serializers.BooleanField()
    send_activation = serializers.BooleanField()
    copy_zus_from_previous = serializers.BooleanField()
    match_payers = serializers.BooleanField()
    sync_interval_minutes = serializers.IntegerField()
    limits = LimitsSerializer()


config_schema = extend_schema(
    operation_id="getConfig", tags=["agent"], summary=_("Office options the agent needs"),
    responses={200: ConfigSerializer, **_problems()}, parameters=[RETRY_AFTER],
)


# --- GET companies -------------------------------------------------------------------------------

class SourcesSerializer(serializers.Serializer):
    basic_data = serializers.ChoiceField(choices=PROGRAM_CODES, allow_null=True)
    zus = serializers.ChoiceField(choices=PROGRAM_CODES, allow_null=True)
    taxes = serializers.ChoiceField(choices=PROGRAM_CODES, allow_null=True)
    statements = serializers.ChoiceField(choices=PROGRAM_CODES, allow_null=True)


class CompanyListItemSerializer(serializers.Serializer):
    nip = serializers.RegexField(r"^[0-9]{10}$")
    name = serializers.CharField()
    enabled = serializers.BooleanField()
    sources = SourcesSerializer(help_text=_("Program feeding each kind of data; null = do not update."))


class CompanyPageSerializer(serializers.Serializer):
    results = CompanyListItemSerializer(many=True)
    next = serializers.URLField(allow_null=True, help_text=_("URL of the next page, null on the last one."))
    next_cursor = serializers.CharField(allow_null=True, help_text=_("The cursor of the next page, or null."))


companies_schema = extend_schema(
    operation_id="listCompanies", tags=["agent"], summary=_("The companies the office has registered"),
    parameters=[
        OpenApiParameter("cursor", OpenApiTypes.STR, description=_("Opaque cursor from the previous page.")),
        OpenApiParameter("program", OpenApiTypes.STR, enum=list(PROGRAM_CODES),
                         description=_("Only companies for which this program is a source of anything.")),
        OpenApiParameter("limit", OpenApiTypes.INT, description=_("Page size, 1–1000 (default 500).")),
        RETRY_AFTER,
    ],
    responses={200: CompanyPageSerializer, **_problems(400)},
)


# --- POST batches --------------------------------------------------------------------------------

class ProgramSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=PROGRAM_CODES)
    version = serializers.CharField(required=False, allow_blank=True, max_length=50)


class AgentInfoSerializer(serializers.Serializer):
    version = serializers.CharField(required=False, allow_blank=True, help_text=_("Stored (cut to 50)."))
    os = serializers.CharField(required=False, allow_blank=True, help_text=_("Stored (cut to 100)."))
    hostname = serializers.CharField(required=False, allow_blank=True, help_text=_("Stored (cut to 100)."))


# "from" is a Python keyword, hence type().
RangeSerializer = type("RangeSerializer", (serializers.Serializer,), {
    "__module__": __name__, "from": _period(), "to": _period(),
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
    period = _period()
    type = serializers.ChoiceField(choices=TAX_TYPES)
    amount = _amount()
    due_date = _date(required=False, allow_null=True)
    label = serializers.ChoiceField(choices=FIGURE_LABELS, required=False, default="declaration")


class PayerIdSerializer(serializers.Serializer):
    pesel = serializers.CharField(required=False, allow_null=True)
    nip = serializers.CharField(required=False, allow_null=True)


class ZusEntrySerializer(serializers.Serializer):
    period = _period()
    payer = PayerIdSerializer(required=False, allow_null=True,
                              help_text=_("PESEL or NIP of the payer; absent = the company itself."))
    social = _amount(required=False, allow_null=True)
    health = _amount(required=False, allow_null=True)
    labour_fund = _amount(required=False, allow_null=True)
    fgsp = _amount(required=False, allow_null=True)
    total = _amount(required=False, allow_null=True)
    due_date = _date(required=False, allow_null=True)
    label = serializers.ChoiceField(choices=FIGURE_LABELS, required=False, default="declaration")


class PayerZusEntrySerializer(ZusEntrySerializer):
    payer = None


class SettlementSerializer(serializers.Serializer):
    period = _period()
    what = serializers.ChoiceField(choices=SETTLEMENT_WHATS, help_text=_("v1.1: a tax type, or ZUS."))
    payer = PayerIdSerializer(required=False, allow_null=True,
                              help_text=_("ZUS only: PESEL or NIP of the payer; absent = the company itself."))
    amount = _amount(help_text=_("What was paid."))
    paid_on = _date(required=False, allow_null=True)


class StatementSerializer(serializers.Serializer):
    period = _period()
    revenue = _amount(required=False, allow_null=True)
    costs = _amount(required=False, allow_null=True)
    income = _amount(required=False, allow_null=True)
    totals = serializers.DictField(child=_amount(), required=False, help_text=_(
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

batches_schema = extend_schema(
    operation_id="postBatch", tags=["agent"], summary=_("Post companies, people and monthly figures"),
    description=_("The main call. Each company is validated and applied on its own; see the response counts and "
                  "errors." + TOLERANT),
    request={"application/json": BatchRequestSerializer},
    parameters=[_idempotency_key(True), GZIP, REPLAYED, RETRY_AFTER],
    responses={200: BatchResponseSerializer, **_problems(400, 409, 413, 415, 422)},
    examples=[OpenApiExample("A batch from Optima", value=BATCH_EXAMPLE, request_only=True)],
)

batch_detail_schema = extend_schema(
    operation_id="getBatch", tags=["agent"], summary=_("The stored response of a batch"),
    parameters=[OpenApiParameter("batch_id", OpenApiTypes.STR, OpenApiParameter.PATH, pattern=BATCH_ID_PATTERN),
                RETRY_AFTER],
    responses={200: BatchResponseSerializer, **_problems(404)},
)


# --- POST events, POST error-reports --------------------------------------------------------------

class EventSerializer(serializers.Serializer):
    at = serializers.DateTimeField(help_text=_("ISO 8601 with a UTC offset."))
    level = serializers.ChoiceField(choices=tuple(EventLevel.values), required=False, default="info")
    code = serializers.RegexField(r"^[A-Za-z0-9_.:-]{1,64}$", help_text=_("e.g. db_unreachable"))
    message = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=10000)
    program = serializers.ChoiceField(choices=PROGRAM_CODES, required=False, allow_null=True)
    nip = serializers.CharField(required=False, allow_null=True)
    details = serializers.DictField(required=False, allow_null=True, help_text=_("Any JSON object, at most 64 KiB."))


class EventsRequestSerializer(serializers.Serializer):
    events = EventSerializer(many=True, help_text=_("1–1000 events; one invalid event refuses the request."))


class EventsResponseSerializer(serializers.Serializer):
    accepted = serializers.IntegerField()


events_schema = extend_schema(
    operation_id="postEvents", tags=["agent"], summary=_("Add to the office's event log"),
    request={"application/json": EventsRequestSerializer},
    parameters=[_idempotency_key(False), GZIP, REPLAYED, RETRY_AFTER],
    responses={201: EventsResponseSerializer, **_problems(400, 409, 413, 415, 422)},
)


class RuntimeSerializer(serializers.Serializer):
    os = serializers.CharField(required=False)
    dotnet = serializers.CharField(required=False)
    python = serializers.CharField(required=False)


class ErrorReportRequestSerializer(serializers.Serializer):
    message = serializers.CharField(max_length=10000)
    stacktrace = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=200000)
    agent = AgentInfoSerializer(required=False, allow_null=True)
    runtime = RuntimeSerializer(required=False, allow_null=True, help_text=_("Any JSON object, at most 64 KiB."))


class ErrorReportResponseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    received_at = serializers.DateTimeField()


error_reports_schema = extend_schema(
    operation_id="postErrorReport", tags=["agent"], summary=_("Report a problem (Zgłoś błąd)"),
    description=_("Stored with the client IP and time and shown to the office admins."),
    request={"application/json": ErrorReportRequestSerializer},
    parameters=[_idempotency_key(False), GZIP, REPLAYED, RETRY_AFTER],
    responses={201: ErrorReportResponseSerializer, **_problems(400, 409, 413, 415, 422)},
)


# --- POST files ----------------------------------------------------------------------------------

class FileUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=_("The exchange file (XML, or ZIP where the importer allows it), or a "
                                             "bank statement (MT940 text, CAMT.053 XML)."))
    kind = serializers.ChoiceField(choices=FILE_KINDS)


files_schema = extend_schema(
    operation_id="postFile", tags=["agent"],
    summary=_("Upload an exchange file (JPK_V7M/K, KEDU) or a bank statement (MT940, CAMT.053)"),
    description=_("Parsed by the same importers as the panel's upload and applied like a batch from program "
                  "file_import. Malformed, oversized or hostile XML is refused (422 import_rejected). For "
                  "multipart fields, error pointers name the field (/kind, /file). v1.1: a bank statement "
                  "(kind mt940 or camt053) settles the items its payments match (account, title and amount; "
                  "counted in settlements) and lists, per statement, the payments it could not match with the "
                  "reason; the same statement twice changes nothing."),
    request={"multipart/form-data": FileUploadSerializer},
    parameters=[_idempotency_key(True), REPLAYED, RETRY_AFTER],
    responses={200: BatchResponseSerializer, **_problems(400, 409, 413, 415, 422, 501)},
)

__all__ = ["SPECTACULAR_SETTINGS"]
