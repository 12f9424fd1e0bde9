"""Companies, payers and the request as a whole → ``sync.batch.Batch``."""

from __future__ import annotations

import gc
import re
from contextlib import contextmanager

from django.utils.translation import gettext as _

from clients.validators import normalize_regon
from clients.vocabulary import PROGRAM_CODES
from sync.batch import (
    Address,
    AgentInfo,
    Batch,
    CompanyData,
    FieldError,
    PayerData,
    TaxSetup,
)
from sync.parsing.entries import (
    Collector,
    parse_person,
    parse_settlement,
    parse_statement_entry,
    parse_tax_entry,
    parse_zus_entry,
    payer_ids,
)
from sync.parsing.values import (
    MAX_LENGTHS,
    PROGRAM_SET,
    TAX_SETUP_CHOICES,
    Bad,
    RequestInvalidError,
    bad_type,
    boolean,
    choice,
    email,
    json_array,
    json_object,
    missing,
    nip,
    optional_identifier,
    period,
    phone,
    text,
    zus_account,
)

_COUNTRY = re.compile(r"[A-Z]{2}").fullmatch


def _company(raw, index: int) -> tuple[CompanyData | None, list[FieldError]]:
    errors = Collector(f"/companies/{index}")
    if type(raw) is not dict:
        errors.add(bad_type("", _("an object"), raw))
        return None, errors.errors
    values: dict = {"index": index}
    for name, parser in (
        ("nip", _company_nip),
        ("regon", lambda v: optional_identifier(normalize_regon, v, "regon") or ""),
        ("name", lambda v: text(v, "name", MAX_LENGTHS["name"])),
        ("email", email),
        ("phone", phone),
    ):
        try:
            values[name] = parser(raw.get(name))
        except Bad as bad:
            errors.add(bad)
    try:
        values["address"] = _address(raw.get("address"))
    except Bad as bad:
        errors.add(bad)
    try:
        values["tax_setup"] = _tax_setup(raw.get("tax_setup"))
    except Bad as bad:
        errors.add(bad)
    if values.get("nip"):
        try:
            values["zus_account"] = zus_account(raw.get("zus_account"), "zus_account", values["nip"])
        except Bad as bad:
            errors.add(bad)

    people = []
    try:
        raw_people = json_array(raw.get("people"), "people")
    except Bad as bad:
        errors.add(bad)
        raw_people = []
    for j, raw_person in enumerate(raw_people):
        person = parse_person(raw_person, j, errors, f"/people/{j}")
        if person is not None:
            people.append(person)
    values["people"] = tuple(people)

    for section, parse_entry, key_of in (
        ("taxes", parse_tax_entry, lambda e: (e.period, e.type)),
        ("zus", parse_zus_entry, lambda e: (e.period, e.payer_pesel or e.payer_nip or "")),
        ("statements", parse_statement_entry, lambda e: e.period),
        ("settlements", parse_settlement, lambda e: (e.period, e.what, e.payer_pesel or e.payer_nip or "")),
    ):
        try:
            raw_entries = json_array(raw.get(section), section)
        except Bad as bad:
            errors.add(bad)
            raw_entries = []
        entries = []
        seen = set()
        for j, raw_entry in enumerate(raw_entries):
            entry = parse_entry(raw_entry, j, errors, section)
            if entry is None:
                continue
            key = key_of(entry)
            if key in seen:
                errors.add(Bad("period", "duplicate_figure", _(
                    "This entry repeats an earlier one for the same period (and type or payer) in this company.")),
                    f"/{section}/{j}")
                continue
            seen.add(key)
            entries.append(entry)
        values[section] = tuple(entries)

    if errors.errors:
        # Refused, but kept (never applied) so ``apply_batch`` counts all its figures as rejected.
        raw_nip = raw.get("nip")
        values.setdefault("nip", raw_nip if type(raw_nip) is str else "")
        for name in ("regon", "name", "email", "phone"):
            values.setdefault(name, "")
        return CompanyData(**values), errors.errors
    return CompanyData(**values), []


def _company_nip(value) -> str:
    if value is None:
        raise missing("nip")
    return nip(value)


def _address(raw) -> Address | None:
    raw = json_object(raw, "address")
    if raw is None:
        return None
    country = raw.get("country")
    if country is None or (type(country) is str and not country.strip()):
        country = "PL"
    elif type(country) is not str or not _COUNTRY(country.strip().upper()):
        raise Bad("address/country", "invalid_country", _("Write the country as a two-letter ISO code, e.g. PL."))
    return Address(
        street=text(raw.get("street"), "address/street", MAX_LENGTHS["street"]),
        postal_code=text(raw.get("postal_code"), "address/postal_code", MAX_LENGTHS["postal_code"]),
        city=text(raw.get("city"), "address/city", MAX_LENGTHS["city"]),
        country=country.strip().upper(),
    )


def _tax_setup(raw) -> TaxSetup | None:
    raw = json_object(raw, "tax_setup")
    if raw is None:
        return None
    return TaxSetup(**{name: choice(raw.get(name), f"tax_setup/{name}", choices)
                       for name, choices in TAX_SETUP_CHOICES.items()})


def _payer(raw, index: int) -> tuple[PayerData | None, list[FieldError]]:
    errors = Collector(f"/payers/{index}")
    if type(raw) is not dict:
        errors.add(bad_type("", _("an object"), raw))
        return None, errors.errors
    try:
        payer_pesel, payer_nip = payer_ids(raw, "")
    except Bad as bad:
        errors.add(bad)
        payer_pesel = payer_nip = None
    entries = []
    try:
        raw_entries = json_array(raw.get("zus"), "zus")
    except Bad as bad:
        errors.add(bad)
        raw_entries = []
    seen = set()
    for j, raw_entry in enumerate(raw_entries):
        entry = parse_zus_entry(raw_entry, j, errors, "zus", payer=(payer_pesel, payer_nip))
        if entry is None:
            continue
        if entry.period in seen:
            errors.add(Bad("period", "duplicate_figure", _("This entry repeats an earlier one for the same period.")),
                       f"/zus/{j}")
            continue
        seen.add(entry.period)
        entries.append(entry)
    account = None
    try:
        account = zus_account(raw.get("zus_account"), "zus_account", payer_nip)
    except Bad as bad:
        errors.add(bad)
    if errors.errors:
        return None, errors.errors
    return PayerData(index=index, pesel=payer_pesel, nip=payer_nip, zus=tuple(entries), zus_account=account), []


# --- the request -----------------------------------------------------------------------------------

def _header(data: dict) -> dict:
    """The request-level members; any problem here refuses the whole request."""
    errors = Collector("")
    values: dict = {}
    try:
        raw_program = json_object(data.get("program"), "program", nullable=False) if "program" in data else None
        if raw_program is None:
            raise missing("program")
        code = raw_program.get("code")
        if code is None:
            raise missing("program/code")
        values["program"] = choice(code, "program/code", PROGRAM_CODES, allowed=PROGRAM_SET)
        values["program_version"] = text(raw_program.get("version"), "program/version",
                                         MAX_LENGTHS["program_version"])
    except Bad as bad:
        errors.add(bad)
    try:
        raw_agent = json_object(data.get("agent"), "agent")
        if raw_agent is not None:
            values["agent"] = AgentInfo(**{
                name: _truncated(raw_agent.get(name), f"agent/{name}", MAX_LENGTHS[f"agent_{name}"])
                for name in ("version", "os", "hostname")})
    except Bad as bad:
        errors.add(bad)
    try:
        raw_range = json_object(data.get("range"), "range")
        if raw_range is not None:
            values["period_from"] = period(raw_range.get("from"), "range/from")
            values["period_to"] = period(raw_range.get("to"), "range/to")
            if values["period_from"] > values["period_to"]:
                raise Bad("range/to", "invalid_range", _("“to” must not be before “from”."))
    except Bad as bad:
        errors.add(bad)
    try:
        raw_options = json_object(data.get("options"), "options")
        if raw_options is not None:
            values["approve"] = boolean(raw_options.get("approve"), "options/approve")
            values["send_summary"] = boolean(raw_options.get("send_summary"), "options/send_summary")
    except Bad as bad:
        errors.add(bad)
    for section in ("companies", "payers"):
        try:
            values[section] = json_array(data.get(section), section)
        except Bad as bad:
            errors.add(bad)
    if errors.errors:
        raise RequestInvalidError(errors.errors)
    return values


def _truncated(value, field: str, max_length: int) -> str:
    """Agent metadata is informative only: over-long values are cut, not refused."""
    if value is None:
        return ""
    if type(value) is not str:
        raise bad_type(field, _("a string"), value)
    return value.replace("\x00", "").strip()[:max_length]


@contextmanager
def gc_paused():
    """Pause the cyclic garbage collector while building a large batch.

    Decoding and validating creates millions of small acyclic objects; the collector's
    repeated full passes over them cost ~40 % of the parse time and free nothing.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def parse_batch(data) -> Batch:
    """Validate a decoded JSON body; raise ``RequestInvalidError`` when the request as a whole is unusable."""
    with gc_paused():
        return _parse_batch(data)


def _parse_batch(data) -> Batch:
    if type(data) is not dict:
        raise RequestInvalidError([FieldError("", "invalid_type", _("The body must be a JSON object."))])
    values = _header(data)
    companies: list[CompanyData] = []
    rejected: list[int] = []
    errors: list[FieldError] = []
    seen_nips: dict[str, int] = {}
    for index, raw in enumerate(values.pop("companies")):
        company, company_errors = _company(raw, index)
        if not company_errors and company.nip in seen_nips:
            detail = _("This NIP was already sent in this batch (at /companies/%(first)d).")
            company_errors = [FieldError(f"/companies/{index}/nip", "duplicate_company",
                                         detail % {"first": seen_nips[company.nip]})]
        if company_errors:
            rejected.append(index)
            errors.extend(company_errors)
        else:
            seen_nips[company.nip] = index
        if company is not None:
            # Refused companies stay in ``companies`` (listed in ``rejected_companies``, never applied).
            companies.append(company)
    payers: list[PayerData] = []
    for index, raw in enumerate(values.pop("payers")):
        payer, payer_errors = _payer(raw, index)
        if payer is None:
            errors.extend(payer_errors)
        else:
            payers.append(payer)
    return Batch(companies=tuple(companies), payers=tuple(payers), rejected_companies=tuple(rejected),
                 errors=tuple(errors), **values)


def count_figures(batch: Batch) -> int:
    """How many figures (single values) a batch carries: for logs and benchmarks."""
    total = 0
    rejected = set(batch.rejected_companies)
    for company in batch.companies:
        if company.index in rejected:
            continue
        total += len(company.taxes)
        total += sum(len(entry.parts()) for entry in company.zus)
        total += sum(len(entry.parts()) for entry in company.statements)
    for payer in batch.payers:
        total += sum(len(entry.parts()) for entry in payer.zus)
    return total
