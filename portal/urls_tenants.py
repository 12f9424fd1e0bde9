from django.urls import include, path

from offices import statements, views
from offices.panel.views import office_logo

urlpatterns = [
    path("", views.home, name="home"),
    path("panel/", include("offices.panel.urls")),
    # before clients.urls: the client's statement upload needs the importers (offices/statements.py)
    path("client/statements/", statements.client_statements, name="client_statements"),
    path("client/statements/demo.sta", statements.client_demo_statement, name="client_demo_statement"),
    path("client/", include("clients.urls")),
    path("branding/logo/", office_logo, name="office_logo"),
    path("messaging/", include("clients.messaging.urls")),
    path("accounts/email/", views.manage_email),  # before allauth's own: clients may not add addresses
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/agent/v1/", include("sync.api.urls")),
]
