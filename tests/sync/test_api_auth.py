"""Agent API authentication: the office is the host, tokens are per office, revocable; last seen is kept."""

from datetime import timedelta

import orjson
import pytest
from django.utils import timezone

from sync.agents import revoke_agent
from sync.models import Agent
from tests.sync.conftest import API, AgentClient, assert_problem, make_agent


def test_config_returns_the_office_options(cast, agent_client):
    client = agent_client(cast.office_a)
    response = client.api_get("config")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = orjson.loads(response.content)
    assert body["office"] == {"name": "Biuro Alfa", "slug": "alpha"}
    assert set(body) >= {"update_basic_data", "approve_on_sync", "send_activation", "copy_zus_from_previous",
                         "match_payers", "sync_interval_minutes", "limits"}
    assert isinstance(body["sync_interval_minutes"], int)
    assert all(isinstance(body[name], bool) for name in ("update_basic_data", "approve_on_sync", "match_payers"))


def test_without_a_token_it_is_401_with_a_challenge(cast, office_client):
    response = office_client(cast.office_a).get(API + "config")
    assert_problem(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", ["Bearer", "Bearer ", "Basic YWxpY2U6c2VjcmV0", "Bearer bk_nope",
                                    "Bearer bk_a bk_b", "Token bk_x"])
def test_malformed_or_unknown_tokens_are_401(cast, office_client, header):
    response = office_client(cast.office_a).get(API + "config", HTTP_AUTHORIZATION=header)
    assert_problem(response, 401, "invalid_token")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_token_of_office_b_is_401_on_office_a(cast, agent_client):
    b_client = agent_client(cast.office_b)
    assert b_client.api_get("config").status_code == 200
    stolen = AgentClient(cast.office_a, b_client.token)
    assert_problem(stolen.api_get("config"), 401, "invalid_token")
    assert_problem(stolen.api_post("batches", {"program": {"code": "optima"}}), 401, "invalid_token")


def test_a_revoked_token_is_401(cast, agent_client):
    client = agent_client(cast.office_a)
    assert client.api_get("config").status_code == 200
    with client.in_office():
        revoke_agent(client.agent)
    assert_problem(client.api_get("config"), 401, "invalid_token")


def test_each_request_updates_last_seen(cast, agent_client):
    client = agent_client(cast.office_a)
    with client.in_office():
        assert Agent.objects.get(pk=client.agent.pk).last_seen_at is None
    client.api_get("config")
    with client.in_office():
        seen = Agent.objects.get(pk=client.agent.pk).last_seen_at
        assert seen is not None and timezone.now() - seen < timedelta(seconds=30)
        Agent.objects.filter(pk=client.agent.pk).update(last_seen_at=timezone.now() - timedelta(hours=1))
    client.api_get("companies")
    with client.in_office():
        assert timezone.now() - Agent.objects.get(pk=client.agent.pk).last_seen_at < timedelta(seconds=30)


def test_a_batch_records_the_agent_version_os_and_hostname(cast, agent_client):
    client = agent_client(cast.office_a)
    response = client.api_post("batches", {
        "program": {"code": "optima"}, "agent": {"version": "1.4.0", "os": "Windows 11 Pro", "hostname": "BIURO-PC1"},
        "companies": []})
    assert response.status_code == 200, response.content
    with client.in_office():
        agent = Agent.objects.get(pk=client.agent.pk)
    assert (agent.version, agent.os, agent.hostname) == ("1.4.0", "Windows 11 Pro", "BIURO-PC1")


def test_unauthenticated_requests_do_not_reveal_endpoints_or_data(cast, office_client):
    client = office_client(cast.office_a)
    for path in ("companies", "batches/b_01J00000000000000000000000"):
        assert_problem(client.get(API + path), 401)


def test_two_agents_of_one_office_both_work(cast, agent_client):
    first, second = agent_client(cast.office_a, "PC1"), agent_client(cast.office_a, "PC2")
    assert first.api_get("config").status_code == 200
    assert second.api_get("config").status_code == 200
    agent, token = make_agent(cast.office_a, "PC3")
    assert AgentClient(cast.office_a, token).api_get("config").status_code == 200
