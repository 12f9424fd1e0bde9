"""The OpenAPI schema and its Swagger UI, served with local assets (no CDN)."""

from __future__ import annotations

from pathlib import Path

import drf_spectacular_sidecar
from django.http import FileResponse
from django.urls import include, path, reverse
from django.utils.translation import gettext as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.permissions import AllowAny

from sync.api.exceptions import api_exception_handler
from sync.api.problems import problem
from sync.api.schema import SPECTACULAR_SETTINGS

SIDECAR_DIR = Path(drf_spectacular_sidecar.__file__).parent / "static" / "drf_spectacular_sidecar" / "swagger-ui-dist"
ASSETS = {
    "swagger-ui.css": "text/css",
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui-standalone-preset.js": "text/javascript",
    "favicon-32x32.png": "image/png",
}


class AgentSchemaView(SpectacularAPIView):
    http_method_names = ["get", "head"]

    def get_exception_handler(self):
        return api_exception_handler


def schema_view(api_patterns):
    return AgentSchemaView.as_view(
        patterns=[path("api/agent/v1/", include(api_patterns))],
        custom_settings=SPECTACULAR_SETTINGS,
        authentication_classes=[],
        permission_classes=[AllowAny],
    )


class AgentDocsView(SpectacularSwaggerView):
    authentication_classes: list = []
    http_method_names = ["get", "head"]  # no OPTIONS: its metadata cannot be rendered as the HTML page

    def get_exception_handler(self):
        return api_exception_handler

    permission_classes = [AllowAny]
    url_name = "agent-api-schema"
    title = "Biurko Agent API"

    @staticmethod
    def _swagger_ui_resource(filename):
        return reverse("agent-api-docs-asset", args=[filename])

    @staticmethod
    def _swagger_ui_favicon():
        return reverse("agent-api-docs-asset", args=["favicon-32x32.png"])


def docs_asset(request, name: str):
    content_type = ASSETS.get(name)
    if content_type is None:
        return problem("not_found", _("Not found."))
    response = FileResponse(open(SIDECAR_DIR / name, "rb"), content_type=content_type)  # noqa: SIM115
    response["Cache-Control"] = "public, max-age=86400"
    return response
