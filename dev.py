#!/usr/bin/env python3
"""Set up and run Biurko on a machine that has nothing but Python 3.11+.

    python3 dev.py run      # the portal on an embedded PostgreSQL, with a Celery worker
    python3 dev.py test     # the whole test suite (extra arguments go to pytest)
    python3 dev.py bench    # the benchmarks (tests/bench/)
    python3 dev.py setup    # only create/refresh the virtualenv

The virtualenv lives in .venv (or $BIURKO_VENV) and is installed from
requirements.lock, so every machine gets the same versions. It is refreshed
only when requirements.lock or pyproject.toml change.
"""

import hashlib
import os
import signal
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("BIURKO_VENV", ROOT / ".venv")).resolve()
LOCK = ROOT / "requirements.lock"
STAMP = VENV / ".biurko-installed"


def _bin(name: str) -> str:
    return str(VENV / ("Scripts" if os.name == "nt" else "bin") / name)


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for path in (LOCK, ROOT / "pyproject.toml"):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def setup() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py is what runs on an unknown Python
        sys.exit(f"Biurko needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
    if not (VENV / "bin" / "python").exists() and not (VENV / "Scripts" / "python.exe").exists():
        print(f"Creating the virtualenv in {VENV} …", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    if STAMP.exists() and STAMP.read_text() == _fingerprint():
        return
    print("Installing the locked dependencies (first run only) …", flush=True)
    pip = [_bin("python"), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "-r", str(LOCK)], check=True)
    subprocess.run([*pip, "--no-deps", "-e", str(ROOT)], check=True)
    STAMP.write_text(_fingerprint())


def _call(command: list[str]) -> int:
    """Run the command, passing Ctrl-C / SIGTERM on to it and waiting for its clean exit."""
    process = subprocess.Popen(command)

    def forward(signum, frame):
        if process.poll() is None:
            process.send_signal(signum)

    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGTERM, forward)
    return process.wait()


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"run", "test", "bench", "setup"}:
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    setup()
    os.chdir(ROOT)
    if command == "setup":
        return 0
    if command == "run":
        return _call([_bin("biurko"), "run", *rest])
    if command == "test":
        return _call([_bin("python"), "-m", "pytest", *rest])
    return _call([_bin("python"), "-m", "pytest", "tests/bench", "-s", "-o", "norecursedirs=", "-m", "bench", *rest])


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        sys.exit(130)
