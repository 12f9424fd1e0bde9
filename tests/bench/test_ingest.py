"""Ingestion over real HTTP against a raw psycopg COPY of the same rows (docs/benchmarks.md).

What runs:

- A real server: gunicorn (``python -m gunicorn portal.wsgi:application``, 2 workers × 4 threads like
  ``biurko run``) in a subprocess, on this benchmark's test database (``DATABASE_URL``), with
  ``BIURKO_ENV=test`` (DEBUG off), ``BASE_DOMAIN=localhost`` and the agent rate limit raised
  (``AGENT_API_RATE_LIMIT_PER_MINUTE``) so the limiter never throttles the benchmark.
- Data: 1,000 companies (valid NIPs, two people each with valid PESELs) × 12 months × (3 taxes: VAT-7, PIT-4,
  CIT or PIT-5; ZUS for both people: social, health, labour_fund, fgsp, total; a statement: revenue, costs,
  income) = 192,000 figures, generated deterministically before any clock starts. Bodies are JSON, gzipped
  like a real agent's, each with its own ``Idempotency-Key``, posted from 2 client threads with ``requests``
  to ``127.0.0.1:<port>`` with ``Host: <office>.localhost``.

Measured:

1. Ingestion, batches of 50 companies (9,600 figures), into a fresh office: figures/s end to end.
2. Re-posting the same data with new idempotency keys (everything ``unchanged``): figures/s.
3. Time until visible: 5 batches posted one after another, each changing the VAT-7 of its 50 companies; a
   separate psycopg connection polls for the new value from the moment the request is sent.
4. Server memory: RSS of the gunicorn workers sampled every 20 ms; the peak after the first 500 companies
   against the peak after all 1,000 (same server: a memory that grew with the total would show), and batches
   of 50 against batches of 25 companies (a second fresh server and office).
5. Baseline in the same run: raw psycopg ``COPY`` of the same rows (companies, people, their links, figures,
   revisions, with the same values — the ingested office's content is compared by checksum) into the same
   tables of another fresh office, one transaction per run, three ways: ``write_row`` on one connection, the
   rows pre-rendered as COPY text on one connection, and two connections at once (half the companies each);
   each way before and after the HTTP runs (truncating in between). The fastest of the six is the baseline,
   which makes the ratio conservative.

Run: ``python3 dev.py bench -k ingest`` (results in ``var/bench/ingest.json``).
"""

import copy
import gzip
import os
import queue
import random
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

import orjson
import psutil
import psycopg
import pytest
import requests
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from clients.deadlines import statutory_due_date
from clients.models import Company, CompanyPerson, Figure, Person, Revision
from offices.models import Office
from offices.provisioning import create_office
from offices.tenancy import office_host
from sync.agents import create_agent
from tests.bench.conftest import ROOT
from tests.clients.batches import make_nip, make_pesel

pytestmark = pytest.mark.bench

COMPANIES = int(os.environ.get("BENCH_INGEST_COMPANIES", "1000"))  # smaller only to try the benchmark out
MONTHS = [f"2026-{month:02d}" for month in range(1, 13)]
BATCH_MAIN, BATCH_SMALL = 50, 25
CLIENT_THREADS = 2
WEB_WORKERS = 2
WEB_THREADS = int(os.environ.get("BENCH_INGEST_WEB_THREADS", "4"))  # 4 like ``biurko run``; 1 = sync workers
VISIBILITY_BATCHES = 5
RSS_INTERVAL_S = 0.02
PROGRAM = "optima"
TARGET_RATIO = 0.25


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


# --- the server ---------------------------------------------------------------------------------------


def database_url() -> str:
    s = connection.settings_dict
    user = urllib.parse.quote(s.get("USER") or "")
    password = urllib.parse.quote(s.get("PASSWORD") or "")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = s.get("HOST") or ""
    if host.startswith("/"):  # a Unix socket directory: dj-database-url takes it percent-encoded as the host
        return f"postgres://{auth}{urllib.parse.quote(host, safe='')}/{s['NAME']}"
    port = f":{s['PORT']}" if s.get("PORT") else ""
    return f"postgres://{auth}{host}{port}/{s['NAME']}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn in its own process group, with a sampler of its workers' RSS."""

    def __init__(self, name: str):
        self.port = free_port()
        self.log_path = ROOT / "var" / f"bench-ingest-{name}.log"
        self.process: subprocess.Popen | None = None
        self.samples: list[tuple[float, dict[int, int]]] = []
        self._stop = threading.Event()
        self._sampler: threading.Thread | None = None

    def start(self, slug: str, token: str, timeout: float = 90) -> "Server":
        env = {**os.environ, "DATABASE_URL": database_url(), "BIURKO_ENV": "test", "DEBUG": "0",
               "BASE_DOMAIN": "localhost", "AGENT_API_RATE_LIMIT_PER_MINUTE": "1000000", "LOG_LEVEL": "WARNING"}
        env.pop("TEST_DATABASE_NAME", None)
        log = open(self.log_path, "wb")  # noqa: SIM115 - lives as long as the process
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "portal.wsgi:application", "--bind", f"127.0.0.1:{self.port}",
             "--workers", str(WEB_WORKERS), "--threads", str(WEB_THREADS), "--timeout", "300",
             "--graceful-timeout", "10", "--no-control-socket"],  # never take over a dev server's socket
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log_path.read_text()[-3000:]}")
            try:
                response = requests.get(self.url("config"), headers=self.headers(slug, token), timeout=5)
                if response.status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"gunicorn not ready in {timeout} s: {self.log_path.read_text()[-3000:]}")
            time.sleep(0.2)
        # Both workers booted: wait until gunicorn reports them (they import Django lazily on first request).
        while len(self.workers()) < WEB_WORKERS:
            time.sleep(0.1)
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()
        return self

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/api/agent/v1/{path}"

    @staticmethod
    def headers(slug: str, token: str) -> dict:
        return {"Host": office_host(slug), "Authorization": f"Bearer {token}"}

    def cpu_seconds(self) -> dict[int, float]:
        """CPU time (user + system) of each worker so far: how the work was spread over them."""
        return {worker.pid: sum(worker.cpu_times()[:2]) for worker in self.workers()}

    def warm_up(self, slug: str, token: str) -> None:
        """Concurrent cheap requests, so that both workers have imported what a request needs."""
        def hit():
            for _ in range(4):
                requests.get(self.url("companies"), headers=self.headers(slug, token), timeout=30)
        threads = [threading.Thread(target=hit) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        time.sleep(0.5)

    def workers(self) -> list[psutil.Process]:
        try:
            return psutil.Process(self.process.pid).children()
        except psutil.NoSuchProcess:
            return []

    def _sample(self) -> None:
        workers = self.workers()
        while not self._stop.is_set():
            rss = {}
            for worker in workers:
                try:
                    rss[worker.pid] = worker.memory_info().rss
                except psutil.NoSuchProcess:
                    workers = self.workers()
            self.samples.append((time.perf_counter(), rss))
            time.sleep(RSS_INTERVAL_S)

    def peak(self, since: float = 0.0, until: float = float("inf")) -> dict:
        window = [rss for t, rss in self.samples if since <= t <= until and rss]
        return {"max_worker_mib": round(max(max(rss.values()) for rss in window) / 2**20, 1),
                "max_workers_sum_mib": round(max(sum(rss.values()) for rss in window) / 2**20, 1),
                "samples": len(window)}

    def quarters(self, started: float, posted: list["Posted"]) -> list[float]:
        """Largest worker's peak RSS (MiB) while each quarter of the batches was answered: flat = bounded."""
        answered = sorted(p.answered for p in posted)
        bounds = [started] + [answered[max(0, len(answered) * q // 4 - 1)] for q in (1, 2, 3, 4)]
        return [self.peak(bounds[i], bounds[i + 1])["max_worker_mib"] for i in range(4)]

    def stop(self) -> None:
        self._stop.set()
        if self._sampler is not None:
            self._sampler.join(timeout=5)
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, 15)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait(timeout=10)


@dataclass
class Posted:
    body: Body
    sent: float
    answered: float
    response: dict


def post_all(server: Server, slug: str, token: str, bodies: list[Body], threads: int = CLIENT_THREADS) -> list[Posted]:
    todo: queue.Queue[Body] = queue.Queue()
    for body in bodies:
        todo.put(body)
    done: list[Posted] = []
    failures: list[str] = []

    def client() -> None:
        session = requests.Session()
        headers = {**server.headers(slug, token), "Content-Type": "application/json", "Content-Encoding": "gzip"}
        while not failures:
            try:
                body = todo.get_nowait()
            except queue.Empty:
                return
            sent = time.perf_counter()
            response = session.post(server.url("batches"), data=body.data, timeout=600,
                                    headers={**headers, "Idempotency-Key": body.key})
            answered = time.perf_counter()
            if response.status_code != 200:
                failures.append(f"{response.status_code}: {response.text[:2000]}")
                return
            done.append(Posted(body, sent, answered, response.json()))

    workers = [threading.Thread(target=client) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert not failures, failures[0]
    return done


def totals(posted: list[Posted], section: str) -> dict:
    out: dict[str, int] = {}
    for item in posted:
        for key, value in item.response[section].items():
            out[key] = out.get(key, 0) + value
    return out


def run_phase(report, name: str, server: Server, slug: str, token: str, bodies: list[Body]) -> tuple[dict, list]:
    started = time.perf_counter()
    posted = post_all(server, slug, token, bodies)
    seconds = time.perf_counter() - started
    figures = sum(b.figures for b in bodies)
    latencies = sorted(p.answered - p.sent for p in posted)
    entry = {
        "seconds": round(seconds, 2), "figures": figures, "figures_per_s": round(figures / seconds),
        "batches": len(bodies), "companies_per_batch": bodies[0].companies, "figures_per_batch": bodies[0].figures,
        "body_bytes_raw": bodies[0].raw_bytes, "body_bytes_gzip": len(bodies[0].data),
        "client_threads": CLIENT_THREADS, "response_s_median": round(latencies[len(latencies) // 2], 3),
        "response_s_max": round(latencies[-1], 3),
        "companies": totals(posted, "companies"), "figures_result": totals(posted, "figures"),
    }
    report.results[name] = entry
    print(f"  {name:<40} {figures} figures in {seconds:6.2f} s = {entry['figures_per_s']:>7} figures/s "
          f"(batch {bodies[0].companies} companies, response median {entry['response_s_median']} s)")
    return entry, posted


# --- offices --------------------------------------------------------------------------------------------


def make_office(slug: str) -> tuple[Office, str]:
    office = create_office(slug=slug, name=f"Bench {slug}", owner_email=f"owner@{slug}.test").office
    with schema_context(office.schema_name):
        _agent, token = create_agent("BENCH-PC")
    connection.set_schema_to_public()
    return office, token


def drop_office(office: Office) -> None:
    schema = office.schema_name
    office.delete()  # its Domain goes with it; the schema is not dropped on delete
    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def company_ids(schema: str, nips: list[str]) -> dict[str, int]:
    with raw_connection(schema, autocommit=True) as conn:
        return dict(conn.execute(f"SELECT nip, id FROM {Company._meta.db_table} WHERE nip = ANY(%s)",  # noqa: S608
                                 [nips]).fetchall())


def measure_visibility(report, server: Server, office: Office, token: str, companies: list[dict]) -> None:
    """Each batch changes the VAT-7 of its companies; another connection polls for the new value."""
    samples = []
    figure_t, revision_t = Figure._meta.db_table, Revision._meta.db_table
    probe_sql = (f"SELECT count(*) FROM {revision_t} r JOIN {figure_t} f ON f.id = r.figure_id "  # noqa: S608
                 "WHERE f.company_id = %s AND f.period = %s AND f.kind = 'tax:VAT-7' AND r.state = 'pending' "
                 "AND r.amount = %s")
    superseded_sql = (f"SELECT count(*) FROM {revision_t} r JOIN {figure_t} f ON f.id = r.figure_id "  # noqa: S608
                      "WHERE f.company_id = ANY(%s) AND f.kind = 'tax:VAT-7' AND r.state = 'superseded'")
    with raw_connection(office.schema_name, autocommit=True) as poller:
        for n in range(VISIBILITY_BATCHES):
            chunk = copy.deepcopy(companies[n * BATCH_MAIN:(n + 1) * BATCH_MAIN])
            for company in chunk:
                for tax in company["taxes"]:
                    if tax["type"] == "VAT-7":
                        tax["amount"] = str(Decimal(tax["amount"]) + Decimal("1.11"))
            body = make_bodies(chunk, BATCH_MAIN, f"visible{n}")[0]
            ids = company_ids(office.schema_name, [c["nip"] for c in chunk])
            first = chunk[0]["taxes"][0]
            assert first["type"] == "VAT-7"
            probe = [ids[chunk[0]["nip"]], date.fromisoformat(first["period"] + "-01"), Decimal(first["amount"])]
            assert poller.execute(probe_sql, probe).fetchone()[0] == 0
            assert poller.execute(superseded_sql, [list(ids.values())]).fetchone()[0] == 0
            result: list[Posted] = []
            sender = threading.Thread(target=lambda b=body, out=result: out.extend(
                post_all(server, office.slug, token, [b], 1)))
            sent = time.perf_counter()
            sender.start()
            polls = 0
            while True:
                polls += 1
                if poller.execute(probe_sql, probe).fetchone()[0]:
                    visible = time.perf_counter()
                    break
                if not sender.is_alive() and not result:
                    raise AssertionError("the visibility batch failed")
                if time.perf_counter() - sent > 120:
                    raise AssertionError("not visible after 120 s")
            # The batch is one transaction: when one changed figure is visible, all of them are.
            superseded = poller.execute(superseded_sql, [list(ids.values())]).fetchone()[0]
            sender.join()
            posted = result[0]
            assert posted.response["figures"]["updated"] == len(chunk) * len(MONTHS), posted.response
            assert superseded == len(chunk) * len(MONTHS), superseded
            samples.append({"visible_s": round(visible - sent, 3), "response_s": round(posted.answered - sent, 3),
                            "polls": polls})
    visible = sorted(s["visible_s"] for s in samples)
    report.results["time_until_visible"] = {
        "batches": VISIBILITY_BATCHES, "companies_per_batch": BATCH_MAIN,
        "figures_per_batch": figure_count(companies[0]) * BATCH_MAIN, "changed_per_batch": BATCH_MAIN * len(MONTHS),
        "visible_s_min": visible[0], "visible_s_median": visible[len(visible) // 2], "visible_s_max": visible[-1],
        "samples": samples,
    }
    print(f"  time until visible (send → readable from another connection): {visible} s")


# --- the benchmark --------------------------------------------------------------------------------------


def test_ingestion_over_http_against_copy(bench_report):
    report = bench_report("ingest")
    run_started = time.perf_counter()
    started = time.perf_counter()
    companies = generate_companies(COMPANIES)
    total_figures = sum(map(figure_count, companies))
    main_bodies = make_bodies(companies, BATCH_MAIN, "main")
    repost_bodies = make_bodies(companies, BATCH_MAIN, "repost")
    small_bodies = make_bodies(companies, BATCH_SMALL, "small")
    rows = copy_rows(companies)
    rendered = render_copy_text(rows)
    middle = COMPANIES // 2
    first_half = copy_rows(companies[:middle])
    second_half = copy_rows(companies[middle:], (middle, 2 * middle, first_half.figures))
    halves = [(half, render_copy_text(half)) for half in (first_half, second_half)]
    assert rows.figures == total_figures
    report.results["data"] = {"companies": COMPANIES, "months": len(MONTHS), "figures": total_figures,
                              "people": 2 * COMPANIES, "figures_per_company_month": total_figures // COMPANIES // 12,
                              "generation_s": round(time.perf_counter() - started, 2)}
    print(f"  data: {total_figures} figures, generated in {report.results['data']['generation_s']} s")

    suffix = uuid.uuid4().hex[:6]
    offices: list[Office] = []
    servers: list[Server] = []
    try:
        ingest_office, token = make_office(f"bench-ingest-{suffix}")
        offices.append(ingest_office)
        copy_office, _unused = make_office(f"bench-copy-{suffix}")
        offices.append(copy_office)
        small_office, small_token = make_office(f"bench-small-{suffix}")
        offices.append(small_office)

        # Baseline, first run.
        copy_seconds = {"write_row": [copy_into(copy_office.schema_name, rows)]}
        copy_content = content_checksum(copy_office.schema_name)
        truncate(copy_office.schema_name)
        copy_seconds["prepared_text"] = [copy_into(copy_office.schema_name, rows, rendered)]
        assert content_checksum(copy_office.schema_name) == copy_content
        truncate(copy_office.schema_name)
        copy_seconds["two_connections"] = [copy_in_parallel(copy_office.schema_name, halves)]
        assert content_checksum(copy_office.schema_name) == copy_content
        truncate(copy_office.schema_name)
        print(f"  COPY before: {total_figures} figures in {copy_seconds['write_row'][0]:.2f} s (write_row), "
              f"{copy_seconds['prepared_text'][0]:.2f} s (prepared text), "
              f"{copy_seconds['two_connections'][0]:.2f} s (two connections)")

        # 1 + 2: ingest, re-post, on a fresh server.
        server = Server("main").start(ingest_office.slug, token)
        servers.append(server)
        server.warm_up(ingest_office.slug, token)
        idle = server.peak(since=time.perf_counter() - 0.4)
        report.results["server"] = {"gunicorn": f"{WEB_WORKERS} workers × {WEB_THREADS} threads",
                                    "idle_rss": idle}
        cpu_before = server.cpu_seconds()
        phase_started = time.perf_counter()
        ingest, posted = run_phase(report, "ingest (new data)", server, ingest_office.slug, token, main_bodies)
        assert ingest["companies"]["created"] == COMPANIES and ingest["figures_result"]["created"] == total_figures
        assert ingest["figures_result"]["rejected"] == 0
        half_done = sorted(p.answered for p in posted)[len(posted) // 2 - 1]  # half the companies answered
        phase_ended = time.perf_counter()
        ingest["worker_cpu_s"] = sorted(round(seconds - cpu_before.get(pid, 0), 1)
                                        for pid, seconds in server.cpu_seconds().items())
        memory = {
            "idle": idle,
            f"first_{COMPANIES // 2}_companies": server.peak(phase_started, half_done),
            f"all_{COMPANIES}_companies": server.peak(phase_started, phase_ended),
        }
        memory["ingest_by_quarter_largest_worker_mib"] = server.quarters(phase_started, posted)
        repost, reposted = run_phase(report, "re-post (all unchanged)", server, ingest_office.slug, token,
                                     repost_bodies)
        memory["re_post_by_quarter_largest_worker_mib"] = server.quarters(phase_ended, reposted)
        assert repost["figures_result"]["unchanged"] == total_figures and repost["companies"]["unchanged"] == COMPANIES
        memory["re_post"] = server.peak(phase_ended, time.perf_counter())

        ingested_content = content_checksum(ingest_office.schema_name)
        assert ingested_content == copy_content, (ingested_content, copy_content)
        report.note("the COPY baseline wrote the same rows: companies, people and figures with their revisions "
                    f"have equal checksums in both offices ({ingested_content['figures_with_revisions'][0]} "
                    "figures with revisions)")

        # 3: time until visible.
        measure_visibility(report, server, ingest_office, token, companies)
        server.stop()

        # 4: batches of 25 on a fresh server and office.
        server = Server("small").start(small_office.slug, small_token)
        servers.append(server)
        server.warm_up(small_office.slug, small_token)
        memory[f"batches_of_{BATCH_SMALL}_idle"] = server.peak(since=time.perf_counter() - 0.4)
        phase_started = time.perf_counter()
        small, _posted = run_phase(report, f"ingest (new data), batches of {BATCH_SMALL}", server, small_office.slug,
                                   small_token, small_bodies)
        assert small["figures_result"]["created"] == total_figures
        memory[f"batches_of_{BATCH_SMALL}_all_{COMPANIES}_companies"] = server.peak(phase_started, time.perf_counter())
        server.stop()
        report.results["server_rss"] = memory
        for key, value in memory.items():
            if isinstance(value, list):
                print(f"  server RSS {key:<40} {value}")
                continue
            print(f"  server RSS {key:<40} largest worker {value['max_worker_mib']:7.1f} MiB, "
                  f"workers together {value['max_workers_sum_mib']:7.1f} MiB")

        # Baseline, second run.
        copy_seconds["write_row"].append(copy_into(copy_office.schema_name, rows))
        truncate(copy_office.schema_name)
        copy_seconds["prepared_text"].append(copy_into(copy_office.schema_name, rows, rendered))
        truncate(copy_office.schema_name)
        copy_seconds["two_connections"].append(copy_in_parallel(copy_office.schema_name, halves))
        print(f"  COPY after: {total_figures} figures in {copy_seconds['write_row'][1]:.2f} s (write_row), "
              f"{copy_seconds['prepared_text'][1]:.2f} s (prepared text), "
              f"{copy_seconds['two_connections'][1]:.2f} s (two connections)")
        assert content_checksum(copy_office.schema_name)["figures_with_revisions"][0] == total_figures
        best = min(min(samples) for samples in copy_seconds.values())
        report.results["copy_baseline"] = {
            "seconds": {way: [round(x, 2) for x in samples] for way, samples in copy_seconds.items()},
            "figures_per_s_write_row": round(total_figures / min(copy_seconds["write_row"])),
            "figures_per_s_prepared_text": round(total_figures / min(copy_seconds["prepared_text"])),
            "figures_per_s_two_connections": round(total_figures / min(copy_seconds["two_connections"])),
            "figures_per_s": round(total_figures / best),
            "rows": {table: len(table_rows) for table, _c, table_rows in rows.tables},
            "text_bytes": sum(map(len, rendered)),
        }
        ratio = ingest["figures_per_s"] / report.results["copy_baseline"]["figures_per_s"]
        repost_ratio = repost["figures_per_s"] / report.results["copy_baseline"]["figures_per_s"]
        report.results["ratio_ingest_to_copy"] = round(ratio, 3)
        report.results["ratio_repost_to_copy"] = round(repost_ratio, 3)
        report.results["ratio_small_batches_to_copy"] = round(
            small["figures_per_s"] / report.results["copy_baseline"]["figures_per_s"], 3)
        first, full = memory[f"first_{COMPANIES // 2}_companies"], memory[f"all_{COMPANIES}_companies"]
        report.results["targets"] = {
            "ingest_at_least_25_percent_of_copy": ratio >= TARGET_RATIO,
            "repost_at_least_as_fast": repost["figures_per_s"] >= ingest["figures_per_s"],
            "memory_bounded_by_batch": full["max_worker_mib"] - idle["max_worker_mib"]
            <= 1.25 * (first["max_worker_mib"] - idle["max_worker_mib"]) + 10,
        }
        report.results["wall_clock_s"] = round(time.perf_counter() - run_started, 1)
        report.note(f"ingestion {ingest['figures_per_s']} figures/s = {ratio:.0%} of COPY "
                    f"({report.results['copy_baseline']['figures_per_s']} figures/s, the best of 6 COPY runs, 3 ways); "
                    f"re-post {repost['figures_per_s']} figures/s = {repost_ratio:.0%}")
        report.note(f"server: gunicorn {WEB_WORKERS} workers × {WEB_THREADS} threads, BIURKO_ENV=test (DEBUG off), "
                    "AGENT_API_RATE_LIMIT_PER_MINUTE=1000000; client: "
                    f"{CLIENT_THREADS} threads, gzip bodies prepared before the clock")
        report.note(f"load average at end {[round(x, 2) for x in os.getloadavg()]}; at {datetime.now():%H:%M}")
        assert all(report.results["targets"].values()), report.results["targets"]
    finally:
        for server in servers:
            server.stop()
        connection.set_schema_to_public()
        for office in offices:
            drop_office(office)
