"""gunicorn's settings for the portal: ``gunicorn -c python:portal.gunicorn_conf portal.wsgi:application``.

Used by ``biurko run`` and the production guide (README, "Production"). In production a buffering proxy
(deploy/nginx.conf) sits in front, so gunicorn's threads only ever see whole requests; these limits make
sure that even without it a slow or stalled client cannot hold a thread for long:

- every read from (and write to) a client socket gives up after ``BIURKO_WEB_IO_TIMEOUT`` seconds of
  silence (``SO_RCVTIMEO``/``SO_SNDTIMEO``, which survive gunicorn switching the socket between blocking
  and non-blocking), and the connection is closed;
- the request line and headers are bounded (``limit_request_*``) at gunicorn's maximum, 8190 bytes, so
  a long URL under ``/api/agent/v1/`` reaches the portal and gets its problem+json answer; a longer one
  is refused by the proxy first (deploy/nginx.conf answers ``414`` as problem+json there).

Environment (all optional): ``BIURKO_BIND``, ``WEB_CONCURRENCY`` (worker processes, 2), ``BIURKO_WEB_THREADS``
(threads per process, 4), ``BIURKO_WEB_IO_TIMEOUT`` (seconds, 15).
"""

import os
import socket
import struct

from gunicorn.workers.gthread import ThreadWorker

bind = os.environ.get("BIURKO_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("BIURKO_WEB_THREADS", "4"))
worker_class = "portal.gunicorn_conf.BoundedThreadWorker"
IO_TIMEOUT_SECONDS = float(os.environ.get("BIURKO_WEB_IO_TIMEOUT", "15"))

# A worker process whose main loop is silent this long is restarted (threads keep it beating).
timeout = 60
graceful_timeout = 10
# Connections kept alive between requests (the proxy reuses them); an idle one is closed after this.
keepalive = 5
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
accesslog = "-"


def _timeval(seconds: float) -> bytes:
    whole = int(seconds)
    return struct.pack("ll", whole, int((seconds - whole) * 1_000_000))


class BoundedThreadWorker(ThreadWorker):
    """gunicorn's threaded worker with a bound on each read and write of a client socket."""

    def handle(self, conn):
        # Set on every request: cheap, and a kept-alive connection keeps it anyway.
        timeval = _timeval(IO_TIMEOUT_SECONDS)
        try:
            conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, timeval)
            conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, timeval)
        except OSError:  # the client is already gone: gunicorn notices below
            pass
        return super().handle(conn)
