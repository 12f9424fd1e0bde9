from django.urls import path, register_converter

from clients import views


class PeriodConverter:
    """``2026-10`` in a URL; the view turns it into the first day of the month (404 for a month 13)."""

    regex = r"[0-9]{4}-[0-9]{2}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value) -> str:
        return value if isinstance(value, str) else f"{value.year:04d}-{value.month:02d}"


register_converter(PeriodConverter, "period")

app_name = "clients"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("preferences/", views.preferences, name="preferences"),
    path("preferences/calendar/", views.rotate_calendar, name="rotate_calendar"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
    path("company/<int:company_id>/", views.company, name="company"),
    path("company/<int:company_id>/<period:period>/", views.month, name="month"),
    path("company/<int:company_id>/<period:period>/pdf/", views.month_pdf, name="month_pdf"),
    path("company/<int:company_id>/item/<int:figure_id>/qr.svg", views.item_qr, name="item_qr"),
    path("company/<int:company_id>/item/<int:figure_id>/paid/", views.mark_item, name="mark_item"),
]
