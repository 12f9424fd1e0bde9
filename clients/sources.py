"""Staff changes to a company outside approvals: source programs, the sync switch, the bookkeeper, basic data.

Every change that changes something leaves a ``CompanyChange`` row (the company's audit trail); a change
that changes nothing writes nothing and returns False. Each takes the company's row lock
(``clients.approval.lock_company``) so it never interleaves with a sync of the same company.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from clients.approval import lock_company
from clients.models import Company, CompanyChange
from clients.vocabulary import DATA_KINDS, PROGRAM_CODES

#: Basic-data fields the office may edit (and a sync may bring a different value of: clients.conflicts).
BASIC_FIELDS = ("name", "regon", "street", "postal_code", "city", "country", "email", "phone", "vat", "income_tax",
                "income_tax_period", "zus_payer")


def _check_program(program: str | None) -> str | None:
    program = program or None
    if program is not None and program not in PROGRAM_CODES:
        raise ValidationError(_("Unknown program."), code="unknown_program")
    return program


@transaction.atomic
def set_sources(company: Company, sources: dict[str, str | None], *, by) -> bool:
    """Set the program of some data kinds (``{"zus": "platnik", "taxes": None}``; None = do not update)."""
    changes = {}
    for kind, program in sources.items():
        if kind not in DATA_KINDS:
            raise ValidationError(_("Unknown kind of data."), code="unknown_kind")
        program = _check_program(program)
        if getattr(company, f"source_{kind}") != program:
            changes[kind] = program
    if not changes:
        return False
    lock_company(company.pk)
    before = Company.objects.filter(pk=company.pk).values(*[f"source_{kind}" for kind in changes]).get()
    Company.objects.filter(pk=company.pk).update(**{f"source_{kind}": program for kind, program in changes.items()})
    for kind, program in changes.items():
        setattr(company, f"source_{kind}", program)
    CompanyChange.objects.create(company=company, user=by, action=CompanyChange.Action.SOURCES, details={
        kind: [before[f"source_{kind}"], program] for kind, program in changes.items()})
    return True


@transaction.atomic
def set_source_for_all(kind: str, program: str | None, *, by, companies=None) -> int:
    """Set one data kind's program for every company (or the given queryset); the number of companies changed.

    Set-based: one UPDATE and one bulk insert of audit rows, whatever the number of companies.
    """
    if kind not in DATA_KINDS:
        raise ValidationError(_("Unknown kind of data."), code="unknown_kind")
    program = _check_program(program)
    column = f"source_{kind}"
    queryset = companies if companies is not None else Company.objects.all()
    if program is None:
        queryset = queryset.exclude(**{f"{column}__isnull": True})
    else:
        queryset = queryset.filter(Q(**{f"{column}__isnull": True}) | ~Q(**{column: program}))
    # Lock in id order, as the syncs do, before reading the old values.
    rows = list(queryset.select_for_update().order_by("pk").values_list("pk", column))
    if not rows:
        return 0
    Company.objects.filter(pk__in=[pk for pk, _old in rows]).update(**{column: program})
    CompanyChange.objects.bulk_create([
        CompanyChange(company_id=pk, user=by, action=CompanyChange.Action.SOURCES,
                      details={kind: [old, program], "all": True}) for pk, old in rows])
    return len(rows)


@transaction.atomic
def set_enabled(company: Company, enabled: bool, *, by) -> bool:
    """Switch the company's synchronisation on or off (off: agents no longer update it)."""
    lock_company(company.pk)
    changed = Company.objects.filter(pk=company.pk, enabled=not enabled).update(enabled=enabled) == 1
    company.enabled = enabled
    if changed:
        action = CompanyChange.Action.ENABLED if enabled else CompanyChange.Action.DISABLED
        CompanyChange.objects.create(company=company, user=by, action=action)
    return changed


@transaction.atomic
def assign_bookkeeper(company: Company, bookkeeper, *, by) -> bool:
    """Make ``bookkeeper`` (a staff login, or None) responsible for the company."""
    if bookkeeper is not None and not getattr(bookkeeper, "is_office_staff", False):
        raise ValidationError(_("Only staff can be assigned to a company."), code="not_staff")
    new_id = bookkeeper.pk if bookkeeper is not None else None
    if company.assigned_to_id == new_id:
        return False
    lock_company(company.pk)
    old = company.assigned_to
    Company.objects.filter(pk=company.pk).update(assigned_to=new_id)
    company.assigned_to = bookkeeper
    CompanyChange.objects.create(company=company, user=by, action=CompanyChange.Action.ASSIGNED, details={
        "bookkeeper": [old.email if old else "", bookkeeper.email if bookkeeper else ""]})
    return True


@transaction.atomic
def edit_basic_data(company: Company, values: dict[str, str], *, by) -> list[str]:
    """The office edits basic data; the edited fields are remembered so that no sync overwrites them silently.

    Returns the names of the fields that changed.
    """
    unknown = set(values) - set(BASIC_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown field."), code="unknown_field")
    lock_company(company.pk)
    fresh = Company.objects.get(pk=company.pk)
    changed = {name: [getattr(fresh, name), value] for name, value in values.items()
               if (getattr(fresh, name) or "") != (value or "")}
    if not changed:
        return []
    for name, (_old, value) in changed.items():
        setattr(fresh, name, value)
        setattr(company, name, value)
    fresh.office_edited = sorted(set(fresh.office_edited or ()) | set(changed))
    company.office_edited = fresh.office_edited
    fresh.full_clean(exclude=[f.name for f in Company._meta.fields if f.name not in changed])
    fresh.save(update_fields=[*changed, "office_edited"])
    CompanyChange.objects.create(company=company, user=by, action=CompanyChange.Action.BASIC_DATA, details=changed)
    return sorted(changed)
