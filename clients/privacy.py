"""RODO (GDPR) for one person: the access log, an export of everything held about them, and erasure.

See docs/privacy.md. The office is the processor of its clients' data; these services are what the panel,
the retention task (``clients.retention``) and the tests call:

- ``record_access`` — one INSERT per staff view of a company page, a person's data or an export;
- ``person_export`` / ``person_export_json`` / ``render_person_pdf`` — everything held about a person;
- ``erase_person`` — personal data removed or anonymised everywhere in the office's schema, while the
  company's tax records (companies, figures, revisions, approvals) stay, as the tax law requires.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from decimal import Decimal

from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.item_statuses import refresh_months
from clients.messaging.models import Message, Suppression
from clients.models import (
    ApprovalLog,
    Company,
    CompanyPerson,
    DataAccess,
    Erasure,
    Figure,
    PaymentMark,
    Person,
    Revision,
)
from offices.accounts.models import AuditAction
from offices.accounts.services import record_audit
from offices.tenancy import current_office

#: What replaces a personal value inside free text (event details, batch responses, other messages).
REDACTED = "***"
#: Tables holding the company's tax records, kept by law (docs/privacy.md): never rewritten by the scrub.
#: The person's own row is anonymised field by field instead of by pattern (another person may share an address).
KEPT_TABLES = frozenset(model._meta.db_table for model in (Company, Figure, Revision, ApprovalLog, Person))
TEXT_TYPES = ("text", "character varying", "json", "jsonb")


# --- Access log --------------------------------------------------------------------------------------------------


def record_access(user, what: DataAccess.What, *, company: Company | None = None,
                  person: Person | None = None) -> None:
    """Note that ``user`` (staff) saw a client's data: one INSERT, no read."""
    DataAccess.objects.create(user=user, user_email=getattr(user, "email", "") or "", what=what,
                              company=company, person=person)


def record_company_view(user, company: Company) -> None:
    record_access(user, DataAccess.What.COMPANY, company=company)


def record_figures_export(user, company: Company) -> None:
    record_access(user, DataAccess.What.FIGURES, company=company)


def access_log(company: Company | None = None, limit: int = 100) -> list[DataAccess]:
    rows = DataAccess.objects.select_related("company", "person")
    if company is not None:
        rows = rows.filter(company=company)
    return list(rows[:limit])


# --- Who the panel may reach ----------------------------------------------------------------------------------------


def person_of_company(company: Company, person_id) -> Person | None:
    """A person of ``company`` (or one erased from it, so a repeated erasure still finds them); None otherwise."""
    try:
        person_id = int(person_id)
    except (TypeError, ValueError):
        return None
    return (Person.objects.filter(pk=person_id)
            .filter(Q(memberships__company=company) | Q(erasure__company_ids__contains=[company.pk]))
            .select_related("user").distinct().first())


def is_erased(person: Person) -> bool:
    return Erasure.objects.filter(person=person).exists()


# --- Export --------------------------------------------------------------------------------------------------------


def _when(value):
    return timezone.localtime(value) if value else None


def _json_value(value) -> str:
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _person_messages(person: Person, companies):
    addresses = [value for value in (person.email, person.email.strip().lower(), person.phone) if value]
    match = Q(person=person) | Q(recipient__in=addresses) if addresses else Q(person=person)
    messages = Message.objects.filter(match)
    if companies is not None:
        messages = messages.filter(company__in=companies)
    return messages.order_by("created_at", "id")


def _login_data(person: Person) -> dict | None:
    user = person.user
    if user is None:
        return None
    return {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "active": user.is_active,
        "created": _when(user.date_joined),
        "last_login": _when(user.last_login),
        "addresses": [{"email": row.email, "verified": row.verified, "primary": row.primary}
                      for row in user.emailaddress_set.order_by("email")],
    }


def person_export(person: Person, *, companies=None) -> dict:
    """Everything the office holds about ``person``, as plain data with readable values.

    ``companies`` (a queryset) limits what is about companies — memberships, messages, payment marks — to
    those: a bookkeeper who sees only their own companies exports only what they may see.
    """
    memberships = CompanyPerson.objects.filter(person=person).select_related("company").order_by("company__name")
    marks = PaymentMark.objects.filter(marked_by=person.user_id).select_related("figure__company") \
        if person.user_id else PaymentMark.objects.none()
    if companies is not None:
        memberships = memberships.filter(company__in=companies)
        marks = marks.filter(figure__company__in=companies)
    suppressed = Suppression.objects.filter(address__in=[a for a in (person.email, person.phone) if a])
    erasure = Erasure.objects.filter(person=person).first()
    return {
        "office": current_office().name,
        "generated": _when(timezone.now()),
        "complete": companies is None,
        "person": {
            "first_name": person.first_name, "last_name": person.last_name, "pesel": person.pesel or "",
            "nip": person.nip or "", "email": person.email, "phone": person.phone,
            "created": _when(person.created_at),
        },
        "consents": {
            "sms": person.notify_sms, "email": person.notify_email, "no_messages": person.opted_out,
            "suppressed_addresses": [{"channel": row.get_channel_display(), "address": row.address,
                                      "since": _when(row.created_at), "reason": row.reason_text} for row in suppressed],
        },
        "memberships": [{"company": str(link.company), "nip": link.company.nip, "role": link.get_role_display()}
                        for link in memberships],
        "login": _login_data(person),
        "messages": [{
            "created": _when(message.created_at), "purpose": message.get_purpose_display(),
            "channel": message.get_channel_display(), "status": message.get_status_display(),
            "recipient": message.recipient, "subject": message.subject, "text": message.body,
            "sent": _when(message.sent_at), "delivered": _when(message.delivered_at),
        } for message in _person_messages(person, companies)],
        "payments_marked": [{"company": str(mark.figure.company), "period": mark.figure.period_label,
                             "amount": mark.amount, "marked": _when(mark.marked_at)} for mark in marks],
        "erasure": {"when": _when(erasure.at), "reason": erasure.reason} if erasure else None,
    }


def person_export_json(person: Person, *, companies=None) -> bytes:
    data = person_export(person, companies=companies)
    return json.dumps(data, ensure_ascii=False, indent=2, default=_json_value).encode("utf-8")


def render_person_pdf(person: Person, *, companies=None) -> bytes:
    """The same export as a readable PDF (offline: WeasyPrint fetches nothing, as in ``clients.pdf``)."""
    # Imported here, as clients.pdf does: WeasyPrint loads its fonts and libraries on import (~0.5 s).
    from weasyprint import HTML  # noqa: PLC0415
    from weasyprint.urls import URLFetcher  # noqa: PLC0415

    data = person_export(person, companies=companies)
    html = render_to_string("offices/panel/privacy/export_pdf.html", {"data": data})
    fetcher = URLFetcher(allowed_protocols={"data", "file"}, timeout=1)
    base_url = str(django_settings.BASE_DIR / "static") + "/"
    return HTML(string=html, base_url=base_url, url_fetcher=fetcher).write_pdf()


def export_filename(person: Person, extension: str) -> str:
    return f"biurko-dane-osobowe-{person.pk}.{extension}"


@transaction.atomic
def export_person(person: Person, *, by, company: Company | None = None) -> None:
    """Record an export (in the access log and the audit trail); the caller renders JSON or PDF."""
    record_access(by, DataAccess.What.EXPORT, company=company, person=person)
    record_audit(by, AuditAction.PERSONAL_DATA_EXPORTED, str(person.pk))


# --- Erasure -------------------------------------------------------------------------------------------------------


def literal_pattern(value: str) -> str:
    """``value`` as a PostgreSQL regular expression matching it literally (numbers not inside longer ones)."""
    pattern = re.sub(r"([^\w\s])", r"\\\1", value)
    return rf"(?<![0-9]){pattern}(?![0-9])" if value.lstrip("+").isdigit() else pattern


def _like_pattern(value: str) -> str:
    return "%" + re.sub(r"([\\%_])", r"\\\1", value) + "%"


def personal_values(person: Person) -> list[str]:
    """The values that identify the person in free text: PESEL, phone (also without +48), e-mail, full name."""
    values = [number for number in (person.pesel, person.phone, _national_number(person.phone))
              if number and len(number) >= 9]
    if person.email:
        values.append(person.email)
    first, last = person.first_name.strip(), person.last_name.strip()
    if first and last:
        values += [f"{first} {last}", f"{last} {first}"]
    return values


def _national_number(phone: str) -> str:
    return phone[3:] if phone.startswith("+48") else ""


def _text_columns() -> dict[str, list[tuple[str, str]]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c "
            "JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name "
            "WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' AND c.data_type = ANY(%s)",
            [list(TEXT_TYPES)])
        rows = cursor.fetchall()
    columns: dict[str, list[tuple[str, str]]] = {}
    for table, column, data_type in rows:
        if table not in KEPT_TABLES:
            columns.setdefault(table, []).append((column, data_type))
    return columns


def scrub_everywhere(values: list[str]) -> int:
    """Replace the values in every text and JSON column of this office's schema, except the tax records.

    Generic on purpose: a table someone adds later (a log, a cache of a response) is covered without
    anyone remembering to. One UPDATE per table; its rows are picked by one substring test on all their
    text columns joined (``lower(…) LIKE ANY``: several times cheaper than ``ILIKE`` or a regular expression
    per column, see tests/bench/test_privacy.py), and only those rows are rewritten. Returns the rows changed.
    """
    if not values:
        return 0
    regex = "|".join(f"(?:{literal_pattern(value)})" for value in values)
    changed = 0
    with connection.cursor() as cursor:
        # Lower-cased by PostgreSQL itself, so both sides follow the same rules for ą, Ł, …
        cursor.execute("SELECT array_agg(lower(value)) FROM unnest(%s::text[]) AS value",
                       [[_like_pattern(value) for value in values]])
        likes = cursor.fetchone()[0]
        for table, columns in sorted(_text_columns().items()):
            sets, texts, params = [], [], []
            for column, data_type in columns:
                name = connection.ops.quote_name(column)
                if data_type in ("json", "jsonb"):
                    sets.append(f"{name} = regexp_replace({name}::text, %s, %s, 'gi')::{data_type}")
                    texts.append(f"{name}::text")
                else:
                    sets.append(f"{name} = regexp_replace({name}, %s, %s, 'gi')")
                    texts.append(name)
                params += [regex, REDACTED]
            cursor.execute(
                f"UPDATE {connection.ops.quote_name(table)} SET {', '.join(sets)} "  # noqa: S608
                f"WHERE lower(concat_ws(chr(31), {', '.join(texts)})) LIKE ANY(%s)", [*params, likes])
            changed += cursor.rowcount
    return changed


def _require_admin(by) -> None:
    if by is None or not by.is_active or not by.is_office_admin:
        raise ValidationError(_("Only the office's owners and administrators can erase personal data."),
                              code="not_allowed")


def _pseudonym(person: Person) -> str:
    # Replaces the PESEL as a ZUS payer's key: unique per person, never a valid PESEL (not 11 digits).
    return f"X{person.pk}"[:11]


def _anonymise_person(person: Person) -> None:
    if person.pesel:
        figures = Figure.objects.filter(payer_key=person.pesel)
        months = set(figures.values_list("company_id", "period"))
        figures.update(payer_key=_pseudonym(person))
        refresh_months(months)  # the items' key changed: their stored payment status follows
    for field in ("email", "phone"):
        value = getattr(person, field)
        if value:
            Company.objects.filter(**{f"{field}__iexact": value}).update(**{field: ""})
            Suppression.objects.filter(address__iexact=value).delete()
    Message.objects.filter(person=person).update(recipient="", subject="", body="", html="")
    user = person.user
    Person.objects.filter(pk=person.pk).update(first_name="", last_name="", pesel=None, nip=None, email="", phone="",
                                               notify_sms=False, notify_email=False, opted_out=True, user=None)
    CompanyPerson.objects.filter(person=person).delete()
    if user is not None and not user.is_office_staff:
        # The client login goes with its e-mail addresses, sessions' owner and authenticators (CASCADE);
        # what the login did (payment marks) stays, without the login (SET_NULL).
        get_user_model().objects.filter(pk=user.pk).delete()


@transaction.atomic
def erase_person(person: Person, *, by, reason: str, cause: Erasure.Cause = Erasure.Cause.REQUEST,
                 ) -> tuple[Erasure, bool]:
    """Remove ``person``'s personal data from the office; keep the companies' tax records. Idempotent.

    Returns the erasure and whether it happened now (False: already erased, nothing changed). ``by`` is an
    owner or administrator (None only for the retention task).
    """
    if cause == Erasure.Cause.REQUEST:
        _require_admin(by)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Give the reason for the erasure (e.g. the person's request and its date)."),
                              code="reason_required")
    person = Person.objects.select_for_update(of=("self",)).select_related("user").get(pk=person.pk)
    existing = Erasure.objects.filter(person=person).first()
    if existing is not None:
        return existing, False
    company_ids = list(CompanyPerson.objects.filter(person=person).values_list("company_id", flat=True))
    erasure = Erasure.objects.create(by=by, by_email=getattr(by, "email", "") or "", cause=cause, reason=reason,
                                     person=person, company_ids=company_ids)
    values = personal_values(person)
    _anonymise_person(person)
    scrub_everywhere(values)
    action = AuditAction.PERSONAL_DATA_ERASED if cause == Erasure.Cause.REQUEST else AuditAction.RETENTION_ERASED
    record_audit(by, action, str(person.pk), {"companies": company_ids})
    return erasure, True


def erasures(limit: int = 50) -> list[Erasure]:
    return list(Erasure.objects.select_related("by")[:limit])
