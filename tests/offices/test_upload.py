"""Panel upload of exchange files: preview (changes nothing), apply, unknown companies, refusals, access."""

from __future__ import annotations

import html
import io
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from clients.models import Company, Revision, RevisionState
from offices.accounts.models import OfficeSettings
from sync.importers import ExchangeFileError, detect_and_parse
from sync.models import Batch, Event
from tests.offices.panel_support import bookkeeper, in_office  # noqa: F401
from tests.sync.conftest import agent_client  # noqa: F401
from tests.sync.importers.conftest import v7m2_like_the_shared_example

EXAMPLE_NIP = "7018631981"
TRUNCATED = (b'<?xml version="1.0"?><JPK xmlns="http://crd.gov.pl/wzor/2021/12/27/11148/">'
             b'<Naglowek><KodFormularza kodSystemowy="JPK_V7M (2)">JPK_VAT</KodFormularza>')
BILLION_LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
                  b"<JPK>&lol2;</JPK>")


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    settings.MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"  # clears the storage's cached root
    return tmp_path


@pytest.fixture
def example() -> bytes:
    # built here, so the suite runs without the reference data (BIURKO_SHARED_DATA)
    return v7m2_like_the_shared_example(EXAMPLE_NIP)


def upload(client, *files: tuple[str, bytes]):
    return client.post("/panel/upload/", {"files": [SimpleUploadedFile(name, data) for name, data in files]})


def apply_key(response) -> str:
    match = re.search(r'action="/panel/upload/([A-Za-z0-9_-]+)/apply/"', response.content.decode())
    assert match, "the preview has an apply form"
    return match.group(1)


def cell(response, nip: str, column: str) -> str:
    content = response.content.decode()
    row = re.search(rf'<tr data-nip="{nip}"[^>]*>(.*?)</tr>', content, re.S)
    assert row, f"no preview row for {nip}"
    value = re.search(rf'<td class="{column}"[^>]*>([^<]*)</td>', row.group(1))
    return value.group(1) if value else ""


def stored_uploads(media: Path, office) -> list[Path]:
    folder = media / office.schema_name / "panel-uploads"
    return sorted(path for path in folder.rglob("*") if path.is_file()) if folder.exists() else []


def test_the_page_is_in_the_navigation(office_client, cast, media):
    response = office_client(cast.office_a, cast.alice).get("/panel/upload/")
    assert response.status_code == 200
    assert 'href="/panel/upload/" aria-current="page"' in response.content.decode()
    assert 'type="file"' in response.content.decode() and "multiple" in response.content.decode()


def test_preview_shows_the_counts_and_changes_nothing(office_client, cast, media, example):
    client = office_client(cast.office_a, cast.alice)
    with in_office(cast.office_a):
        before = (Company.objects.count(), Revision.objects.count(), Batch.objects.count(), Event.objects.count())
    response = upload(client, ("jpk.xml", example))
    assert response.status_code == 200
    content = response.content.decode()
    # Unknown in office A: listed as such, previewed as created (VAT-7 + two statement totals).
    assert 'class="unknown-company"' in content
    assert (cell(response, EXAMPLE_NIP, "created"), cell(response, EXAMPLE_NIP, "updated"),
            cell(response, EXAMPLE_NIP, "unchanged")) == ("3", "0", "0")
    assert 'name="create" value="0" checked' in content  # the office creates companies by default
    with in_office(cast.office_a):
        after = (Company.objects.count(), Revision.objects.count(), Batch.objects.count(), Event.objects.count())
        assert not Company.objects.filter(nip=EXAMPLE_NIP).exists()
    assert after == before
    assert [path.name for path in stored_uploads(media, cast.office_a)] == ["0.xml", "manifest.json"]


def test_apply_creates_pending_revisions_and_logs_the_batch(office_client, cast, media, example,
                                                           django_capture_on_commit_callbacks):
    client = office_client(cast.office_a, cast.alice)
    key = apply_key(upload(client, ("jpk.xml", example)))
    with django_capture_on_commit_callbacks(execute=True):  # the stored files are deleted on commit
        response = client.post(f"/panel/upload/{key}/apply/", {"action": "apply", "create": ["0"]})
    assert response.status_code == 200
    with in_office(cast.office_a):
        company = Company.objects.get(nip=EXAMPLE_NIP)
        pending = {(r.figure.kind, r.amount) for r in Revision.objects.filter(figure__company=company)
                   .select_related("figure")}
        assert pending == {("tax:VAT-7", Decimal("124.00")), ("statement:sales_vat", Decimal("2189.50")),
                           ("statement:purchase_vat", Decimal("2005.64"))}
        assert set(Revision.objects.filter(figure__company=company).values_list("state", flat=True)) == {
            RevisionState.PENDING}
        batch = Batch.objects.get(public_id__in=re.findall(r"b_[0-9A-Z]{26}", response.content.decode()))
        assert (batch.source, batch.agent, batch.program, batch.status) == ("file", None, "file_import", "applied")
        assert batch.response["companies"]["created"] == 1 and batch.response["figures"]["created"] == 3
        assert Event.objects.filter(batch=batch, code="batch_applied").exists()
        event = Event.objects.get(batch=batch, code="panel_upload")
        assert event.details["file"] == "jpk.xml" and event.details["user_id"] == cast.alice.pk
    assert stored_uploads(media, cast.office_a) == []
    # Applied once: the same key again is gone.
    assert client.post(f"/panel/upload/{key}/apply/", {"action": "apply"}).status_code == 404

    # The same file again: the company is known now and nothing would change.
    response = upload(client, ("jpk.xml", example))
    assert 'class="unknown-company"' not in response.content.decode()
    assert (cell(response, EXAMPLE_NIP, "created"), cell(response, EXAMPLE_NIP, "unchanged")) == ("0", "3")


def test_unknown_company_is_created_only_when_ticked(office_client, cast, media, example):
    with in_office(cast.office_a):
        OfficeSettings.objects.filter(pk=OfficeSettings.load().pk).update(auto_create_companies=False)
    client = office_client(cast.office_a, cast.alice)
    response = upload(client, ("jpk.xml", example))
    content = response.content.decode()
    assert 'class="unknown-company"' in content
    assert 'name="create" value="0">' in content  # offered, not ticked
    response = client.post(f"/panel/upload/{apply_key(response)}/apply/", {"action": "apply"})
    assert response.status_code == 200
    with in_office(cast.office_a):
        assert not Company.objects.filter(nip=EXAMPLE_NIP).exists()
        assert not Batch.objects.filter(program="file_import").exists()

    # Ticked: created although the office does not create companies from synchronisation.
    key = apply_key(upload(client, ("jpk.xml", example)))
    client.post(f"/panel/upload/{key}/apply/", {"action": "apply", "create": ["0"]})
    with in_office(cast.office_a):
        assert Revision.objects.filter(figure__company__nip=EXAMPLE_NIP, state=RevisionState.PENDING).count() == 3


@pytest.mark.parametrize(("name", "data", "code"), [
    ("truncated.xml", TRUNCATED, None),
    ("laughs.xml", BILLION_LAUGHS, "forbidden_xml"),
    ("empty.xml", b"", None),
    ("notes.xml", b"<notes>hi</notes>", "unknown_variant"),
])
def test_a_malformed_or_hostile_file_is_refused_with_the_importers_message(office_client, cast, media, name, data,
                                                                           code):
    # The page speaks Polish (the default), so the expected message is the Polish one too.
    with translation.override("pl"), pytest.raises(ExchangeFileError) as expected:
        detect_and_parse(data, filename=name)
    client = office_client(cast.office_a, cast.alice)
    with in_office(cast.office_a):
        before = (Company.objects.count(), Revision.objects.count(), Batch.objects.count())
    response = upload(client, (name, data))
    assert response.status_code == 422
    content = response.content.decode()
    assert f'data-code="{expected.value.code}"' in content
    if code:
        assert expected.value.code == code
    assert html.escape(expected.value.message) in content
    assert "/apply/" not in content
    with in_office(cast.office_a):
        assert (Company.objects.count(), Revision.objects.count(), Batch.objects.count()) == before
    assert stored_uploads(media, cast.office_a) == []


def test_zip_members_are_previewed_one_by_one(office_client, cast, media, example):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("march/jpk.xml", example)
        archive.writestr("broken.xml", TRUNCATED)
    response = upload(office_client(cast.office_a, cast.alice), ("export.zip", buffer.getvalue()))
    assert response.status_code == 200
    content = response.content.decode()
    assert "export.zip/march/jpk.xml" in content
    assert re.search(r'<li class="upload-error" data-code="\w+"><strong>export.zip/broken.xml</strong>', content)
    assert cell(response, EXAMPLE_NIP, "created") == "3"


def test_discard_deletes_the_stored_files(office_client, cast, media, example):
    client = office_client(cast.office_a, cast.alice)
    key = apply_key(upload(client, ("jpk.xml", example)))
    response = client.post(f"/panel/upload/{key}/apply/", {"action": "discard"})
    assert response.status_code == 302
    assert stored_uploads(media, cast.office_a) == []
    with in_office(cast.office_a):
        assert not Company.objects.filter(nip=EXAMPLE_NIP).exists()


def test_bookkeeper_may_upload(office_client, cast, media, bookkeeper):  # noqa: F811
    assert office_client(cast.office_a, bookkeeper).get("/panel/upload/").status_code == 200


def test_clients_and_other_offices_get_404(office_client, cast, media, example, bookkeeper):  # noqa: F811
    alice = office_client(cast.office_a, cast.alice)
    key = apply_key(upload(alice, ("jpk.xml", example)))
    bob = office_client(cast.office_a, cast.bob)
    assert bob.get("/panel/upload/").status_code == 404
    assert upload(bob, ("jpk.xml", example)).status_code == 404
    assert bob.post(f"/panel/upload/{key}/apply/", {"action": "apply", "create": ["0"]}).status_code == 404
    dave = office_client(cast.office_b, cast.dave)
    assert dave.post(f"/panel/upload/{key}/apply/", {"action": "apply", "create": ["0"]}).status_code == 404
    # Another bookkeeper of the same office cannot apply alice's upload either.
    bea = office_client(cast.office_a, bookkeeper)
    assert bea.post(f"/panel/upload/{key}/apply/", {"action": "apply", "create": ["0"]}).status_code == 404
    with in_office(cast.office_a):
        assert not Company.objects.filter(nip=EXAMPLE_NIP).exists()
    with in_office(cast.office_b):
        assert not Company.objects.filter(nip=EXAMPLE_NIP).exists()


def test_the_panel_and_post_files_record_the_same_file_the_same_way(office_client, agent_client, cast, media):  # noqa: F811
    """Both go through sync.recording.apply_and_record: the same Batch row, counts and event for the same file."""
    with in_office(cast.office_a):
        OfficeSettings.objects.filter(singleton=1).update(auto_create_companies=True)
    panel, api = "8361745292", "8361745286"  # valid NIPs of the shape the official JPK schema asks for
    client = office_client(cast.office_a, cast.alice)
    key = apply_key(upload(client, ("jpk.xml", v7m2_like_the_shared_example(panel))))
    uploaded = client.post(f"/panel/upload/{key}/apply/", {"action": "apply", "create": ["0"]})
    posted = agent_client(cast.office_a).post(
        "/api/agent/v1/files", {"kind": "jpk_v7m", "file": SimpleUploadedFile("jpk.xml", v7m2_like_the_shared_example(
            api), content_type="application/xml")}, HTTP_IDEMPOTENCY_KEY="same-file-1")
    assert uploaded.status_code == 200 and posted.status_code == 200, posted.content
    with in_office(cast.office_a):
        by_panel = Batch.objects.get(public_id__in=re.findall(r"b_[0-9A-Z]{26}", uploaded.content.decode()))
        by_api = Batch.objects.get(public_id=posted.json()["batch"])
        assert (by_panel.source, by_panel.program) == (by_api.source, by_api.program) == ("file", "file_import")
        assert by_panel.response["companies"] == by_api.response["companies"] == {
            "created": 1, "updated": 0, "unchanged": 0, "rejected": 0}
        assert by_panel.response["figures"] == by_api.response["figures"]
        for batch in (by_panel, by_api):
            assert Event.objects.filter(batch=batch, code="batch_applied").count() == 1
