"""The panel's batch page: what a batch did and, in Polish, which value was refused where and why."""

import html

import orjson
import pytest

from sync.models import Batch
from tests.clients.batches import make_nip
from tests.offices.panel_support import bookkeeper, in_office  # noqa: F401
from tests.sync.conftest import agent_client  # noqa: F401

GOOD_NIP = make_nip(611)
BAD_NIP = GOOD_NIP[:-1] + str((int(GOOD_NIP[-1]) + 1) % 10)  # the check digit no longer matches


def _page(client, public_id):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "pl"
    return client.get(f"/panel/events/batches/{public_id}/")


@pytest.fixture
def refused_batch(cast, agent_client):  # noqa: F811
    """A batch through the real agent API: one good company, one with a bad NIP, one with a number as amount."""
    body = {"program": {"code": "optima", "version": "2025.0.1"}, "companies": [
        {"nip": GOOD_NIP, "name": "Firma Dobra", "taxes": [{"period": "2026-10", "type": "VAT-7", "amount": "10.00"}]},
        {"nip": BAD_NIP, "name": "Firma Zła"},
        {"nip": make_nip(612), "name": "Firma Liczbowa",
         "taxes": [{"period": "2026-10", "type": "VAT-7", "amount": 1234.5}]},
    ]}
    response = agent_client(cast.office_a).api_post("batches", body)
    assert response.status_code == 200, response.content
    answer = orjson.loads(response.content)
    assert answer["status"] == "partially_applied"
    assert {error["code"] for error in answer["errors"]} == {"invalid_nip", "invalid_amount"}
    return answer["batch"]


def test_staff_see_each_refused_value_in_polish_with_a_human_place(office_client, cast, refused_batch,
                                                                    bookkeeper):  # noqa: F811
    response = _page(office_client(cast.office_a, bookkeeper), refused_batch)
    assert response.status_code == 200
    text = html.unescape(response.content.decode())
    assert f"Firma 2 (NIP {BAD_NIP}, Firma Zła): NIP" in text
    assert "To nie jest prawidłowy NIP" in text
    assert f"Firma 3 (NIP {make_nip(612)}, Firma Liczbowa): podatki, pozycja 1, kwota" in text
    assert "nie jako liczbę" in text
    # the counts, labelled
    assert "Firmy" in text and "utworzone: <strong>1</strong>" in text and "odrzucone: <strong>2</strong>" in text
    assert "pominięte (inne źródło)" in text
    # never a code, a raw pointer or the English detail
    for raw in ("invalid_amount", "invalid_nip", "skipped_source", "/companies/2/", "Amounts must be JSON strings"):
        assert raw not in text


def test_the_event_log_row_leads_to_the_batch_and_reads_in_polish(office_client, cast, refused_batch):
    client = office_client(cast.office_a, cast.alice)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "pl"
    text = html.unescape(client.get("/panel/events/").content.decode())
    assert f'href="/panel/events/batches/{refused_batch}/"' in text
    assert "Zobacz błędy paczki" in text
    assert "firmy: utworzone 1, zaktualizowane 0" in text
    assert "skipped_source" not in text and "created 0" not in text


def test_clients_and_other_offices_get_404(office_client, cast, refused_batch):
    assert _page(office_client(cast.office_a, cast.bob), refused_batch).status_code == 404
    assert _page(office_client(cast.office_b, cast.dave), refused_batch).status_code == 404
    assert _page(office_client(cast.office_a, cast.alice), "b_missing").status_code == 404


def test_an_unknown_code_gets_a_generic_polish_reason(office_client, cast, refused_batch):
    with in_office(cast.office_a):
        record = Batch.objects.get(public_id=refused_batch)
        record.response["errors"].append({"pointer": "/payers/0/weird", "code": "brand_new_code",
                                          "detail": "Something in English."})
        record.save(update_fields=["response"])
    text = html.unescape(_page(office_client(cast.office_a, cast.alice), refused_batch).content.decode())
    assert "Płatnik 1: inne pole" in text and "Portal odrzucił tę wartość." in text
    assert "brand_new_code" not in text and "Something in English" not in text and "weird" not in text


def test_the_agents_list_links_each_agents_latest_batch(office_client, cast, refused_batch):
    client = office_client(cast.office_a, cast.alice)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "pl"
    text = client.get("/panel/agents/").content.decode()
    assert f'href="/panel/events/batches/{refused_batch}/"' in text and "Ostatnia paczka" in text
