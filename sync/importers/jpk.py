"""JPK_V7M / JPK_V7K (VAT declaration + VAT register) → one company's VAT figure and register statement.

Read in one streaming pass; each register row is summed and then dropped (see ``safexml``).
Field mapping and the sign rule are documented in docs/importers.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from sync.batch import Batch, CompanyData, StatementEntry, TaxEntry, TaxSetup

from .result import ExchangeFileError, ImportResult, ReviewFlag
from .safexml import ImportLimits, StreamReader, child_text, human_size, is_top, load_schema, local, release
from .values import clean_email, clean_phone, digits, parse_amount, period, valid_nip


@dataclass(frozen=True)
class JpkVariant:
    kind: str  # "jpk_v7m" | "jpk_v7k"
    label: str  # "JPK_V7M(2)"
    namespace: str
    schema: str = ""  # file in sync/importers/xsd, "" when we do not ship it
    note: str = ""
    generation: int = 2  # the (n) of the structure: decides the fields and the control-sum rule

    @property
    def quarterly(self) -> bool:
        return self.kind == "jpk_v7k"


_CRD = "http://crd.gov.pl/wzor/"
VARIANTS: dict[str, JpkVariant] = {v.namespace: v for v in (
    JpkVariant("jpk_v7m", "JPK_V7M(1)", _CRD + "2020/05/08/9393/", "Schemat_JPK_V7M(1)_v1-2E.xsd",
               "10.2020–12.2021", 1),
    JpkVariant("jpk_v7k", "JPK_V7K(1)", _CRD + "2020/05/08/9394/", "Schemat_JPK_V7K(1)_v1-2E.xsd",
               "10.2020–12.2021", 1),
    JpkVariant("jpk_v7m", "JPK_V7M(2)", _CRD + "2021/07/08/07081/", "Schemat_JPK_V7M(2)_v1-0.xsd",
               "first publication"),
    JpkVariant("jpk_v7k", "JPK_V7K(2)", _CRD + "2021/07/08/07082/", "Schemat_JPK_V7K(2)_v1-0.xsd",
               "first publication"),
    JpkVariant("jpk_v7m", "JPK_V7M(2)", _CRD + "2021/12/27/11148/", "Schemat_JPK_V7M(2)_v1-0_production-11148.xsd",
               "01.2022–01.2026"),
    # No public copy of the production V7K(2) schema: read like (2) (it differs from 07082 only by namespace,
    # as 11148 does from 07081), and the result says it was not validated.
    JpkVariant("jpk_v7k", "JPK_V7K(2)", _CRD + "2021/12/27/11149/", "", "01.2022–01.2026"),
    JpkVariant("jpk_v7m", "JPK_V7M(3)", _CRD + "2025/12/19/14090/", "Schemat_JPK_V7M(3)_v1-0E_14090.xsd",
               "from 02.2026", 3),
    JpkVariant("jpk_v7k", "JPK_V7K(3)", _CRD + "2025/12/19/14089/", "Schemat_JPK_V7K(3)_v1-0E_14089.xsd",
               "from 02.2026", 3),
)}

# Output VAT per the SprzedazCtrl/PodatekNalezny definition: these minus K_35, K_36 (and K_360 from (3));
# rows marked FP excluded. The declaration's P_38 follows the same rule with P_ instead of K_.
SALES_TAX_PLUS = ("K_16", "K_18", "K_20", "K_24", "K_26", "K_28", "K_30", "K_32", "K_33", "K_34")
SALES_TAX_MINUS = {1: ("K_35", "K_36"), 2: ("K_35", "K_36"), 3: ("K_35", "K_36", "K_360")}
# Input VAT per ZakupCtrl/PodatekNaliczony (unchanged in (3)).
PURCHASE_TAX = ("K_41", "K_43", "K_44", "K_45", "K_46", "K_47")
DECLARATION_FIELDS = ("P_38", "P_48", "P_51", "P_53", "P_54", "P_62")
# From (3) every register row carries exactly one of these: the KSeF number, or why it has none
# (OFF: issued outside KSeF during an outage/offline mode, BFK: not in KSeF, DI: a different document).
KSEF_MARKERS = ("NrKSeF", "OFF", "BFK", "DI")
# How a refund (P_54) is to be paid: 15, 25 (VAT account), 25, 40, 60 (not in (3)) or 180 days.
REFUND_TERMS = {1: ("P_55", "P_56", "P_57", "P_58"), 2: ("P_540", "P_55", "P_56", "P_560", "P_57", "P_58"),
                3: ("P_540", "P_55", "P_56", "P_560", "P_58")}


def _output_tax_fields(generation: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The declaration's (plus, minus) positions for P_38, mirroring the register's K_ rule."""
    return (tuple("P" + f[1:] for f in SALES_TAX_PLUS),
            tuple("P" + f[1:] for f in SALES_TAX_MINUS[generation]))

def describe_unknown(data: bytes) -> str:
    """``JPK_VAT (3)`` etc. from the header of a JPK we do not import, for the refusal message."""
    try:
        for element in StreamReader(data).events():
            if local(element.tag) == "KodFormularza":
                return (element.get("kodSystemowy") or element.text or "").strip()
            if local(element.tag) == "Naglowek":
                return ""
    except ExchangeFileError:
        return ""
    return ""


class _Tags:
    """Clark-notation tags of the variant's namespace, so the hot loop compares strings, not local names."""

    def __init__(self, variant: JpkVariant):
        def q(name: str) -> str:
            return f"{{{variant.namespace}}}{name}"

        self.sales_row, self.purchase_row = q("SprzedazWiersz"), q("ZakupWiersz")
        self.sales_ctrl, self.purchase_ctrl = q("SprzedazCtrl"), q("ZakupCtrl")
        self.header, self.subject, self.declaration = q("Naglowek"), q("Podmiot1"), q("Deklaracja")
        self.document_type = q("TypDokumentu")
        self.sales_tax = ({q(f): 1 for f in SALES_TAX_PLUS}
                          | {q(f): -1 for f in SALES_TAX_MINUS[variant.generation]})
        self.purchase_tax = frozenset(q(f) for f in PURCHASE_TAX)
        self.markers = {q(f): f for f in KSEF_MARKERS} if variant.generation >= 3 else {}


class _Register:
    def __init__(self) -> None:
        self.rows = 0
        self.tax = Decimal("0.00")
        self.markers = dict.fromkeys(KSEF_MARKERS, 0)

    def count_marker(self, row, tags: _Tags) -> None:
        for child in row:
            marker = tags.markers.get(child.tag)
            if marker is not None:
                self.markers[marker] += 1
                return


def parse_jpk(data: bytes, variant: JpkVariant, *, limits: ImportLimits, filename: str = "") -> ImportResult:
    warnings: list[str] = []
    schema, schema_name = None, ""
    if variant.schema and len(data) > limits.xsd_max_bytes:
        warnings.append(_("The file is %(size)s, above the %(limit)s XSD-check threshold: the %(variant)s schema "
                          "check was skipped; the declaration and control sums were still read and cross-checked.")
                        % {"size": human_size(len(data)), "limit": human_size(limits.xsd_max_bytes),
                           "variant": variant.label})
    elif variant.schema:
        schema, reason = load_schema(variant.schema)
        if schema is None:
            warnings.append(_("The %(variant)s schema could not be compiled offline (%(reason)s); the file was "
                              "read without the XSD check.") % {"variant": variant.label, "reason": reason})
        else:
            schema_name = variant.schema
    else:
        warnings.append(_("No schema is shipped for %(variant)s (namespace %(ns)s): the file was read without "
                          "the XSD check, using the same fields as the earlier variants.")
                        % {"variant": variant.label, "ns": variant.namespace})

    reader = StreamReader(data, schema=schema, variant_label=variant.label)
    header: dict[str, str] = {}
    subject: dict[str, str] = {}
    declaration: dict[str, str] | None = None
    sales, purchases = _Register(), _Register()
    sales_ctrl: dict[str, str] | None = None
    purchase_ctrl: dict[str, str] | None = None

    tags = _Tags(variant)
    for element in reader.events():
        tag = element.tag
        if tag == tags.sales_row:
            _add_sales_row(sales, element, tags, variant)
            release(element)
        elif tag == tags.purchase_row:
            _add_purchase_row(purchases, element, tags, variant)
            release(element)
        elif tag == tags.sales_ctrl:
            sales_ctrl = {"rows": child_text(element, "LiczbaWierszySprzedazy"),
                          "tax": child_text(element, "PodatekNalezny")}
        elif tag == tags.purchase_ctrl:
            purchase_ctrl = {"rows": child_text(element, "LiczbaWierszyZakupow"),
                             "tax": child_text(element, "PodatekNaliczony")}
        elif not is_top(element):
            continue
        elif tag == tags.header:
            header = {key: child_text(element, key) for key in (
                "Rok", "Miesiac", "CelZlozenia", "WariantFormularza", "NazwaSystemu", "KodUrzedu")}
            code = next((c for c in element if local(c.tag) == "KodFormularza"), None)
            header["kodSystemowy"] = (code.get("kodSystemowy") or "").strip() if code is not None else ""
            release(element)
        elif tag == tags.subject:
            person = next((c for c in element if local(c.tag) in ("OsobaFizyczna", "OsobaNiefizyczna")), None)
            if person is not None:
                subject = {key: child_text(person, key) for key in (
                    "NIP", "PelnaNazwa", "ImiePierwsze", "Nazwisko", "Email", "Telefon")}
                subject["kind"] = local(person.tag)
            release(element)
        elif tag == tags.declaration:
            positions = next((c for c in element if local(c.tag) == "PozycjeSzczegolowe"), None)
            declaration = {local(c.tag): (c.text or "").strip() for c in (positions if positions is not None else ())}
            declaration["Kwartal"] = child_text(element, "Naglowek", "Kwartal")
            declaration["form"] = child_text(element, "Naglowek", "KodFormularzaDekl")
            release(element)

    return _build(variant, data, filename, header, subject, declaration, sales, purchases, sales_ctrl,
                  purchase_ctrl, warnings, schema_name)


def _amount(element, field: str, variant: JpkVariant) -> Decimal:
    text = (element.text or "").strip()
    try:
        value = parse_amount(text)
    except ValueError:
        raise ExchangeFileError(
            _("%(variant)s: %(field)s holds %(value)r, which is not an amount.")
            % {"variant": variant.label, "field": field, "value": text[:40]},
            code="invalid_field", variant=variant.label) from None
    return value or Decimal("0.00")


def _add_sales_row(register: _Register, row, tags: _Tags, variant: JpkVariant) -> None:
    register.rows += 1
    if tags.markers:
        register.count_marker(row, tags)
    tax = Decimal("0.00")
    for child in row:
        sign = tags.sales_tax.get(child.tag)
        if sign is not None:
            tax += sign * _amount(child, local(child.tag), variant)
        elif child.tag == tags.document_type and (child.text or "").strip() == "FP":
            return  # FP invoices (art. 109 ust. 3d) stay out of the control sum
    register.tax += tax


def _add_purchase_row(register: _Register, row, tags: _Tags, variant: JpkVariant) -> None:
    register.rows += 1
    if tags.markers:
        register.count_marker(row, tags)
    for child in row:
        if child.tag in tags.purchase_tax:
            register.tax += _amount(child, local(child.tag), variant)


def _required_int(value: str, field: str, variant: JpkVariant, low: int, high: int) -> int:
    if not value:
        raise ExchangeFileError(
            _("%(variant)s: the header has no %(field)s.") % {"variant": variant.label, "field": field},
            code="missing_field", variant=variant.label)
    try:
        number = int(value)
    except ValueError:
        number = None
    if number is None or not low <= number <= high:
        raise ExchangeFileError(
            _("%(variant)s: %(field)s is %(value)r, expected %(low)s–%(high)s.")
            % {"variant": variant.label, "field": field, "value": value[:20], "low": low, "high": high},
            code="invalid_field", variant=variant.label)
    return number


def _decl_amount(declaration: dict, field: str, variant: JpkVariant) -> Decimal | None:
    try:
        return parse_amount(declaration.get(field, ""))
    except ValueError:
        raise ExchangeFileError(
            _("%(variant)s: Deklaracja/%(field)s holds %(value)r, which is not an amount.")
            % {"variant": variant.label, "field": field, "value": declaration[field][:40]},
            code="invalid_field", variant=variant.label) from None


def _build(variant, data, filename, header, subject, declaration, sales, purchases, sales_ctrl, purchase_ctrl,
           warnings, schema_name) -> ImportResult:
    label = variant.label
    year = _required_int(header.get("Rok", ""), "Naglowek/Rok", variant, 1900, 2100)
    month = _required_int(header.get("Miesiac", ""), "Naglowek/Miesiac", variant, 1, 12)
    file_period = period(year, month)
    identity = _identity(subject, variant, warnings)
    flags: list[ReviewFlag] = []
    details: dict = {"generator": header.get("NazwaSystemu", ""), "form_code": header.get("kodSystemowy", ""),
                     "file_period": file_period, "purpose": header.get("CelZlozenia", ""),
                     "generation": variant.generation}

    taxes: list[TaxEntry] = []
    if declaration is None and sales_ctrl is None and purchase_ctrl is None:
        warnings.append(_("The file has neither a declaration (Deklaracja) nor a register (Ewidencja): only the "
                          "company's details were read."))
    elif declaration is None:
        if not (variant.quarterly and month % 3):  # months 1–2 of a quarter never carry the VAT-7K part
            warnings.append(_("The file has no declaration part (Deklaracja): no VAT amount was imported, only "
                              "the register totals."))
    else:
        label_kind = "correction" if header.get("CelZlozenia") == "2" else "declaration"
        taxes.extend(_vat_entry(variant, declaration, year, month, label_kind, details, warnings, flags))

    statements: list[StatementEntry] = []
    if sales_ctrl is not None or purchase_ctrl is not None:
        statements.append(_register_statement(variant, file_period, sales, purchases, sales_ctrl, purchase_ctrl,
                                              details, warnings))
    elif sales.rows or purchases.rows:
        warnings.append(_("The register has rows but no control sums (SprzedazCtrl/ZakupCtrl); no statement "
                          "was imported."))
    if variant.generation >= 3:
        details["ksef"] = {"sales": dict(sales.markers), "purchases": dict(purchases.markers)}
        details["ksef_rows"] = sales.markers["NrKSeF"] + purchases.markers["NrKSeF"]
        details["register_rows"] = sales.rows + purchases.rows
        details["ksef_without"] = {m: sales.markers[m] + purchases.markers[m] for m in KSEF_MARKERS[1:]}

    periods = sorted({t.period for t in taxes} | {s.period for s in statements}) or [file_period]
    company = CompanyData(
        index=0, **identity, tax_setup=TaxSetup(vat="quarterly" if variant.quarterly else "monthly"),
        taxes=tuple(taxes), statements=tuple(statements))
    batch = Batch(program="file_import", program_version=label, period_from=periods[0], period_to=periods[-1],
                  companies=(company,))
    return ImportResult(
        batch=batch, kind=variant.kind, variant=label, namespace=variant.namespace, schema=schema_name,
        schema_validated=bool(schema_name), warnings=tuple(warnings), flags=tuple(flags), details=details,
        filename=filename, size=len(data))


def _identity(subject: dict, variant: JpkVariant, warnings: list[str]) -> dict:
    label = variant.label
    nip = digits(subject.get("NIP", ""))
    if not nip:
        raise ExchangeFileError(_("%(variant)s: Podmiot1 has no NIP.") % {"variant": label},
                                code="missing_field", variant=label)
    if not valid_nip(nip):
        raise ExchangeFileError(_("%(variant)s: the NIP in Podmiot1 (%(nip)s) is not a valid NIP.")
                                % {"variant": label, "nip": nip[:20]}, code="invalid_field", variant=label)
    if subject.get("kind") == "OsobaFizyczna":
        name = " ".join(part for part in (subject.get("ImiePierwsze", ""), subject.get("Nazwisko", "")) if part)
    else:
        name = subject.get("PelnaNazwa", "")
    email = clean_email(subject.get("Email", ""))
    if subject.get("Email") and not email:
        warnings.append(_("The e-mail address in Podmiot1 is not valid and was left out."))
    phone = clean_phone(subject.get("Telefon", ""))
    if subject.get("Telefon") and not phone:
        warnings.append(_("The phone number in Podmiot1 is not valid and was left out."))
    return {"nip": nip, "name": name, "email": email, "phone": phone}


def _vat_entry(variant, declaration, year, month, label_kind, details, warnings, flags) -> list[TaxEntry]:
    """The declaration's VAT figure (sign rule in docs/importers.md); none when its quarter is contradictory."""
    label = variant.label
    p51 = _decl_amount(declaration, "P_51", variant)
    p53 = _decl_amount(declaration, "P_53", variant)
    if p51 is None and p53 is None:
        raise ExchangeFileError(
            _("%(variant)s: the declaration has neither P_51 (VAT to pay) nor P_53 (surplus).")
            % {"variant": label}, code="missing_field", variant=label)
    if p51 and p51 > 0:
        amount = p51
        if p53 and p53 > 0:
            warnings.append(_("The declaration shows both VAT to pay (P_51 = %(p51)s) and a surplus (P_53 = "
                              "%(p53)s); P_51 was imported.") % {"p51": p51, "p53": p53})
    elif p53 and p53 > 0:
        amount = -p53
    else:
        amount = Decimal("0.00")
    _check_output_tax(variant, declaration, warnings)
    terms = REFUND_TERMS[variant.generation]
    details["declaration"] = {key: declaration[key] for key in (*DECLARATION_FIELDS, "P_360")
                              if declaration.get(key)}
    details["declaration"]["form"] = declaration.get("form", "")
    refund_term = next((term for term in terms if declaration.get(term) == "1"), "")
    if refund_term:
        details["declaration"]["refund_term"] = refund_term
    details["vat_amount"] = str(amount)

    tax_period, tax_type = period(year, month), "VAT-7"
    if variant.quarterly:
        tax_type = "VAT-7K"
        tax_period = _quarter_period(declaration.get("Kwartal", ""), year, month, variant, amount, warnings, flags)
        if tax_period is None:
            return []
    details["vat_period"] = tax_period
    return [TaxEntry(index=0, period=tax_period, type=tax_type, amount=amount, label=label_kind)]


def _check_output_tax(variant: JpkVariant, declaration: dict, warnings: list[str]) -> None:
    """P_38 = P_16 + … + P_34 − P_35 − P_36 (− P_360 from (3)): warned, not corrected, when the file disagrees."""
    plus, minus = _output_tax_fields(variant.generation)
    if not any(declaration.get(f) for f in (*plus, *minus)):
        return
    computed = (sum((_decl_amount(declaration, f, variant) or Decimal(0) for f in plus), Decimal("0.00"))
                - sum((_decl_amount(declaration, f, variant) or Decimal(0) for f in minus), Decimal("0.00")))
    p38 = _decl_amount(declaration, "P_38", variant)
    if p38 is not None and p38 != computed:
        warnings.append(_("The declaration's P_38 (output tax) is %(p38)s, but its positions give %(computed)s "
                          "(%(rule)s).") % {"p38": p38, "computed": computed,
                                            "rule": " + ".join(plus[:1]) + " … " + plus[-1] + " − "
                                            + " − ".join(minus)})


def _register_statement(variant, file_period, sales, purchases, sales_ctrl, purchase_ctrl, details,
                        warnings) -> StatementEntry:
    label = variant.label
    totals: dict[str, Decimal] = {}
    for key, ctrl, register, part in (("sales_vat", sales_ctrl, sales, "SprzedazCtrl"),
                                      ("purchase_vat", purchase_ctrl, purchases, "ZakupCtrl")):
        if ctrl is None:
            continue
        try:
            value = parse_amount(ctrl["tax"])
        except ValueError:
            value = None
        if value is None:
            raise ExchangeFileError(_("%(variant)s: %(part)s has no valid tax total.")
                                    % {"variant": label, "part": part}, code="invalid_field", variant=label)
        totals[key] = value
        details[key.replace("_vat", "_rows")] = register.rows
        if value != register.tax:
            warnings.append(_("%(part)s says %(ctrl)s but the register rows add up to %(rows)s; the control "
                              "sum was imported.") % {"part": part, "ctrl": value, "rows": register.tax})
        if ctrl["rows"] and ctrl["rows"] != str(register.rows):
            warnings.append(_("%(part)s counts %(ctrl)s rows but the register has %(rows)s.")
                            % {"part": part, "ctrl": ctrl["rows"], "rows": register.rows})
    return StatementEntry(index=0, period=file_period, totals=totals)


def _quarter_period(kwartal: str, year: int, month: int, variant: JpkVariant, amount: Decimal,
                    warnings: list[str], flags: list[ReviewFlag]) -> str | None:
    """The VAT-7K figure's period: the quarter's last month. None when ``Kwartal`` contradicts the file's month."""
    file_quarter = (month - 1) // 3 + 1
    if kwartal:
        quarter = _required_int(kwartal, "Deklaracja/Naglowek/Kwartal", variant, 1, 4)
    elif month % 3 == 0:
        quarter = file_quarter
    else:
        raise ExchangeFileError(
            _("%(variant)s: the declaration has no quarter (Kwartal) and the file's month %(month)s is not a "
              "quarter's last month.") % {"variant": variant.label, "month": month},
            code="missing_field", variant=variant.label)
    if quarter != file_quarter:
        # Which one is wrong cannot be told from the file: importing either would put VAT in a quarter the
        # bookkeeper did not choose, so the amount is held back and the preview asks them to look.
        flags.append(ReviewFlag("quarter_mismatch", {
            "variant": variant.label, "q": quarter, "period": period(year, month), "file_q": file_quarter,
            "amount": str(amount)}))
        return None
    last_month = quarter * 3
    if month != last_month:
        warnings.append(_("The VAT-7K declaration for quarter %(q)s sits in the file for month %(month)s; it "
                          "normally comes with the quarter's last month. It was imported for %(period)s.")
                        % {"q": quarter, "month": month, "period": period(year, last_month)})
    return period(year, last_month)
