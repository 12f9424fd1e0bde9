"""The portal served for real to the fault experiments: gunicorn with portal/gunicorn_conf.py (as in
production) on the suite's database, in its own process group so it can be killed outright."""

import os
import signal
import subprocess
import sys
import time
import uuid

import requests
from django.conf import settings
from django_tenants.utils import schema_context

from offices.tenancy import office_host
from sync.agents import create_agent
from tests.clients.messaging.peers import ROOT, database_url, free_port


class WebServer:
    def __init__(self, name: str, processes: int = 2, threads: int = 8):
        self.port = free_port()
        self.log_path = ROOT / "var" / "faults" / f"web-{name}.log"
        self.processes, self.threads = processes, threads
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 90) -> float:
        """Starts gunicorn; returns the monotonic time it accepted connections."""
        env = {**os.environ, "DATABASE_URL": database_url(), "BIURKO_ENV": "test", "DEBUG": "0",
               "BASE_DOMAIN": settings.BASE_DOMAIN, "AGENT_API_RATE_LIMIT_PER_MINUTE": "1000000",
               "LOG_LEVEL": "WARNING", "BIURKO_BIND": f"127.0.0.1:{self.port}",
               "WEB_CONCURRENCY": str(self.processes), "BIURKO_WEB_THREADS": str(self.threads)}
        env.pop("TEST_DATABASE_NAME", None)
        log = open(self.log_path, "ab")  # noqa: SIM115 - lives as long as the process
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "python:portal.gunicorn_conf", "portal.wsgi:application",
             "--no-control-socket"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
        deadline = time.monotonic() + timeout
        while True:
            assert self.process.poll() is None, self.log()[-3000:]
            try:
                requests.get(f"http://127.0.0.1:{self.port}/healthz", timeout=0.5)
                return time.monotonic()
            except requests.RequestException:
                assert time.monotonic() < deadline, self.log()[-3000:]
                time.sleep(0.05)

    def warm(self, office, token: str, rounds: int = 3) -> None:
        """Both processes load Django lazily, on their first request: load them before measuring."""
        for _ in range(rounds * self.processes):
            assert self.get(office, token, "config").status_code == 200

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/api/agent/v1/{path}"

    @staticmethod
    def headers(office, token: str, key: str | None = None) -> dict:
        headers = {"Host": office_host(office.slug), "Authorization": f"Bearer {token}",
                   "Content-Type": "application/json"}
        if key:
            headers["Idempotency-Key"] = key
        return headers

    def get(self, office, token: str, path: str, timeout: float = 30):
        return requests.get(self.url(path), headers=self.headers(office, token), timeout=timeout)

    def post(self, office, token: str, path: str, body: bytes, key: str, timeout: float = 60):
        return requests.post(self.url(path), data=body, headers=self.headers(office, token, key), timeout=timeout)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        """``kill -9`` of gunicorn and its workers: nothing is finished or cleaned up."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()


def new_agent(office) -> tuple[object, str]:
    with schema_context(office.schema_name):
        return create_agent(f"fault-{uuid.uuid4().hex[:8]}")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]
