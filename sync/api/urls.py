"""``/api/agent/v1/`` on every office host (included from portal/urls_tenants.py)."""

from django.urls import path, re_path, register_converter
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from sync.api import views
from sync.api.docs import AgentDocsView, docs_asset, schema_view
from sync.api.problems import problem
from sync.api.schema import BATCH_ID_PATTERN


class BatchIdConverter:
    """Only a well-formed batch id reaches the view (anything else, e.g. with a NUL, is the API's 404)."""

    regex = BATCH_ID_PATTERN.removeprefix("^").removesuffix("$")

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(BatchIdConverter, "batch_id")


def _route(route: str, view, name: str) -> list:
    """The canonical route (no trailing slash) plus the same with a slash: agents write either."""
    return [path(route, view, name=name), path(route + "/", view)]


api_patterns = [
    *_route("config", views.ConfigView.as_view(), "agent-api-config"),
    *_route("companies", views.CompaniesView.as_view(), "agent-api-companies"),
    *_route("batches", views.BatchesView.as_view(), "agent-api-batches"),
    *_route("batches/<batch_id:batch_id>", views.BatchDetailView.as_view(), "agent-api-batch"),
    *_route("events", views.EventsView.as_view(), "agent-api-events"),
    *_route("error-reports", views.ErrorReportsView.as_view(), "agent-api-error-reports"),
    *_route("files", views.FilesView.as_view(), "agent-api-files"),
]
# The schema only lists the canonical routes.
_schema_patterns = [pattern for pattern in api_patterns if pattern.name]


@csrf_exempt
def not_found(request, *args, **kwargs):
    return problem("not_found", _("There is no such endpoint in the agent API v1."))


urlpatterns = [
    *api_patterns,
    path("schema/", schema_view(_schema_patterns), name="agent-api-schema"),
    path("docs/", AgentDocsView.as_view(), name="agent-api-docs"),
    path("docs/assets/<str:name>", docs_asset, name="agent-api-docs-asset"),
    re_path(r"^.*$", not_found),
]
