"""apply_and_record: a batch is applied and recorded together (Batch row, counts, event), or not at all."""

import time

import pytest
from django.db import IntegrityError
from django_tenants.utils import schema_context

from clients.models import Company, Figure
from offices.accounts.models import OfficeSettings
from sync.agents import create_agent
from sync.models import Batch, Event
from sync.recording import apply_and_record
from tests.clients import batches as b

NEW_NIP = b.make_nip(9101)


@pytest.fixture
def office_a(cast):
    with schema_context(cast.office_a.schema_name):
        yield cast


def _batch():
    return b.batch(b.company(0, NEW_NIP, "Nowa sp. z o.o.", taxes=[b.tax(0, "2026-03", "VAT-7", "120.00")]))


def test_an_applied_batch_is_stored_with_its_response_and_its_event(office_a):
    agent = create_agent("Recorder")[0]
    OfficeSettings.objects.filter(singleton=1).update(auto_create_companies=True)
    record = apply_and_record(_batch(), agent, source=Batch.Source.API, body_bytes=321, started=time.monotonic())
    stored = Batch.objects.get(public_id=record.public_id)
    assert (stored.agent, stored.body_bytes, stored.program, stored.status) == (agent, 321, "optima", "applied")
    assert stored.response == record.response
    assert record.response["companies"]["created"] == 1 and record.response["figures"]["created"] == 1
    event = Event.objects.get(batch=stored)
    assert event.code == "batch_applied" and event.agent == agent


def test_companies_the_panel_user_ticked_are_created_and_counted_as_created(office_a):
    OfficeSettings.objects.filter(singleton=1).update(auto_create_companies=False)
    refused = apply_and_record(_batch(), None, source=Batch.Source.FILE, body_bytes=10)
    assert refused.response["companies"]["rejected"] == 1 and not Company.objects.filter(nip=NEW_NIP).exists()

    record = apply_and_record(_batch(), None, source=Batch.Source.FILE, body_bytes=10, create_nips=[NEW_NIP])
    assert record.response["companies"] == {"created": 1, "updated": 0, "unchanged": 0, "rejected": 0}
    assert Figure.objects.filter(company__nip=NEW_NIP).count() == 1


def test_when_recording_fails_nothing_of_the_batch_is_applied(office_a):
    OfficeSettings.objects.filter(singleton=1).update(auto_create_companies=True)
    with pytest.raises(IntegrityError):  # a size the Batch row refuses: the record cannot be written
        apply_and_record(_batch(), None, source=Batch.Source.FILE, body_bytes=-1)
    assert not Company.objects.filter(nip=NEW_NIP).exists()
    assert not Batch.objects.filter(body_bytes=-1).exists()
