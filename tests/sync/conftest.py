"""Agent API test helpers: ``agent_client(office)`` and problem+json assertions."""

from __future__ import annotations

import gzip
import uuid

import orjson
import pytest
from django.conf import settings
from django_tenants.utils import schema_context

from sync.agents import create_agent
from tests.conftest import OfficeClient

API = "/api/agent/v1/"


class AgentClient(OfficeClient):
    """A client on one office's host carrying an agent's bearer token."""

    def __init__(self, office, token: str, agent=None, **defaults):
        super().__init__(office, HTTP_AUTHORIZATION=f"Bearer {token}", **defaults)
        self.token = token
        self.agent = agent

    def api_get(self, path: str, **extra):
        return self.get(API + path, **extra)

    def api_post(self, path: str, data=None, *, key: str | None = "auto", raw: bytes | None = None,
                 compress: bool = False, content_type: str = "application/json", **extra):
        """POST JSON (``data``) or ``raw`` bytes; ``key="auto"`` sends a fresh Idempotency-Key, None sends none."""
        body = raw if raw is not None else orjson.dumps(data)
        if compress:
            body = gzip.compress(body)
            extra["HTTP_CONTENT_ENCODING"] = "gzip"
        if key == "auto":
            key = str(uuid.uuid4())
        if key is not None:
            extra["HTTP_IDEMPOTENCY_KEY"] = key
        return self.generic("POST", API + path, body, content_type=content_type, **extra)

    def in_office(self):
        return schema_context(self.office.schema_name)


def make_agent(office, name: str = "BIURO-PC1"):
    with schema_context(office.schema_name):
        return create_agent(name)


@pytest.fixture
def agent_client(db):
    """``agent_client(office, name="BIURO-PC1")`` → an ``AgentClient`` with a fresh agent of that office."""

    def make(office, name: str = "BIURO-PC1", **defaults) -> AgentClient:
        agent, token = make_agent(office, name)
        return AgentClient(office, token, agent=agent, **defaults)

    return make


def assert_problem(response, status: int, code: str | None = None) -> dict:
    """The response is an RFC 9457 problem with this status (and code); returns its body."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/problem+json"), response["Content-Type"]
    body = orjson.loads(response.content)
    for member in ("type", "title", "status", "detail", "code"):
        assert member in body, (member, body)
    assert body["status"] == status
    assert body["type"] == f"urn:biurko:problem:{body['code']}"
    if code is not None:
        assert body["code"] == code, body
    return body


def assert_pointer(body: dict, pointer: str, code: str) -> dict:
    """``body["errors"]`` has an error at ``pointer`` with ``code``; returns it."""
    matches = [error for error in body.get("errors", []) if error.get("pointer") == pointer]
    assert matches, (pointer, body.get("errors"))
    assert any(error["code"] == code for error in matches), (pointer, code, matches)
    return next(error for error in matches if error["code"] == code)


def limit() -> int:
    return settings.AGENT_API_MAX_BODY_BYTES
