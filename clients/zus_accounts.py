"""ZUS contribution accounts (NRS): where each payer's is stored, how it is set and how a ZUS item finds it.

A payer is the company itself (its ZUS items have an empty ``payer_key``; the NRS is ``Company.zus_account``)
or a person paying their own contributions (items keyed by the person's PESEL or NIP; ``Person.zus_account``).
A payer sent by an agent without a company (``payers[]`` of a batch) is stored on the people it is matched to —
its ZUS figures are stored only then, too. Every NRS is validated by ``payments.validate_zus_account`` against
the payer's own NIP before it is stored; the office's change is audited (``CompanyChange``).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q

from clients import payments
from clients.models import Company, CompanyChange, Figure, Person


def clean_zus_account(value: str, *, nip: str | None) -> str:
    """``value`` as 26 digits, ``""`` for an empty value (no account); ValidationError with the reason."""
    if not "".join(str(value or "").split()):
        return ""
    try:
        return payments.validate_zus_account(value, nip=nip)
    except ValueError as error:
        raise ValidationError(str(error), code="invalid_zus_account") from error


@transaction.atomic
def set_company_zus_account(company: Company, value: str, *, by) -> bool:
    """The office enters (or clears, with ``""``) the company's NRS. Returns whether it changed; audited."""
    account = clean_zus_account(value, nip=company.nip)
    fresh = Company.objects.select_for_update().get(pk=company.pk)
    if fresh.zus_account == account:
        return False
    Company.objects.filter(pk=company.pk).update(zus_account=account)
    CompanyChange.objects.create(company=company, user=by, action=CompanyChange.Action.ZUS_ACCOUNT,
                                 details={"zus_account": [fresh.zus_account, account]})
    company.zus_account = account
    return True


def payer_identifiers(payer_keys) -> set[str]:
    return {key for key in payer_keys if key}


def accounts_of_payers(payer_keys) -> dict[str, str]:
    """``payer key (PESEL or NIP) → NRS`` of the people paying their own contributions. One query."""
    keys = payer_identifiers(payer_keys)
    if not keys:
        return {}
    found: dict[str, str] = {}
    people = (Person.objects.filter(Q(pesel__in=keys) | Q(nip__in=keys)).exclude(zus_account="")
              .values_list("pesel", "nip", "zus_account"))
    for pesel, nip, account in people:
        for key in (pesel, nip):
            if key in keys:
                found[key] = account
    return found


def zus_account_for(company: Company, payer_key: str, payer_accounts: dict[str, str]) -> str:
    """The NRS a ZUS item of ``company`` for ``payer_key`` is paid to; ``""`` when the office has not got it yet."""
    if not payer_key:
        return company.zus_account
    return payer_accounts.get(payer_key, "")


def missing_zus_account_exists() -> Exists:
    """For a company queryset: it has ZUS figures whose payer's NRS is not known (the panel's filter)."""
    payer_with_account = Person.objects.exclude(zus_account="").filter(
        Q(pesel=OuterRef("payer_key")) | Q(nip=OuterRef("payer_key")))
    zus = Figure.objects.filter(company=OuterRef("pk"), kind__startswith="zus:")
    own_missing = zus.filter(payer_key="", company__zus_account="")
    payer_missing = zus.exclude(payer_key="").filter(~Exists(payer_with_account))
    return Exists(own_missing) | Exists(payer_missing)


def record_synced_zus_accounts(companies: list[tuple[Company, str]], people: list[tuple[str | None, str | None, str]],
                               *, program: str) -> set[int]:
    """NRS sent by an agent (agent API v1.1, already validated): store those that differ. Two queries at most
    per kind, whatever the batch size; returns the ids of the companies whose NRS changed.

    ``companies`` pairs a company with its NRS; ``people`` are ``(pesel, nip, NRS)`` of payers paying their
    own contributions — stored on the person with that PESEL (else NIP); one not known yet is not stored.
    """
    changed = [(company, account) for company, account in companies if company.zus_account != account]
    if changed:
        CompanyChange.objects.bulk_create([
            CompanyChange(company=company, action=CompanyChange.Action.ZUS_ACCOUNT,
                          details={"zus_account": [company.zus_account, account], "program": program})
            for company, account in changed])
        for company, account in changed:
            company.zus_account = account
        Company.objects.bulk_update([company for company, _account in changed], ["zus_account"])
    if people:
        pesels = {pesel for pesel, _nip, _account in people if pesel}
        nips = {nip for pesel, nip, _account in people if nip and not pesel}
        known = list(Person.objects.filter(Q(pesel__in=pesels) | Q(nip__in=nips)))
        by_pesel = {person.pesel: person for person in known if person.pesel}
        by_nip = {person.nip: person for person in known if person.nip}
        updated = {}
        for pesel, nip, account in people:
            person = by_pesel.get(pesel) if pesel else by_nip.get(nip)
            if person is not None and person.zus_account != account:
                person.zus_account = account
                updated[person.pk] = person
        if updated:
            Person.objects.bulk_update(list(updated.values()), ["zus_account"])
    return {company.pk for company, _account in changed}
