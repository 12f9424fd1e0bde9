"""The served OpenAPI schema: valid OpenAPI 3, complete, and its docs UI works offline."""

import pytest
import yaml
from openapi_spec_validator import validate

from clients.vocabulary import FIGURE_LABELS, PERSON_ROLES, PROGRAM_CODES, TAX_TYPES
from tests.sync.conftest import API


@pytest.fixture
def served_schema(cast, office_client):
    response = office_client(cast.office_a).get(API + "schema/", HTTP_ACCEPT="application/vnd.oai.openapi")
    assert response.status_code == 200, response.content[:500]
    return yaml.safe_load(response.content)


def test_schema_is_valid_openapi(served_schema):
    validate(served_schema)
    assert served_schema["openapi"].startswith("3.")


def test_schema_lists_every_endpoint(served_schema):
    paths = served_schema["paths"]
    assert set(paths) == {
        "/api/agent/v1/config", "/api/agent/v1/companies", "/api/agent/v1/batches",
        "/api/agent/v1/batches/{batch_id}", "/api/agent/v1/events", "/api/agent/v1/error-reports",
        "/api/agent/v1/files",
    }
    assert set(paths["/api/agent/v1/batches"]) == {"post"}
    assert set(paths["/api/agent/v1/companies"]) == {"get"}


def test_schema_has_the_enums(served_schema):
    schemas = served_schema["components"]["schemas"]
    assert schemas["ProgramCodeEnum"]["enum"] == list(PROGRAM_CODES)
    assert schemas["TaxTypeEnum"]["enum"] == list(TAX_TYPES)
    assert schemas["FigureLabelEnum"]["enum"] == list(FIGURE_LABELS)
    assert schemas["PersonRoleEnum"]["enum"] == list(PERSON_ROLES)
    for name in ("VatSetupEnum", "IncomeTaxSetupEnum", "ZusPayerKindEnum", "EventLevelEnum", "FileKindEnum"):
        assert schemas[name]["enum"], name


def test_schema_describes_the_batch_body_and_problems(served_schema):
    post = served_schema["paths"]["/api/agent/v1/batches"]["post"]
    body = post["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/BatchRequestRequest"}
    schemas = served_schema["components"]["schemas"]
    batch = schemas["BatchRequestRequest"]
    assert {"program", "agent", "range", "options", "companies", "payers"} <= set(batch["properties"])
    assert batch["required"] == ["program"]
    tax = schemas["TaxEntryRequest"]
    assert tax["properties"]["amount"]["type"] == "string"
    assert tax["properties"]["amount"]["pattern"] == r"^-?[0-9]{1,12}(\.[0-9]{1,2})?$"
    assert "from" in schemas["RangeRequest"]["properties"]
    headers = {p["name"]: p for p in post["parameters"] if p["in"] == "header"}
    assert headers["Idempotency-Key"]["required"] is True
    assert "Idempotent-Replayed" in post["responses"]["200"]["headers"]
    for status in ("400", "401", "409", "413", "415", "422", "429", "503"):
        content = post["responses"][status]["content"]
        assert content["application/problem+json"]["schema"] == {"$ref": "#/components/schemas/Problem"}, status
    assert "Retry-After" in post["responses"]["429"]["headers"]
    assert "Retry-After" in post["responses"]["503"]["headers"]
    problem = schemas["Problem"]
    assert {"type", "title", "status", "detail", "code", "errors"} <= set(problem["properties"])
    assert served_schema["components"]["securitySchemes"]["agentToken"] == {
        "type": "http", "scheme": "bearer", "description": "The agent's token, e.g. `bk_…`."}


def test_docs_ui_is_served_with_local_assets(cast, office_client):
    client = office_client(cast.office_a)
    page = client.get(API + "docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "cdn" not in html.lower() and "https://" not in html
    for asset in ("swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js"):
        url = f"{API}docs/assets/{asset}"
        assert url in html
        response = client.get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content)
    assert client.get(f"{API}docs/assets/..%2Fsecret").status_code == 404
