"""POST batches and GET batches/{id}: per-company validation with pointers; bad input changes nothing else."""

import re

import orjson
import pytest

from clients.models import Company, Figure, Revision
from sync.models import Batch, Event
from tests.clients.batches import make_nip, make_pesel
from tests.sync.conftest import assert_pointer, assert_problem

GOOD_NIP = make_nip(501)
OTHER_NIP = make_nip(502)


def batch_body(*companies, **extra):
    return {"program": {"code": "optima", "version": "2025.0.1"}, "companies": list(companies), **extra}


def company(nip=GOOD_NIP, name="Firma Testowa", **fields):
    return {"nip": nip, "name": name, **fields}


def tax(amount="1234.00", period="2026-10", tax_type="VAT-7", **fields):
    return {"period": period, "type": tax_type, "amount": amount, **fields}


def state(client):
    """What an agent's batch can change, in the client's office."""
    with client.in_office():
        return {
            "companies": sorted(Company.objects.values_list("nip", "name")),
            "figures": Figure.objects.count(),
            "revisions": sorted(Revision.objects.values_list("figure__company__nip", "figure__kind", "amount")),
        }


def test_a_valid_batch_is_applied_and_answered(cast, agent_client):
    client = agent_client(cast.office_a)
    response = client.api_post("batches", batch_body(company(
        people=[{"first_name": "Anna", "last_name": "Nowak", "pesel": make_pesel(77), "role": "owner"}],
        taxes=[tax(), tax("310.00", tax_type="CIT")],
        zus=[{"period": "2026-10", "social": "1646.47", "health": "432.54", "total": "2079.01"}],
        statements=[{"period": "2026-10", "revenue": "50000.00", "costs": "32000.00", "income": "18000.00"}],
    )))
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    body = orjson.loads(response.content)
    assert re.fullmatch(r"b_[0-9A-HJKMNP-TV-Z]{26}", body["batch"])
    assert body["status"] == "applied"
    assert body["companies"] == {"created": 1, "updated": 0, "unchanged": 0, "rejected": 0}
    assert body["figures"]["created"] == 2 + 3 + 3 and body["figures"]["rejected"] == 0
    assert body["payers"] == {"matched": 0, "unmatched": 0}
    assert body["errors"] == []
    with client.in_office():
        assert Company.objects.get(nip=GOOD_NIP).name == "Firma Testowa"
        record = Batch.objects.get(public_id=body["batch"])
        assert record.agent_id == client.agent.pk and record.program == "optima" and record.status == "applied"
        assert Revision.objects.filter(batch_ref=body["batch"]).count() == 8
        assert Event.objects.filter(batch=record, code="batch_applied").exists()


BAD_INPUTS = [
    pytest.param({"nip": "5260250996"}, "/companies/1/nip", "invalid_nip", id="bad-nip"),
    # All zeros passes the NIP checksum (weights × 0 = 0) but is nobody's number.
    pytest.param({"nip": "0000000000"}, "/companies/1/nip", "invalid_nip", id="all-zero-nip"),
    pytest.param({"regon": "000000000"}, "/companies/1/regon", "invalid_regon", id="all-zero-regon"),
    pytest.param({"people": [{"last_name": "Nowak", "pesel": "44051401358"}]}, "/companies/1/people/0/pesel",
                 "invalid_pesel", id="bad-pesel"),
    pytest.param({"taxes": [tax(period="2026-13")]}, "/companies/1/taxes/0/period", "invalid_period", id="period"),
    pytest.param({"taxes": [tax(), tax(1234.5, tax_type="CIT")]}, "/companies/1/taxes/1/amount", "invalid_amount",
                 id="amount-as-number"),
    pytest.param({"taxes": [tax("12.345")]}, "/companies/1/taxes/0/amount", "invalid_amount", id="three-decimals"),
    pytest.param({"taxes": [tax("1234567890123.00")]}, "/companies/1/taxes/0/amount", "invalid_amount",
                 id="thirteen-digits"),
    pytest.param({"zus": [{"period": "2026-10", "total": 10}]}, "/companies/1/zus/0/total", "invalid_amount",
                 id="zus-number"),
    pytest.param({"taxes": [tax(due_date="2026-02-30")]}, "/companies/1/taxes/0/due_date", "invalid_date",
                 id="date"),
    pytest.param({"taxes": [tax(tax_type="VAT-9")]}, "/companies/1/taxes/0/type", "invalid_choice", id="tax-type"),
]


@pytest.mark.parametrize("bad, pointer, code", BAD_INPUTS)
def test_each_bad_input_gets_its_pointer_and_changes_nothing_else(cast, agent_client, bad, pointer, code):
    client = agent_client(cast.office_a)
    before = state(client)
    bad_company = {**company(OTHER_NIP, name="Zła firma", taxes=[tax("1.00")]), **bad}
    response = client.api_post("batches", batch_body(company(taxes=[tax()]), bad_company, company(make_nip(503))))
    assert response.status_code == 200, response.content
    body = orjson.loads(response.content)
    assert body["status"] == "partially_applied"
    assert body["companies"]["created"] == 2 and body["companies"]["rejected"] == 1
    assert body["figures"]["rejected"] >= 1
    error = assert_pointer(body, pointer, code)
    assert error["detail"]
    assert all(e["pointer"].startswith("/companies/1/") for e in body["errors"]), body["errors"]
    after = state(client)
    # The good companies are applied, the bad one leaves no trace.
    assert set(after["companies"]) - set(before["companies"]) == {(GOOD_NIP, "Firma Testowa"),
                                                                  (make_nip(503), "Firma Testowa")}
    assert not any(nip == OTHER_NIP or nip == bad.get("nip") for nip, _name in after["companies"])
    assert after["figures"] == before["figures"] + 1


def test_a_batch_where_every_company_is_bad_is_rejected_and_changes_nothing(cast, agent_client):
    client = agent_client(cast.office_a)
    before = state(client)
    response = client.api_post("batches", batch_body(company("123"), company(OTHER_NIP, taxes=[tax(5)])))
    body = orjson.loads(response.content)
    assert response.status_code == 200 and body["status"] == "rejected"
    assert body["companies"]["rejected"] == 2
    assert {e["pointer"] for e in body["errors"]} == {"/companies/0/nip", "/companies/1/taxes/0/amount"}
    assert state(client) == before


@pytest.mark.parametrize("payload, pointer, code", [
    ({"companies": []}, "/program", "required"),
    ({"program": {"code": "excel"}}, "/program/code", "invalid_choice"),
    ({"program": {"code": "optima"}, "companies": {"nip": GOOD_NIP}}, "/companies", "invalid_type"),
    ([1, 2], "", "invalid_type"),
])
def test_request_level_errors_are_422_and_change_nothing(cast, agent_client, payload, pointer, code):
    client = agent_client(cast.office_a)
    before = state(client)
    body = assert_problem(client.api_post("batches", payload), 422, "validation_error")
    assert_pointer(body, pointer, code)
    assert state(client) == before
    with client.in_office():
        assert not Batch.objects.filter(agent=client.agent).exists()


def test_the_same_key_can_be_used_again_after_a_request_level_refusal(cast, agent_client):
    client = agent_client(cast.office_a)
    assert_problem(client.api_post("batches", {"program": {"code": "excel"}}, key="k-1"), 422, "validation_error")
    assert client.api_post("batches", batch_body(), key="k-1").status_code == 200


@pytest.mark.parametrize("raw", [b"{", b'{"program": }', b"\xff\xfe{}", b'{"a": NaN}', b"[" * 5000,
                                 b'{"program": {"code": "optima"}} trailing'])
def test_malformed_json_is_400(cast, agent_client, raw):
    client = agent_client(cast.office_a)
    body = assert_problem(client.api_post("batches", raw=raw), 400, "malformed_json")
    assert "JSON" in body["detail"]


def test_an_empty_body_is_400(cast, agent_client):
    client = agent_client(cast.office_a)
    assert_problem(client.api_post("batches", raw=b"", CONTENT_TYPE="application/json"), 400, "invalid_body")


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml", ""])
def test_wrong_content_type_is_415(cast, agent_client, content_type):
    client = agent_client(cast.office_a)
    response = client.api_post("batches", batch_body(), content_type=content_type)
    assert_problem(response, 415, "unsupported_media_type")


def test_the_idempotency_key_is_required(cast, agent_client):
    client = agent_client(cast.office_a)
    before = state(client)
    body = assert_problem(client.api_post("batches", batch_body(company()), key=None), 400,
                          "idempotency_key_missing")
    assert "Idempotency-Key" in body["detail"]
    assert state(client) == before


@pytest.mark.parametrize("key", ["", "has space", "x" * 256, "zażółć", "tab\tkey"])
def test_an_invalid_idempotency_key_is_400(cast, agent_client, key):
    client = agent_client(cast.office_a)
    response = client.api_post("batches", batch_body(), key=key)
    assert_problem(response, 400, "idempotency_key_invalid")


@pytest.mark.parametrize("key", ["a", "x" * 255, "550e8400-e29b-41d4-a716-446655440000", "!~{}[]<>"])
def test_valid_idempotency_keys(cast, agent_client, key):
    client = agent_client(cast.office_a)
    assert client.api_post("batches", batch_body(), key=key).status_code == 200


def test_get_batch_returns_the_stored_response(cast, agent_client):
    client = agent_client(cast.office_a)
    posted = orjson.loads(client.api_post("batches", batch_body(company(taxes=[tax()]))).content)
    for path in (f"batches/{posted['batch']}", f"batches/{posted['batch']}/"):
        response = client.api_get(path)
        assert response.status_code == 200
        assert orjson.loads(response.content) == posted
        assert list(orjson.loads(response.content)) == list(posted)
    # Another agent of the same office may look it up too (e.g. after reinstalling).
    assert agent_client(cast.office_a, "PC2").api_get(f"batches/{posted['batch']}").status_code == 200


def test_get_batch_of_another_office_or_unknown_is_404(cast, agent_client):
    a_client, b_client = agent_client(cast.office_a), agent_client(cast.office_b)
    posted = orjson.loads(a_client.api_post("batches", batch_body()).content)
    assert_problem(b_client.api_get(f"batches/{posted['batch']}"), 404, "not_found")
    assert_problem(a_client.api_get("batches/b_01J00000000000000000000000"), 404, "not_found")
    assert_problem(a_client.api_get("batches/../../config"), 404)


def test_wrong_methods_are_405_problems_with_allow(cast, agent_client):
    client = agent_client(cast.office_a)
    response = client.api_get("batches")
    assert_problem(response, 405, "method_not_allowed")
    assert "POST" in response["Allow"]
    response = client.delete("/api/agent/v1/config")
    assert_problem(response, 405, "method_not_allowed")


def test_unknown_endpoints_are_404_problems(cast, agent_client, office_client):
    client = agent_client(cast.office_a)
    assert_problem(client.api_get("nothing/here"), 404, "not_found")
    assert_problem(client.api_post("v2/batches", {}), 404, "not_found")
    assert_problem(office_client(cast.office_a).get("/api/agent/v1/whatever"), 404, "not_found")


def test_payers_are_counted(cast, agent_client):
    client = agent_client(cast.office_a)
    response = client.api_post("batches", batch_body(payers=[
        {"pesel": make_pesel(4321), "zus": [{"period": "2026-10", "total": "10.00"}]},
        {"pesel": "1", "zus": []},
    ]))
    body = orjson.loads(response.content)
    assert body["payers"]["unmatched"] == 1
    assert_pointer(body, "/payers/1/pesel", "invalid_pesel")
