"""Bearer-token authentication and the per-agent rate limit of the agent API."""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.throttling import BaseThrottle

from sync.agents import agent_for_token, touch_agent
from sync.batch import AgentInfo
from sync.models import Agent

logger = logging.getLogger("sync.api")
AUTH_REALM = 'Bearer realm="biurko-agent-api"'
RATE_WINDOW_SECONDS = 60


class AgentTokenAuthentication(BaseAuthentication):
    """``Authorization: Bearer <token>``; the token must belong to an active agent of *this* office.

    The lookup runs in the office's schema (chosen from the host by the tenant middleware), so a
    token of another office is simply unknown here: 401, the same as a wrong or revoked token.
    """

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None
        scheme, _sep, token = header.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token or " " in token:
            raise exceptions.AuthenticationFailed(_("Send the agent token as “Authorization: Bearer <token>”."),
                                                  code="invalid_token")
        agent = agent_for_token(token)
        if agent is None:
            raise exceptions.AuthenticationFailed(
                _("This token is not valid for this office: it is unknown, revoked, or belongs to another office."),
                code="invalid_token")
        touch_agent(agent)
        return agent, token

    def authenticate_header(self, request):
        return AUTH_REALM


class IsAgent(BasePermission):
    def has_permission(self, request, view):
        return isinstance(request.user, Agent)


class AgentRateThrottle(BaseThrottle):
    """``AGENT_API_RATE_LIMIT_PER_MINUTE`` requests per agent per clock minute (fixed window).

    Counted in the cache (``add`` + atomic ``incr``), so it holds across processes when the
    cache is Redis; cache keys are prefixed with the office's schema by django-tenants.
    """

    def allow_request(self, request, view):
        agent = request.user
        if not isinstance(agent, Agent):
            return True
        now = time.time()
        window = int(now // RATE_WINDOW_SECONDS)
        key = f"agent-api:rate:{agent.pk}:{window}"
        self._wait = RATE_WINDOW_SECONDS - (now % RATE_WINDOW_SECONDS)
        try:
            if cache.add(key, 1, timeout=RATE_WINDOW_SECONDS * 2):
                count = 1
            else:
                try:
                    count = cache.incr(key)
                except ValueError:  # expired between add() and incr()
                    cache.set(key, 1, timeout=RATE_WINDOW_SECONDS * 2)
                    count = 1
        except Exception:  # noqa: BLE001 - a cache outage must not take the API down: fail open
            logger.warning("agent API rate limit: cache unavailable, request let through", exc_info=True)
            return True
        return count <= settings.AGENT_API_RATE_LIMIT_PER_MINUTE

    def wait(self):
        return max(1, int(self._wait + 0.999))


def remember_agent_info(agent: Agent, info: AgentInfo) -> None:
    """Keep the agent's version / OS / computer name as its latest batch reports them."""
    values = {name: getattr(info, name) for name in ("version", "os", "hostname") if getattr(info, name)}
    if values and any(getattr(agent, name) != value for name, value in values.items()):
        Agent.objects.filter(pk=agent.pk).update(**values)
        for name, value in values.items():
            setattr(agent, name, value)
