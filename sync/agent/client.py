"""HTTP to the agent API with the standard library (urllib): one request, one classified answer.

Connection and ``Host``: the agent connects to ``[portal] url`` and, when ``office_host`` is set, sends
it as the ``Host`` header. The portal picks the office from the Host header (django-tenants: one
host per office), while the system resolver of many machines does not resolve ``*.localhost``
(and an office PC may reach the portal only through an internal address). So in development the URL is
``http://127.0.0.1:8000`` with ``office_host = demo.localhost``; in production the URL simply is
``https://<office>.<domain>`` and ``office_host`` stays empty (TLS checks the certificate against the
URL's host, so do not combine https with a different ``office_host``).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from sync.agent import USER_AGENT
from sync.agent.config import AgentConfig

GZIP_ABOVE_BYTES = 64 * 1024
MAX_RETRY_AFTER_SECONDS = 3600


class NetworkError(Exception):
    """The portal could not be reached or the connection broke (no HTTP answer)."""


@dataclass
class Response:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def json(self):
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return None

    @property
    def problem(self) -> dict:
        """The problem+json body, or a minimal one built from whatever came back."""
        data = self.json()
        if isinstance(data, dict):
            return data
        text = self.body[:500].decode("utf-8", "replace")
        return {"status": self.status, "code": f"http_{self.status}", "detail": text}

    def retry_after(self, now: datetime | None = None) -> float | None:
        """``Retry-After`` in seconds (delta-seconds or an HTTP date), capped; None if absent or unreadable."""
        raw = self.headers.get("retry-after", "").strip()
        if not raw:
            return None
        if raw.isdigit():
            return float(min(int(raw), MAX_RETRY_AFTER_SECONDS))
        try:
            when = parsedate_to_datetime(raw)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
        return max(0.0, min(seconds, MAX_RETRY_AFTER_SECONDS))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect means a wrong URL (e.g. http→https): report it instead of re-sending a POST as GET."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def multipart(fields: dict[str, str], file_field: str, filename: str, data: bytes) -> tuple[bytes, str]:
    """A multipart/form-data body; the boundary is derived from the content, so a resend is byte-identical."""
    boundary = "biurko-" + hashlib.sha256(data + filename.encode()).hexdigest()[:40]
    safe_name = filename.replace("\\", "_").replace('"', "_").replace("\r", "_").replace("\n", "_")
    chunks = []
    for name, value in fields.items():
        chunks.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    chunks.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{safe_name}"\r\n'
                  "Content-Type: application/xml\r\n\r\n".encode())
    chunks.append(data)
    chunks.append(f"\r\n--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/form-data; boundary={boundary}"


class PortalClient:
    def __init__(self, config: AgentConfig):
        self.config = config
        self.opener = urllib.request.build_opener(_NoRedirect())

    def post(self, endpoint: str, body: bytes, *, content_type: str, key: str | None = None) -> Response:
        headers = {"Authorization": f"Bearer {self.config.token}", "Content-Type": content_type,
                   "Accept": "application/json", "User-Agent": USER_AGENT}
        if self.config.office_host:
            headers["Host"] = self.config.office_host
        if key:
            headers["Idempotency-Key"] = key
        if content_type == "application/json" and len(body) > GZIP_ABOVE_BYTES:
            body = gzip.compress(body, mtime=0)  # deterministic; the portal compares bodies after decompression
            headers["Content-Encoding"] = "gzip"
        request = urllib.request.Request(self.config.api_base + endpoint, data=body, headers=headers,  # noqa: S310
                                         method="POST")  # the scheme is checked: http(s) only (config)
        return self._send(request)

    def get(self, endpoint: str) -> Response:
        headers = {"Authorization": f"Bearer {self.config.token}", "Accept": "application/json",
                   "User-Agent": USER_AGENT}
        if self.config.office_host:
            headers["Host"] = self.config.office_host
        request = urllib.request.Request(self.config.api_base + endpoint, headers=headers, method="GET")  # noqa: S310
        return self._send(request)

    def _send(self, request) -> Response:
        try:
            with self.opener.open(request, timeout=self.config.timeout) as answer:
                return Response(answer.status, {k.lower(): v for k, v in answer.headers.items()}, answer.read())
        except urllib.error.HTTPError as error:
            try:
                body = error.read()
            except (OSError, ValueError):
                body = b""
            return Response(error.code, {k.lower(): v for k, v in (error.headers or {}).items()}, body)
        except OSError as error:  # URLError, timeouts, refused or reset connections
            reason = getattr(error, "reason", None) or error
            raise NetworkError(f"{self.config.url} unreachable: {reason}") from error
        except Exception as error:  # http.client.RemoteDisconnected, IncompleteRead…: the connection broke
            if type(error).__module__ == "http.client":
                raise NetworkError(f"{self.config.url}: connection broken ({type(error).__name__}: {error})") \
                    from error
            raise
