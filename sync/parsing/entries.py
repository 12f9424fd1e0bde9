"""The monthly entries of a company (taxes, ZUS, statements) and its people.

Most entries are valid, so each has a fast path checked inline against pre-built sets; anything
unusual falls back to the ``*_checked`` function, which finds and explains every problem.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from clients.validators import normalize_nip, normalize_pesel
from clients.vocabulary import FIGURE_LABELS, PERSON_ROLES, STATEMENT_PARTS, TAX_TYPES, ZUS_PARTS
from sync.batch import (
    SETTLEMENT_WHATS,
    FieldError,
    PersonData,
    SettlementData,
    StatementEntry,
    TaxEntry,
    ZusEntry,
)
from sync.parsing.values import (
    LABEL_SET,
    MAX_LENGTHS,
    PERIODS,
    ROLE_SET,
    TAX_TYPE_SET,
    Bad,
    amount,
    amount_or_none,
    bad_choice,
    bad_type,
    choice,
    date_or_none,
    email,
    json_object,
    missing,
    optional_date,
    optional_identifier,
    period,
    phone,
    text,
    zus_account,
)

_TOTAL_NAME = re.compile(r"[A-Za-z0-9_]{1,70}").fullmatch

# --- entries ---------------------------------------------------------------------------------------

class Collector:
    """Errors of one company (or payer): pointer prefix + the refused fields."""

    __slots__ = ("prefix", "errors")

    def __init__(self, prefix: str):
        self.prefix = prefix
        self.errors: list[FieldError] = []

    def add(self, bad: Bad, sub: str = "") -> None:
        pointer = self.prefix + sub + ("/" + bad.field if bad.field else "")
        self.errors.append(FieldError(pointer, bad.code, str(bad.detail)))


def _entry_start(raw, errors: Collector, sub: str) -> tuple[int, str | None] | None:
    """What every monthly entry checks first: it is an object with a valid ``period``.

    Returns the error count before the entry (so the caller can tell whether the entry added any)
    and the period (None when invalid), or None when the entry is not an object at all.
    """
    if type(raw) is not dict:
        errors.add(bad_type("", _("an object"), raw), sub)
        return None
    count = len(errors.errors)
    entry_period = None
    try:
        entry_period = period(raw.get("period"))
    except Bad as bad:
        errors.add(bad, sub)
    return count, entry_period


def _due_date_and_label(raw: dict, errors: Collector, sub: str) -> tuple:
    """The optional ``due_date`` and ``label`` that taxes and ZUS entries share."""
    due = label = None
    try:
        due = optional_date(raw.get("due_date"), "due_date")
    except Bad as bad:
        errors.add(bad, sub)
    try:
        label = choice(raw.get("label"), "label", FIGURE_LABELS, "declaration", allowed=LABEL_SET)
    except Bad as bad:
        errors.add(bad, sub)
    return due, label


def _tax_entry_checked(raw, index: int, errors: Collector, sub: str) -> TaxEntry | None:
    start = _entry_start(raw, errors, sub)
    if start is None:
        return None
    count, entry_period = start
    tax_type = raw.get("type")
    if not (type(tax_type) is str and tax_type in TAX_TYPE_SET):
        errors.add(missing("type") if tax_type is None else bad_choice("type", tax_type, TAX_TYPES), sub)
    try:
        value = raw.get("amount")
        if value is None:
            raise missing("amount")
        value = amount(value, "amount")
    except Bad as bad:
        errors.add(bad, sub)
    due, label = _due_date_and_label(raw, errors, sub)
    if len(errors.errors) != count:
        return None
    return TaxEntry(index=index, period=entry_period, type=tax_type, amount=value, due_date=due, label=label)


def _zus_entry_checked(raw, index: int, errors: Collector, sub: str, payer: tuple[str | None, str | None] | None = None
               ) -> ZusEntry | None:
    """One ZUS entry; ``payer`` given for top-level ``payers`` (their entries carry no ``payer`` member)."""
    start = _entry_start(raw, errors, sub)
    if start is None:
        return None
    count, entry_period = start
    payer_pesel = payer_nip = None
    if payer is not None:
        payer_pesel, payer_nip = payer
    else:
        try:
            raw_payer = json_object(raw.get("payer"), "payer")
            if raw_payer is not None:
                payer_pesel, payer_nip = payer_ids(raw_payer, "payer/")
        except Bad as bad:
            errors.add(bad, sub)
    parts = {}
    for name in ZUS_PARTS:
        value = raw.get(name)
        if value is not None:
            try:
                parts[name] = amount(value, name)
            except Bad as bad:
                errors.add(bad, sub)
    due, label = _due_date_and_label(raw, errors, sub)
    if len(errors.errors) != count:
        return None
    return ZusEntry(index=index, period=entry_period, payer_pesel=payer_pesel, payer_nip=payer_nip, due_date=due,
                    label=label, **parts)


def payer_ids(raw: dict, prefix: str) -> tuple[str | None, str | None]:
    payer_pesel = optional_identifier(normalize_pesel, raw.get("pesel"), prefix + "pesel")
    payer_nip = optional_identifier(normalize_nip, raw.get("nip"), prefix + "nip")
    if payer_pesel is None and payer_nip is None:
        raise Bad(prefix + "pesel", "required", _("Give the payer's PESEL or NIP."))
    return payer_pesel, payer_nip


def _statement_entry_checked(raw, index: int, errors: Collector, sub: str) -> StatementEntry | None:
    start = _entry_start(raw, errors, sub)
    if start is None:
        return None
    count, entry_period = start
    parts = {}
    for name in STATEMENT_PARTS:
        value = raw.get(name)
        if value is not None:
            try:
                parts[name] = amount(value, name)
            except Bad as bad:
                errors.add(bad, sub)
    totals = {}
    raw_totals = raw.get("totals")
    if raw_totals is not None:
        if type(raw_totals) is not dict:
            errors.add(bad_type("totals", _("an object"), raw_totals), sub)
        else:
            for name, value in raw_totals.items():
                field = "totals/" + _escape(name)
                if not _TOTAL_NAME(name) or name in STATEMENT_PARTS:
                    errors.add(Bad(field, "invalid_name", _(
                        "Total names use letters, digits and _ (at most 70) and are not revenue, costs or income.")),
                        sub)
                    continue
                try:
                    totals[name] = amount(value, field)
                except Bad as bad:
                    errors.add(bad, sub)
    if len(errors.errors) != count:
        return None
    return StatementEntry(index=index, period=entry_period, totals=totals, **parts)


# --- fast paths ------------------------------------------------------------------------------------
# Most entries are valid: check them inline against pre-built sets and build the value objects
# without the frozen-dataclass __init__ (which costs more than all the checks together). Anything
# unusual falls back to the *_checked functions above, which find and explain every problem.

_new = object.__new__


def _plain_dataclass(cls) -> bool:
    return not hasattr(cls, "__slots__") and not hasattr(cls, "__post_init__")


_FAST_OBJECTS = all(_plain_dataclass(cls) for cls in (TaxEntry, ZusEntry, StatementEntry))


def _make(cls, values: dict):
    """``cls(**values)`` for the batch's frozen dataclasses, ~3x faster; ``values`` holds every field."""
    if not _FAST_OBJECTS:
        return cls(**values)
    obj = _new(cls)
    obj.__dict__.update(values)
    return obj


def _fast_due_and_label(raw: dict):
    due = raw.get("due_date")
    if due is not None:
        if type(due) is not str:
            return None
        due = date_or_none(due)
        if due is None:
            return None
    label = raw.get("label")
    if label is None:
        label = "declaration"
    elif not (type(label) is str and label in LABEL_SET):
        return None
    return due, label


def parse_tax_entry(raw, index: int, errors: Collector, section: str) -> TaxEntry | None:
    if type(raw) is dict:
        entry_period = raw.get("period")
        tax_type = raw.get("type")
        value = amount_or_none(raw.get("amount"))
        if (value is not None and type(entry_period) is str and entry_period in PERIODS
                and type(tax_type) is str and tax_type in TAX_TYPE_SET):
            rest = _fast_due_and_label(raw)
            if rest is not None:
                return _make(TaxEntry, {"index": index, "period": entry_period, "type": tax_type, "amount": value,
                                        "due_date": rest[0], "label": rest[1]})
    return _tax_entry_checked(raw, index, errors, f"/{section}/{index}")


def parse_zus_entry(raw, index: int, errors: Collector, section: str,
               payer: tuple[str | None, str | None] | None = None) -> ZusEntry | None:
    if type(raw) is dict and (payer is not None or raw.get("payer") is None):
        entry_period = raw.get("period")
        if type(entry_period) is str and entry_period in PERIODS:
            values = {"index": index, "period": entry_period, "payer_pesel": payer[0] if payer else None,
                      "payer_nip": payer[1] if payer else None}
            for name in ZUS_PARTS:
                value = raw.get(name)
                if value is not None:
                    value = amount_or_none(value)
                    if value is None:
                        break
                values[name] = value
            else:
                rest = _fast_due_and_label(raw)
                if rest is not None:
                    values["due_date"], values["label"] = rest
                    return _make(ZusEntry, values)
    return _zus_entry_checked(raw, index, errors, f"/{section}/{index}", payer)


def parse_statement_entry(raw, index: int, errors: Collector, section: str) -> StatementEntry | None:
    if type(raw) is dict and raw.get("totals") is None:
        entry_period = raw.get("period")
        if type(entry_period) is str and entry_period in PERIODS:
            values = {"index": index, "period": entry_period}
            for name in STATEMENT_PARTS:
                value = raw.get(name)
                if value is not None:
                    value = amount_or_none(value)
                    if value is None:
                        break
                values[name] = value
            else:
                values["totals"] = {}
                return _make(StatementEntry, values)
    return _statement_entry_checked(raw, index, errors, f"/{section}/{index}")


def parse_person(raw, index: int, errors: Collector, sub: str) -> PersonData | None:
    if type(raw) is not dict:
        errors.add(bad_type("", _("an object"), raw), sub)
        return None
    count = len(errors.errors)
    values = {}
    for name, parser in (
        ("first_name", lambda v: text(v, "first_name", MAX_LENGTHS["first_name"])),
        ("last_name", lambda v: text(v, "last_name", MAX_LENGTHS["last_name"], required=True)),
        ("pesel", lambda v: optional_identifier(normalize_pesel, v, "pesel")),
        ("nip", lambda v: optional_identifier(normalize_nip, v, "nip")),
        ("email", email),
        ("phone", phone),
        ("role", lambda v: choice(v, "role", PERSON_ROLES, "owner", allowed=ROLE_SET)),
    ):
        try:
            values[name] = parser(raw.get(name))
        except Bad as bad:
            errors.add(bad, sub)
    if len(errors.errors) == count:
        try:
            values["zus_account"] = zus_account(raw.get("zus_account"), "zus_account", values["nip"])
        except Bad as bad:
            errors.add(bad, sub)
    if len(errors.errors) != count:
        return None
    return PersonData(index=index, **values)


def parse_settlement(raw, index: int, errors: Collector, section: str) -> SettlementData | None:
    """v1.1 ``settlements[]``: ``{"period", "what", "amount", "paid_on"[, "payer"]}``."""
    sub = f"/{section}/{index}"
    start = _entry_start(raw, errors, sub)
    if start is None:
        return None
    count, entry_period = start
    what = raw.get("what")
    if not (type(what) is str and what in SETTLEMENT_WHATS):
        errors.add(missing("what") if what is None else bad_choice("what", what, SETTLEMENT_WHATS), sub)
    values = {}
    for name, parse in (("amount", lambda v: amount(v, "amount") if v is not None else None),
                        ("paid_on", lambda v: optional_date(v, "paid_on"))):
        try:
            values[name] = parse(raw.get(name))
        except Bad as bad:
            errors.add(bad, sub)
    if values.get("amount", 0) is None:
        errors.add(missing("amount"), sub)
    payer_pesel = payer_nip = None
    if raw.get("payer") is not None:
        try:
            payer = json_object(raw.get("payer"), "payer")
            if what != "ZUS":
                raise Bad("payer", "payer_not_zus", _("Only a ZUS settlement has a payer."))
            payer_pesel, payer_nip = payer_ids(payer, "payer/")
        except Bad as bad:
            errors.add(bad, sub)
    if len(errors.errors) != count:
        return None
    return SettlementData(index=index, period=entry_period, what=what, payer_pesel=payer_pesel,
                          payer_nip=payer_nip, **values)


def _escape(token) -> str:
    """RFC 6901: ``~`` → ``~0``, ``/`` → ``~1``."""
    return str(token).replace("~", "~0").replace("/", "~1")
