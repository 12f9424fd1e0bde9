"""Płatnik KEDU (ZUS DRA + RCA) → ZUS figures per payer; RCA insured persons listed, not applied.

Field map (DRA): I.p2.p2 period; II.p1 NIP, II.p2 REGON, II.p3 PESEL, II.p6 short name, II.p7/p8 surname/name;
IV.p37 social, VI.p7 health, VII.p1 FP+FS, VII.p2 FGŚP, VII.p3 their sum, VIII.p3 FEP, V.p5 benefits deducted,
IX.p1 refund, IX.p2 to pay = IV.37 + VI.07 + VII.03 + VIII.03 − V.05. See docs/importers.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from decimal import Decimal

from django.utils.translation import gettext as _

from sync.batch import Batch, CompanyData, FieldError, PayerData, ZusEntry

from .result import ExchangeFileError, ImportResult, InsuredPerson, ReviewFlag, mask_identifier
from .safexml import ImportLimits, StreamReader, child_text, human_size, is_top, load_schema, local, release
from .values import digits, is_period, parse_amount, valid_nip, valid_pesel, valid_regon

# 5.7 differs from 5.6 by its namespace and the annual health settlement (DRA block XII, RCA III part F: 27 → 29
# fields). Nothing read for the monthly figures moved, so both are read with one field map, each validated
# against its own schema.
KEDU_SCHEMAS = {"http://www.zus.pl/2024/KEDU_5_6": ("KEDU 5.6", "kedu_5_6.xsd"),
                "http://www.zus.pl/2026/KEDU_5_7": ("KEDU 5.7", "kedu_5_7.xsd")}
# RCA III.C: p2 payer-financed, p3 state budget, p4 insured-financed, p5 Church Fund (p1 is the base).
RCA_HEALTH_PARTS = ("p2", "p3", "p4", "p5")
_KEDU_NS = re.compile(r"^http://www\.zus\.pl/(\d{4})/KEDU_(\d+)_(\d+)$")
ZERO = Decimal("0.00")


def kedu_variant(ns: str) -> tuple[str, str] | None:
    """``(label, schema file or "")`` for a KEDU namespace we read, None for one we do not."""
    if ns in KEDU_SCHEMAS:
        return KEDU_SCHEMAS[ns]
    match = _KEDU_NS.match(ns)
    if match and match.group(2) == "5":
        return f"KEDU {match.group(2)}.{match.group(3)}", ""
    return None


@dataclass
class _Payer:
    index: int
    name: str = ""
    regon: str = ""
    entries: dict[str, ZusEntry] = field(default_factory=dict)


def parse_kedu(data: bytes, ns: str, *, limits: ImportLimits, filename: str = "") -> ImportResult:
    label, schema_file = kedu_variant(ns) or ("KEDU", "")
    warnings: list[str] = []
    schema, schema_name = None, ""
    if not schema_file:
        warnings.append(_("No schema is shipped for %(variant)s (namespace %(ns)s): the file was read without the "
                          "XSD check, using the KEDU 5.6 field layout.") % {"variant": label, "ns": ns})
    elif len(data) > limits.xsd_max_bytes:
        warnings.append(_("The file is %(size)s, above the %(limit)s XSD-check threshold: the %(variant)s schema "
                          "check was skipped.") % {"size": human_size(len(data)),
                                                   "limit": human_size(limits.xsd_max_bytes), "variant": label})
    else:
        schema, reason = load_schema(schema_file)
        if schema is None:
            warnings.append(_("The %(variant)s schema could not be compiled offline (%(reason)s); the file was read "
                              "without the XSD check.") % {"variant": label, "reason": reason})
        else:
            schema_name = schema_file

    reader = StreamReader(data, schema=schema, variant_label=label)
    state = _State(label, warnings)
    other: dict[str, int] = {}
    generator = ""
    for element in reader.events():
        if not is_top(element):
            continue
        name = local(element.tag)
        if name == "ZUSDRA":
            state.add_dra(element)
        elif name == "ZUSRCA":
            state.add_rca(element)
        elif name == "naglowek.KEDU":
            generator = " ".join(filter(None, (child_text(element, "program", key)
                                               for key in ("producent", "symbol", "wersja"))))
        elif not name.startswith(("naglowek", "cechy", "stopka")) and name != "Signature":
            other[name] = other.get(name, 0) + 1
        release(element)

    if state.dra_count == 0:
        raise ExchangeFileError(
            _("The %(variant)s file contains no ZUSDRA declaration, so there are no contributions to import.")
            % {"variant": label}, code="missing_field", variant=label)
    if other:
        warnings.append(_("Documents not imported: %(docs)s.")
                        % {"docs": ", ".join(f"{k} × {v}" for k, v in sorted(other.items()))})
    if state.insured:
        warnings.append(_("%(n)s insured person(s) listed in ZUSRCA: shown for checking, not imported into the "
                          "portal.") % {"n": len(state.insured)})
    return state.result(data, filename, ns, schema_name, generator)


class _State:
    def __init__(self, label: str, warnings: list[str]):
        self.label = label
        self.warnings = warnings
        self.companies: dict[str, _Payer] = {}
        self.payers: dict[str, _Payer] = {}
        self.rejected: list[int] = []
        self.errors: list[FieldError] = []
        self.insured: list[InsuredPerson] = []
        self.dra_count = 0
        self.annual_settlements = 0  # DRA XII / RCA III.F blocks present (not imported, counted for the preview)
        self.dra_health: dict[tuple[str, str], tuple[Decimal, str]] = {}  # (payer, period) → (VI.07, who)
        self.rca_health: dict[tuple[str, str], Decimal] = {}  # (payer, period) → Σ RCA III.C health
        self.next_index = 0
        self.next_payer_index = 0

    # --- DRA --------------------------------------------------------------------------------------------
    def add_dra(self, dra) -> None:
        ordinal = self.dra_count
        self.dra_count += 1
        pointer = f"/ZUSDRA/{ordinal}"
        period = child_text(dra, "I", "p2", "p2")
        if not is_period(period):
            self._error(f"{pointer}/I/p2/p2", "missing_field" if not period else "invalid_period",
                        _("ZUSDRA no. %(n)s: the period I.2 is %(value)r, expected RRRR-MM.")
                        % {"n": ordinal + 1, "value": period[:20]})
            return
        nip = digits(child_text(dra, "II", "p1"))
        pesel = digits(child_text(dra, "II", "p3"))
        regon = digits(child_text(dra, "II", "p2"))
        short_name = child_text(dra, "II", "p6")
        full_name = " ".join(filter(None, (child_text(dra, "II", "p8"), child_text(dra, "II", "p7"))))
        who = short_name or full_name or (nip or mask_identifier(pesel))
        if pesel and not valid_pesel(pesel):
            self.warnings.append(_("ZUSDRA %(period)s (%(who)s): the payer's PESEL %(pesel)s is not valid and was "
                                   "ignored.") % {"period": period, "who": who, "pesel": mask_identifier(pesel)})
            pesel = ""
        if regon and not valid_regon(regon):
            self.warnings.append(_("ZUSDRA %(period)s (%(who)s): the REGON is not valid and was ignored.")
                                 % {"period": period, "who": who})
            regon = ""

        try:
            amounts = {key: parse_amount(child_text(dra, *path)) for key, path in _DRA_FIELDS.items()}
        except ValueError as error:
            self._error(pointer, "invalid_amount", _("ZUSDRA %(period)s (%(who)s): %(value)r is not an amount.")
                        % {"period": period, "who": who, "value": str(error)[:40]}, nip=nip)
            return
        total = self._total(amounts, period, who)
        if any(local(block.tag) == "XII" for block in dra):
            self.annual_settlements += 1
        if nip or pesel:
            self.dra_health[(nip or pesel, period)] = (amounts["health"] or ZERO, who)
        entry = ZusEntry(index=0, period=period, payer_pesel=pesel or None, payer_nip=nip or None,
                         social=amounts["social"], health=amounts["health"], labour_fund=amounts["labour_fund"],
                         fgsp=amounts["fgsp"], total=total)

        if nip:
            if not valid_nip(nip):
                self._error(f"{pointer}/II/p1", "invalid_nip",
                            _("ZUSDRA %(period)s (%(who)s): the payer's NIP %(nip)s is not a valid NIP.")
                            % {"period": period, "who": who, "nip": nip[:20]}, nip=nip)
                return
            payer = self.companies.get(nip)
            if payer is None:
                payer = self.companies[nip] = _Payer(index=self._take_index(), name=short_name or full_name,
                                                     regon=regon)
            self._put(payer, entry, who)
        elif pesel:
            payer = self.payers.get(pesel)
            if payer is None:
                payer = self.payers[pesel] = _Payer(index=self.next_payer_index)
                self.next_payer_index += 1
            self._put(payer, entry, who)
        else:
            self._error(f"{pointer}/II", "missing_field",
                        _("ZUSDRA %(period)s (%(who)s): the payer has neither a NIP nor a valid PESEL.")
                        % {"period": period, "who": who})

    def _total(self, a: dict, period: str, who: str) -> Decimal:
        computed = ((a["social"] or ZERO) + (a["health"] or ZERO) + (a["funds_total"] or ZERO) + (a["fep"] or ZERO)
                    - (a["benefits"] or ZERO))
        if a["labour_fund"] is not None and a["fgsp"] is not None and a["funds_total"] is not None \
                and a["funds_total"] != a["labour_fund"] + a["fgsp"]:
            self.warnings.append(_("ZUSDRA %(period)s (%(who)s): VII.03 = %(total)s is not VII.01 + VII.02 = "
                                   "%(sum)s.") % {"period": period, "who": who, "total": a["funds_total"],
                                                  "sum": a["labour_fund"] + a["fgsp"]})
        to_pay, refund = a["to_pay"], a["refund"]
        if to_pay is None:
            self.warnings.append(_("ZUSDRA %(period)s (%(who)s): no IX.02; the total was computed as IV.37 + VI.07 "
                                   "+ VII.03 + VIII.03 − V.05 = %(value)s.")
                                 % {"period": period, "who": who, "value": computed})
            return computed
        expected = max(computed, ZERO)
        if to_pay != expected:
            self.warnings.append(_("ZUSDRA %(period)s (%(who)s): IX.02 (amount to pay) is %(file)s but IV.37 + "
                                   "VI.07 + VII.03 + VIII.03 − V.05 = %(computed)s; the file's IX.02 was imported.")
                                 % {"period": period, "who": who, "file": to_pay, "computed": computed})
        if to_pay == ZERO and refund and refund > ZERO:
            return -refund
        return to_pay

    def _put(self, payer: _Payer, entry: ZusEntry, who: str) -> None:
        if entry.period in payer.entries:
            self.warnings.append(_("Two ZUSDRA declarations for %(who)s and %(period)s: the later one in the file "
                                   "was imported.") % {"who": who, "period": entry.period})
        payer.entries[entry.period] = entry

    def _take_index(self) -> int:
        index = self.next_index
        self.next_index += 1
        return index

    def _error(self, pointer: str, code: str, detail: str, *, nip: str = "") -> None:
        self.errors.append(FieldError(pointer=pointer, code=code, detail=detail))
        if nip:
            self.rejected.append(self._take_index())

    # --- RCA --------------------------------------------------------------------------------------------
    def add_rca(self, rca) -> None:
        period = child_text(rca, "I", "p1", "p2")
        nip = digits(child_text(rca, "II", "p1"))
        pesel = digits(child_text(rca, "II", "p3"))
        payer = nip or mask_identifier(pesel)
        health = ZERO
        for block in rca:
            if local(block.tag) != "III":
                continue
            id_type = child_text(block, "A", "p3")
            identifier = digits(child_text(block, "A", "p4"))
            person = InsuredPerson(
                period=period, payer=payer, last_name=child_text(block, "A", "p1"),
                first_name=child_text(block, "A", "p2"), id_type=id_type, masked_id=mask_identifier(identifier),
                insurance_title=child_text(block, "B", "p1", "p1"), social_total=child_text(block, "B", "p29"),
                health_base=child_text(block, "C", "p1"))
            if id_type == "P" and not valid_pesel(identifier):
                self.warnings.append(_("ZUSRCA %(period)s: the PESEL of %(person)s does not pass the checksum.")
                                     % {"period": period, "person": person})
            if any(local(part.tag) == "F" for part in block):
                self.annual_settlements += 1
            health += self._rca_health(block)
            self.insured.append(person)
        if nip or pesel:
            key = (nip or pesel, period)
            self.rca_health[key] = self.rca_health.get(key, ZERO) + health

    @staticmethod
    def _rca_health(block) -> Decimal:
        total = ZERO
        for part in RCA_HEALTH_PARTS:
            try:
                total += parse_amount(child_text(block, "C", part)) or ZERO
            except ValueError:
                continue  # a garbage amount fails the schema; without one it just does not count here
        return total

    def health_flags(self) -> list[ReviewFlag]:
        """A DRA whose VI.07 differs from the sum of its RCA health lines: shown for review, DRA kept as filed."""
        flags = []
        for key, (dra_total, who) in self.dra_health.items():
            rca_total = self.rca_health.get(key)
            if rca_total is not None and rca_total != dra_total:
                flags.append(ReviewFlag("health_mismatch", {
                    "period": key[1], "who": who, "dra": str(dra_total), "rca": str(rca_total)}))
        return flags

    # --- result -----------------------------------------------------------------------------------------
    def result(self, data: bytes, filename: str, ns: str, schema_name: str, generator: str) -> ImportResult:
        companies = tuple(
            CompanyData(index=payer.index, nip=nip, name=payer.name, regon=payer.regon,
                        zus=_numbered(payer.entries))
            for nip, payer in self.companies.items())
        payers = tuple(PayerData(index=payer.index, pesel=pesel, zus=_numbered(payer.entries))
                       for pesel, payer in self.payers.items())
        periods = sorted({e.period for c in companies for e in c.zus} | {e.period for p in payers for e in p.zus})
        batch = Batch(program="file_import", program_version=self.label,
                      period_from=periods[0] if periods else None, period_to=periods[-1] if periods else None,
                      companies=companies, payers=payers, rejected_companies=tuple(self.rejected),
                      errors=tuple(self.errors))
        details = {"generator": generator, "dra_count": self.dra_count, "rca_insured": len(self.insured),
                   "rejected": len(self.errors), "annual_health_settlements": self.annual_settlements}
        return ImportResult(batch=batch, kind="kedu", variant=self.label, namespace=ns, schema=schema_name,
                            schema_validated=bool(schema_name), warnings=tuple(self.warnings),
                            flags=tuple(self.health_flags()),
                            insured=tuple(self.insured), details=details, filename=filename, size=len(data))


_DRA_FIELDS = {
    "social": ("IV", "p37"),
    "health": ("VI", "p7"),
    "labour_fund": ("VII", "p1"),
    "fgsp": ("VII", "p2"),
    "funds_total": ("VII", "p3"),
    "fep": ("VIII", "p3"),
    "benefits": ("V", "p5"),
    "refund": ("IX", "p1"),
    "to_pay": ("IX", "p2"),
}


def _numbered(entries: dict[str, ZusEntry]) -> tuple[ZusEntry, ...]:
    return tuple(replace(entry, index=i) for i, entry in enumerate(sorted(entries.values(), key=lambda e: e.period)))
