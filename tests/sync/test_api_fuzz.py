"""Hypothesis fuzzing of the agent API over HTTP: whatever comes in, never a 5xx, never an HTML error page."""

import gzip
import uuid

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clients.vocabulary import FIGURE_LABELS, PROGRAM_CODES, TAX_TYPES
from tests.clients.batches import make_nip, make_pesel
from tests.sync.conftest import API

FUZZ = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                        HealthCheck.too_slow])

json_leaf = (st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**63 - 1)
             | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=30))
json_value = st.recursive(json_leaf, lambda inner: st.lists(inner, max_size=4)
                          | st.dictionaries(st.text(max_size=12), inner, max_size=4), max_leaves=25)

# Values that are *valid* but extreme, to reach the ingestion with unusual data.
amounts = st.sampled_from(["0", "0.00", "-0.01", "999999999999.99", "-999999999999.99", "1", "12.3"]) | st.from_regex(
    r"-?[0-9]{1,12}(\.[0-9]{1,2})?", fullmatch=True)
periods = st.sampled_from(["1990-01", "2026-10", "2099-12", "2026-02"])
dates = st.sampled_from(["1990-01-01", "2100-12-31", "2026-02-28", "2028-02-29", None])
names = st.text(min_size=0, max_size=255) | st.sampled_from(["Zażółć gęślą jaźń", "\u0000", "'; DROP TABLE x; --"])
valid_tax = st.fixed_dictionaries({"period": periods, "type": st.sampled_from(TAX_TYPES), "amount": amounts},
                                  optional={"due_date": dates, "label": st.sampled_from(FIGURE_LABELS)})
valid_zus = st.fixed_dictionaries({"period": periods}, optional={
    "social": amounts, "health": amounts, "total": amounts, "due_date": dates,
    "payer": st.sampled_from([{"pesel": make_pesel(11)}, {"nip": make_nip(12)}, None])})
valid_statement = st.fixed_dictionaries({"period": periods}, optional={
    "revenue": amounts, "costs": amounts, "income": amounts,
    "totals": st.dictionaries(st.from_regex(r"[a-z_]{1,20}", fullmatch=True), amounts, max_size=3)})
valid_person = st.fixed_dictionaries({"last_name": st.text(min_size=1, max_size=100).filter(str.strip)}, optional={
    "first_name": st.text(max_size=100), "pesel": st.sampled_from([make_pesel(21), make_pesel(22), None]),
    "role": st.sampled_from(["owner", "partner", "proxy"]), "email": st.sampled_from(["a@b.pl", "", None]),
    "phone": st.sampled_from(["+48600100200", "600 100 200", "", None])})


def _unique_by(key):
    def pick(entries):
        seen, kept = set(), []
        for entry in entries:
            if key(entry) not in seen:
                seen.add(key(entry))
                kept.append(entry)
        return kept
    return pick


valid_company = st.fixed_dictionaries({"nip": st.sampled_from([make_nip(n) for n in range(950, 955)])}, optional={
    "name": names, "taxes": st.lists(valid_tax, max_size=4).map(_unique_by(lambda e: (e["period"], e["type"]))),
    "zus": st.lists(valid_zus, max_size=3).map(_unique_by(
        lambda e: (e["period"], str((e.get("payer") or {}).get("pesel") or (e.get("payer") or {}).get("nip"))))),
    "statements": st.lists(valid_statement, max_size=2).map(_unique_by(lambda e: e["period"])),
    "people": st.lists(valid_person, max_size=2),
    "tax_setup": st.fixed_dictionaries({}, optional={"vat": st.sampled_from(["monthly", "quarterly", "exempt"])}),
})
batch_bodies = st.fixed_dictionaries({
    "program": st.fixed_dictionaries({"code": st.sampled_from(PROGRAM_CODES)}),
}, optional={
    "companies": st.lists(valid_company | json_value, max_size=4),
    "payers": st.lists(st.fixed_dictionaries({"pesel": st.sampled_from([make_pesel(31), "1", None])},
                                             optional={"zus": st.lists(valid_zus, max_size=2)}) | json_value,
                       max_size=2),
    "options": st.fixed_dictionaries({}, optional={"approve": st.booleans(), "send_summary": st.booleans()}),
    "range": st.fixed_dictionaries({"from": periods, "to": periods}),
}) | json_value


def check(response, method="POST"):
    assert response.status_code < 500, (response.status_code, response.content[:1000])
    if response.status_code >= 400:
        assert response["Content-Type"].startswith("application/problem+json"), response.content[:300]
        if method == "HEAD":  # no body, by definition
            return response
        body = orjson.loads(response.content)
        assert body["status"] == response.status_code and body["code"] and body["detail"]
    return response


@pytest.fixture
def fuzz_client(cast, agent_client, settings):
    settings.AGENT_API_RATE_LIMIT_PER_MINUTE = 1_000_000
    return agent_client(cast.office_a)


@FUZZ
@given(payload=batch_bodies, compress=st.booleans())
def test_fuzzed_batches_never_fail_the_server(fuzz_client, payload, compress):
    response = check(fuzz_client.api_post("batches", payload, compress=compress))
    if response.status_code == 200:
        body = orjson.loads(response.content)
        assert body["status"] in ("applied", "partially_applied", "rejected")
        for error in body["errors"]:
            assert error["pointer"].startswith("/") and error["code"]


@FUZZ
@given(method=st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]),
       path=st.sampled_from(["config", "companies", "batches", "batches/b_01J00000000000000000000000", "events",
                             "error-reports", "files", "schema/", "docs/", ""]) | st.text(max_size=30),
       query=st.sampled_from(["", "?cursor=x", "?program=optima", "?limit=-1", "?limit=99999999999999999999"]),
       content_type=st.sampled_from(["application/json", "text/plain", "multipart/form-data", "application/x-gzip",
                                     "multipart/form-data; boundary=xyz", ""]),
       encoding=st.sampled_from([None, "gzip", "br", "identity"]),
       key=st.none() | st.text(max_size=300),
       raw=st.binary(max_size=200) | json_value.map(orjson.dumps) | json_value.map(
           lambda v: gzip.compress(orjson.dumps(v))))
def test_fuzzed_requests_never_fail_the_server(fuzz_client, method, path, query, content_type, encoding, key, raw):
    extra = {}
    if encoding:
        extra["HTTP_CONTENT_ENCODING"] = encoding
    if key is not None:
        extra["HTTP_IDEMPOTENCY_KEY"] = key.encode("utf-8", "surrogatepass").decode("latin-1", "replace")
    path = path.replace("\x00", "")
    response = fuzz_client.generic(method, API + path + query, raw, content_type=content_type, **extra)
    check(response, method)


@FUZZ
@given(payload=json_value, which=st.sampled_from(["events", "error-reports"]))
def test_fuzzed_events_and_reports_never_fail_the_server(fuzz_client, payload, which):
    check(fuzz_client.api_post(which, payload, key=str(uuid.uuid4())))
