"""The fault experiments use the outbox tests' peers, workers and committed companies, agents of office A,
and the portal served by gunicorn."""

import os

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from clients.models import Company
from sync.models import Agent, Batch, IdempotencyRecord
from tests.clients.messaging.conftest import *  # noqa: F403 - fixtures: peers, worker, make_company, …
from tests.faults.web import WebServer, new_agent


@pytest.fixture
def agents_of_a(committed_cast):
    """``make(n)`` → n new agents of office A as (agent, token); afterwards their batches, keys and the
    companies whose NIPs the test added to ``made.nips`` are deleted."""
    if "FAULTS_PGDATA" not in os.environ:
        pytest.skip("run by tests/faults/run.sh, on its own PostgreSQL cluster")
    office = committed_cast.office_a
    made: list = []

    def make(count: int = 1) -> list[tuple[object, str]]:
        agents = [new_agent(office) for _ in range(count)]
        made.extend(agent for agent, _token in agents)
        return agents

    make.office, make.nips = office, []
    yield make
    with schema_context(office.schema_name):
        IdempotencyRecord.objects.filter(agent__in=made).delete()
        Batch.objects.filter(agent__in=made).delete()
        Company.objects.filter(nip__in=make.nips).delete()
        Agent.objects.filter(pk__in=[agent.pk for agent in made]).delete()
    connection.set_schema_to_public()


@pytest.fixture
def web(django_db_setup, request):
    """gunicorn as in production (2 processes × 8 threads) on the suite's database; stopped after the test."""
    server = WebServer(request.node.name[:40])
    server.start()
    yield server
    server.stop()
