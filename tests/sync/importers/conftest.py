"""Shared helpers: the reference data next to the repo, and builders for synthetic exchange files."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
SHARED_DATA = REPO.parent / "shared" / "data"

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
ETD_2021 = "http://crd.gov.pl/xml/schematy/dziedzinowe/mf/2021/06/08/eD/DefinicjeTypy/"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"reference data not found at {SHARED_DATA} (the shared folder next to the repository)")
    return SHARED_DATA


def jpk_xml(*, ns: str = JPK_NS["V7M2P"], quarterly: bool = False, year: int = 2026, month: int = 1,
            purpose: int = 1, nip: str = "5260250995", declaration: dict[str, str] | None = None,
            quarter: int | None = None, sales_rows: list[dict[str, str]] | None = None,
            purchase_rows: list[dict[str, str]] | None = None, sales_ctrl: tuple[int, str] | None = None,
            purchase_ctrl: tuple[int, str] | None = None, register: bool = True) -> bytes:
    """A JPK_V7M(2)/V7K(2)-shaped file that validates against the 11148 schema with the defaults."""
    form = "JPK_V7K (2)" if quarterly else "JPK_V7M (2)"
    dekl = ""
    if declaration is not None:
        fields = {"P_38": "0", "P_51": "0"} | declaration
        order = sorted(fields, key=lambda f: int(f[2:]))
        positions = "".join(f"<tns:{f}>{fields[f]}</tns:{f}>" for f in order)
        quarter_el = f"<tns:Kwartal>{quarter}</tns:Kwartal>" if quarterly else ""
        code = "VAT-7K" if quarterly else "VAT-7"
        variant = "16" if quarterly else "22"
        dekl = (f'<tns:Deklaracja><tns:Naglowek><tns:KodFormularzaDekl kodSystemowy="{code} ({variant})" '
                f'kodPodatku="VAT" rodzajZobowiazania="Z" wersjaSchemy="1-0E">{code}</tns:KodFormularzaDekl>'
                f"<tns:WariantFormularzaDekl>{variant}</tns:WariantFormularzaDekl>{quarter_el}</tns:Naglowek>"
                f"<tns:PozycjeSzczegolowe>{positions}</tns:PozycjeSzczegolowe><tns:Pouczenia>1</tns:Pouczenia>"
                f"</tns:Deklaracja>")
    ewidencja = ""
    if register:
        sales_rows = sales_rows or []
        purchase_rows = purchase_rows or []
        rows = []
        for i, row in enumerate(sales_rows, 1):
            extra = "".join(f"<tns:{k}>{v}</tns:{k}>" for k, v in row.items() if k == "TypDokumentu")
            amounts = "".join(f"<tns:{k}>{v}</tns:{k}>" for k, v in row.items() if k != "TypDokumentu")
            rows.append(f"<tns:SprzedazWiersz><tns:LpSprzedazy>{i}</tns:LpSprzedazy>"
                        f"<tns:NrKontrahenta>9527765432</tns:NrKontrahenta><tns:NazwaKontrahenta>Kontrahent"
                        f"</tns:NazwaKontrahenta><tns:DowodSprzedazy>FV/{i}</tns:DowodSprzedazy>"
                        f"<tns:DataWystawienia>{year}-{month:02d}-10</tns:DataWystawienia>{extra}{amounts}"
                        f"</tns:SprzedazWiersz>")
        s_rows, s_tax = sales_ctrl or (len(sales_rows), "0")
        rows.append(f"<tns:SprzedazCtrl><tns:LiczbaWierszySprzedazy>{s_rows}</tns:LiczbaWierszySprzedazy>"
                    f"<tns:PodatekNalezny>{s_tax}</tns:PodatekNalezny></tns:SprzedazCtrl>")
        for i, row in enumerate(purchase_rows, 1):
            amounts = "".join(f"<tns:{k}>{v}</tns:{k}>" for k, v in row.items())
            rows.append(f"<tns:ZakupWiersz><tns:LpZakupu>{i}</tns:LpZakupu><tns:NrDostawcy>3897424335"
                        f"</tns:NrDostawcy><tns:NazwaDostawcy>Dostawca</tns:NazwaDostawcy><tns:DowodZakupu>Z/{i}"
                        f"</tns:DowodZakupu><tns:DataZakupu>{year}-{month:02d}-05</tns:DataZakupu>{amounts}"
                        f"</tns:ZakupWiersz>")
        p_rows, p_tax = purchase_ctrl or (len(purchase_rows), "0")
        rows.append(f"<tns:ZakupCtrl><tns:LiczbaWierszyZakupow>{p_rows}</tns:LiczbaWierszyZakupow>"
                    f"<tns:PodatekNaliczony>{p_tax}</tns:PodatekNaliczony></tns:ZakupCtrl>")
        ewidencja = "<tns:Ewidencja>" + "".join(rows) + "</tns:Ewidencja>"
    return (f'<?xml version="1.0" encoding="utf-8"?>\n<tns:JPK xmlns:etd="{ETD_2021}" xmlns:tns="{ns}">'
            f'<tns:Naglowek><tns:KodFormularza kodSystemowy="{form}" wersjaSchemy="1-0E">JPK_VAT</tns:KodFormularza>'
            f"<tns:WariantFormularza>2</tns:WariantFormularza><tns:DataWytworzeniaJPK>{year}-{month:02d}-20T10:00:00"
            f'</tns:DataWytworzeniaJPK><tns:NazwaSystemu>Test</tns:NazwaSystemu><tns:CelZlozenia poz="P_7">'
            f"{purpose}</tns:CelZlozenia><tns:KodUrzedu>1471</tns:KodUrzedu><tns:Rok>{year}</tns:Rok>"
            f"<tns:Miesiac>{month}</tns:Miesiac></tns:Naglowek>"
            f'<tns:Podmiot1 rola="Podatnik"><tns:OsobaNiefizyczna><tns:NIP>{nip}</tns:NIP>'
            f"<tns:PelnaNazwa>Przykład Sp. z o.o.</tns:PelnaNazwa><tns:Email>biuro@przyklad.pl</tns:Email>"
            f"</tns:OsobaNiefizyczna></tns:Podmiot1>{dekl}{ewidencja}</tns:JPK>").encode()


KEDU_NS = "http://www.zus.pl/2024/KEDU_5_6"


def dra_xml(*, doc_id: int = 1, period: str = "2026-01", nip: str | None = "7680002466",
            pesel: str | None = "26211012346", social: str = "1788.29", health: str = "432.54",
            fp: str = "138.47", fgsp: str = "0.00", funds_total: str | None = None, fep: str = "0.00",
            benefits: str = "0.00", refund: str = "0.00", to_pay: str | None = None) -> str:
    """One ZUSDRA (KEDU 5.6 shape). ``to_pay`` defaults to the IX.2 formula."""
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
            f"<IX><p1>{refund}</p1><p2>{to_pay}</p2></IX>"
            f"<XIII><p1>2026-02-01</p1></XIII></ZUSDRA>")


def kedu_xml(*documents: str, ns: str = KEDU_NS) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<KEDU wersja_schematu="1" xmlns="{ns}"><naglowek.KEDU>'
            f"<program><producent>Asseco</producent><symbol>Płatnik</symbol><wersja>10.02.002</wersja></program>"
            f"</naglowek.KEDU>{''.join(documents)}</KEDU>").encode()
