"""The ingest benchmark's data (tests/bench/test_ingest.py): the companies an agent sends, their API bodies,
and the same rows for the raw psycopg ``COPY`` baseline."""

import gzip
import random
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

import orjson
import psycopg
from django.db import connection
from django.utils import timezone

from clients.deadlines import statutory_due_date
from clients.models import Company, CompanyPerson, Figure, Person, Revision
from tests.clients.batches import make_nip, make_pesel

MONTHS = [f"2026-{month:02d}" for month in range(1, 13)]
PROGRAM = "optima"


# --- data ----------------------------------------------------------------------------------------


def _amount(rng: random.Random, low: int, high: int) -> str:
    return f"{rng.randint(low * 100, high * 100) / 100:.2f}"


def generate_companies(n: int) -> list[dict]:
    """``n`` companies as an agent sends them (API JSON), deterministic."""
    companies = []
    for i in range(n):
        rng = random.Random(i)
        nip = make_nip(100_000 + i)
        cit = i % 2 == 0
        people = [
            {"first_name": "Anna", "last_name": f"Nowak{i}", "pesel": make_pesel(2 * i), "role": "owner"},
            {"first_name": "Jan", "last_name": f"Kowalski{i}", "pesel": make_pesel(2 * i + 1), "role": "partner"},
        ]
        taxes, zus, statements = [], [], []
        for month in MONTHS:
            taxes += [{"period": month, "type": "VAT-7", "amount": _amount(rng, -2000, 40000)},
                      {"period": month, "type": "PIT-4", "amount": _amount(rng, 0, 5000)},
                      {"period": month, "type": "CIT" if cit else "PIT-5", "amount": _amount(rng, 0, 20000)}]
            for person in people:
                social, health, labour = Decimal(_amount(rng, 300, 1700)), Decimal(_amount(rng, 300, 800)), \
                    Decimal(_amount(rng, 0, 110))
                zus.append({"period": month, "payer": {"pesel": person["pesel"]}, "social": str(social),
                            "health": str(health), "labour_fund": str(labour), "fgsp": "0.00",
                            "total": str(social + health + labour)})
            revenue, costs = Decimal(_amount(rng, 0, 300000)), Decimal(_amount(rng, 0, 200000))
            statements.append({"period": month, "revenue": str(revenue), "costs": str(costs),
                               "income": str(revenue - costs)})
        companies.append({
            "nip": nip, "name": f"Przedsiębiorstwo {i:04d} Sp. z o.o.",
            "address": {"street": f"ul. Prosta {i + 1}", "postal_code": f"{i % 100:02d}-{i % 1000:03d}",
                        "city": "Warszawa" if i % 3 else "Kraków", "country": "PL"},
            "email": f"biuro{i}@firma{i}.pl", "phone": f"+48600{i:06d}",
            "tax_setup": {"vat": "monthly", "income_tax": "cit" if cit else "linear", "zus_payer": "other"},
            "people": people, "taxes": taxes, "zus": zus, "statements": statements,
        })
    return companies


def figure_count(company: dict) -> int:
    return len(company["taxes"]) + 5 * len(company["zus"]) + 3 * len(company["statements"])


@dataclass
class Body:
    key: str
    data: bytes  # gzip
    raw_bytes: int
    companies: int
    figures: int
    first_nip: str = ""


def make_bodies(companies: list[dict], size: int, tag: str) -> list[Body]:
    bodies = []
    for start in range(0, len(companies), size):
        chunk = companies[start:start + size]
        raw = orjson.dumps({
            "program": {"code": PROGRAM, "version": "2025.0.1"},
            "agent": {"version": "1.4.0", "os": "Windows 11 Pro", "hostname": "BENCH-PC"},
            "range": {"from": MONTHS[0], "to": MONTHS[-1]},
            "options": {"approve": False, "send_summary": False},
            "companies": chunk,
        })
        bodies.append(Body(key=f"bench-{tag}-{start}-{uuid.uuid4()}", data=gzip.compress(raw, 6), raw_bytes=len(raw),
                           companies=len(chunk), figures=sum(map(figure_count, chunk)), first_nip=chunk[0]["nip"]))
    return bodies


# --- the COPY baseline ------------------------------------------------------------------------------


@dataclass
class CopyRows:
    tables: list[tuple[str, list[str], list[tuple]]] = field(default_factory=list)
    figures: int = 0


def _rows_for(model, values: list[dict]) -> tuple[str, list[str], list[tuple]]:
    """Rows of ``model``'s table: every concrete column, the model default where ``values`` gives none."""
    fields = model._meta.concrete_fields
    columns = [f.column for f in fields]
    defaults = {f.column: f.get_default() for f in fields}
    rows = [tuple(v.get(column, defaults[column]) for column in columns) for v in values]
    return model._meta.db_table, columns, rows


def copy_rows(companies: list[dict], offsets: tuple[int, int, int] = (0, 0, 0)) -> CopyRows:
    """The rows ingestion makes for ``companies`` (same values, due dates computed like the server does).

    Ids are given explicitly, from ``offsets`` (companies, people, figures) on: the tables are empty.
    """
    now = timezone.now()
    company_rows, person_rows, link_rows, figure_rows, revision_rows = [], [], [], [], []
    company_offset, person_offset, figure_offset = offsets
    for company in companies:
        cid = company_offset + len(company_rows) + 1
        setup, address = company["tax_setup"], company["address"]
        company_rows.append({
            "id": cid, "nip": company["nip"], "name": company["name"], "street": address["street"],
            "postal_code": address["postal_code"], "city": address["city"], "country": address["country"],
            "email": company["email"], "phone": company["phone"], "vat": setup["vat"],
            "income_tax": setup["income_tax"], "zus_payer": setup["zus_payer"], "source_basic_data": PROGRAM,
            "source_zus": PROGRAM, "source_taxes": PROGRAM, "source_statements": PROGRAM,
            "basic_data_program": PROGRAM, "created_at": now, "last_synced_at": now, "office_edited": None,
        })
        for person in company["people"]:
            pid = person_offset + len(person_rows) + 1
            person_rows.append({"id": pid, "first_name": person["first_name"], "last_name": person["last_name"],
                                "pesel": person["pesel"], "nip": None, "created_at": now})
            link_rows.append({"id": pid, "company_id": cid, "person_id": pid, "role": person["role"]})
        values = []  # (period, kind, payer_key, amount)
        for tax in company["taxes"]:
            values.append((tax["period"], f"tax:{tax['type']}", "", tax["amount"]))
        for entry in company["zus"]:
            for part in ("social", "health", "labour_fund", "fgsp", "total"):
                values.append((entry["period"], f"zus:{part}", entry["payer"]["pesel"], entry[part]))
        for statement in company["statements"]:
            for part in ("revenue", "costs", "income"):
                values.append((statement["period"], f"statement:{part}", "", statement[part]))
        for period_text, kind, payer_key, amount in values:
            fid = figure_offset + len(figure_rows) + 1
            period = date.fromisoformat(period_text + "-01")
            figure_rows.append({"id": fid, "company_id": cid, "period": period, "kind": kind, "payer_key": payer_key})
            revision_rows.append({
                "id": fid, "figure_id": fid, "amount": Decimal(amount),
                "due_date": statutory_due_date(kind, period, company["tax_setup"]["zus_payer"]),
                "label": "declaration", "source": PROGRAM, "state": "pending", "created_at": now,
                "batch_ref": "b_COPY",
            })
    return CopyRows(tables=[_rows_for(Company, company_rows), _rows_for(Person, person_rows),
                            _rows_for(CompanyPerson, link_rows), _rows_for(Figure, figure_rows),
                            _rows_for(Revision, revision_rows)], figures=len(figure_rows))


def conninfo() -> str:
    s = connection.settings_dict
    parts = {"dbname": s["NAME"], "user": s.get("USER") or "", "password": s.get("PASSWORD") or "",
             "host": s.get("HOST") or "", "port": str(s.get("PORT") or "")}
    return " ".join(f"{key}='{value}'" for key, value in parts.items() if value)


def raw_connection(schema: str, autocommit: bool = False) -> psycopg.Connection:
    conn = psycopg.connect(conninfo(), autocommit=autocommit)
    conn.execute(f'SET search_path TO "{schema}", public')
    if not autocommit:
        conn.commit()
    return conn


def _text(value) -> str:
    """One value in COPY's text format."""
    if value is None:
        return "\\N"
    if value is True or value is False:
        return "t" if value else "f"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def render_copy_text(rows: CopyRows) -> list[bytes]:
    """Each table's rows as one COPY text stream, made before the clock starts (no adaptation timed)."""
    return ["".join("\t".join(map(_text, row)) + "\n" for row in table_rows).encode()
            for _table, _columns, table_rows in rows.tables]


def copy_into(schema: str, rows: CopyRows, rendered: list[bytes] | None = None) -> float:
    """COPY every table's rows in one transaction; seconds including the commit.

    Without ``rendered`` psycopg adapts each row (``write_row``); with it the prepared text streams are sent.
    """
    with raw_connection(schema) as conn:
        started = time.perf_counter()
        with conn.cursor() as cursor:
            for index, (table, columns, table_rows) in enumerate(rows.tables):
                with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy_:
                    if rendered is not None:
                        data = memoryview(rendered[index])
                        for start in range(0, len(data), 1 << 20):
                            copy_.write(data[start:start + (1 << 20)])
                    else:
                        for row in table_rows:
                            copy_.write_row(row)
        conn.commit()
        return time.perf_counter() - started


def copy_in_parallel(schema: str, halves: list[tuple[CopyRows, list[bytes]]]) -> float:
    """Each half of the companies (with their rows) COPYed on its own connection, at the same time."""
    seconds: list[float] = []
    started = time.perf_counter()
    threads = [threading.Thread(target=lambda h=half: seconds.append(copy_into(schema, *h))) for half in halves]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seconds) == len(halves)
    return time.perf_counter() - started


def truncate(schema: str) -> None:
    tables = ", ".join(m._meta.db_table for m in (Company, Person, CompanyPerson, Figure, Revision))
    with raw_connection(schema, autocommit=True) as conn:
        conn.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")


def content_checksum(schema: str) -> dict:
    """What both ways must have written: companies, people, figures and their current values."""
    c, p, cp, f, r = (m._meta.db_table for m in (Company, Person, CompanyPerson, Figure, Revision))
    with raw_connection(schema, autocommit=True) as conn:
        companies = conn.execute(
            f"SELECT count(*), md5(string_agg(concat_ws('|', nip, name, street, postal_code, city, country, email, "
            f"phone, vat, income_tax, zus_payer, source_basic_data, source_zus, source_taxes, source_statements, "
            f"basic_data_program, enabled), ',' ORDER BY nip)) FROM {c}").fetchone()
        people = conn.execute(
            f"SELECT count(*), md5(string_agg(concat_ws('|', c.nip, x.role, p.pesel, p.first_name, p.last_name), ',' "
            f"ORDER BY c.nip, p.pesel)) FROM {cp} x JOIN {c} c ON c.id = x.company_id "
            f"JOIN {p} p ON p.id = x.person_id").fetchone()
        figures = conn.execute(
            f"SELECT count(*), md5(string_agg(concat_ws('|', c.nip, f.period, f.kind, f.payer_key, f.manual, r.amount, "
            f"r.due_date, r.label, r.source, r.state), ',' ORDER BY c.nip, f.period, f.kind, f.payer_key, r.state)) "
            f"FROM {f} f JOIN {c} c ON c.id = f.company_id JOIN {r} r ON r.figure_id = f.id").fetchone()
    return {"companies": list(companies), "people": list(people), "figures_with_revisions": list(figures)}
