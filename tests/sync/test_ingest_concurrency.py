"""Two (eight) agents posting the same companies at the same time: no duplicates, no lost revision."""

import threading
from decimal import Decimal

from django.db import connection
from django_tenants.utils import schema_context

from clients.models import Company, Figure, Person, RevisionState
from sync.agents import create_agent
from sync.ingest import apply_batch
from sync.models import Agent
from tests.clients import batches as b

THREADS = 8
NIPS = [b.make_nip(50_000 + i) for i in range(5)]
PESEL = b.make_pesel(5000)


def _batch(thread: int):
    # Each thread sends its own amounts, and the companies in its own order.
    order = NIPS[thread % len(NIPS):] + NIPS[:thread % len(NIPS)]
    companies = [
        b.company(i, nip, people=[b.person(0, "Wspólny", "Wspólnik", pesel=PESEL)],
                  taxes=[b.tax(0, "2026-01", "VAT-7", 100 + thread), b.tax(1, "2026-02", "VAT-7", 200 + thread)],
                  zus_entries=[b.zus(0, "2026-01", total=300 + thread)])
        for i, nip in enumerate(order)
    ]
    return b.batch(*companies, approve=thread % 2 == 0)


def test_eight_agents_posting_the_same_companies(committed_cast):
    schema = committed_cast.office_a.schema_name
    with schema_context(schema):
        agents = [create_agent(f"Concurrent {i}")[0] for i in range(THREADS)]
    barrier = threading.Barrier(THREADS)
    results, failures = [None] * THREADS, []

    def post(thread: int):
        try:
            with schema_context(schema):
                barrier.wait(timeout=30)
                results[thread] = apply_batch(_batch(thread), agents[thread])
        except Exception as error:  # noqa: BLE001 - reported below
            failures.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(i,)) for i in range(THREADS)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not failures
        with schema_context(schema):
            assert Company.objects.filter(nip__in=NIPS).count() == len(NIPS)
            assert sum(r.companies["created"] for r in results) == len(NIPS)
            assert Person.objects.filter(pesel=PESEL).count() == 1
            assert Person.objects.get(pesel=PESEL).companies.count() == len(NIPS)
            figures = Figure.objects.filter(company__nip__in=NIPS)
            assert figures.count() == len(NIPS) * 3
            for figure in figures:
                revisions = list(figure.revisions.all())
                # every post brought a different value: eight revisions, none lost
                assert len(revisions) == THREADS
                live = [r for r in revisions if r.state != RevisionState.SUPERSEDED]
                assert 1 <= len(live) <= 2
                assert len({r.state for r in live}) == len(live)
                assert {r.amount for r in revisions} == {Decimal(figure_base(figure) + i) for i in range(THREADS)}
            created = sum(r.figures["created"] for r in results)
            updated = sum(r.figures["updated"] for r in results)
            assert (created, updated) == (len(NIPS) * 3, len(NIPS) * 3 * (THREADS - 1))
    finally:
        with schema_context(schema):
            Company.objects.filter(nip__in=NIPS).delete()
            Person.objects.filter(pesel=PESEL).delete()
            Agent.objects.filter(name__startswith="Concurrent ").delete()


def figure_base(figure: Figure) -> int:
    if figure.kind == "zus:total":
        return 300
    return 100 if figure.period.month == 1 else 200
