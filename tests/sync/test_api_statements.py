"""POST files with kind mt940 / camt053 (agent API v1.1): the payments settle their items, the unmatched lines
come back with their reasons, the same statement twice changes nothing, hostile files are problems."""

import orjson
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from clients.models import BankStatementLine, Settlement
from clients.payments import tax_microaccount
from sync.models import Batch
from tests.clients.bank_files import debit, statement, statement_file, y_lines
from tests.conftest import NIP_Y
from tests.sync.conftest import assert_problem


def upload(client, kind, content, key):
    return client.post("/api/agent/v1/files", {"kind": kind, "file": SimpleUploadedFile(f"wyciag.{kind}", content)},
                       HTTP_IDEMPOTENCY_KEY=key)


@pytest.mark.parametrize("kind", ["mt940", "camt053"])
def test_a_statement_settles_its_items_and_lists_what_it_could_not_match(cast, agent_client, kind):
    client = agent_client(cast.office_a)
    lines = [*y_lines(), debit(5, "1.00", tax_microaccount(nip=NIP_Y), "bez tytułu")]
    content = statement_file(statement(lines, kind=kind))
    response = upload(client, kind, content, "st-1")
    assert response.status_code == 200, response.content
    body = orjson.loads(response.content)
    assert body["status"] == "applied"
    assert body["settlements"] == {"recorded": 2, "unchanged": 0, "unmatched": 0}
    [result] = body["statements"]
    assert (result["lines"], result["matched"], result["already_matched"], result["other_lines"]) == (5, 2, 0, 2)
    assert [(line["position"], line["code"]) for line in result["unmatched"]] == [(5, "no_tax_title")]
    assert result["unmatched"][0]["reason"]
    with client.in_office():
        assert Settlement.objects.filter(company=cast.company_y, source="bank").count() == 2
        record = Batch.objects.get(public_id=body["batch"])
        assert record.program == "file_import" and record.source == "file"
    # the same statement again, under a new key: nothing changes
    again = orjson.loads(upload(client, kind, content, "st-2").content)
    assert again["settlements"] == {"recorded": 0, "unchanged": 0, "unmatched": 0}
    assert again["statements"][0]["already_matched"] == 2
    with client.in_office():
        assert BankStatementLine.objects.count() == 3
    # and under the same key: the stored response
    replay = upload(client, kind, content, "st-1")
    assert replay["Idempotent-Replayed"] == "true" and orjson.loads(replay.content) == body


@pytest.mark.parametrize(("kind", "content", "code"), [
    ("camt053", b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
                b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">&b;</Document>', "forbidden_xml"),
    ("camt053", b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><Stmt>',
     "malformed_xml"),
    ("mt940", b"\x00\x01\x02 garbage", "malformed_statement"),
    ("mt940", b":20:X\r\n:25:/PL123\r\n:28C:1/1\r\n", "invalid_field"),
    ("camt053", b":20:X\r\n:25:/PL61109010140000071219812874\r\n", "kind_mismatch"),
    ("mt940", b"", "empty"),
])
def test_hostile_or_malformed_statements_are_refused_with_a_problem(cast, agent_client, kind, content, code):
    response = upload(agent_client(cast.office_a), kind, content, "st-bad")
    body = assert_problem(response, 422, "import_rejected")
    assert body["errors"][0]["pointer"] == "/file" and body["errors"][0]["code"] == code, body
