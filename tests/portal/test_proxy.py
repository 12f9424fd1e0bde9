"""The production layout, run for real on loopback: gunicorn with portal/gunicorn_conf.py, and nginx with
deploy/nginx.conf in front of it (skipped where nginx is not installed).

Slow clients are raw sockets that send a request's headers and a few bytes of its body, then stall.
"""

import http.client
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.clients.messaging.peers import ROOT, database_url, free_port

pytestmark = pytest.mark.slow
THREADS = 2  # one gunicorn process with two threads: two stalled clients would be all of it


class Gunicorn:
    def __init__(self, tmp: Path, io_timeout: float, processes: int = 1, threads: int = THREADS, **extra: str):
        self.port = free_port()
        self.log_path = tmp / "gunicorn.log"
        env = {**os.environ, "DATABASE_URL": database_url(), "BIURKO_ENV": "test",
               "BIURKO_BIND": f"127.0.0.1:{self.port}", "WEB_CONCURRENCY": str(processes),
               "BIURKO_WEB_THREADS": str(threads), "BIURKO_WEB_IO_TIMEOUT": str(io_timeout), **extra}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "python:portal.gunicorn_conf", "portal.wsgi:application"],
            cwd=ROOT, env=env, stdout=self.log_path.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)
        wait_until_up(self.port, self.log)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def wait_until_up(port: int, log, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nothing listening on {port}: {log()[-3000:]}")


def loopback_nginx_conf(tmp: Path, port: int, plain_port: int, upstream: int) -> str:
    """deploy/nginx.conf with its "test:" lines pointed at loopback and a temporary folder."""
    text = (ROOT / "deploy" / "nginx.conf").read_text()
    replacements = {
        r"pid .*# test: replaced": f"pid {tmp}/nginx.pid;",
        r"server 127\.0\.0\.1:8000;.*# test: replaced": f"server 127.0.0.1:{upstream};",
        r"access_log .*# test: replaced": "access_log off;",
        r"listen 443 .*# test: replaced": f"listen 127.0.0.1:{port};",
        r"listen 80;.*# test: replaced": f"listen 127.0.0.1:{plain_port};",
    }
    for pattern, value in replacements.items():
        text, count = re.subn(pattern, value, text)
        assert count == 1, pattern
    text = "\n".join(line for line in text.splitlines() if "ssl_certificate" not in line)
    temp = "".join(f"    {kind}_temp_path {tmp}/{kind};\n" for kind in ("client_body", "proxy", "fastcgi", "uwsgi",
                                                                         "scgi"))
    return text.replace("http {\n", "http {\n" + temp, 1)


@pytest.fixture
def gunicorn(django_db_setup, tmp_path):
    server = Gunicorn(tmp_path, io_timeout=2)
    yield server
    server.stop()


@pytest.fixture
def nginx(gunicorn, tmp_path):
    binary = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if binary is None:
        pytest.skip("nginx is not installed (apt-get install nginx); deploy/nginx.conf is checked where it is")
    port, plain = free_port(), free_port()
    conf = tmp_path / "nginx.conf"
    conf.write_text(loopback_nginx_conf(tmp_path, port, plain, gunicorn.port))
    command = [binary, "-p", str(tmp_path), "-c", str(conf), "-e", str(tmp_path / "error.log")]
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr
    process = subprocess.Popen([*command, "-g", "daemon off;"], stderr=subprocess.DEVNULL)
    wait_until_up(port, lambda: (tmp_path / "error.log").read_text())
    yield port
    process.terminate()
    process.wait(timeout=15)


def stalled_clients(port: int, count: int) -> list[socket.socket]:
    """``count`` connections that each send headers announcing 100 kB of body, then 10 bytes, then stall."""
    clients = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        sock.sendall(b"POST /api/agent/v1/batches HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 100000\r\n\r\n" + b'{"company"')
        clients.append(sock)
    time.sleep(0.5)  # let each reach a thread (without the proxy) or nginx's buffer
    return clients


def get(port: int, path: str, timeout: float = 10):
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Host": "localhost"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - loopback
            return response.status, response.headers.get("Content-Type"), response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type"), error.read()


def test_behind_the_proxy_healthz_answers_while_eight_clients_stall_in_their_bodies(nginx):
    clients = stalled_clients(nginx, 8)
    try:
        status, _type, body = get(nginx, "/healthz")
        assert status == 200, body
        assert get(nginx, "/healthz")[0] == 200
    finally:
        for sock in clients:
            sock.close()


def test_without_the_proxy_a_stalled_client_is_dropped_and_its_thread_freed(gunicorn):
    clients = stalled_clients(gunicorn.port, THREADS)
    try:
        for sock in clients:  # BIURKO_WEB_IO_TIMEOUT (2 s here): the server gives up on the body and closes
            sock.settimeout(30)
            while sock.recv(65536):
                pass
        assert get(gunicorn.port, "/healthz")[0] == 200
    finally:
        for sock in clients:
            sock.close()


TRICKLE_EVERY = 0.3  # seconds between two bytes: never silent for the 2 s read timeout
CLIENT_WAIT = 2.0  # BIURKO_WEB_CLIENT_WAIT of the server below


@pytest.fixture
def gunicorn_defaults(django_db_setup, tmp_path):
    """gunicorn as in production (2 processes × 8 threads), with a waiting budget short enough for a test."""
    server = Gunicorn(tmp_path, io_timeout=2, processes=2, threads=8, BIURKO_WEB_CLIENT_WAIT=str(CLIENT_WAIT))
    with ThreadPoolExecutor(4) as pool:  # both processes load Django (lazily, on their first request)
        for _ in range(3):
            assert list(pool.map(lambda _n: get(server.port, "/healthz", timeout=30)[0], range(4))) == [200] * 4
    yield server
    server.stop()


class Trickler(threading.Thread):
    """A slowloris: sends its request a byte every ``TRICKLE_EVERY`` seconds — the headers (``part="head"``)
    or, after whole headers announcing 100 kB, the body — until the server closes the connection."""

    def __init__(self, port: int, part: str):
        super().__init__(daemon=True)
        head = b"POST /api/agent/v1/batches HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        if part == "body":
            self.sock.sendall(head + b"Content-Length: 100000\r\n\r\n")
            self.rest = b"x" * 100000
        else:
            self.rest = head + b"X-Padding: " + b"p" * 100000
        self.cut_after: float | None = None

    def run(self):
        started = time.monotonic()
        try:
            for byte in self.rest:
                self.sock.send(bytes([byte]))
                time.sleep(TRICKLE_EVERY)
                if time.monotonic() - started > 30:
                    return
        except OSError:  # reset or broken pipe: the server closed the connection
            pass
        self.cut_after = time.monotonic() - started


def test_without_the_proxy_trickling_clients_are_cut_off_and_healthz_answers_meanwhile(gunicorn_defaults):
    """8 connections trickling their headers or bodies (each byte well within the read timeout) never get a
    whole request in: gunicorn's own settings cut each off after its waiting budget, and /healthz answers
    all along (issue "Faults without losses", finding 4)."""
    ticklers = [Trickler(gunicorn_defaults.port, "head" if i % 2 else "body") for i in range(8)]
    for trickler in ticklers:
        trickler.start()
    try:
        time.sleep(0.5)  # every trickler holds a thread by now
        for _ in range(3):
            started = time.monotonic()
            assert get(gunicorn_defaults.port, "/healthz", timeout=5)[0] == 200
            assert time.monotonic() - started < 2
            time.sleep(0.3)
        for trickler in ticklers:
            trickler.join(30)
        cut = [trickler.cut_after for trickler in ticklers]
        # cut off after the budget (the bytes received earn a little more), far before the 100 kB would be sent
        assert all(c is not None and CLIENT_WAIT <= c < CLIENT_WAIT + 4 for c in cut), cut
        assert gunicorn_defaults.log().count("Client too slow: cut off") == 8, gunicorn_defaults.log()[-3000:]
        assert "Traceback" not in gunicorn_defaults.log()
        assert get(gunicorn_defaults.port, "/healthz")[0] == 200
    finally:
        for trickler in ticklers:
            trickler.sock.close()


def test_long_urls_under_the_api_get_problem_json_from_the_portal_and_from_the_proxy(nginx, gunicorn):
    # 6000 characters: past gunicorn's default 4094 (which answered an HTML 414); the portal answers it.
    status, content_type, _body = get(gunicorn.port, "/api/agent/v1/" + "a" * 6000)
    assert (status, content_type) == (404, "application/problem+json")
    status, content_type, _body = get(nginx, "/api/agent/v1/" + "a" * 6000)
    assert (status, content_type) == (404, "application/problem+json")
    # Longer than the proxy's 8 KiB: refused by nginx, still as a problem.
    status, content_type, body = get(nginx, "/api/agent/v1/" + "a" * 9000)
    assert (status, content_type) == (414, "application/problem+json") and b'"code":"uri_too_long"' in body


def test_a_body_over_the_proxy_limit_is_refused_as_a_problem_before_it_is_sent(nginx):
    with socket.create_connection(("127.0.0.1", nginx), timeout=10) as sock:
        sock.sendall(b"POST /api/agent/v1/batches HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 70000000\r\n\r\n")  # 70 MB announced, none sent
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _sep, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413") and b"Content-Type: application/problem+json" in head
    assert b'"code":"body_too_large"' in body


def test_an_early_refusal_keeps_the_connection_usable_for_the_next_request(gunicorn):
    connection = http.client.HTTPConnection("127.0.0.1", gunicorn.port, timeout=20)
    try:
        body = b'{"companies": [' + b" " * 3_000_000 + b"]}"  # 3 MB the portal refuses without reading
        connection.request("POST", "/api/agent/v1/batches", body=body,
                           headers={"Host": "localhost", "Content-Type": "application/json"})
        refused = connection.getresponse()
        assert refused.status == 404 and refused.getheader("Content-Type") == "application/problem+json"
        refused.read()
        assert refused.getheader("Connection", "keep-alive").lower() != "close"
        connection.request("GET", "/healthz", headers={"Host": "localhost"})  # the same pooled connection
        assert connection.getresponse().status == 200
    finally:
        connection.close()
