"""Shared helpers: the reference data next to the repo (optional), and builders for synthetic exchange files.

The builders make files that validate against the real shipped schemas of each variant (checked by the tests
themselves), so every importer test runs on a machine without the shared reference folder. That folder is
found at ``../shared/data`` next to the repository, or wherever ``BIURKO_SHARED_DATA`` points (point it at a
missing directory to check that nothing depends on it).
"""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
SHARED_DATA = Path(os.environ.get("BIURKO_SHARED_DATA") or REPO.parent / "shared" / "data")

JPK_NS = {
    "V7M1": "http://crd.gov.pl/wzor/2020/05/08/9393/",
    "V7K1": "http://crd.gov.pl/wzor/2020/05/08/9394/",
    "V7M2": "http://crd.gov.pl/wzor/2021/07/08/07081/",
    "V7K2": "http://crd.gov.pl/wzor/2021/07/08/07082/",
    "V7M2P": "http://crd.gov.pl/wzor/2021/12/27/11148/",
    "V7K2P": "http://crd.gov.pl/wzor/2021/12/27/11149/",
    "V7M3": "http://crd.gov.pl/wzor/2025/12/19/14090/",
    "V7K3": "http://crd.gov.pl/wzor/2025/12/19/14089/",
}
ETD = {1: "http://crd.gov.pl/xml/schematy/dziedzinowe/mf/2020/03/11/eD/DefinicjeTypy/",
       2: "http://crd.gov.pl/xml/schematy/dziedzinowe/mf/2021/06/08/eD/DefinicjeTypy/",
       3: "http://crd.gov.pl/xml/schematy/dziedzinowe/mf/2022/09/13/eD/DefinicjeTypy/"}
ETD_2021 = ETD[2]
# (schema version, declaration variant monthly, quarterly) per generation (n) of JPK_V7M/V7K.
_FORMS = {1: ("1-2E", 21, 15), 2: ("1-0E", 22, 16), 3: ("1-0E", 23, 17)}
KSEF_NUMBER = "5260250995-20260215-0A1B2C-3D4E5F-A1"
MARKERS = ("NrKSeF", "OFF", "BFK", "DI")


def generation_of(ns: str) -> int:
    key = next(k for k, v in JPK_NS.items() if v == ns)
    return int(key[3])


def _order(name: str) -> tuple[int, str]:
    """Schema order of P_/K_ positions: P_36 < P_360 < P_37, P_54 < P_540 < P_55."""
    number = name[2:]
    return int(number[:2]), number[2:]


def _elements(fields: dict[str, str]) -> str:
    return "".join(f"<tns:{k}>{v}</tns:{k}>" for k, v in fields.items())


def _marker(row: dict[str, str]) -> str:
    """From (3) each register row carries exactly one KSeF marker; BFK (not in KSeF) unless the row says."""
    given = {k: v for k, v in row.items() if k in MARKERS}
    return _elements(given or {"BFK": "1"})


def jpk_xml(*, ns: str = JPK_NS["V7M2P"], quarterly: bool | None = None, year: int | None = None, month: int = 1,
            purpose: int = 1, nip: str = "5260250995", declaration: dict[str, str] | None = None,
            quarter: int | None = None, sales_rows: list[dict[str, str]] | None = None,
            purchase_rows: list[dict[str, str]] | None = None, sales_ctrl: tuple[int, str] | None = None,
            purchase_ctrl: tuple[int, str] | None = None, register: bool = True, person: bool = False) -> bytes:
    """A JPK_V7M/V7K file of the variant ``ns`` that validates against that variant's schema.

    Rows are dicts of K_ amounts plus optionally ``TypDokumentu`` and, from (3), one KSeF marker
    (``NrKSeF``/``OFF``/``BFK``/``DI``; ``BFK`` when none is given).
    """
    generation = generation_of(ns)
    quarterly = ns in (JPK_NS["V7K1"], JPK_NS["V7K2"], JPK_NS["V7K2P"], JPK_NS["V7K3"]) if quarterly is None \
        else quarterly
    year = year or {1: 2021, 2: 2026, 3: 2026}[generation]
    schema_version, monthly_variant, quarterly_variant = _FORMS[generation]
    form = f"JPK_V7{'K' if quarterly else 'M'} ({generation})"
    created_month = max(month, 2) if generation == 3 and year == 2026 else month  # (3) files exist from 02.2026
    dekl = ""
    if declaration is not None:
        fields = {"P_38": "0", "P_51": "0"} | declaration
        positions = _elements({f: fields[f] for f in sorted(fields, key=_order)})
        quarter_el = f"<tns:Kwartal>{quarter}</tns:Kwartal>" if quarterly else ""
        code = "VAT-7K" if quarterly else "VAT-7"
        variant = quarterly_variant if quarterly else monthly_variant
        dekl = (f'<tns:Deklaracja><tns:Naglowek><tns:KodFormularzaDekl kodSystemowy="{code} ({variant})" '
                f'kodPodatku="VAT" rodzajZobowiazania="Z" wersjaSchemy="{schema_version}">{code}'
                f"</tns:KodFormularzaDekl><tns:WariantFormularzaDekl>{variant}</tns:WariantFormularzaDekl>"
                f"{quarter_el}</tns:Naglowek><tns:PozycjeSzczegolowe>{positions}</tns:PozycjeSzczegolowe>"
                f"<tns:Pouczenia>1</tns:Pouczenia></tns:Deklaracja>")
    ewidencja = ""
    if register:
        ewidencja = _register(generation, year, month, sales_rows or [], purchase_rows or [], sales_ctrl,
                              purchase_ctrl)
    if person:
        subject = (f"<tns:OsobaFizyczna><etd:NIP>{nip}</etd:NIP><etd:ImiePierwsze>Jan</etd:ImiePierwsze>"
                   f"<etd:Nazwisko>Kowalski</etd:Nazwisko><etd:DataUrodzenia>1980-01-01</etd:DataUrodzenia>"
                   f"<tns:Email>jan@przyklad.pl</tns:Email></tns:OsobaFizyczna>")
    else:
        subject = (f"<tns:OsobaNiefizyczna><tns:NIP>{nip}</tns:NIP><tns:PelnaNazwa>Przykład Sp. z o.o."
                   f"</tns:PelnaNazwa><tns:Email>biuro@przyklad.pl</tns:Email></tns:OsobaNiefizyczna>")
    return (f'<?xml version="1.0" encoding="utf-8"?>\n<tns:JPK xmlns:etd="{ETD[generation]}" xmlns:tns="{ns}">'
            f'<tns:Naglowek><tns:KodFormularza kodSystemowy="{form}" wersjaSchemy="{schema_version}">JPK_VAT'
            f"</tns:KodFormularza><tns:WariantFormularza>{generation}</tns:WariantFormularza>"
            f"<tns:DataWytworzeniaJPK>{year}-{created_month:02d}-20T10:00:00Z</tns:DataWytworzeniaJPK>"
            f'<tns:NazwaSystemu>Test</tns:NazwaSystemu><tns:CelZlozenia poz="P_7">{purpose}</tns:CelZlozenia>'
            f"<tns:KodUrzedu>1471</tns:KodUrzedu><tns:Rok>{year}</tns:Rok><tns:Miesiac>{month}</tns:Miesiac>"
            f'</tns:Naglowek><tns:Podmiot1 rola="Podatnik">{subject}</tns:Podmiot1>{dekl}{ewidencja}</tns:JPK>'
            ).encode()


def _register(generation, year, month, sales_rows, purchase_rows, sales_ctrl, purchase_ctrl) -> str:
    rows = []
    for i, row in enumerate(sales_rows, 1):
        kind = _elements({k: v for k, v in row.items() if k == "TypDokumentu"})
        amounts = _elements({k: row[k] for k in sorted((k for k in row if k.startswith("K_")), key=_order)})
        marker = _marker(row) if generation >= 3 else ""
        rows.append(f"<tns:SprzedazWiersz><tns:LpSprzedazy>{i}</tns:LpSprzedazy>"
                    f"<tns:NrKontrahenta>9527765432</tns:NrKontrahenta><tns:NazwaKontrahenta>Kontrahent"
                    f"</tns:NazwaKontrahenta><tns:DowodSprzedazy>FV/{i}</tns:DowodSprzedazy>"
                    f"<tns:DataWystawienia>{year}-{month:02d}-10</tns:DataWystawienia>{marker}{kind}{amounts}"
                    f"</tns:SprzedazWiersz>")
    s_rows, s_tax = sales_ctrl or (len(sales_rows), "0")
    rows.append(f"<tns:SprzedazCtrl><tns:LiczbaWierszySprzedazy>{s_rows}</tns:LiczbaWierszySprzedazy>"
                f"<tns:PodatekNalezny>{s_tax}</tns:PodatekNalezny></tns:SprzedazCtrl>")
    for i, row in enumerate(purchase_rows, 1):
        amounts = _elements({k: row[k] for k in sorted((k for k in row if k.startswith("K_")), key=_order)})
        marker = _marker(row) if generation >= 3 else ""
        rows.append(f"<tns:ZakupWiersz><tns:LpZakupu>{i}</tns:LpZakupu><tns:NrDostawcy>3897424335"
                    f"</tns:NrDostawcy><tns:NazwaDostawcy>Dostawca</tns:NazwaDostawcy><tns:DowodZakupu>Z/{i}"
                    f"</tns:DowodZakupu><tns:DataZakupu>{year}-{month:02d}-05</tns:DataZakupu>{marker}{amounts}"
                    f"</tns:ZakupWiersz>")
    p_rows, p_tax = purchase_ctrl or (len(purchase_rows), "0")
    rows.append(f"<tns:ZakupCtrl><tns:LiczbaWierszyZakupow>{p_rows}</tns:LiczbaWierszyZakupow>"
                f"<tns:PodatekNaliczony>{p_tax}</tns:PodatekNaliczony></tns:ZakupCtrl>")
    return "<tns:Ewidencja>" + "".join(rows) + "</tns:Ewidencja>"


KEDU_NS = "http://www.zus.pl/2024/KEDU_5_6"
KEDU_57_NS = "http://www.zus.pl/2026/KEDU_5_7"
# The annual health settlement (DRA XII, RCA III.F): which fields are yes/no, the rest are amounts, p1 the year.
# 5.7 added two yes/no fields (p6, p15) and shifted the rest: 27 → 29 fields.
ANNUAL_FLAGS = {27: (2, 3, 4, 12, 19), 29: (2, 3, 4, 6, 13, 15, 21)}


def annual_settlement(tag: str, fields: int = 29, year: int = 2025) -> str:
    """A DRA block XII / RCA part F of the 5.6 (27 fields) or 5.7 (29 fields) layout, every field filled."""
    parts = [f"<p1>{year}</p1>"] + [
        f"<p{n}>{'true' if n in ANNUAL_FLAGS[fields] else f'{n * 11}.00'}</p{n}>" for n in range(2, fields + 1)]
    return f"<{tag}>{''.join(parts)}</{tag}>"


def dra_xml(*, doc_id: int = 1, period: str = "2026-01", nip: str | None = "7680002466",
            pesel: str | None = "26211012346", social: str = "1788.29", health: str = "432.54",
            fp: str = "138.47", fgsp: str = "0.00", funds_total: str | None = None, fep: str = "0.00",
            benefits: str = "0.00", refund: str = "0.00", to_pay: str | None = None, annual: str = "") -> str:
    """One ZUSDRA (KEDU 5.6/5.7 shape). ``to_pay`` defaults to the IX.2 formula; ``annual`` is a block XII."""
    funds_total = funds_total if funds_total is not None else f"{Decimal(fp) + Decimal(fgsp):.2f}"
    if to_pay is None:
        computed = Decimal(social) + Decimal(health) + Decimal(funds_total) + Decimal(fep) - Decimal(benefits)
        to_pay = f"{max(computed, Decimal(0)):.2f}"
    ids = (f"<p1>{nip}</p1>" if nip else "") + (f"<p3>{pesel}</p3>" if pesel else "")
    return (f'<ZUSDRA id_dokumentu="{doc_id}"><I><p1>6</p1><p2><p1>01</p1><p2>{period}</p2></p2></I>'
            f"<II>{ids}<p6>JAN NOWAK</p6><p7>NOWAK</p7><p8>JAN</p8></II>"
            f"<III><p1>1</p1><p3>1.67</p3></III>"
            f"<IV><p37>{social}</p37></IV>"
            f"<V><p1>0.00</p1><p2>0.00</p2><p3>0.00</p3><p4>0.00</p4><p5>{benefits}</p5></V>"
            f"<VI><p2>0.00</p2><p5>0.00</p5><p6>0.00</p6><p7>{health}</p7></VI>"
            f"<VII><p1>{fp}</p1><p2>{fgsp}</p2><p3>{funds_total}</p3></VII>"
            f"<VIII><p3>{fep}</p3></VIII>"
            f"<IX><p1>{refund}</p1><p2>{to_pay}</p2></IX>{annual}"
            f"<XIII><p1>2026-02-01</p1></XIII></ZUSDRA>")


def rca_xml(*people: dict, doc_id: int = 10, period: str = "2026-01", nip: str | None = "7680002466",
            pesel: str | None = "26211012346") -> str:
    """One ZUSRCA; each person: ``last``, ``first``, ``pesel``, ``social``, ``health`` (III.C p2/p4 as a dict),
    optionally ``annual`` (a part F)."""
    ids = (f"<p1>{nip}</p1>" if nip else "") + (f"<p3>{pesel}</p3>" if pesel else "")
    blocks = []
    for n, person in enumerate(people, 1):
        health = "".join(f"<{k}>{v}</{k}>" for k, v in sorted(person.get("health", {}).items()))
        blocks.append(
            f'<III id_bloku="{n}"><A><p1>{person["last"]}</p1><p2>{person["first"]}</p2><p3>P</p3>'
            f'<p4>{person["pesel"]}</p4></A><B><p1><p1>0110</p1><p2>0</p2><p3>0</p3></p1><p3><p1>1</p1><p2>1</p2>'
            f'</p3><p4>5000.00</p4><p5>5000.00</p5><p6>5000.00</p6><p29>{person.get("social", "0.00")}</p29></B>'
            f'<C><p1>{person.get("base", "4314.50")}</p1>{health}</C>{person.get("annual", "")}</III>')
    return (f'<ZUSRCA id_dokumentu="{doc_id}"><I><p1><p1>01</p1><p2>{period}</p2></p1></I>'
            f"<II>{ids}<p6>JAN NOWAK</p6><p7>NOWAK</p7><p8>JAN</p8></II>{''.join(blocks)}"
            f"<IV><p1>2026-02-01</p1></IV></ZUSRCA>")


def kedu_xml(*documents: str, ns: str = KEDU_NS) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<KEDU wersja_schematu="1" xmlns="{ns}"><naglowek.KEDU>'
            f"<program><producent>Asseco</producent><symbol>Płatnik</symbol><wersja>10.02.002</wersja></program>"
            f"</naglowek.KEDU>{''.join(documents)}</KEDU>").encode()


def v7m2_like_the_shared_example(nip: str = "7018631981") -> bytes:
    """A JPK_V7M(2) (07081) with the values of ``jpk_v7m2_valid_deklaracja_sprzedaz_zakupy_osoba_niefizyczna``:
    2022-02, VAT to pay 124, sales VAT 2189.50, purchase VAT 2005.64 — built here, so no test needs that file."""
    return jpk_xml(ns=JPK_NS["V7M2"], year=2022, month=2, nip=nip, declaration={"P_51": "124"},
                   sales_rows=[{"K_19": "9519.57", "K_20": "2189.50"}], sales_ctrl=(1, "2189.50"),
                   purchase_rows=[{"K_42": "8720.17", "K_43": "2005.64"}], purchase_ctrl=(1, "2005.64"))
