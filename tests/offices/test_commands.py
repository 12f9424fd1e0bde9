import pytest
from django.core.management import CommandError, call_command
from django_tenants.utils import schema_context

from offices.models import Office
from sync.agents import agent_for_token, hash_token
from sync.models import Agent


def test_create_office_command_prints_the_address_and_an_activation_link(db, capsys):
    call_command("create_office", slug="biuro-cmd", name="Biuro Cmd", owner_email="szef@cmd.pl")
    out = capsys.readouterr().out
    assert "http://biuro-cmd.localhost:8000/" in out
    assert "/accounts/password/reset/key/" in out
    assert Office.objects.filter(slug="biuro-cmd").exists()


def test_create_office_command_reports_bad_input(db):
    with pytest.raises(CommandError, match="„www”|“www”"):
        call_command("create_office", slug="www", name="X", owner_email="a@b.pl")


def test_create_agent_prints_a_token_stored_only_as_a_hash(cast, capsys):
    call_command("create_agent", office="alpha", name="BIURO-PC1")
    token = capsys.readouterr().out.strip()
    assert token.startswith("bk_") and len(token) > 40
    with schema_context(cast.office_a.schema_name):
        agent = Agent.objects.get(name="BIURO-PC1")
        assert agent.token_hash == hash_token(token)
        assert token not in (agent.token_hash, agent.token_prefix)
        assert agent_for_token(token) == agent
    with schema_context(cast.office_b.schema_name):
        assert agent_for_token(token) is None


def test_create_agent_for_an_unknown_office(db):
    with pytest.raises(CommandError, match="No office"):
        call_command("create_agent", office="nope", name="PC")
