"""The reference agent against a real portal: the WSGI app served from a thread on a loopback port.

``portal(port=None)`` starts the whole portal (django-tenants routing by Host) on 127.0.0.1 against the test
database; it sees committed data only, so these tests use ``committed_db`` and clean up what they made
(``live_agent`` deletes its batches, events, error reports, companies and the agent itself).
``agent_config(...)`` writes an INI file for an agent of office A pointing at a port.
"""

from __future__ import annotations

import http.client
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.conf import settings
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
from django.core.wsgi import get_wsgi_application
from django.db import connections
from django_tenants.utils import schema_context

from clients.models import Company
from offices.tenancy import office_host
from sync.agents import create_agent
from sync.models import Agent, Batch, ErrorReport, Event


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LivePortal:
    def __init__(self, port: int = 0):
        self.httpd = ThreadedWSGIServer(("127.0.0.1", port), _QuietHandler, allow_reuse_address=True)
        self.httpd.set_app(get_wsgi_application())
        self.port = self.httpd.server_port
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="agent-live-portal", daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def portal(committed_db):
    test_name = settings.DATABASES["default"]["TEST"]["NAME"]
    assert connections["default"].settings_dict["NAME"] == test_name, "the live portal must use the test database"
    started: list[LivePortal] = []

    def start(port: int = 0) -> LivePortal:
        server = LivePortal(port)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@dataclass
class LiveAgent:
    office: object
    agent: Agent
    token: str
    nips: list[str] = field(default_factory=list)  # companies the test expects to be created (deleted at the end)

    def in_office(self):
        return schema_context(self.office.schema_name)


@pytest.fixture
def live_agent(committed_cast):
    office = committed_cast.office_a
    with schema_context(office.schema_name):
        agent, token = create_agent("Reference agent (test)")
    live = LiveAgent(office=office, agent=agent, token=token)
    yield live
    with schema_context(office.schema_name):
        Event.objects.filter(agent=agent).delete()
        Event.objects.filter(batch__agent=agent).delete()
        Batch.objects.filter(agent=agent).delete()
        ErrorReport.objects.filter(agent=agent).delete()
        Company.objects.filter(nip__in=live.nips).delete()
        Agent.objects.filter(pk=agent.pk).delete()


@pytest.fixture
def agent_config(tmp_path, live_agent):
    """``agent_config(port, **agent_options) -> Path`` of an INI file; the watched folder is ``tmp_path/inbox``."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()

    def write(port: int, **options) -> Path:
        agent_options = {"watch_folder": str(inbox), "state_dir": str(tmp_path / "state"), "poll_seconds": "0.2",
                         "settle_seconds": "0", "max_backoff_seconds": "2", "send_timeout_seconds": "20"}
        agent_options.update({key: str(value) for key, value in options.items()})
        lines = ["[portal]", f"url = http://127.0.0.1:{port}", f"office_host = {office_host(live_agent.office.slug)}",
                 f"token = {live_agent.token}", "timeout = 20", "", "[agent]"]
        lines += [f"{key} = {value}" for key, value in agent_options.items()]
        path = tmp_path / "biurko-agent.ini"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    write.inbox = inbox
    write.state = tmp_path / "state"
    return write


class EdgeStub:
    """A tiny HTTP server at the network edge between the agent and the portal.

    ``script`` is a list of behaviours taken one per request: ``("503", seconds)`` answers 503 with
    ``Retry-After``; ``"drop"`` forwards the request to the portal, then closes the connection without an
    answer (a response lost on the way back); ``"forward"`` (and anything after the script) forwards
    and relays. ``log`` records ``(monotonic time, path, behaviour)`` per request.
    """

    def __init__(self, upstream_port: int, script: list):
        stub = self
        self.script, self.log = list(script), []

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format, *args):  # noqa: A002
                pass

            def do_POST(self):  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                behaviour = stub.script.pop(0) if stub.script else "forward"
                stub.log.append((time.monotonic(), self.path, behaviour))
                if isinstance(behaviour, tuple) and behaviour[0] == "503":
                    payload = b'{"status": 503, "code": "service_unavailable", "detail": "busy"}'
                    self.send_response(503)
                    self.send_header("Retry-After", str(behaviour[1]))
                    self.send_header("Content-Type", "application/problem+json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                status, headers, payload = stub.forward(self.command, self.path, dict(self.headers), body)
                if behaviour == "drop":
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.send_response(status)
                for name, value in headers:
                    if name.lower() not in ("transfer-encoding", "connection", "content-length", "date", "server"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.upstream_port = upstream_port
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_port
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="agent-edge-stub", daemon=True)
        self.thread.start()

    def forward(self, method: str, path: str, headers: dict, body: bytes):
        connection = http.client.HTTPConnection("127.0.0.1", self.upstream_port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers)
            answer = connection.getresponse()
            return answer.status, answer.getheaders(), answer.read()
        finally:
            connection.close()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def edge_stub():
    stubs: list[EdgeStub] = []

    def make(upstream_port: int, script: list) -> EdgeStub:
        stub = EdgeStub(upstream_port, script)
        stubs.append(stub)
        return stub

    yield make
    for stub in stubs:
        stub.stop()
