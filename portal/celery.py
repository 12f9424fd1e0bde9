"""The Celery app. Tasks carry the office's schema (tenant-schemas-celery)."""

import os

from celery.signals import task_postrun, task_prerun
from tenant_schemas_celery.app import CeleryApp, get_schema_name_from_task

from portal.logging import current_office

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = CeleryApp("biurko")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
def _log_office_of_task(task=None, **kwargs):
    task._office_log_token = current_office.set(get_schema_name_from_task(task, {}) or "public")


@task_postrun.connect
def _forget_office_of_task(task=None, **kwargs):
    token = getattr(task, "_office_log_token", None)
    if token is not None:
        current_office.reset(token)
