"""Basic data and people from a batch's ``basic_data`` program (part of ``sync.ingest.apply_batch``).

Set-based like the rest of ingestion: a constant number of queries for the whole batch. Values the office
set by hand are kept and the program's differing ones recorded as conflicts (``clients.conflicts``), never
dropped; new people with an e-mail address may be invited once the batch commits.
"""

from __future__ import annotations

import logging
from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django_tenants.utils import schema_context

from clients.conflicts import ConflictData
from clients.messaging.services import queue_invitation
from clients.models import Company, CompanyPerson, Person
from sync.batch import CompanyData, PersonData

logger = logging.getLogger(__name__)

BASIC_FIELDS = ["name", "regon", "street", "postal_code", "city", "country", "email", "phone", "vat", "income_tax",
                 "income_tax_period", "zus_payer"]


def merge_basic_data(company: Company, data: CompanyData, overwrite: bool, program: str,
                      conflicts: list[ConflictData] | None = None) -> bool:
    """Take the program's basic data into ``company``; True when something changed.

    Blanks are filled. A different value replaces the office's only when ``overwrite`` is on and the office
    did not edit that field by hand (``Company.office_edited``); otherwise it goes to ``conflicts`` for the
    office to review (clients.conflicts), never dropped silently.
    """
    edited = set(company.office_edited or ())
    incoming = {"name": data.name, "regon": data.regon, "email": data.email, "phone": data.phone}
    if data.address is not None:
        incoming.update(street=data.address.street, postal_code=data.address.postal_code, city=data.address.city,
                        country=data.address.country)
    if data.tax_setup is not None:
        incoming.update(vat=data.tax_setup.vat, income_tax=data.tax_setup.income_tax,
                        zus_payer=data.tax_setup.zus_payer, income_tax_period=data.tax_setup.income_tax_period)
    changed = False
    for field, value in incoming.items():
        if not value:
            continue  # an empty value never erases what the office has
        current = getattr(company, field)
        if current == value:
            continue
        default_country = field == "country" and current == "PL" and field not in edited
        if current and not default_country and (not overwrite or field in edited):
            if conflicts is not None:
                conflicts.append(ConflictData(company.pk, field, current, value, program))
            continue
        setattr(company, field, value)
        changed = True
    if changed:
        company.basic_data_program = program
    return changed


_PERSON_FIELDS = ["first_name", "last_name", "pesel", "nip", "email", "phone"]


def sync_people(people_of: list[tuple[Company, tuple[PersonData, ...]]], overwrite: bool,
                 created: list[Person] | None = None) -> set[int]:
    """Match people by PESEL, then NIP, then name within the company; create and link the rest.

    A constant number of queries for the whole batch. Returns the ids of companies whose people changed;
    the people it created are appended to ``created``.
    """
    if not people_of:
        return set()
    company_ids = [company.pk for company, _people in people_of]
    pesels = {p.pesel for _c, people in people_of for p in people if p.pesel}
    nips = {p.nip for _c, people in people_of for p in people if p.nip}
    links = {(cp.company_id, cp.person_id): cp for cp in CompanyPerson.objects.filter(company_id__in=company_ids)}
    known = {person.pk: person for person in Person.objects.filter(
        Q(pk__in=[person_id for _cid, person_id in links]) | Q(pesel__in=pesels) | Q(nip__in=nips))}
    by_pesel = {p.pesel: p for p in known.values() if p.pesel}
    by_nip = {p.nip: p for p in known.values() if p.nip}
    by_name = defaultdict(list)
    for company_id, person_id in links:
        person = known[person_id]
        by_name[(company_id, person.first_name.casefold(), person.last_name.casefold())].append(person)

    changed_companies: set[int] = set()
    changed_people: dict[int, Person] = {}
    new_people: list[Person] = []
    new_links: list[tuple[Company, Person, str]] = []
    linked: set[tuple[int, int]] = set()  # (id(company), id(person)) of new_links
    changed_links: list[CompanyPerson] = []
    for company, people in people_of:
        for data in people:
            person = (by_pesel.get(data.pesel) if data.pesel else None) or (
                by_nip.get(data.nip) if data.nip else None)
            if person is None:
                person = next((p for p in by_name.get((company.pk, data.first_name.casefold(),
                                                       data.last_name.casefold()), ())
                               if not p.pesel or p.pesel == data.pesel), None)
            if person is None:
                person = Person(first_name=data.first_name, last_name=data.last_name, pesel=data.pesel or None,
                                nip=data.nip or None, email=data.email, phone=data.phone)
                new_people.append(person)
                if person.pesel:
                    by_pesel[person.pesel] = person
                if person.nip:
                    by_nip[person.nip] = person
                by_name[(company.pk, data.first_name.casefold(), data.last_name.casefold())].append(person)
                changed_companies.add(company.pk)
            elif _merge_person(person, data, overwrite) and person.pk is not None:
                changed_people[person.pk] = person
                changed_companies.add(company.pk)
            link = links.get((company.pk, person.pk)) if person.pk is not None else None
            if link is None:
                if (id(company), id(person)) not in linked:
                    linked.add((id(company), id(person)))
                    new_links.append((company, person, data.role))
                    changed_companies.add(company.pk)
            elif overwrite and link.role != data.role:
                link.role = data.role
                changed_links.append(link)
                changed_companies.add(company.pk)
    if new_people:
        # Another sync may create the same PESEL meanwhile: take its row instead of failing.
        Person.objects.bulk_create(new_people, update_conflicts=True, unique_fields=["pesel"], update_fields=["pesel"])
        if created is not None:
            created.extend(new_people)
    if changed_people:
        Person.objects.bulk_update(list(changed_people.values()), _PERSON_FIELDS)
    if new_links:
        CompanyPerson.objects.bulk_create(
            [CompanyPerson(company=company, person=person, role=role) for company, person, role in new_links],
            ignore_conflicts=True)
    if changed_links:
        CompanyPerson.objects.bulk_update(changed_links, ["role"])
    return changed_companies


def invite_on_commit(person_ids: list[int]) -> None:
    """After the batch commits: an invitation (activation e-mail) to each of these new people who has an
    e-mail address and still no login (``OfficeSettings.send_activation``).

    Each person in a transaction of its own with the row locked; the invitation gives the person a login,
    so a person invited meanwhile (a concurrent sync of the same PESEL, the panel's button) is skipped and
    nobody is invited twice. A re-sent batch creates nobody, so it invites nobody.
    """
    if not person_ids:
        return
    schema = connection.schema_name

    def invite():
        with schema_context(schema):
            for person_id in person_ids:
                try:
                    with transaction.atomic():
                        person = (Person.objects.select_for_update().filter(pk=person_id, user__isnull=True)
                                  .exclude(email="").first())
                        if person is not None:
                            queue_invitation(person)
                except ValidationError as error:  # e.g. the address belongs to a staff login of the office
                    logger.warning("no invitation for person %s: %s", person_id, "; ".join(error.messages))

    # robust: the batch is committed whatever happens here; a failure is logged, never the agent's 500.
    transaction.on_commit(invite, robust=True)


def _merge_person(person: Person, data: PersonData, overwrite: bool) -> bool:
    changed = False
    for field in _PERSON_FIELDS:
        value = getattr(data, field) or ""
        current = getattr(person, field) or ""
        if not value or value == current or (current and not overwrite):
            continue
        if field == "pesel" and current:
            continue  # a PESEL identifies the person: never rewritten
        setattr(person, field, value)
        changed = True
    return changed
