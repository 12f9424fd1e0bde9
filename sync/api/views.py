"""Agent API v1 views: thin — read the request, call the services, shape the answer.

The contract is docs/agent-api.md; the OpenAPI decorations live in ``sync.api.schema``.
"""

from __future__ import annotations

import base64
import binascii
import time
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.db import connection, transaction
from django.db.models import Q
from django.http import HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from clients.models import Company, StatementSource
from clients.vocabulary import FILE_KINDS, PROGRAM_CODES, STATEMENT_KINDS
from offices.accounts.models import OfficeSettings
from offices.accounts.network import client_ip
from sync import idempotency
from sync.api import limits, schema
from sync.api.authentication import AgentRateThrottle, AgentTokenAuthentication, IsAgent, remember_agent_info
from sync.api.bodies import declared_length, parse_json, read_body, require_json_content_type
from sync.api.exceptions import api_exception_handler
from sync.api.problems import JSON_CONTENT_TYPE, ProblemError, json_response, problem
from sync.batch import BatchResult, FieldError
from sync.events import (
    PayloadInvalidError,
    parse_error_report,
    parse_events,
    record_error_report,
    record_events,
)
from sync.importers import ExchangeFileError, detect_and_parse, parse_statement
from sync.models import Batch
from sync.parsing import RequestInvalidError, gc_paused, parse_batch
from sync.preview import review_flags
from sync.recording import apply_and_record
from sync.statements import import_and_record

COMPANIES_PAGE_SIZE = 500
COMPANIES_MAX_PAGE_SIZE = 1000
REPLAYED_HEADER = "Idempotent-Replayed"


class _JSONAlways(BaseContentNegotiation):
    """The API speaks JSON whatever ``Accept`` says (no 406 for ``Accept: text/html``)."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class AgentAPIView(APIView):
    """Base of every agent endpoint: bearer token, rate limit, problem responses."""

    authentication_classes = [AgentTokenAuthentication]
    permission_classes = [IsAgent]
    throttle_classes = [AgentRateThrottle]
    renderer_classes = [JSONRenderer]
    parser_classes: list = []  # bodies are read by sync.api.bodies (limits, gzip), never by DRF
    content_negotiation_class = _JSONAlways

    def get_exception_handler(self):
        return api_exception_handler

    @property
    def agent(self):
        return self.request.user

    # --- idempotency -------------------------------------------------------------------------

    def idempotency_key(self, request, *, required: bool) -> str | None:
        key = request.META.get("HTTP_IDEMPOTENCY_KEY")
        if key is None:
            if required:
                raise ProblemError("idempotency_key_missing", _(
                    "This request needs an Idempotency-Key header (1–255 visible ASCII characters, e.g. a UUID)."))
            return None
        if not idempotency.valid_key(key):
            raise ProblemError("idempotency_key_invalid", _(
                "The Idempotency-Key must be 1–255 visible ASCII characters (no spaces)."))
        return key

    def run_once(self, key: str | None, endpoint: str, request_hash: str, work):
        """Run ``work() -> (status, body, batch or None)`` at most once per key; replay or refuse otherwise."""
        if key is None:
            status, body, _batch = work(None)
            return json_response(body, status)
        claimed = idempotency.claim(self.agent, key, endpoint, request_hash)
        if claimed.outcome == idempotency.REPLAY:
            response = HttpResponse(claimed.response_body, status=claimed.response_status,
                                    content_type=JSON_CONTENT_TYPE)
            response[REPLAYED_HEADER] = "true"
            return response
        if claimed.outcome == idempotency.REUSED:
            return problem("idempotency_key_reused", _(
                "This Idempotency-Key was already used for a different request (another body or endpoint). "
                "Use a new key for a new request."))
        if claimed.outcome == idempotency.IN_FLIGHT:
            return problem("idempotency_request_in_flight", _(
                "A request with this Idempotency-Key is still being processed; retry in a moment."),
                headers={"Retry-After": "5"})
        try:
            status, body, _batch = work(claimed)
        finally:
            _release_quietly(claimed)
        return json_response(body, status)


def _release_quietly(claimed) -> None:
    try:
        idempotency.release(claimed)
    except Exception:  # noqa: BLE001 - the database is what failed: end the session, the claim goes with it
        connection.close()


# --- GET config ----------------------------------------------------------------------------------

@schema.config_schema
class ConfigView(AgentAPIView):
    def get(self, request):
        office_settings = OfficeSettings.load()
        office = request.tenant
        return json_response({
            "office": {"name": office.name, "slug": office.slug},
            "update_basic_data": office_settings.update_basic_data,
            "approve_on_sync": office_settings.approve_on_sync,
            "send_activation": office_settings.send_activation,
            "copy_zus_from_previous": office_settings.copy_zus_from_previous,
            "match_payers": office_settings.match_payers,
            "sync_interval_minutes": office_settings.sync_interval_minutes,
            "limits": {
                "max_body_bytes": settings.AGENT_API_MAX_BODY_BYTES,
                **limits.config_limits(),
                "rate_limit_per_minute": settings.AGENT_API_RATE_LIMIT_PER_MINUTE,
            },
        })


# --- GET companies -------------------------------------------------------------------------------

def _encode_cursor(nip: str) -> str:
    return base64.urlsafe_b64encode(f"n:{nip}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> str:
    try:
        value = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        value = ""
    if not (value.startswith("n:") and value[2:].isdigit() and len(value) == 12):
        raise ProblemError("invalid_parameter", _("The cursor is not valid; start again without one."),
                           errors=[{"parameter": "cursor", "code": "invalid_cursor", "detail": _("Invalid cursor.")}])
    return value[2:]


def _query_problem(parameter: str, code: str, detail) -> ProblemError:
    return ProblemError("invalid_parameter", detail, errors=[{"parameter": parameter, "code": code,
                                                              "detail": str(detail)}])


@schema.companies_schema
class CompaniesView(AgentAPIView):
    def get(self, request):
        params = request.GET
        companies = Company.objects.order_by("nip")
        program = params.get("program")
        if program is not None:
            if program not in PROGRAM_CODES:
                raise _query_problem("program", "invalid_choice", _("Unknown program code “%(value)s”.")
                                     % {"value": program[:40]})
            companies = companies.filter(Q(source_basic_data=program) | Q(source_zus=program)
                                         | Q(source_taxes=program) | Q(source_statements=program))
        limit = COMPANIES_PAGE_SIZE
        if params.get("limit") is not None:
            raw = params["limit"]
            if not (raw.isascii() and raw.isdigit() and 1 <= int(raw) <= COMPANIES_MAX_PAGE_SIZE):
                raise _query_problem("limit", "invalid_limit", _("limit must be a whole number from 1 to %(max)d.")
                                     % {"max": COMPANIES_MAX_PAGE_SIZE})
            limit = int(raw)
        if params.get("cursor"):
            companies = companies.filter(nip__gt=_decode_cursor(params["cursor"]))
        rows = list(companies.values_list("nip", "name", "enabled", "source_basic_data", "source_zus",
                                          "source_taxes", "source_statements")[:limit + 1])
        page, more = rows[:limit], len(rows) > limit
        next_cursor = _encode_cursor(page[-1][0]) if more else None
        next_url = None
        if next_cursor:
            query = {key: value for key, value in params.items() if key != "cursor"}
            query["cursor"] = next_cursor
            next_url = request.build_absolute_uri(request.path + "?" + urlencode(query))
        return json_response({
            "results": [
                {"nip": nip, "name": name, "enabled": enabled,
                 "sources": {"basic_data": basic, "zus": zus, "taxes": taxes, "statements": statements}}
                for nip, name, enabled, basic, zus, taxes, statements in page
            ],
            "next": next_url,
            "next_cursor": next_cursor,
        })


# --- POST batches --------------------------------------------------------------------------------

@schema.batches_schema
class BatchesView(AgentAPIView):
    def post(self, request):
        started = time.monotonic()
        key = self.idempotency_key(request, required=True)
        require_json_content_type(request)
        body = read_body(request)
        agent = self.agent

        def work(claimed):
            data = parse_json(body)
            limits.check_decoded(data)
            try:
                with gc_paused():
                    batch = parse_batch(data)
            except RequestInvalidError as exc:
                raise ProblemError("validation_error", _("The batch cannot be applied: see errors."),
                                   errors=exc.errors) from None
            del data  # the decoded JSON is not needed while the batch is applied
            limits.check_parsed(batch)
            remember_agent_info(agent, batch.agent)
            record = apply_and_record(batch, agent, source=Batch.Source.API, started=started, body_bytes=len(body),
                                      claimed=claimed)
            return 200, record.response, record

        return self.run_once(key, "batches", idempotency.fingerprint("batches", body), work)


@schema.batch_detail_schema
class BatchDetailView(AgentAPIView):
    def get(self, request, batch_id: str):
        record = Batch.objects.filter(public_id=batch_id).only("response").first()
        if record is None:
            return problem("not_found", _("There is no batch %(id)s in this office.") % {"id": batch_id[:40]})
        return json_response(_in_response_order(record.response))


def _in_response_order(stored: dict) -> dict:
    """The stored response with its members in the order of the POST response (jsonb sorts keys)."""
    error_order = {"pointer": None, "code": None, "detail": None}

    def ordered(value, like):
        if isinstance(value, dict) and isinstance(like, dict):
            keys = [key for key in like if key in value] + [key for key in value if key not in like]
            return {key: ordered(value[key], like.get(key)) for key in keys}
        if isinstance(value, list):
            return [ordered(item, error_order) for item in value]
        return value

    return ordered(stored, {"batch": None, **BatchResult().as_json()})


# --- POST events, POST error-reports ------------------------------------------------------------------

def _validation(exc: PayloadInvalidError) -> ProblemError:
    return ProblemError("validation_error", _("The request was refused: see errors."), errors=exc.errors)


@schema.events_schema
class EventsView(AgentAPIView):
    def post(self, request):
        key = self.idempotency_key(request, required=False)
        require_json_content_type(request)
        body = read_body(request)
        agent = self.agent

        def work(claimed):
            try:
                events = parse_events(parse_json(body))
            except PayloadInvalidError as exc:
                raise _validation(exc) from None
            with transaction.atomic():
                record_events(events, agent=agent)
                response = {"accepted": len(events)}
                if claimed is not None:
                    idempotency.complete(claimed, 201, response)
            return 201, response, None

        return self.run_once(key, "events", idempotency.fingerprint("events", body), work)


@schema.error_reports_schema
class ErrorReportsView(AgentAPIView):
    def post(self, request):
        key = self.idempotency_key(request, required=False)
        require_json_content_type(request)
        body = read_body(request)
        agent = self.agent
        ip = client_ip(request)

        def work(claimed):
            try:
                report = parse_error_report(parse_json(body))
            except PayloadInvalidError as exc:
                raise _validation(exc) from None
            with transaction.atomic():
                stored = record_error_report(report, agent=agent, client_ip=ip)
                response = {"id": stored.pk, "received_at": stored.received_at.isoformat()}
                if claimed is not None:
                    idempotency.complete(claimed, 201, response)
            return 201, response, None

        return self.run_once(key, "error-reports", idempotency.fingerprint("error-reports", body), work)


# --- POST files ----------------------------------------------------------------------------------

def _field_problem(pointer: str, code: str, detail) -> ProblemError:
    return ProblemError("validation_error", _("The upload was refused: see errors."),
                        errors=[FieldError(pointer, code, str(detail))])


@schema.files_schema
class FilesView(AgentAPIView):
    def post(self, request):
        started = time.monotonic()
        key = self.idempotency_key(request, required=True)
        django_request = request._request
        content_type = django_request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
        if content_type != "multipart/form-data":
            raise ProblemError("unsupported_media_type", _("Upload the file as multipart/form-data."))
        if django_request.META.get("HTTP_CONTENT_ENCODING", "identity").strip().lower() not in ("", "identity"):
            raise ProblemError("unsupported_content_encoding", _("Upload the file without Content-Encoding."))
        limit = settings.AGENT_API_MAX_BODY_BYTES
        length = declared_length(django_request)
        if length is not None and length > limit + 64 * 1024:
            raise ProblemError("body_too_large", _("The upload is larger than the limit of %(limit)s bytes.")
                               % {"limit": limit})
        try:
            kind = django_request.POST.get("kind")
            upload = django_request.FILES.get("file")
            parts = len(django_request.POST) + len(django_request.FILES)
        except (MultiPartParserError, SuspiciousOperation) as exc:
            raise ProblemError("invalid_body", _("The multipart body could not be read: %(error)s")
                               % {"error": exc}) from None
        if not parts:  # Django reads garbage as an empty form: it is an unreadable body, not a missing field
            raise ProblemError("invalid_body", _(
                "The multipart body holds no form fields: send the fields “kind” and “file” as "
                "multipart/form-data with its boundary."))
        if kind not in FILE_KINDS:
            raise _field_problem("/kind", "required" if not kind else "invalid_choice",
                                 _("kind must be one of: %(kinds)s.") % {"kinds": ", ".join(FILE_KINDS)})
        if upload is None:
            raise _field_problem("/file", "required", _("Attach the exchange file as the form field “file”."))
        if upload.size > limit:
            raise ProblemError("body_too_large", _("The file is larger than the limit of %(limit)s bytes.")
                               % {"limit": limit})
        data = upload.read()
        filename = (upload.name or "")[:255]
        agent = self.agent

        def work(claimed):
            try:
                if kind in STATEMENT_KINDS:  # v1.1: a bank statement settles the items it pays
                    statement = parse_statement(data, filename=filename, kind=kind)
                else:
                    imported = detect_and_parse(data, filename=filename, kind=kind)
            except ExchangeFileError as exc:
                raise ProblemError("import_rejected", exc.message,
                                   errors=[FieldError("/file", exc.code, exc.message)]) from None
            if kind in STATEMENT_KINDS:
                record, _outcomes = import_and_record(statement, source=StatementSource.AGENT, agent=agent,
                                                      started=started, claimed=claimed)
                return 200, record.response, record
            record = apply_and_record(imported.batch, agent, source=Batch.Source.FILE, started=started,
                                      body_bytes=len(data), claimed=claimed, flags=review_flags(imported))
            return 200, record.response, record

        request_hash = idempotency.fingerprint("files", kind.encode(), filename.encode(), data)
        return self.run_once(key, "files", request_hash, work)
