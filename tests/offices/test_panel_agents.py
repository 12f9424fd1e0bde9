"""Agents page: register (token shown once), revoke (with and without htmx), capability table, audit."""

import re

from clients.vocabulary import DATA_KINDS, PROGRAM_CODES
from offices.accounts.models import AuditAction, AuditEntry
from sync.agents import agent_for_token, create_agent
from sync.models import Agent
from sync.programs import NO, PARTIAL, PROGRAMS, YES
from tests.offices.panel_support import HTMX, bookkeeper, in_office  # noqa: F401


def _register(client, name="Optima – serwer"):
    """Register through the form and follow its redirect to the page that shows the token."""
    return client.post("/panel/agents/", {"name": name}, follow=True)


def _token_in(response) -> str:
    match = re.search(r'id="agent-token">([^<]+)<', response.content.decode())
    assert match, "the token is shown on the result page"
    return match.group(1)


def test_registering_shows_the_token_once_and_it_works(office_client, cast):
    client = office_client(cast.office_a, cast.alice)
    response = _register(client)
    assert response.status_code == 200
    assert response.redirect_chain[0][0].endswith("/token/")  # post/redirect/get
    assert response["Cache-Control"] == "no-store"
    token = _token_in(response)
    with in_office(cast.office_a):
        agent = agent_for_token(token)
        assert agent is not None
        assert agent.name == "Optima – serwer"
        assert agent.created_by == cast.alice
        assert agent.token_hash != token and token not in agent.token_hash
    listing = client.get("/panel/agents/").content.decode()
    assert "Optima – serwer" in listing
    assert agent.token_prefix in listing
    assert token not in listing
    # the token does not work in another office
    with in_office(cast.office_b):
        assert agent_for_token(token) is None


def test_an_agent_needs_a_name(office_client, cast):
    with in_office(cast.office_a):
        before = Agent.objects.count()
    client = office_client(cast.office_a, cast.alice)
    response = _register(client, "   ")
    assert response.status_code == 400
    assert "name" in response.context["form"].errors
    with in_office(cast.office_a):
        assert Agent.objects.count() == before


def test_revoking_without_js_asks_for_confirmation_then_redirects(office_client, cast):
    with in_office(cast.office_a):
        agent, token = create_agent("Symfonia")
    client = office_client(cast.office_a, cast.alice)
    confirm = client.get(f"/panel/agents/{agent.pk}/revoke/")
    assert confirm.status_code == 200
    assert f'action="/panel/agents/{agent.pk}/revoke/"' in confirm.content.decode()
    with in_office(cast.office_a):
        assert agent_for_token(token) is not None  # a GET changes nothing
    response = client.post(f"/panel/agents/{agent.pk}/revoke/")
    assert response.status_code == 302
    assert response["Location"] == "/panel/agents/"
    with in_office(cast.office_a):
        assert agent_for_token(token) is None
    # revoking again is harmless and records nothing new
    assert client.post(f"/panel/agents/{agent.pk}/revoke/").status_code == 302
    with in_office(cast.office_a):
        assert AuditEntry.objects.filter(action=AuditAction.AGENT_REVOKED).count() == 1


def test_revoking_with_htmx_returns_the_changed_row(office_client, cast):
    with in_office(cast.office_a):
        agent, token = create_agent("Płatnik")
    client = office_client(cast.office_a, cast.alice)
    response = client.post(f"/panel/agents/{agent.pk}/revoke/", **HTMX)
    assert response.status_code == 200
    html = response.content.decode().strip()
    assert html.startswith(f'<tr id="agent-{agent.pk}" class="revoked">')
    assert "<html" not in html
    with in_office(cast.office_a):
        assert agent_for_token(token) is None


def test_the_list_row_offers_htmx_and_a_plain_link(office_client, cast):
    with in_office(cast.office_a):
        agent, _token = create_agent("Rewizor")
    html = office_client(cast.office_a, cast.alice).get("/panel/agents/").content.decode()
    assert f'href="/panel/agents/{agent.pk}/revoke/"' in html
    assert f'hx-post="/panel/agents/{agent.pk}/revoke/"' in html
    assert "js/htmx.min.js" in html


def test_a_bookkeeper_cannot_register_or_revoke(office_client, cast, bookkeeper):  # noqa: F811
    with in_office(cast.office_a):
        agent, token = create_agent("Optima")
        before = Agent.objects.count()
    client = office_client(cast.office_a, bookkeeper)
    assert _register(client).status_code == 404
    assert client.post(f"/panel/agents/{agent.pk}/revoke/").status_code == 404
    with in_office(cast.office_a):
        assert agent_for_token(token) is not None
        assert Agent.objects.count() == before


def test_registering_and_revoking_are_audited_and_shown(office_client, cast):
    client = office_client(cast.office_a, cast.alice)
    token = _token_in(_register(client, "Enova"))
    with in_office(cast.office_a):
        agent = agent_for_token(token)
    client.post(f"/panel/agents/{agent.pk}/revoke/")
    with in_office(cast.office_a):
        entries = list(AuditEntry.objects.order_by("id").values_list("action", "actor_email", "target"))
    assert entries == [
        (AuditAction.AGENT_REGISTERED, "alice@alpha.test", "Enova"),
        (AuditAction.AGENT_REVOKED, "alice@alpha.test", "Enova"),
    ]
    page = client.get("/panel/agents/").content.decode()
    assert len(re.findall(r'<td[^>]*>alice@alpha.test</td>', page)) == 2


def test_the_agents_page_lists_every_program_with_its_capabilities(office_client, cast):
    assert tuple(PROGRAMS) == PROGRAM_CODES
    for program in PROGRAMS.values():
        assert {kind for kind, _value in program.capabilities()} == set(DATA_KINDS)
    platnik = PROGRAMS["platnik"]
    assert (platnik.zus, platnik.taxes, platnik.statements) == (YES, NO, NO)
    file_import = PROGRAMS["file_import"]
    assert (file_import.zus, file_import.taxes, file_import.statements) == (YES, PARTIAL, NO)
    assert PROGRAMS["optima"].provides("zus") and PROGRAMS["enova365"].provides("taxes")
    html = office_client(cast.office_a, cast.alice).get("/panel/agents/").content.decode()
    for program in PROGRAMS.values():
        assert f"<code>{program.code}</code>" in html


def test_the_agents_list_does_not_grow_queries_with_agents(office_client, cast, django_assert_max_num_queries):
    with in_office(cast.office_a):
        for number in range(10):
            create_agent(f"Agent {number}")
    client = office_client(cast.office_a, cast.alice)
    with django_assert_max_num_queries(12):
        assert client.get("/panel/agents/").status_code == 200


def test_reloading_the_token_page_neither_shows_the_token_again_nor_registers_another_agent(office_client, cast):
    client = office_client(cast.office_a, cast.alice)
    response = _register(client, "Reload-me")
    token, token_page = _token_in(response), response.redirect_chain[0][0]
    reloaded = client.get(token_page)
    assert reloaded.status_code == 200
    assert token not in reloaded.content.decode()
    assert "nie może zostać pokazany ponownie" in reloaded.content.decode()
    with in_office(cast.office_a):
        assert Agent.objects.filter(name="Reload-me").count() == 1


def test_the_revoke_confirmation_tells_two_agents_of_one_name_apart(office_client, cast):
    with in_office(cast.office_a):
        first, _token = create_agent("BIURO-PC1")
        second, _token = create_agent("BIURO-PC1")
    client = office_client(cast.office_a, cast.alice)
    for agent in (first, second):
        html = client.get(f"/panel/agents/{agent.pk}/revoke/").content.decode()
        assert agent.token_prefix in html
    assert first.token_prefix != second.token_prefix


def test_a_client_or_a_bookkeeper_cannot_open_an_agents_token_page(office_client, cast, bookkeeper):  # noqa: F811
    with in_office(cast.office_a):
        agent, _token = create_agent("Obce")
    for user in (cast.bob, bookkeeper):
        assert office_client(cast.office_a, user).get(f"/panel/agents/{agent.pk}/token/").status_code == 404
