"""What a recorded batch did, in words an office employee reads: counts with labels, errors with reasons.

A ``Batch`` keeps the exact response the agent got (English ``detail`` texts, machine ``code``s and JSON
Pointers such as ``/companies/3/taxes/0/amount``). The panel never shows those as they are: each error's
reason comes from its code through ``ERROR_REASONS`` (one table; an unknown code gets a generic sentence) and
its pointer becomes a place such as “Company 4 (NIP 5260250274, Firma): taxes, item 1, amount”.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

#: Reason shown for each error code of a batch response (sync.parsing, sync.ingest, clients.validators).
ERROR_REASONS: dict[str, Promise] = {
    "invalid_nip": gettext_lazy("This is not a valid NIP (10 digits with a correct check digit)."),
    "invalid_pesel": gettext_lazy("This is not a valid PESEL (11 digits with a correct check digit)."),
    "invalid_regon": gettext_lazy("This is not a valid REGON (9 or 14 digits with a correct check digit)."),
    "invalid_phone": gettext_lazy("This is not a valid phone number."),
    "invalid_email": gettext_lazy("This is not a valid e-mail address."),
    "invalid_amount": gettext_lazy("The amount is not written correctly: the program must send it as text with "
                                   "at most two decimal places, e.g. “1234.50” (not as a number)."),
    "invalid_type": gettext_lazy("The value has the wrong type (e.g. a number where text is expected)."),
    "required": gettext_lazy("This value is missing."),
    "invalid_choice": gettext_lazy("This value is not one of the allowed ones."),
    "invalid_country": gettext_lazy("The country must be a two-letter code, e.g. PL."),
    "invalid_date": gettext_lazy("This is not a valid date."),
    "invalid_name": gettext_lazy("The name is not written correctly."),
    "invalid_period": gettext_lazy("The period (month) is not written correctly or is out of range."),
    "invalid_range": gettext_lazy("The end of the range is before its beginning."),
    "too_long": gettext_lazy("The text is too long."),
    "invalid_characters": gettext_lazy("The text contains characters that cannot be stored."),
    "duplicate_figure": gettext_lazy("This entry repeats an earlier one for the same period in this company."),
    "duplicate_company": gettext_lazy("This NIP was already sent earlier in the same batch."),
    "invalid_total": gettext_lazy("A statement total is not written correctly."),
    "unknown_company": gettext_lazy("The office has no company with this NIP and does not create companies from "
                                    "synchronisation."),
    "invalid_zus_account": gettext_lazy("This is not a valid ZUS account number (NRS) for this payer."),
    "payer_not_zus": gettext_lazy("Only a ZUS settlement can name a payer."),
}
UNKNOWN_REASON = gettext_lazy("The value was refused by the portal.")

#: Names of the sections and fields a pointer can go through (docs/agent-api.md).
FIELD_LABELS: dict[str, Promise] = {
    "taxes": pgettext_lazy("place in a batch", "taxes"),
    "zus": pgettext_lazy("place in a batch", "ZUS contributions"),
    "statements": pgettext_lazy("place in a batch", "financial statements"),
    "settlements": pgettext_lazy("place in a batch", "payments booked"),
    "people": pgettext_lazy("place in a batch", "people"),
    "address": pgettext_lazy("place in a batch", "address"),
    "tax_setup": pgettext_lazy("place in a batch", "tax setup"),
    "program": pgettext_lazy("place in a batch", "program"),
    "range": pgettext_lazy("place in a batch", "period range"),
    "totals": pgettext_lazy("place in a batch", "totals"),
    "nip": pgettext_lazy("place in a batch", "NIP"),
    "name": pgettext_lazy("place in a batch", "name"),
    "regon": pgettext_lazy("place in a batch", "REGON"),
    "email": pgettext_lazy("place in a batch", "e-mail"),
    "phone": pgettext_lazy("place in a batch", "phone"),
    "amount": pgettext_lazy("place in a batch", "amount"),
    "period": pgettext_lazy("place in a batch", "period"),
    "type": pgettext_lazy("place in a batch", "tax type"),
    "due_date": pgettext_lazy("place in a batch", "due date"),
    "label": pgettext_lazy("place in a batch", "kind of figure"),
    "social": pgettext_lazy("place in a batch", "social insurance"),
    "health": pgettext_lazy("place in a batch", "health insurance"),
    "labour_fund": pgettext_lazy("place in a batch", "Labour Fund"),
    "fgsp": pgettext_lazy("place in a batch", "FGŚP"),
    "total": pgettext_lazy("place in a batch", "total"),
    "revenue": pgettext_lazy("place in a batch", "revenue"),
    "costs": pgettext_lazy("place in a batch", "costs"),
    "income": pgettext_lazy("place in a batch", "income"),
    "first_name": pgettext_lazy("place in a batch", "first name"),
    "last_name": pgettext_lazy("place in a batch", "last name"),
    "pesel": pgettext_lazy("place in a batch", "PESEL"),
    "role": pgettext_lazy("place in a batch", "role"),
    "zus_account": pgettext_lazy("place in a batch", "ZUS account number"),
    "payer": pgettext_lazy("place in a batch", "payer"),
    "payer_pesel": pgettext_lazy("place in a batch", "payer's PESEL"),
    "payer_nip": pgettext_lazy("place in a batch", "payer's NIP"),
    "paid_on": pgettext_lazy("place in a batch", "payment date"),
    "what": pgettext_lazy("place in a batch", "what was paid"),
    "street": pgettext_lazy("place in a batch", "street"),
    "postal_code": pgettext_lazy("place in a batch", "postal code"),
    "city": pgettext_lazy("place in a batch", "city"),
    "country": pgettext_lazy("place in a batch", "country"),
    "vat": pgettext_lazy("place in a batch", "VAT"),
    "income_tax": pgettext_lazy("place in a batch", "income tax"),
    "zus_payer": pgettext_lazy("place in a batch", "kind of ZUS payer"),
    "income_tax_period": pgettext_lazy("place in a batch", "income tax period"),
    "code": pgettext_lazy("place in a batch", "code"),
    "version": pgettext_lazy("place in a batch", "version"),
    "from": pgettext_lazy("place in a batch", "from"),
    "to": pgettext_lazy("place in a batch", "to"),
}
_OTHER_FIELD = gettext_lazy("another field")
_LISTS = frozenset({"people", "taxes", "zus", "statements", "settlements"})

_COUNT_LABELS: dict[str, Promise] = {
    "created": pgettext_lazy("batch count", "created"),
    "updated": pgettext_lazy("batch count", "updated"),
    "unchanged": pgettext_lazy("batch count", "unchanged"),
    "skipped_source": pgettext_lazy("batch count", "skipped (other source)"),
    "approved": pgettext_lazy("batch count", "approved"),
    "rejected": pgettext_lazy("batch count", "rejected"),
    "matched": pgettext_lazy("batch count", "matched"),
    "unmatched": pgettext_lazy("batch count", "unmatched"),
    "recorded": pgettext_lazy("batch count", "recorded"),
}
_GROUP_LABELS: dict[str, Promise] = {
    "companies": pgettext_lazy("batch count", "companies"),
    "figures": pgettext_lazy("batch count", "figures"),
    "payers": pgettext_lazy("batch count", "payers"),
    "settlements": pgettext_lazy("batch count", "payments booked"),
}


@dataclass(frozen=True)
class Count:
    label: str
    value: int


@dataclass(frozen=True)
class CountGroup:
    label: str
    counts: list[Count]


@dataclass(frozen=True)
class ErrorLine:
    place: str
    reason: str


def count_groups(response: dict) -> list[CountGroup]:
    """The response's counts (companies, figures, payers, payments) with labels; unknown keys are left out."""
    groups = []
    for group, label in _GROUP_LABELS.items():
        counts = [Count(str(_COUNT_LABELS[name]), value) for name, value in (response.get(group) or {}).items()
                  if name in _COUNT_LABELS]
        if counts:
            groups.append(CountGroup(str(label), counts))
    return groups


def count_summary(response: dict) -> str:
    """One line: “companies: created 0, updated 1, …; figures: …”."""
    return "; ".join(f"{group.label}: " + ", ".join(f"{count.label} {count.value}" for count in group.counts)
                     for group in count_groups(response))


def reason(code: str) -> str:
    return str(ERROR_REASONS.get(code, UNKNOWN_REASON))


def _field_words(parts: list[str]) -> list[str]:
    words: list[str] = []
    previous = ""
    for part in parts:
        if previous in _LISTS and part.isdigit():
            words.append(_("item %(number)d") % {"number": int(part) + 1})
        elif previous == "totals":
            words.append(part)  # the name of a total as the program sent it: the office's own data
        else:
            words.append(str(FIELD_LABELS.get(part, _OTHER_FIELD)))
        previous = part
    return words


def _decode(pointer: str) -> list[str]:
    return [part.replace("~1", "/").replace("~0", "~") for part in pointer.split("/")[1:]]


def _entity(kind: str, number: int, known: dict) -> str:
    """“Company 4 (NIP 5260250274, Firma)”: ``known`` holds what the batch's event kept of that company."""
    if kind == "payers":
        return _("Payer %(number)d") % {"number": number + 1}
    name = _("Company %(number)d") % {"number": number + 1}
    about = [_("NIP %(nip)s") % {"nip": known["nip"]}] if known.get("nip") else []
    about += [known["name"]] if known.get("name") else []
    return f"{name} ({', '.join(about)})" if about else name


def place(pointer: str, companies: dict | None = None) -> str:
    """``/companies/3/taxes/0/amount`` → “Company 4 (NIP …): taxes, item 1, amount”."""
    parts = _decode(pointer)
    if not parts:
        return _("The batch as a whole")
    if parts[0] in ("companies", "payers") and len(parts) > 1 and parts[1].isdigit():
        known = (companies or {}).get(parts[1], {}) if parts[0] == "companies" else {}
        entity = _entity(parts[0], int(parts[1]), known)
        fields = _field_words(parts[2:])
        return f"{entity}: {', '.join(fields)}" if fields else entity
    return ", ".join(_field_words(parts))


def error_lines(response: dict, companies: dict | None = None) -> list[ErrorLine]:
    """Each listed error of the response as a place and a reason (never its code or English detail)."""
    return [ErrorLine(place(str(error.get("pointer", "")), companies), reason(str(error.get("code", ""))))
            for error in response.get("errors") or [] if isinstance(error, dict)]
