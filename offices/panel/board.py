"""The office's month board (``/panel/board/``): one month across the companies this staff login reviews.

Thin views: the board is ``clients.month_board.month_board``, the bulk actions are its ``send_summaries_of``,
``nudge_companies`` and ``settle_companies`` (settling goes through ``clients.office_settling``, audited), the
export is ``clients.month_board_export``. Companies are those of ``reviewable_companies`` only. The board's
rows are read in SQL a page at a time (``Paginator`` slices ``Board.rows``); its counts and totals come with it.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from clients import month_board_export
from clients.models import format_period
from clients.month_board import FILTERS, month_board, nudge_companies, send_summaries_of, settle_companies
from offices.panel.companies import reviewable_companies
from offices.panel.companies_forms import PER_PAGE, period_or_none

ACTIONS = {
    "send": gettext_lazy("Send the summary"),
    "nudge": gettext_lazy("Remind about payment"),
    "settle": gettext_lazy("Mark as settled"),
}


def default_period(today: date) -> date:
    """The month an office works on: the previous one (its taxes and ZUS are due this month)."""
    return date(today.year - 1, 12, 1) if today.month == 1 else date(today.year, today.month - 1, 1)


def _params(data) -> tuple[date, str, str]:
    period = period_or_none(data.get("period")) or default_period(timezone.localdate())
    key = data.get("filter") or ""
    return period, key if key in FILTERS else "", (data.get("q") or "")[:100]


def _query(period: date, key: str, q: str, **extra) -> str:
    return urlencode({name: value for name, value in (("period", format_period(period)), ("filter", key),
                                                       ("q", q), *extra.items()) if value})


def _board_url(period: date, key: str, q: str) -> str:
    return f"{reverse('panel:board')}?{_query(period, key, q)}"


@require_GET
def board(request):
    period, key, q = _params(request.GET)
    today = timezone.localdate()
    number = request.GET.get("page")
    result = month_board(reviewable_companies(request.user), period, today, filter_key=key, q=q,
                         page=number or 1, per_page=PER_PAGE)
    page = Paginator(result.rows, PER_PAGE).get_page(number)  # the page the board read with its counts
    filters = [(name, label, result.counts.get(name, 0), f"?{_query(period, name, q)}")
               for name, label in FILTERS.items()]
    context = {"board": result, "page": page, "rows": page.object_list, "filters": filters, "filter": key,
               "q": q, "period_label": format_period(period), "query": _query(period, key, q),
               "actions": ACTIONS, "back": _board_url(period, key, q)}
    return render(request, "offices/panel/board/board.html", context)


class BoardActionForm(forms.Form):
    """``scope``: "selected" (the ticked rows) or "matching" (every company of the filter, applied only while
    ``expected`` still equals their number)."""

    action = forms.ChoiceField(choices=list(ACTIONS.items()))
    period = forms.CharField()
    filter = forms.CharField(required=False)
    q = forms.CharField(required=False, max_length=100)
    company = forms.TypedMultipleChoiceField(coerce=int, choices=(), required=False)
    scope = forms.ChoiceField(choices=[("selected", "selected"), ("matching", "matching")], required=False)
    expected = forms.IntegerField(required=False, min_value=0)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Any integer is accepted here; the view keeps only the companies the user may review.
        self.fields["company"].valid_value = lambda value: str(value).isdigit()

    def clean_period(self):
        period = period_or_none(self.cleaned_data["period"])
        if period is None:
            raise forms.ValidationError(_("Choose a month."), code="period")
        return period


def _chosen(request, data, period: date, key: str, q: str) -> list | None:
    companies = reviewable_companies(request.user)
    if data["scope"] == "matching":
        # Re-run the board's filter on the server: every matching company, not only the page shown.
        rows = month_board(companies, period, timezone.localdate(), filter_key=key, q=q).rows
        if data["expected"] != len(rows):
            return None
        ids = [row.company_id for row in rows]
    else:
        ids = data["company"]
    return list(companies.filter(pk__in=ids).order_by("pk"))


def _message(action: str, result) -> str:
    if action == "send":
        return _("Summaries queued for %(count)d companies (the others had nothing new to send).") % {
            "count": result.companies}
    if action == "nudge":
        return _("Payment reminders queued: %(messages)d messages to %(companies)d companies (nothing for those "
                 "with nothing left to pay or already reminded today).") % {
            "messages": result.done, "companies": result.companies}
    return _("Marked as settled: %(count)d item(s); recorded in each company's history.") % {"count": result.done}


@require_POST
def board_action(request):
    """A bulk action on the ticked companies or on every company of the filter, for the board's month."""
    form = BoardActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose an action and a month."))
        return redirect(reverse("panel:board"))
    data = form.cleaned_data
    period, key, q = data["period"], data["filter"] if data["filter"] in FILTERS else "", data["q"]
    back = _board_url(period, key, q)
    chosen = _chosen(request, data, period, key, q)
    if chosen is None:
        messages.error(request, _("The companies of this filter changed since the page was shown; check them "
                                  "and try again."))
        return redirect(back)
    if not chosen:
        messages.error(request, _("Select at least one company."))
        return redirect(back)
    action = data["action"]
    if action == "send":
        result = send_summaries_of(chosen, period)
    elif action == "nudge":
        result = nudge_companies(chosen, period)
    else:
        result = settle_companies(chosen, period, by=request.user)
    messages.success(request, _message(action, result))
    return redirect(back)


@require_GET
def board_export(request):
    """The board's rows of the chosen filter (every page) as CSV or XLSX."""
    period, key, q = _params(request.GET)
    result = month_board(reviewable_companies(request.user), period, timezone.localdate(), filter_key=key, q=q)
    rows = month_board_export.board_rows(result.rows, period)
    name = f"biurko-tablica-{format_period(period)}" + (f"-{key}" if key else "")
    if request.GET.get("format") == "csv":
        response = StreamingHttpResponse(month_board_export.to_csv(rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    else:
        response = HttpResponse(month_board_export.to_xlsx(rows), content_type=(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
        response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    response["Cache-Control"] = "no-store"
    return response
