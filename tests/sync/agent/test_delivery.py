"""The reference agent end to end: a real portal on loopback, the office's database, files on disk."""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from decimal import Decimal

from clients.models import Figure, Revision, RevisionState, Settlement
from sync.agent.cli import EXIT_OK, EXIT_QUEUED, main
from sync.agent.config import load_config
from sync.agent.queue import Queue
from sync.agent.runner import Agent
from sync.models import Batch, ErrorReport, Event
from tests.clients import batches as b
from tests.sync.agent.conftest import free_port
from tests.sync.importers.conftest import v7m2_like_the_shared_example

JPK_EXAMPLE = "jpk_v7m2_valid_deklaracja_sprzedaz_zakupy_osoba_niefizyczna.xml"
JPK_NIP = "7018631981"


def batch_json(nip: str, amount: str = "1234.00") -> bytes:
    return json.dumps({
        "program": {"code": "optima", "version": "2025.0.1"},
        "companies": [{"nip": nip, "name": "Agent Test Sp. z o.o.",
                       "taxes": [{"period": "2026-03", "type": "VAT-7", "amount": amount}],
                       "zus": [{"period": "2026-03", "payer": {"pesel": b.make_pesel(71)}, "total": "1500.00"}]}],
    }).encode()


def run(config, *args) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["--config", str(config), *args], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def values(live, nip: str) -> dict[tuple[str, str], Decimal]:
    with live.in_office():
        return {(rev.figure.period.strftime("%Y-%m"), rev.figure.kind): rev.amount
                for rev in Revision.objects.filter(figure__company__nip=nip, state=RevisionState.PENDING)
                .select_related("figure")}


def test_json_batch_and_jpk_file_delivered_once(portal, live_agent, agent_config):
    nip = b.make_nip(70_001)
    live_agent.nips += [nip, JPK_NIP]
    server = portal()
    config = agent_config(server.port)
    (agent_config.inbox / "optima-2026-03.json").write_bytes(batch_json(nip))
    (agent_config.inbox / JPK_EXAMPLE).write_bytes(v7m2_like_the_shared_example(JPK_NIP))

    code, out, err = run(config, "watch", "--once")
    assert code == EXIT_OK, (out, err)
    assert values(live_agent, nip) == {("2026-03", "tax:VAT-7"): Decimal("1234.00"),
                                       ("2026-03", "zus:total"): Decimal("1500.00")}
    assert values(live_agent, JPK_NIP) == {("2022-02", "tax:VAT-7"): Decimal("124.00"),
                                           ("2022-02", "statement:sales_vat"): Decimal("2189.50"),
                                           ("2022-02", "statement:purchase_vat"): Decimal("2005.64")}
    with live_agent.in_office():
        batches = Batch.objects.filter(agent=live_agent.agent)
        assert batches.count() == 2
        assert set(batches.values_list("source", flat=True)) == {"api", "file"}
        codes = list(Event.objects.filter(agent=live_agent.agent, source=Event.Source.AGENT)
                     .values_list("code", flat=True))
        assert "agent_started" in codes and codes.count("file_sent") == 2
        figures = Figure.objects.filter(company__nip__in=live_agent.nips).count()

    # Again, with the same files: nothing new is sent or stored.
    code, out, err = run(config, "watch", "--once")
    assert code == EXIT_OK
    # A new agent process (no memory of the last run) and the file copied again under another name.
    shutil.copy(agent_config.inbox / "optima-2026-03.json", agent_config.inbox / "copy.json")
    code, out, err = run(config, "send", str(agent_config.inbox / "optima-2026-03.json"))
    assert code == EXIT_OK
    with live_agent.in_office():
        assert Batch.objects.filter(agent=live_agent.agent).count() == 2
        assert Figure.objects.filter(company__nip__in=live_agent.nips).count() == figures
        assert Revision.objects.filter(figure__company__nip=nip).count() == 2

    code, out, _err = run(config, "status")
    assert "0 item(s) waiting" in out
    assert "last success:  never" not in out


def test_portal_down_then_back_delivers_exactly_once(portal, live_agent, agent_config):
    nip = b.make_nip(70_002)
    live_agent.nips.append(nip)
    port = free_port()  # nobody listens: connection refused
    config = agent_config(port)
    (agent_config.inbox / "down.json").write_bytes(batch_json(nip, "777.00"))

    code, out, err = run(config, "watch", "--once")
    assert code == EXIT_QUEUED, (out, err)
    queue = Queue(agent_config.state)
    assert [item.name for item in queue.items()][0] == "down.json"
    assert queue.state()["unreachable_since"]
    code, out, _err = run(config, "status", "--json")
    status = json.loads(out)
    assert status["queue_length"] >= 1 and status["unreachable_since"]

    # A restart while the portal is still down changes nothing: the item is on disk, not re-queued.
    code, _out, _err = run(config, "send", "--no-wait", str(agent_config.inbox / "down.json"))
    assert code == EXIT_QUEUED
    assert sum(item.name == "down.json" for item in Queue(agent_config.state).items()) == 1

    portal(port)  # the portal comes back on the same address
    state = queue.state()
    queue.update_state(pause_until=0)  # do not wait out the backoff in a test
    for item in queue.items():
        item.next_attempt_at = 0
        queue.save(item)
    assert state["failures"] >= 1
    code, out, err = run(config, "watch", "--once")
    assert code == EXIT_OK, (out, err)
    assert Queue(agent_config.state).items() == []
    assert values(live_agent, nip) == {("2026-03", "tax:VAT-7"): Decimal("777.00"),
                                       ("2026-03", "zus:total"): Decimal("1500.00")}
    with live_agent.in_office():
        assert Batch.objects.filter(agent=live_agent.agent).count() == 1
        unreachable = Event.objects.get(agent=live_agent.agent, code="portal_unreachable")
        assert unreachable.level == "warning" and unreachable.details["since"]


def test_response_lost_on_the_way_back_is_not_applied_twice(portal, live_agent, agent_config, edge_stub):
    nip = b.make_nip(70_003)
    live_agent.nips.append(nip)
    server = portal()
    stub = edge_stub(server.port, ["drop"])  # the portal applies the batch, the answer never arrives
    config = agent_config(stub.port)
    (agent_config.inbox / "lost.json").write_bytes(batch_json(nip, "55.00"))

    code, out, err = run(config, "watch", "--once")
    assert code == EXIT_QUEUED, (out, err)
    queue = Queue(agent_config.state)
    queue.update_state(pause_until=0)
    code, out, err = run(config, "watch", "--once")
    assert code == EXIT_OK, (out, err)
    with live_agent.in_office():
        assert Batch.objects.filter(agent=live_agent.agent).count() == 1
        assert Revision.objects.filter(figure__company__nip=nip).count() == 2
    done = [json.loads(path.read_text()) for path in (agent_config.state / "done").glob("*.json")]
    assert any(record.get("replayed") for record in done)  # answered from the idempotency record


def test_retry_after_is_honoured(portal, live_agent, agent_config, edge_stub):
    nip = b.make_nip(70_004)
    live_agent.nips.append(nip)
    server = portal()
    stub = edge_stub(server.port, [("503", 1)])
    config = agent_config(stub.port)
    (agent_config.inbox / "busy.json").write_bytes(batch_json(nip))

    code, out, err = run(config, "send", str(agent_config.inbox / "busy.json"))
    assert code == EXIT_OK, (out, err)
    batch_requests = [entry for entry in stub.log if entry[1].endswith("/batches")]
    assert [entry[2] for entry in batch_requests] == [("503", 1), "forward"]
    assert batch_requests[1][0] - batch_requests[0][0] >= 1.0
    assert values(live_agent, nip)[("2026-03", "tax:VAT-7")] == Decimal("1234.00")


def test_rejected_file_goes_to_rejected_with_its_problem(portal, live_agent, agent_config):
    server = portal()
    config = agent_config(server.port)
    inbox = agent_config.inbox
    # Declared a JPK_V7M by its form code, but broken XML: the portal's importer refuses it (422).
    (inbox / "broken.xml").write_bytes(b'<?xml version="1.0"?><JPK xmlns="http://crd.gov.pl/wzor/2021/12/27/11148/">'
                                       b'<KodFormularza kodSystemowy="JPK_V7M (2)">'
                                       b"JPK_VAT</KodFormularza><Naglowek>")
    (inbox / "bad.json").write_bytes(b'{"program": {"code": "optima"}, "companies": [')  # 400 malformed_json
    # Well-formed, but its only company has an invalid NIP: 200 with status "rejected", nothing applied.
    (inbox / "nobody.json").write_bytes(b'{"program": {"code": "optima"}, "companies": [{"nip": "123"}]}')
    (inbox / "notes.xml").write_bytes(b"<notes>hello</notes>")  # neither JPK nor KEDU: refused by the agent

    code, out, err = run(config, "watch", "--once")
    assert code != EXIT_OK, (out, err)
    rejected = inbox / "rejected"
    assert sorted(path.name for path in rejected.iterdir()) == [
        "bad.json", "bad.json.problem.json", "broken.xml", "broken.xml.problem.json", "nobody.json",
        "nobody.json.problem.json", "notes.xml", "notes.xml.problem.json"]
    assert not (inbox / "broken.xml").exists()  # moved, not copied
    problem = json.loads((rejected / "broken.xml.problem.json").read_text())
    assert problem["status"] == 422 and problem["code"] == "import_rejected"
    assert problem["errors"][0]["code"] in ("malformed_xml", "xsd_invalid")
    problem = json.loads((rejected / "bad.json.problem.json").read_text())
    assert (problem["http_status"], problem["code"]) == (400, "malformed_json")
    problem = json.loads((rejected / "nobody.json.problem.json").read_text())
    assert (problem["http_status"], problem["status"]) == (200, "rejected")
    assert problem["errors"][0]["pointer"].startswith("/companies/0")
    assert json.loads((rejected / "notes.xml.problem.json").read_text())["code"] == "unknown_kind"
    assert Queue(agent_config.state).items() == []
    with live_agent.in_office():
        events = Event.objects.filter(agent=live_agent.agent, code="file_rejected")
        assert events.count() == 4


def test_zip_of_files_and_error_report(portal, live_agent, agent_config):
    nip = b.make_nip(70_005)
    live_agent.nips.append(nip)
    server = portal()
    config = agent_config(server.port)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("export/batch.json", batch_json(nip, "10.00"))
        archive.writestr("readme.txt", "not sent")
    (agent_config.inbox / "export.zip").write_bytes(buffer.getvalue())

    code, out, err = run(config, "watch", "--once")
    assert code == EXIT_OK, (out, err)
    assert values(live_agent, nip)[("2026-03", "tax:VAT-7")] == Decimal("10.00")

    agent = Agent(load_config(config), out=io.StringIO(), err=io.StringIO())
    try:
        raise ValueError("the accounting program's database is locked")
    except ValueError as error:
        agent.report_exception(error)
    agent.drain()
    with live_agent.in_office():
        report = ErrorReport.objects.get(agent=live_agent.agent)
        assert "database is locked" in report.message
        assert "Traceback" in report.stacktrace and report.runtime["python"]
        assert report.agent_version


def test_a_batch_with_v1_1_settlements_is_sent_as_exported_and_its_counts_logged(portal, live_agent, agent_config):
    nip = b.make_nip(70_003)
    live_agent.nips += [nip]
    config = agent_config(portal().port)
    body = json.loads(batch_json(nip))
    body["companies"][0]["settlements"] = [
        {"period": "2026-03", "what": "VAT-7", "amount": "1234.00", "paid_on": "2026-04-24"},
        {"period": "2026-02", "what": "VAT-7", "amount": "99.00"}]  # its item has not arrived: unmatched
    (agent_config.inbox / "optima-settlements.json").write_bytes(json.dumps(body).encode())
    code, out, err = run(config, "watch", "--once")
    assert code == EXIT_OK, (out, err)
    with live_agent.in_office():
        assert Settlement.objects.filter(company__nip=nip).count() == 2
        sent = Event.objects.get(agent=live_agent.agent, code="file_sent", details__name="optima-settlements.json")
        assert sent.details["settlements"] == {"recorded": 2, "unchanged": 0, "unmatched": 1}


def test_a_batch_over_the_portals_maxima_is_split_and_delivered_once(portal, live_agent, agent_config, settings):
    settings.AGENT_API_MAX_COMPANIES_PER_BATCH = 2
    nips = [b.make_nip(70_100 + i) for i in range(5)]
    live_agent.nips += nips
    companies = [{"nip": nip, "name": f"Dzielona {i}", "taxes": [{"period": "2026-03", "type": "VAT-7",
                                                                   "amount": f"{i + 1}.00"}]}
                 for i, nip in enumerate(nips)]
    (agent_config.inbox / "big.json").write_bytes(json.dumps({"program": {"code": "optima"},
                                                              "companies": companies}).encode())
    config = agent_config(portal().port)
    code, out, err = run(config, "watch", "--once")
    assert code == EXIT_OK, (out, err)
    assert "two halves" in out + err
    for i, nip in enumerate(nips):
        assert values(live_agent, nip) == {("2026-03", "tax:VAT-7"): Decimal(f"{i + 1}.00")}
    with live_agent.in_office():
        assert Batch.objects.filter(agent=live_agent.agent).count() == 3  # 5 → 2 + 3 → 2 + 1 + 2
    code, out, err = run(config, "send", str(agent_config.inbox / "big.json"))  # again: nothing new
    assert code == EXIT_OK
    with live_agent.in_office():
        assert Batch.objects.filter(agent=live_agent.agent).count() == 3
