"""The OpenAPI description of the agent API (drf-spectacular): its settings and one ``extend_schema`` per call.

The serializers (``fields``: shared formats and problems, ``batches``: ``POST batches``, ``bodies``: the other
calls) only *describe* the request and response bodies for the schema; requests are validated by
``sync.parsing`` / ``sync.events`` (plain Python, for speed). Enums are built from the same constants the
parser uses, so the two cannot drift apart.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema

from clients.vocabulary import (
    FIGURE_LABELS,
    FILE_KINDS,
    INCOME_TAX_PERIODS,
    INCOME_TAX_SETUPS,
    PERSON_ROLES,
    PROGRAM_CODES,
    TAX_TYPES,
    VAT_SETUPS,
    ZUS_PAYER_KINDS,
)
from sync.api.problems import PROBLEM_CONTENT_TYPE, PROBLEMS
from sync.api.schema.batches import BATCH_EXAMPLE, BatchRequestSerializer, BatchResponseSerializer
from sync.api.schema.bodies import (
    CompanyPageSerializer,
    ConfigSerializer,
    ErrorReportRequestSerializer,
    ErrorReportResponseSerializer,
    EventsRequestSerializer,
    EventsResponseSerializer,
    FileUploadSerializer,
)
from sync.api.schema.fields import BATCH_ID_PATTERN, TOLERANT, ProblemSerializer
from sync.models import EventLevel

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


# --- what the calls share -------------------------------------------------------------------------

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


# --- the calls -----------------------------------------------------------------------------------

config_schema = extend_schema(
    operation_id="getConfig", tags=["agent"], summary=_("Office options the agent needs"),
    responses={200: ConfigSerializer, **_problems()}, parameters=[RETRY_AFTER],
)


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


events_schema = extend_schema(
    operation_id="postEvents", tags=["agent"], summary=_("Add to the office's event log"),
    request={"application/json": EventsRequestSerializer},
    parameters=[_idempotency_key(False), GZIP, REPLAYED, RETRY_AFTER],
    responses={201: EventsResponseSerializer, **_problems(400, 409, 413, 415, 422)},
)


error_reports_schema = extend_schema(
    operation_id="postErrorReport", tags=["agent"], summary=_("Report a problem (Zgłoś błąd)"),
    description=_("Stored with the client IP and time and shown to the office admins."),
    request={"application/json": ErrorReportRequestSerializer},
    parameters=[_idempotency_key(False), GZIP, REPLAYED, RETRY_AFTER],
    responses={201: ErrorReportResponseSerializer, **_problems(400, 409, 413, 415, 422)},
)


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

__all__ = ["BATCH_ID_PATTERN", "SPECTACULAR_SETTINGS"]
