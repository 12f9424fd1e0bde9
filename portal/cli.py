"""The ``biurko`` command.

``biurko run`` is the one command a newcomer needs: it prepares the database
(embedded PostgreSQL unless ``DATABASE_URL`` is set), migrates, seeds the demo
office once, and serves the portal with gunicorn plus a Celery worker (with beat)
until Ctrl-C. Any other sub-command is passed to Django (``biurko migrate_offices``,
``biurko create_office …``), like ``manage.py``.
"""

import argparse
import os
import signal
import subprocess
import sys
import time

import django
from django.conf import settings
from django.core.management import call_command, execute_from_command_line

STOP_TIMEOUT_SECONDS = 20


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    django.setup()


def _prepare(verbosity: int) -> None:
    from offices.demo import seed_demo_office  # noqa: PLC0415 - imports models: only after django.setup()

    call_command("migrate_offices", verbosity=verbosity)
    call_command("collectstatic", interactive=False, verbosity=0)
    if settings.CELERY_BROKER_URL.startswith("filesystem"):
        for folder in settings.CELERY_BROKER_TRANSPORT_OPTIONS.values():
            if isinstance(folder, str):
                os.makedirs(folder, exist_ok=True)
    seed_demo_office(stdout=sys.stdout)


def _children(bind: str, web_workers: int, worker_concurrency: int, with_worker: bool) -> list[subprocess.Popen]:
    python = sys.executable
    processes = [
        # portal/gunicorn_conf.py bounds each read and write of a slow client and the request line/headers.
        subprocess.Popen([
            python, "-m", "gunicorn", "-c", "python:portal.gunicorn_conf", "portal.wsgi:application",
            "--bind", bind, "--workers", str(web_workers),
        ])
    ]
    if with_worker:
        schedule_file = str(settings.DATA_DIR / "celerybeat-schedule")
        processes.append(subprocess.Popen([
            python, "-m", "celery", "-A", "portal", "worker", "--beat", "--schedule", schedule_file,
            "--loglevel", "INFO", "--concurrency", str(worker_concurrency), "--without-gossip", "--without-mingle",
        ]))
    return processes


def _stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _print_banner(bind: str) -> None:
    # Both import models: only after django.setup().
    from offices.demo import DEMO_LOGINS, DEMO_PASSWORD, DEMO_SLUG  # noqa: PLC0415
    from offices.tenancy import office_url  # noqa: PLC0415

    port = bind.rsplit(":", 1)[-1]
    public = f"{settings.PUBLIC_URL_SCHEME}://{settings.BASE_DOMAIN}:{port}/"
    lines = [
        "",
        "Biurko is running.",
        f"  Public site and office sign-up: {public}",
        f"  Demo office:                    {office_url(DEMO_SLUG)}",
        f"  Logins (password “{DEMO_PASSWORD}”):",
        *[f"    {role:<12} {email}" for role, email in DEMO_LOGINS],
        f"  Health:                         http://{bind}/healthz",
        "Press Ctrl-C to stop.",
        "",
    ]
    print("\n".join(lines), flush=True)


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="biurko run", description="Serve the portal with a worker.")
    parser.add_argument("--bind", default=os.environ.get("BIURKO_BIND", "127.0.0.1:8000"))
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--worker-concurrency", type=int, default=2)
    parser.add_argument("--no-worker", action="store_true", help="Serve the web only (workers run elsewhere).")
    args = parser.parse_args(argv)

    _setup_django()
    _prepare(verbosity=0)
    processes = _children(args.bind, args.web_workers, args.worker_concurrency, with_worker=not args.no_worker)
    stopping = False

    def request_stop(signum, frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    _print_banner(args.bind)
    exit_code = 0
    try:
        while not stopping:
            for process in processes:
                if process.poll() is not None:
                    print(f"A child process exited with {process.returncode}; stopping.", file=sys.stderr)
                    stopping, exit_code = True, 1
            time.sleep(0.5)
    finally:
        print("Stopping…", flush=True)
        _stop(processes)
    print("Stopped.", flush=True)
    return exit_code


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "run":
        return run(argv[1:])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    execute_from_command_line(["biurko", *argv])
    return 0


if __name__ == "__main__":
    sys.exit(main())
