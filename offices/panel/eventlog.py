"""The event log (dziennik zdarzeń): every batch and agent event, filterable; agents' error reports for admins."""

from datetime import datetime, time, timedelta

from django import forms
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from clients.names import program_choices
from offices.panel.access import is_htmx
from sync.explanations import explain
from sync.models import ErrorReport, Event, EventLevel

PER_PAGE = 100


class EventFilterForm(forms.Form):
    level = forms.ChoiceField(label=_("level"), required=False, choices=[("", _("all"))] + EventLevel.choices)
    program = forms.ChoiceField(label=_("program"), required=False)
    nip = forms.CharField(label=_("company (NIP)"), required=False, max_length=13)
    day_from = forms.DateField(label=_("from"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    day_to = forms.DateField(label=_("to"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["program"].choices = [("", _("any"))] + program_choices()

    def clean_nip(self):
        return "".join(ch for ch in self.cleaned_data.get("nip") or "" if ch.isdigit())


def _day_start(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


@require_GET
def events(request):
    form = EventFilterForm(request.GET)
    form.is_valid()
    data = form.cleaned_data
    rows = Event.objects.select_related("agent", "batch")
    if data.get("level"):
        rows = rows.filter(level=data["level"])
    if data.get("program"):
        rows = rows.filter(program=data["program"])
    if data.get("nip"):
        rows = rows.filter(nip=data["nip"])
    if data.get("day_from"):
        rows = rows.filter(at__gte=_day_start(data["day_from"]))
    if data.get("day_to"):
        rows = rows.filter(at__lt=_day_start(data["day_to"] + timedelta(days=1)))
    page = Paginator(rows.order_by("-at", "-id"), PER_PAGE).get_page(request.GET.get("page"))
    entries = [(event, explain(event.code)) for event in page.object_list]
    query = "&".join(f"{key}={value}" for key, value in request.GET.items() if key != "page" and value)
    context = {"form": form, "page": page, "entries": entries, "query": query,
               "reports": list(ErrorReport.objects.select_related("agent")[:20])
               if request.user.is_office_admin else None}
    if is_htmx(request) and request.headers.get("HX-Target") == "event-table":
        return render(request, "offices/panel/eventlog/_table.html", context)
    return render(request, "offices/panel/eventlog/events.html", context)


@require_GET
def error_report(request, report_id: int):
    report = ErrorReport.objects.select_related("agent").filter(pk=report_id).first()
    if report is None:
        raise Http404
    return render(request, "offices/panel/eventlog/error_report.html", {"report": report})
