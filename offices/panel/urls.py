"""The panel's URLs. Every route goes through ``staff`` or ``admin`` below, so every view is wrapped by
``offices.panel.access`` (``tests/offices/test_panel_access.py`` checks that none escapes)."""

from django.urls import path

from offices.panel import views
from offices.panel.access import admin_required, staff_required

app_name = "panel"


def staff(route: str, view, name: str):
    return path(route, staff_required(view), name=name)


def admin(route: str, view, name: str):
    return path(route, admin_required(view), name=name)


urlpatterns = [
    staff("", views.home, "home"),
    admin("agents/", views.agents, "agents"),
    admin("agents/<int:agent_id>/revoke/", views.agent_revoke, "agent_revoke"),
    admin("staff/", views.staff, "staff"),
    admin("staff/<int:user_id>/role/", views.staff_role, "staff_role"),
    admin("staff/<int:user_id>/deactivate/", views.staff_deactivate, "staff_deactivate"),
    admin("staff/<int:user_id>/reactivate/", views.staff_reactivate, "staff_reactivate"),
    admin("staff/<int:user_id>/resend/", views.staff_resend, "staff_resend"),
    admin("settings/", views.office_settings, "settings"),
]
