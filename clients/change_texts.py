"""The details of a company's change (``CompanyChange.details``) in the reader's language.

The rows keep codes (field names, data kinds, program codes, settlement sources) so they stay valid when a
name changes; the panel's history reads them through here: "NRS: — → 606…", "podatki z: — → Comarch ERP
Optima", "Zmienione: telefon". A key this module does not know is shown humanised, never as a raw identifier.
"""

from __future__ import annotations

from django.core.exceptions import FieldDoesNotExist
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from clients.models import Company
from clients.models_payments import SettlementSource
from clients.names import money, program_name

#: keys whose values are program codes
_PROGRAM_VALUES = {"program", "source_basic_data", "source_zus", "source_taxes", "source_statements",
                   "basic_data", "zus", "taxes", "statements"}
#: the source kinds a "sources" change names by their data kind (``taxes`` → the company's "taxes from")
_SOURCE_KINDS = {"basic_data", "zus", "taxes", "statements"}


def field_label(name: str) -> str:
    """A company field's name as the panel labels it (``zus_account`` → "ZUS account (NRS)")."""
    if name in _SOURCE_KINDS:
        name = f"source_{name}"
    try:
        return str(capfirst(Company._meta.get_field(name).verbose_name))
    except FieldDoesNotExist:
        return name.replace("_", " ").strip().capitalize()


def field_value(field: str, value) -> str:
    """A company field's value in words (a VAT set-up's name, a program's name; '—' for none)."""
    return _value(field, value, field)


def _value(key: str, value, field: str | None = None) -> str:
    if value in (None, ""):
        return "—"
    if key in _PROGRAM_VALUES or (field is not None and field in _PROGRAM_VALUES):
        return program_name(str(value))
    if key == "source":
        return str(SettlementSource(value).label) if value in SettlementSource.values else str(value)
    choices = _choices(field or key)
    if choices and str(value) in choices:
        return str(choices[str(value)])
    return str(value)


def _choices(name: str) -> dict[str, str]:
    try:
        model_field = Company._meta.get_field(name)
    except FieldDoesNotExist:
        return {}
    return {str(code): label for code, label in (model_field.choices or []) if not callable(model_field.choices)}


def _pair(key: str, value, field: str | None = None) -> str:
    if isinstance(value, (list, tuple)) and len(value) == 2:
        return f"{_value(key, value[0], field)} → {_value(key, value[1], field)}"
    return _value(key, value, field)


def _item(text: str) -> str:
    """A settled item ("2026-01 PIT-5L = 1552.58") with the amount written the reader's way."""
    what, sep, amount = text.rpartition(" = ")
    if not sep:
        return text
    try:
        return f"{what}: {money(amount)}"
    except ArithmeticError:  # not a decimal
        return text


def change_details(details: dict) -> str:
    """The details of one change as one line of text (keys named, values in words)."""
    details = dict(details or {})
    parts = []
    field = details.pop("field", None)
    if field is not None:
        label = field_label(field)
        if "value" in details:
            parts.append(f"{label}: {_pair(field, details.pop('value'), field)}")
        if "kept" in details or "declined" in details:
            parts.append(_("%(field)s: kept %(kept)s, declined %(declined)s") % {
                "field": label, "kept": _value(field, details.pop("kept", ""), field),
                "declined": _value(field, details.pop("declined", ""), field)})
    if details.pop("all", False):
        parts.append(_("for all companies"))
    items = details.pop("items", None)
    for key, value in sorted(details.items()):
        if key == "source":
            parts.append(_("from: %(source)s") % {"source": _value(key, value)})
        elif key == "program":
            parts.append(_("program: %(program)s") % {"program": program_name(str(value))})
        elif key == "bookkeeper":
            parts.append(f"{_('Bookkeeper')}: {_pair(key, value)}")
        else:
            parts.append(f"{field_label(key)}: {_pair(key, value, key)}")
    if items:
        parts.append("; ".join(_item(item) for item in items))
    return ", ".join(parts)
