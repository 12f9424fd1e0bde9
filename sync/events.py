"""The office's event log (dziennik zdarzeń), batch records and agents' error reports.

``record_batch`` is what every entry point calls once ``apply_batch`` has run:
it stores the batch with the response the agent gets and logs an event about it.
``parse_events`` / ``record_events`` and ``parse_error_report`` / ``record_error_report``
back ``POST events`` and ``POST error-reports``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import orjson
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.names import program_name
from clients.validators import normalize_nip
from clients.vocabulary import PROGRAM_CODES
from sync.batch import FieldError, json_pointer
from sync.batch_report import count_summary
from sync.models import EVENT_TIME_MAX, EVENT_TIME_MIN, Agent, Batch, BatchStatus, ErrorReport, Event, EventLevel

MAX_EVENTS_PER_REQUEST = 1000
MAX_MESSAGE_CHARS = 10_000
MAX_STACKTRACE_CHARS = 200_000
MAX_DETAILS_BYTES = 64 * 1024
MAX_DETAILS_DEPTH = 32
MAX_UTC_OFFSET = timedelta(hours=14)  # the real world's range (Line Islands +14:00, Baker Island -12:00)
_EVENT_CODE = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
_LEVELS = frozenset(EventLevel.values)
_PROGRAMS = frozenset(PROGRAM_CODES)


class PayloadInvalidError(Exception):
    def __init__(self, errors: list[FieldError]):
        super().__init__("; ".join(f"{error.pointer}: {error.code}" for error in errors))
        self.errors = errors


# --- batches -------------------------------------------------------------------------------------

def record_batch(*, agent: Agent | None, program: str, program_version: str, result_json: dict,
                 source: str = Batch.Source.API, duration_ms: int = 0, body_bytes: int = 0,
                 public_id: str | None = None, erred_companies: dict[str, dict] | None = None,
                 flags: Iterable = ()) -> Batch:
    """Store one applied batch and its response (``result_json`` is ``BatchResult.as_json()``),
    and log it in the event log. Returns the batch; ``batch.response`` is the full 200 body.

    ``erred_companies`` (``{"3": {"nip": …, "name": …}}``, by index in the request) is what the request said
    about the companies its errors point at: the response, kept exactly as sent, cannot name them;
    ``flags`` (``ReviewFlag``s of an exchange file) are kept as codes and parameters, for the batch page."""
    batch = Batch(agent=agent, source=source, program=program, program_version=program_version or "",
                  status=result_json["status"], duration_ms=duration_ms, body_bytes=body_bytes)
    if public_id:
        batch.public_id = public_id
    batch.response = {"batch": batch.public_id, **result_json}
    level = {BatchStatus.APPLIED: EventLevel.INFO, BatchStatus.PARTIALLY_APPLIED: EventLevel.WARNING}.get(
        batch.status, EventLevel.ERROR)
    message = batch_message(batch)
    with transaction.atomic():
        batch.save()
        Event.objects.create(at=batch.received_at, source=Event.Source.PORTAL, level=level,
                             code=f"batch_{batch.status}", message=message, program=program, agent=agent, batch=batch,
                             details={"errors": len(result_json.get("errors", []))
                                      + result_json.get("errors_omitted", 0),
                                      "companies": erred_companies or {},
                                      "flags": [flag.as_json() for flag in flags]})
    return batch


def batch_message(batch: Batch) -> str:
    """The event log's line about a batch, counts labelled (“companies: created 0, updated 1, …”)."""
    return _("Batch %(batch)s from %(program)s: %(status)s; %(counts)s.") % {
        "batch": batch.public_id, "program": program_name(batch.program) if batch.program else "—",
        "status": batch.get_status_display(),
        "counts": count_summary(batch.response)}


# --- events ----------------------------------------------------------------------------------------

@dataclass
class EventData:
    at: datetime
    level: str
    code: str
    message: str = ""
    program: str = ""
    nip: str = ""
    details: dict = field(default_factory=dict)


def _parse_datetime(value) -> datetime | None:
    if type(value) is not str or len(value) > 40:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z") else value)
    except ValueError:
        return None
    offset = parsed.utcoffset()
    if offset is None or abs(offset) > MAX_UTC_OFFSET or offset % timedelta(minutes=1):
        return None
    return parsed if EVENT_TIME_MIN <= parsed < EVENT_TIME_MAX else None


def _depth_error(value, pointer: str) -> FieldError | None:
    """An error at the first container nested deeper than ``MAX_DETAILS_DEPTH`` (``value`` is depth 1)."""
    stack = [(pointer, value, 1)]
    while stack:  # iterative: the point is to refuse what recursion could not handle
        at, item, depth = stack.pop()
        children = item.items() if type(item) is dict else enumerate(item) if type(item) is list else ()
        for key, child in children:
            if type(child) in (dict, list):
                child_at = f"{at}/{json_pointer((key,))[1:]}"
                if depth + 1 > MAX_DETAILS_DEPTH:
                    return FieldError(child_at, "too_deep", _("At most %(max)d levels of nesting are allowed.")
                                      % {"max": MAX_DETAILS_DEPTH})
                stack.append((child_at, child, depth + 1))
    return None


def _details(value, pointer: str, errors: list[FieldError]) -> dict:
    if value is None:
        return {}
    if type(value) is not dict:
        errors.append(FieldError(pointer, "invalid_type", _("Expected an object.")))
        return {}
    too_deep = _depth_error(value, pointer)
    if too_deep is not None:
        errors.append(too_deep)
        return {}
    dumped = orjson.dumps(value)
    if len(dumped) > MAX_DETAILS_BYTES:
        errors.append(FieldError(pointer, "too_large", _("At most %(max)d bytes of details are allowed.")
                                 % {"max": MAX_DETAILS_BYTES}))
        return {}
    if b"\\u0000" in dumped:  # PostgreSQL cannot store NUL characters, in text or in jsonb
        errors.append(FieldError(pointer, "invalid_characters", _("Text must not contain NUL characters.")))
        return {}
    return value


def _short_text(value, pointer: str, errors: list[FieldError], max_chars: int, *, required: bool = False) -> str:
    if value is None or (type(value) is str and not value.strip()):
        if required:
            errors.append(FieldError(pointer, "required", _("This field is required.")))
        return ""
    if type(value) is not str:
        errors.append(FieldError(pointer, "invalid_type", _("Expected a string.")))
        return ""
    if len(value) > max_chars:
        detail = _("At most %(max)d characters are allowed.") % {"max": max_chars}
        errors.append(FieldError(pointer, "too_long", detail))
        return ""
    if "\x00" in value:
        errors.append(FieldError(pointer, "invalid_characters", _("Text must not contain NUL characters.")))
        return ""
    return value


def parse_events(data) -> list[EventData]:
    """``{"events": [...]}`` → events; any invalid event refuses the request (``PayloadInvalidError``)."""
    if type(data) is not dict:
        raise PayloadInvalidError([FieldError("", "invalid_type", _("The body must be a JSON object."))])
    raw_events = data.get("events")
    if type(raw_events) is not list:
        raise PayloadInvalidError([FieldError("/events", "required" if raw_events is None else "invalid_type",
                                              _("Send the events as an array in “events”."))])
    if len(raw_events) > MAX_EVENTS_PER_REQUEST:
        detail = _("At most %(max)d events per request.") % {"max": MAX_EVENTS_PER_REQUEST}
        raise PayloadInvalidError([FieldError("/events", "too_many_items", detail)])
    errors: list[FieldError] = []
    events = []
    for index, raw in enumerate(raw_events):
        base = f"/events/{index}"
        if type(raw) is not dict:
            errors.append(FieldError(base, "invalid_type", _("Expected an object.")))
            continue
        at = _parse_datetime(raw.get("at"))
        if at is None:
            errors.append(FieldError(f"{base}/at", "invalid_datetime", _(
                "Write the time as ISO 8601 with a UTC offset, e.g. 2026-11-20T10:00:00+01:00.")))
        level = raw.get("level", "info")
        if not (type(level) is str and level in _LEVELS):
            errors.append(FieldError(f"{base}/level", "invalid_choice", _("One of: %(choices)s.")
                                     % {"choices": ", ".join(EventLevel.values)}))
        code = raw.get("code")
        if not (type(code) is str and _EVENT_CODE.fullmatch(code)):
            errors.append(FieldError(f"{base}/code", "invalid_code", _(
                "A code of 1–64 letters, digits and _ . : - is required, e.g. db_unreachable.")))
        message = _short_text(raw.get("message"), f"{base}/message", errors, MAX_MESSAGE_CHARS)
        program = raw.get("program")
        if program is not None and not (type(program) is str and program in _PROGRAMS):
            errors.append(FieldError(f"{base}/program", "invalid_choice", _("Not a known program code.")))
        nip = raw.get("nip")
        if nip is not None:
            try:
                nip = normalize_nip(nip) if type(nip) is str else normalize_nip("")
            except ValidationError as exc:
                errors.append(FieldError(f"{base}/nip", "invalid_nip", " ".join(exc.messages)))
        details = _details(raw.get("details"), f"{base}/details", errors)
        if not errors:
            events.append(EventData(at=at, level=level, code=code, message=message, program=program or "",
                                    nip=nip or "", details=details))
    if errors:
        raise PayloadInvalidError(errors)
    return events


def record_events(events: list[EventData], *, agent: Agent | None) -> list[Event]:
    now = timezone.now()
    return Event.objects.bulk_create([
        Event(at=event.at, received_at=now, source=Event.Source.AGENT, level=event.level, code=event.code,
              message=event.message, program=event.program, nip=event.nip, details=event.details, agent=agent)
        for event in events
    ])


# --- error reports -----------------------------------------------------------------------------------

@dataclass
class ErrorReportData:
    message: str
    stacktrace: str = ""
    agent_version: str = ""
    agent_os: str = ""
    agent_hostname: str = ""
    runtime: dict = field(default_factory=dict)


def parse_error_report(data) -> ErrorReportData:
    if type(data) is not dict:
        raise PayloadInvalidError([FieldError("", "invalid_type", _("The body must be a JSON object."))])
    errors: list[FieldError] = []
    message = _short_text(data.get("message"), "/message", errors, MAX_MESSAGE_CHARS, required=True)
    stacktrace = _short_text(data.get("stacktrace"), "/stacktrace", errors, MAX_STACKTRACE_CHARS)
    agent = data.get("agent")
    info = {"version": "", "os": "", "hostname": ""}
    if agent is not None:
        if type(agent) is not dict:
            errors.append(FieldError("/agent", "invalid_type", _("Expected an object.")))
        else:
            for name, max_chars in (("version", 50), ("os", 100), ("hostname", 100)):
                value = agent.get(name)
                if value is not None and type(value) is not str:
                    errors.append(FieldError(f"/agent/{name}", "invalid_type", _("Expected a string.")))
                elif value:
                    info[name] = value.replace("\x00", "").strip()[:max_chars]
    runtime = _details(data.get("runtime"), "/runtime", errors)
    if errors:
        raise PayloadInvalidError(errors)
    return ErrorReportData(message=message, stacktrace=stacktrace, agent_version=info["version"],
                           agent_os=info["os"], agent_hostname=info["hostname"], runtime=runtime)


def record_error_report(report: ErrorReportData, *, agent: Agent | None, client_ip: str | None) -> ErrorReport:
    return ErrorReport.objects.create(
        agent=agent, message=report.message, stacktrace=report.stacktrace, agent_version=report.agent_version,
        agent_os=report.agent_os, agent_hostname=report.agent_hostname, runtime=report.runtime, client_ip=client_ip,
    )
