"""A connection is recycled once it has served DB_MAX_SCHEMAS_PER_CONNECTION distinct schemas, which
bounds what its PostgreSQL backend caches about the catalogue."""

from django.db import connection
from django_tenants.utils import schema_context

from portal.celery import app
from portal.db_recycling import recycle_after
from tests.conftest import OfficeClient
from tests.offices.schema_support import backend_memory


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def test_a_web_connection_is_recycled_after_serving_more_schemas_than_the_bound(committed_cast, settings):
    settings.DB_MAX_SCHEMAS_PER_CONNECTION = 2
    connection.close()
    alpha, beta = OfficeClient(committed_cast.office_a), OfficeClient(committed_cast.office_b)

    assert alpha.get("/accounts/login/").status_code == 200
    first = _backend_pid()
    assert alpha.get("/accounts/login/").status_code == 200
    assert beta.get("/accounts/login/").status_code == 200
    assert _backend_pid() == first  # two schemas: within the bound
    assert OfficeClient(None).get("/").status_code == 200  # a third (public): closed after the response
    assert connection.connection is None
    second = _backend_pid()
    assert second != first
    assert beta.get("/accounts/login/").status_code == 200
    assert _backend_pid() == second  # counting starts again on the new backend


def test_a_backend_that_touched_more_offices_caches_more_and_recycling_frees_it(committed_cast, settings):
    settings.DB_MAX_SCHEMAS_PER_CONNECTION = 1
    connection.close()
    with schema_context(committed_cast.office_a.schema_name):
        baseline, _ = backend_memory()
    with schema_context(committed_cast.office_b.schema_name), connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM clients_company JOIN clients_figure ON true")
    grown, _ = backend_memory()
    assert grown > baseline
    assert not recycle_after(committed_cast.office_a.schema_name)  # one schema: within the bound
    assert recycle_after(committed_cast.office_b.schema_name)
    assert connection.connection is None
    fresh, _ = backend_memory()
    assert fresh < grown


@app.task(name="tests.offices.schema_of_task")
def _schema_of_task() -> str:
    return connection.schema_name


def test_a_celery_workers_connection_is_recycled_after_tasks_in_more_schemas_than_the_bound(committed_cast,
                                                                                            settings):
    settings.DB_MAX_SCHEMAS_PER_CONNECTION = 1
    app.conf.task_always_eager = True
    connection.close()
    try:
        with schema_context(committed_cast.office_a.schema_name):
            assert _schema_of_task.delay().get() == committed_cast.office_a.schema_name
            first = _backend_pid()
            assert _schema_of_task.delay().get() == committed_cast.office_a.schema_name
            assert _backend_pid() == first
        with schema_context(committed_cast.office_b.schema_name):
            assert _schema_of_task.delay().get() == committed_cast.office_b.schema_name
            assert connection.connection is None  # a second schema: closed when the task ended
            assert _backend_pid() != first
    finally:
        app.conf.task_always_eager = False
