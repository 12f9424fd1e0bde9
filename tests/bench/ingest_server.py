"""The ingest benchmark's server (tests/bench/test_ingest.py, tests/bench/test_batch_memory.py): gunicorn in
a subprocess with a sampler of its workers' memory, agents posting to it, and the offices it is run on."""

import os
import queue
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass

import psutil
import requests
from django.db import connection
from django_tenants.utils import schema_context

from offices.models import Office
from offices.provisioning import create_office
from offices.tenancy import office_host
from sync.agents import create_agent
from tests.bench.conftest import ROOT
from tests.bench.ingest_data import Body

CLIENT_THREADS = 2
WEB_WORKERS = 2
WEB_THREADS = int(os.environ.get("BENCH_INGEST_WEB_THREADS", "4"))  # 4 like ``biurko run``; 1 = sync workers
RSS_INTERVAL_S = 0.02


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
