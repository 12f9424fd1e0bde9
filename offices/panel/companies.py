"""The bookkeeper's side of the panel: the companies list, a company's page, approval and its tools.

Thin views: queries come from ``clients.review``, every write is a call to a ``clients`` service
(``clients.approval``, ``clients.services``, ``clients.sources``, ``clients.conflicts``,
``clients.messaging.services``). Companies are fetched through ``access_review_company`` only.

htmx requests get the changed fragment back (the list's table, the review area of a company page);
the same URLs without JS answer a plain POST with a redirect and show messages.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clients import payments, review
from clients.access import mask_pesel
from clients.approval import approve_company, approve_company_period, approve_revision
from clients.change_texts import field_label
from clients.conflicts import access_conflict, resolve_conflict
from clients.messaging.services import queue_summary
from clients.models import BasicDataConflict, Company, Figure, Revision, format_period
from clients.names import DATA_KIND_LABELS, program_name
from clients.privacy import record_company_view
from clients.services import release_manual, set_manual_value
from clients.settlements import unmatched_settlements
from clients.sources import (
    assign_bookkeeper,
    edit_basic_data,
    set_enabled,
    set_source_for_all,
    set_sources,
)
from clients.vocabulary import DATA_KINDS
from offices.accounts.models import STAFF_ROLES, OfficeSettings, User
from offices.panel.access import is_htmx
from offices.panel.companies_forms import (
    PER_PAGE,
    AssignForm,
    BasicDataForm,
    BulkApproveForm,
    CompanyFilterForm,
    ManualValueForm,
    SourcesForm,
    bookkeeper_choices,
    period_or_none,
    source_choices,
)
from sync import health
from sync.programs import PROGRAMS

TABS = ("taxes", "zus", "statements")


# --- Access ---------------------------------------------------------------------------------------


def reviewable_companies(user):
    """The companies this staff login reviews (a bookkeeper only their own when the office says so)."""
    return review.staff_companies(user, assigned_only=OfficeSettings.load().bookkeepers_see_assigned_only)


def access_review_company(user, company_id) -> Company:
    """The company if this staff login may review it; the same 404 for "missing" and "not yours"."""
    try:
        company_id = int(company_id)
    except (TypeError, ValueError):
        raise Http404 from None
    company = reviewable_companies(user).select_related("assigned_to").filter(pk=company_id).first()
    if company is None:
        raise Http404
    return company


def _access_figure(company: Company, figure_id) -> Figure:
    try:
        figure_id = int(figure_id)
    except (TypeError, ValueError):
        raise Http404 from None
    figure = Figure.objects.filter(pk=figure_id, company=company).first()
    if figure is None:
        raise Http404
    figure.company = company
    return figure


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return fallback


# --- Companies list -----------------------------------------------------------------------------------


def _filtered_rows(request, data):
    """The filter form bound to ``data`` and the companies matching it (the same for the list and for
    "all matching")."""
    form = CompanyFilterForm(data, bookkeepers=bookkeeper_choices())
    form.is_valid()  # invalid fields are simply ignored (cleaned_data holds the valid ones)
    cleaned = form.cleaned_data
    flt = review.CompanyFilter(q=cleaned.get("q") or "", unapproved=bool(cleaned.get("unapproved")),
                               missing_month=cleaned.get("missing"), program=cleaned.get("program") or "",
                               bookkeeper=cleaned.get("bookkeeper") or "", disabled=cleaned.get("disabled") or "",
                               without_zus_account=bool(cleaned.get("without_zus_account")),
                               sort=cleaned.get("sort") or "name")
    return form, review.company_list(reviewable_companies(request.user), flt)


def _list_context(request, data) -> dict:
    form, rows = _filtered_rows(request, data)
    page = Paginator(rows, PER_PAGE).get_page(data.get("page"))
    query = {key: value for key, value in data.items() if key not in ("page", "csrfmiddlewaretoken") and value}
    return {"form": form, "page": page, "companies": list(page.object_list), "query": urlencode(query),
            "companies_url": reverse("panel:companies"),
            "filtered": bool(query), "list_url": f"{reverse('panel:companies')}?{urlencode(query)}"
            if query else reverse("panel:companies")}


@require_GET
def companies(request):
    context = _list_context(request, request.GET)
    # Office administrators see an alert when an agent has been silent before a payment deadline.
    context["silent_agents"] = health.silent_agents() if request.user.is_office_admin else []
    if is_htmx(request) and request.headers.get("HX-Target") == "company-table":
        return render(request, "offices/panel/companies/_table.html", {**context, "partial": True})
    return render(request, "offices/panel/companies/list.html", context)


def _query_of(url: str) -> QueryDict:
    return QueryDict(url.split("?", 1)[1] if "?" in url else "")


def _chosen_companies(request, form, back: str):
    """The companies a bulk action applies to, or ``None`` with a confirmation to show first."""
    data = form.cleaned_data
    if data["scope"] == "matching":
        # Re-run the list's filters on the server: every matching company, not only the page shown.
        _form, rows = _filtered_rows(request, _query_of(back))
        if not data["confirmed"] or data["expected"] != rows.count():
            return None
        return list(rows.order_by("pk"))
    ids = data["page_company"] if data["scope"] == "page" else data["company"]
    return list(reviewable_companies(request.user).filter(pk__in=ids).order_by("pk"))


def _confirm_matching(request, form, back: str):
    """The "approve all N matching" confirmation (also when the count changed since the list was shown)."""
    _form, rows = _filtered_rows(request, _query_of(back))
    count = rows.count()
    data = form.cleaned_data
    context = {"count": count, "next": back, "send_summary": data["send_summary"],
               "changed": data["confirmed"] and data["expected"] != count}
    template = ("offices/panel/companies/_confirm_all.html" if is_htmx(request)
                else "offices/panel/companies/confirm_all.html")
    return render(request, template, context)


def _approve_companies(request, chosen: list[Company], send_summary: bool) -> str:
    approved_values = approved_companies = summaries = 0
    with transaction.atomic():
        for company in chosen:
            result = approve_company(company, by_user=request.user)
            approved_values += result.approved
            approved_companies += 1 if result.approved else 0
        if send_summary:
            latest = review.latest_approved_periods([company.pk for company in chosen])
            for company in chosen:
                if company.enabled and company.pk in latest:
                    summaries += queue_summary(company, latest[company.pk])
    text = ngettext("Approved %(values)d value in %(companies)d company.",
                    "Approved %(values)d values in %(companies)d companies.", approved_companies) % {
        "values": approved_values, "companies": approved_companies}
    if send_summary:
        text += " " + ngettext("%(count)d summary queued.", "%(count)d summaries queued.", summaries) % {
            "count": summaries}
    return text


@require_POST
def companies_approve(request):
    """Approve every pending value of the selected companies (the ticked rows, the page, or every company
    matching the filters after a confirmation); optionally queue their latest month's summary."""
    form = BulkApproveForm(request.POST)
    back = _safe_next(request, reverse("panel:companies"))
    if not form.is_valid():
        messages.error(request, _("Select at least one company."))
    else:
        chosen = _chosen_companies(request, form, back)
        if chosen is None:
            return _confirm_matching(request, form, back)
        messages.success(request, _approve_companies(request, chosen, form.cleaned_data["send_summary"]))
    if is_htmx(request):
        context = _list_context(request, _query_of(back))
        return render(request, "offices/panel/companies/_table.html", {**context, "partial": True})
    return redirect(back)


# --- Company page ---------------------------------------------------------------------------------------


def _source_rows(company: Company, month: review.MonthRow | None) -> list[dict]:
    rows = []
    for kind in DATA_KINDS:
        code = company.source_for(kind)
        program = PROGRAMS.get(code) if code else None
        rows.append({
            "kind": kind, "label": DATA_KIND_LABELS[kind], "code": code, "name": program_name(code) if code else "",
            "provides": program.provides(kind) if program else False,
            "has_data": month is not None and kind in month.kinds,
        })
    return rows


def _review_context(request, company: Company, period_param: str | None, tab: str | None) -> dict:
    months = review.company_months(company)
    by_label = {month.label: month for month in months}
    month = by_label.get(period_param or "")
    if month is None and months:
        month = next((m for m in months if m.pending), months[0])
    tab = tab if tab in TABS else None
    if tab is None and month is not None:
        # The first tab with something to approve, else the first with data.
        tab = next((kind for kind in TABS if kind in month.pending_kinds),
                   next((kind for kind in TABS if kind in month.kinds), None))
    tab = tab or TABS[0]
    rows = review.month_rows(company, month.period, tab) if month else []
    source = company.source_for(tab)
    program = PROGRAMS.get(source) if source else None
    return {
        "company": company, "months": months, "month": month, "tab": tab, "tabs": [
            (kind, DATA_KIND_LABELS[kind], month is not None and kind in month.kinds,
             month is not None and kind in month.pending_kinds) for kind in TABS],
        "rows": rows, "pending_rows": sum(1 for row in rows if row.pending),
        "month_grid": review.month_grid(months), "has_any_pending": any(m.pending for m in months),
        "tab_source": source, "tab_source_name": program_name(source) if source else "",
        "tab_program_lacks": program is not None and not program.provides(tab),
        "manual_form": ManualValueForm(initial={"period": month.label if month else "", "approve": True}),
    }


def _page_context(request, company: Company, **extra) -> dict:
    context = _review_context(request, company, request.GET.get("period"), request.GET.get("tab"))
    people = review.company_people(company)
    context.update({
        "people": [(link, mask_pesel(link.person.pesel)) for link in people],
        "sources": _source_rows(company, context["month"]),
        # Selects are written out in the template (Django's widget templates cost ~5 ms per select here).
        "source_choices": source_choices(), "assigned_id": str(company.assigned_to_id or ""),
        "conflicts": review.open_conflicts(company),
        "audit": review.company_audit(company),
        "assign_form": AssignForm(initial={"bookkeeper": company.assigned_to_id or ""})
        if request.user.is_office_admin else None,
        "basic_program": program_name(company.basic_data_program) if company.basic_data_program else "",
        "office_edited": [field_label(name) for name in sorted(company.office_edited or ())],
        "zus_account_display": payments.format_account(company.zus_account) if company.zus_account else "",
        "unmatched_settlements": [(row, mask_pesel(row.payer_key) if len(row.payer_key) == 11 else row.payer_key)
                                  for row in unmatched_settlements(company=company)],
        **extra,
    })
    return context


def _company_url(company: Company, period: str | None = None, tab: str | None = None) -> str:
    url = reverse("panel:company", args=[company.pk])
    query = {key: value for key, value in (("period", period), ("tab", tab)) if value}
    return f"{url}?{urlencode(query)}" if query else url


@require_GET
def company(request, company_id: int):
    company = access_review_company(request.user, company_id)
    if is_htmx(request) and request.headers.get("HX-Target") == "review":
        context = _review_context(request, company, request.GET.get("period"), request.GET.get("tab"))
        return render(request, "offices/panel/companies/_review.html", context)
    record_company_view(request.user, company)  # the RODO access log: one INSERT
    return render(request, "offices/panel/companies/company.html", _page_context(request, company))


def _after_review_change(request, company: Company, text: str, *, level=messages.SUCCESS):
    """htmx: the refreshed review area (with the message inside); otherwise back to the page."""
    period, tab = request.POST.get("period_view") or request.POST.get("period"), request.POST.get("tab")
    if is_htmx(request):
        context = _review_context(request, company, period, tab)
        context["review_message"] = (text, "error" if level == messages.ERROR else "success")
        return render(request, "offices/panel/companies/_review.html", context)
    messages.add_message(request, level, text)
    return redirect(_company_url(company, period, tab))


@require_POST
def company_approve(request, company_id: int):
    """Approve one value (``revision``), one month (``period``) or everything (``all``)."""
    company = access_review_company(request.user, company_id)
    if request.POST.get("revision"):
        try:
            revision_id = int(request.POST["revision"])
        except ValueError:
            raise Http404 from None
        revision = Revision.objects.filter(pk=revision_id, figure__company=company).select_related(
            "figure").first()
        if revision is None:
            raise Http404
        revision.figure.company = company
        result = approve_revision(revision, by_user=request.user)
    elif request.POST.get("all"):
        result = approve_company(company, by_user=request.user)
    else:
        period = period_or_none(request.POST.get("period"))
        if period is None:
            return _after_review_change(request, company, _("Choose a month to approve."), level=messages.ERROR)
        result = approve_company_period(company, period, by_user=request.user)
    return _after_review_change(request, company, result.message)


@require_POST
def company_manual(request, company_id: int):
    company = access_review_company(request.user, company_id)
    form = ManualValueForm(request.POST)
    if not form.is_valid():
        if is_htmx(request):
            context = _review_context(request, company, request.POST.get("period_view"), request.POST.get("tab"))
            context["manual_form"] = form
            context["manual_open"] = True
            return render(request, "offices/panel/companies/_review.html", context, status=400)
        context = _page_context(request, company, manual_form=form, manual_open=True)
        return render(request, "offices/panel/companies/company.html", context, status=400)
    data = form.cleaned_data
    set_manual_value(company, data["period"], data["kind"], data["amount"], by=request.user,
                     payer_key=data["payer_key"], due_date=data["due_date"], approve=data["approve"])
    request.POST = request.POST.copy()
    request.POST["period_view"] = format_period(data["period"])
    request.POST["tab"] = review.data_kind_of(data["kind"])
    return _after_review_change(request, company, _("The manual value was saved; synchronisation leaves it alone "
                                                    "until you release it."))


@require_POST
def company_release(request, company_id: int, figure_id: int):
    company = access_review_company(request.user, company_id)
    figure = _access_figure(company, figure_id)
    released = release_manual(figure, by=request.user)
    text = (_("Released: the next synchronisation updates this value again.") if released
            else _("This value was not held by a manual value."))
    return _after_review_change(request, company, text)


def _back_to_page(request, company: Company, text: str, level=messages.SUCCESS):
    messages.add_message(request, level, text)
    if is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = _company_url(company, request.POST.get("period_view"), request.POST.get("tab"))
        return response
    return redirect(_company_url(company, request.POST.get("period_view"), request.POST.get("tab")))


@require_POST
def company_sources(request, company_id: int):
    company = access_review_company(request.user, company_id)
    form = SourcesForm(request.POST)
    if not form.is_valid():
        return _back_to_page(request, company, _("Choose a program from the list."), messages.ERROR)
    data = form.cleaned_data
    carried = [kind for kind in DATA_KINDS if kind in data]
    changed = set_sources(company, {kind: data[kind] or None for kind in carried}, by=request.user)
    texts = [_("The source programs were saved.") if changed else _("Nothing changed.")]
    for kind in [kind for kind in data.get("for_all", []) if kind in carried]:
        count = set_source_for_all(kind, data[kind] or None, by=request.user,
                                   companies=reviewable_companies(request.user))
        texts.append(ngettext("%(kind)s: changed in %(count)d company.", "%(kind)s: changed in %(count)d companies.",
                              count) % {"kind": DATA_KIND_LABELS[kind], "count": count})
    return _back_to_page(request, company, " ".join(texts))


@require_POST
def company_enabled(request, company_id: int):
    company = access_review_company(request.user, company_id)
    enabled = request.POST.get("enabled") == "1"
    set_enabled(company, enabled, by=request.user)
    text = (_("Synchronisation of this company is on.") if enabled
            else _("Synchronisation of this company is off: agents no longer update it."))
    return _back_to_page(request, company, text)


@require_POST
def company_assign(request, company_id: int):
    if not request.user.is_office_admin:
        raise Http404
    company = access_review_company(request.user, company_id)
    form = AssignForm(request.POST)
    if not form.is_valid():
        return _back_to_page(request, company, _("Choose a staff member from the list."), messages.ERROR)
    chosen = form.cleaned_data["bookkeeper"]
    bookkeeper = User.objects.filter(pk=int(chosen), role__in=STAFF_ROLES).first() if chosen else None
    assign_bookkeeper(company, bookkeeper, by=request.user)
    return _back_to_page(request, company, _("The bookkeeper was saved."))


@require_http_methods(["GET", "POST"])
def company_basic(request, company_id: int):
    company = access_review_company(request.user, company_id)
    form = BasicDataForm(request.POST if request.method == "POST" else None,
                         instance=Company.objects.get(pk=company.pk))
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in form.fields}
        try:
            changed = edit_basic_data(company, values, by=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The basic data was saved.") if changed else _("Nothing changed."))
            return redirect(_company_url(company))
    return render(request, "offices/panel/companies/basic.html", {"company": company, "form": form},
                  status=400 if form.errors else 200)


@require_POST
def company_conflict(request, company_id: int, conflict_id: int):
    company = access_review_company(request.user, company_id)
    conflict = access_conflict(company, conflict_id)
    resolution = request.POST.get("resolution")
    if resolution not in BasicDataConflict.Resolution.values:
        return _back_to_page(request, company, _("Choose which value to keep."), messages.ERROR)
    resolve_conflict(conflict, resolution, by=request.user)
    text = (_("The program's value was taken.") if resolution == BasicDataConflict.Resolution.THEIRS
            else _("The office's value was kept."))
    return _back_to_page(request, company, text)

