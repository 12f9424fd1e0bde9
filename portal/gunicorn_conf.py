"""gunicorn's settings for the portal: ``gunicorn -c python:portal.gunicorn_conf portal.wsgi:application``.

Used by ``biurko run`` and the production guide (README, "Production"). In production a buffering proxy
(deploy/nginx.conf) sits in front, so gunicorn's threads only ever see whole requests; these limits make
sure that even without it a slow client cannot hold a thread for long.

gunicorn's own ``timeout`` is the worker's heartbeat (the main loop keeps beating while a thread waits on a
client), not a bound on a request, and its gthread worker hands a connection to a thread as soon as the first
byte arrives: from then on that thread waits on the client for as long as the client keeps trickling. So:

- every read from (and write to) a client socket gives up after ``BIURKO_WEB_IO_TIMEOUT`` seconds of
  silence (``SO_RCVTIMEO``/``SO_SNDTIMEO``, which survive gunicorn switching the socket between blocking
  and non-blocking), and the connection is closed;
- a request's line, headers and body together may keep its thread waiting on the client for
  ``BIURKO_WEB_CLIENT_WAIT`` seconds, plus one second per ``BIURKO_WEB_MIN_RATE`` bytes received (the
  ``MinRate`` of Apache's mod_reqtimeout): a client trickling a byte now and then is cut off after about
  ``BIURKO_WEB_CLIENT_WAIT`` seconds, while a 64 MiB batch over a slow line still earns the time it needs.
  Only the time spent waiting for the client counts, never the time the portal works on the request;
- a process stops accepting connections while all its threads are busy, so a new connection (``/healthz``)
  goes to a process with a free thread instead of queueing behind slow clients; with 2 processes × 8 threads,
  8 stalled clients leave at least 8 threads free;
- the request line and headers are bounded (``limit_request_*``) at gunicorn's maximum, 8190 bytes, so
  a long URL under ``/api/agent/v1/`` reaches the portal and gets its problem+json answer; a longer one
  is refused by the proxy first (deploy/nginx.conf answers ``414`` as problem+json there).

Environment (all optional): ``BIURKO_BIND``, ``WEB_CONCURRENCY`` (worker processes, 2), ``BIURKO_WEB_THREADS``
(threads per process, 8), ``BIURKO_WEB_IO_TIMEOUT`` (seconds, 15), ``BIURKO_WEB_CLIENT_WAIT`` (seconds, 20),
``BIURKO_WEB_MIN_RATE`` (bytes per second, 32768).
"""

import errno
import logging
import os
import socket
import struct
import time

from gunicorn.http.errors import NoMoreData
from gunicorn.http.unreader import SocketUnreader
from gunicorn.workers.gthread import TConn, ThreadWorker

bind = os.environ.get("BIURKO_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("BIURKO_WEB_THREADS", "8"))
worker_class = "portal.gunicorn_conf.BoundedThreadWorker"
IO_TIMEOUT_SECONDS = float(os.environ.get("BIURKO_WEB_IO_TIMEOUT", "15"))
CLIENT_WAIT_SECONDS = float(os.environ.get("BIURKO_WEB_CLIENT_WAIT", "20"))
MIN_RATE_BYTES = float(os.environ.get("BIURKO_WEB_MIN_RATE", "32768"))

# A worker process whose main loop is silent this long is restarted (threads keep it beating).
timeout = 60
graceful_timeout = 10
# Connections kept alive between requests (the proxy reuses them); an idle one is closed after this.
keepalive = 5
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
accesslog = "-"

logger = logging.getLogger("gunicorn.error")


def _timeval(seconds: float) -> bytes:
    whole = int(seconds)
    return struct.pack("ll", whole, int((seconds - whole) * 1_000_000))


class ClientTooSlow(NoMoreData):
    """The client used up its request's waiting time: gunicorn treats it as a client that went away."""

    def __str__(self):
        return "client too slow: cut off"


class WaitBudgetSocket:
    """The client socket as the request parser reads it: each ``recv`` waits at most what is left of the
    request's budget (``CLIENT_WAIT_SECONDS`` + bytes received / ``MIN_RATE_BYTES`` − time already waited).
    Everything else is the socket itself."""

    def __init__(self, sock):
        self._sock = sock
        self.new_request()

    def new_request(self) -> None:
        self.waited = 0.0
        self.received = 0

    def __getattr__(self, name):
        return getattr(self._sock, name)

    def remaining(self) -> float:
        return CLIENT_WAIT_SECONDS + self.received / MIN_RATE_BYTES - self.waited

    def recv(self, size: int) -> bytes:
        remaining = self.remaining()
        if remaining <= 0:
            self._cut_off()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, _timeval(min(IO_TIMEOUT_SECONDS, remaining)))
        started = time.monotonic()
        try:
            data = self._sock.recv(size)
        except BlockingIOError:  # SO_RCVTIMEO ran out: silent for IO_TIMEOUT_SECONDS, or the budget is spent
            self.waited += time.monotonic() - started
            self._cut_off()
        except TimeoutError:  # a timeout of gunicorn's own (draining an unread body): gunicorn handles it
            self.waited += time.monotonic() - started
            raise
        self.waited += time.monotonic() - started
        self.received += len(data)
        return data

    def _cut_off(self):
        logger.warning("Client too slow: cut off after waiting %.1f s for %d bytes of its request",
                       self.waited, self.received)
        try:  # nothing more is read, and the answer the portal may still write goes nowhere
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        raise ClientTooSlow()


class BoundedConn(TConn):
    def init(self):
        super().init()
        unreader = getattr(self.parser, "unreader", None)
        if isinstance(unreader, SocketUnreader) and not isinstance(unreader.sock, WaitBudgetSocket):
            unreader.sock = WaitBudgetSocket(unreader.sock)


class BoundedThreadWorker(ThreadWorker):
    """gunicorn's threaded worker with a bound on each read and write of a client socket, a waiting budget
    per request, and no accepting while every thread is busy."""

    def __init__(self, *args, **kwargs):
        self.busy = 0  # connections handed to the thread pool and not finished (main thread only)
        super().__init__(*args, **kwargs)

    # gunicorn's loop accepts while ``nr_conns < worker_connections`` (checked on every turn); with all
    # threads busy, an accepted connection would only queue, so the limit then reads as "no more".
    @property
    def worker_connections(self):
        return self._worker_connections if self.busy < self.cfg.threads else 0

    @worker_connections.setter
    def worker_connections(self, value):
        self._worker_connections = value

    def accept(self, listener):
        """gunicorn's ``accept``, making a ``BoundedConn``."""
        try:
            client_sock, client_addr = listener.accept()
        except OSError as e:
            if e.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        client_sock.setblocking(True)
        self.enqueue_req(BoundedConn(self.cfg, client_sock, client_addr, listener.getsockname()))

    def enqueue_req(self, conn):
        self.busy += 1
        super().enqueue_req(conn)

    def finish_request(self, conn, fs):
        self.busy -= 1
        super().finish_request(conn, fs)

    def handle(self, conn):
        # Set on every request: cheap, and a kept-alive connection keeps it anyway.
        timeval = _timeval(IO_TIMEOUT_SECONDS)
        try:
            conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, timeval)
            conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, timeval)
        except OSError:  # the client is already gone: gunicorn notices below
            pass
        unreader = getattr(conn.parser, "unreader", None)
        if isinstance(getattr(unreader, "sock", None), WaitBudgetSocket):
            unreader.sock.new_request()  # a kept-alive connection: the next request has a budget of its own
        return super().handle(conn)
