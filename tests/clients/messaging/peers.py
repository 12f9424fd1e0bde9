"""Real local peers for the messaging tests: a server that speaks Twilio's Messages API, an SMTP
server (aiosmtpd) and Celery workers as subprocesses. Nothing of our own code is mocked.
"""

import asyncio
import base64
import email
import email.policy
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from django.db import connection

ROOT = Path(__file__).resolve().parents[3]
ACCOUNT_SID = "AC" + "0" * 31 + "1"
AUTH_TOKEN = "test-auth-token-0123456789abcdef"


# --- Twilio ------------------------------------------------------------------------------------------


@dataclass
class FakeTwilio:
    """``POST/GET /2010-04-01/Accounts/{sid}/Messages.json`` like Twilio, on 127.0.0.1.

    ``script`` is a list of HTTP statuses (or ``("error", status, code)`` / ``("hang", seconds)``)
    used for the next create requests, one each; then 201. ``invalid`` numbers get error 21211.
    """

    port: int = 0
    messages: list = field(default_factory=list)
    requests: int = 0
    script: list = field(default_factory=list)
    invalid: set = field(default_factory=set)
    token: str = AUTH_TOKEN
    received: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def reset(self):
        with self.lock:
            self.messages.clear()
            self.script.clear()
            self.invalid.clear()
            self.requests = 0
            self.token = AUTH_TOKEN
            self.received.clear()

    def start(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            # One request per connection: "provider down" must refuse everyone, keep-alive clients too.
            protocol_version = "HTTP/1.0"

            def log_message(self, *args):
                pass

            def _json(self, status, payload):
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _authorised(self) -> bool:
                expected = base64.b64encode(f"{ACCOUNT_SID}:{fake.token}".encode()).decode()
                if self.headers.get("Authorization") == f"Basic {expected}":
                    return True
                self._json(401, {"code": 20003, "message": "Authenticate", "status": 401,
                                 "more_info": "https://www.twilio.com/docs/errors/20003"})
                return False

            def do_GET(self):  # noqa: N802
                if not self._authorised():
                    return
                query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
                to = query.get("To", [None])[0]
                with fake.lock:
                    found = [m for m in reversed(fake.messages) if to is None or m["to"] == to]
                self._json(200, {"messages": found, "end": max(0, len(found) - 1), "first_page_uri": self.path,
                                 "next_page_uri": None, "page": 0, "page_size": 50, "previous_page_uri": None,
                                 "start": 0, "uri": self.path})

            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in urllib.parse.parse_qs(self.rfile.read(length).decode()).items()}
                with fake.lock:
                    fake.requests += 1
                    step = fake.script.pop(0) if fake.script else 201
                if not self._authorised():
                    return
                if isinstance(step, tuple) and step[0] == "hang":
                    message = fake._record(form)
                    fake.received.set()
                    time.sleep(step[1])
                    self._json(201, message)
                    return
                if isinstance(step, tuple) and step[0] == "error":
                    self._json(step[1], {"code": step[2], "message": "scripted error", "status": step[1]})
                    return
                if step != 201:
                    self._json(step, {"code": 20500, "message": "Internal Server Error", "status": step})
                    return
                if form.get("To") in fake.invalid:
                    self._json(400, {"code": 21211, "message": f"The 'To' number {form.get('To')} is not a valid "
                                     "phone number.", "more_info": "https://www.twilio.com/docs/errors/21211",
                                     "status": 400})
                    return
                message = fake._record(form)
                fake.received.set()
                self._json(201, message)

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_port
        threading.Thread(target=self.server.serve_forever, name="fake-twilio", daemon=True).start()
        return self

    def stop(self):
        """Stop listening (connections are refused: "provider down"); ``start()`` again on the same port."""
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def _record(self, form: dict) -> dict:
        sid = "SM" + secrets.token_hex(16)
        now = format_datetime(datetime.now(UTC), usegmt=True)
        message = {
            "account_sid": ACCOUNT_SID, "api_version": "2010-04-01", "body": form.get("Body", ""),
            "date_created": now, "date_sent": None, "date_updated": now, "direction": "outbound-api",
            "error_code": None, "error_message": None, "from": form.get("From"),
            "messaging_service_sid": form.get("MessagingServiceSid"), "num_media": "0", "num_segments": "1",
            "price": None, "price_unit": "USD", "sid": sid, "status": "queued", "to": form.get("To"),
            "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}.json",
            "status_callback": form.get("StatusCallback"),
        }
        with self.lock:
            self.messages.append(message)
        return message

    def bodies_to(self, number: str) -> list[str]:
        with self.lock:
            return [m["body"] for m in self.messages if m["to"] == number]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- SMTP --------------------------------------------------------------------------------------------


class _Inbox:
    def __init__(self):
        self.messages: list = []
        self.arrived_at: list = []
        self.lock = threading.Lock()
        # ("hang", seconds): take the next e-mail's DATA, then stall and drop it (what a sender killed in
        # the middle of the conversation leaves behind: nothing delivered).
        self.script: list = []
        self.received = threading.Event()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        with self.lock:
            step = self.script.pop(0) if self.script else None
        if step is not None and step[0] == "hang":
            self.received.set()
            await asyncio.sleep(step[1])
            return "451 Requested action aborted"
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(parsed)
            self.arrived_at.append(time.time())
        return "250 OK"


class _Authenticator:
    """aiosmtpd's AUTH hook: one user and password; remembers who logged in (and failed attempts)."""

    def __init__(self, user: str, password: str):
        self.user, self.password = user, password
        self.logins: list[str] = []
        self.failures = 0

    def __call__(self, server, session, envelope, mechanism, auth_data):
        if isinstance(auth_data, LoginPassword) and auth_data.login.decode() == self.user \
                and auth_data.password.decode() == self.password:
            self.logins.append(self.user)
            return AuthResult(success=True)
        self.failures += 1
        return AuthResult(success=False, handled=False)


class SmtpSink:
    """aiosmtpd on loopback. With ``auth=(user, password)`` it requires AUTH (PLAIN/LOGIN) before MAIL —
    an office's own server — on a plain connection (``auth_require_tls=False``: loopback, no certificate)."""

    def __init__(self, auth: tuple[str, str] | None = None):
        self.inbox = _Inbox()
        self.authenticator = _Authenticator(*auth) if auth else None
        self.options = {"authenticator": self.authenticator, "auth_required": True, "auth_require_tls": False} \
            if auth else {}
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=free_port(), **self.options)
        self.stopped = False

    def start(self):
        if self.stopped:  # aiosmtpd's controller cannot start again: a new one, same port and inbox
            self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.controller.port, **self.options)
        self.controller.start()
        self.stopped = False
        return self

    @property
    def port(self) -> int:
        return self.controller.port

    def stop(self):
        self.controller.stop()
        self.stopped = True

    @property
    def messages(self) -> list:
        with self.inbox.lock:
            return list(self.inbox.messages)

    def to(self, address: str) -> list:
        return [m for m in self.messages if address in str(m["To"])]

    @property
    def script(self) -> list:
        return self.inbox.script

    @property
    def received(self) -> threading.Event:
        return self.inbox.received

    def reset(self):
        with self.inbox.lock:
            self.inbox.messages.clear()
            self.inbox.arrived_at.clear()
            self.inbox.script.clear()
            self.inbox.received.clear()


# --- Celery workers ----------------------------------------------------------------------------------


def database_url() -> str:
    """The test database as a DATABASE_URL, for worker subprocesses."""
    s = connection.settings_dict
    host = s.get("HOST") or ""
    user = urllib.parse.quote(s.get("USER") or "")
    password = urllib.parse.quote(s.get("PASSWORD") or "")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    if host.startswith("/"):
        return f"postgres://{auth}{urllib.parse.quote(host, safe='')}/{s['NAME']}"
    port = f":{s['PORT']}" if s.get("PORT") else ""
    return f"postgres://{auth}{host}{port}/{s['NAME']}"


class Worker:
    """``celery worker`` in its own process, on the test database, consuming only ``queue``."""

    def __init__(self, queue: str, overrides: dict, name: str = "w1"):
        self.queue = queue
        self.overrides = overrides
        self.name = name
        self.process: subprocess.Popen | None = None
        self.ready_file = ROOT / "var" / f"messaging-worker-{queue}-{name}.ready"
        self.log_file = ROOT / "var" / f"messaging-worker-{queue}-{name}.log"

    def start(self, timeout: float = 60):
        self.ready_file.unlink(missing_ok=True)
        env = {**os.environ, "DATABASE_URL": database_url(), "BIURKO_ENV": "test",
               "MESSAGING_TEST_QUEUE": self.queue, "MESSAGING_TEST_READY_FILE": str(self.ready_file),
               "MESSAGING_TEST_OVERRIDES": json.dumps(self.overrides), "MESSAGING_TEST_WORKER": self.name,
               "MESSAGING_TEST_PARENT_PID": str(os.getpid())}
        log = open(self.log_file, "wb")  # noqa: SIM115 - lives as long as the process
        self.process = subprocess.Popen([sys.executable, "-m", "tests.clients.messaging.worker_main"], cwd=ROOT,
                                        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while not self.ready_file.exists():
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited: {self.log_file.read_text()[-3000:]}")
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"worker not ready in {timeout} s: {self.log_file.read_text()[-3000:]}")
            time.sleep(0.05)
        return self

    def kill(self):
        """SIGKILL the whole worker (process group): no cleanup, no acknowledgement."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self.ready_file.unlink(missing_ok=True)

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        self.ready_file.unlink(missing_ok=True)

    def log(self) -> str:
        return self.log_file.read_text(errors="replace") if self.log_file.exists() else ""


def wait_for(predicate, timeout: float = 20, interval: float = 0.05, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {message}")
        time.sleep(interval)
