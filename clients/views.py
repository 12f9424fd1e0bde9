"""Client views: what to pay, by when, to which account; months, history, the PDF, preferences.

Thin: every id goes through ``clients.access`` (the same 404 for "missing" and "not yours"), data comes
from ``clients.dashboard`` and writes go through ``clients.self_service``. Staff logins get 404 here (they
see clients' data in the panel).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clients import dashboard as read
from clients.access import access_company, access_figure, is_client, memberships_of, person_of
from clients.charts import revenue_costs_svg
from clients.forms import PreferencesForm
from clients.models import parse_period
from clients.payments import payment_qr_svg
from clients.pdf import month_pdf_filename, render_month_pdf
from clients.self_service import mark_paid, set_preferences, unmark_paid


def _require_client(request) -> None:
    if not is_client(request.user):
        raise Http404


def _period(value: str):
    try:
        return parse_period(value)
    except ValueError:
        raise Http404 from None


def _back(request, fallback: str):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                   require_https=request.is_secure()):
        return redirect(target)
    return redirect(fallback)


@login_required
@require_GET
def dashboard(request):
    _require_client(request)
    boards = read.dashboard_for(request.user, timezone.localdate())
    return render(request, "clients/dashboard.html", {"boards": boards})


@login_required
@require_GET
def company(request, company_id):
    _require_client(request)
    company = access_company(request.user, company_id)
    today = timezone.localdate()
    months = read.history_for(company, today)
    chart = None
    if months:
        year = read.year_chart(company, months[0].period.year)
        chart = revenue_costs_svg(year, year=months[0].period.year)
    return render(request, "clients/company.html", {"company": company, "months": months, "chart": chart})


@login_required
@require_GET
def month(request, company_id, period):
    _require_client(request)
    company = access_company(request.user, company_id)
    period = _period(period)
    view = read.month_view(company, period, timezone.localdate())
    chart = revenue_costs_svg(view.year, year=period.year, highlight=period)
    return render(request, "clients/month.html", {"company": company, "view": view, "chart": chart})


@login_required
@require_GET
def month_pdf(request, company_id, period):
    _require_client(request)
    company = access_company(request.user, company_id)
    period = _period(period)
    content = render_month_pdf(company, period, office=request.tenant)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{month_pdf_filename(company, period)}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def item_qr(request, company_id, figure_id):
    _require_client(request)
    figure = access_figure(request.user, company_id, figure_id)
    item = read.item_for_figure(figure, timezone.localdate())
    if item is None or not item.qr_payload:
        raise Http404
    response = HttpResponse(payment_qr_svg(item.qr_payload, scale=4, title=item.name),
                            content_type="image/svg+xml; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def mark_item(request, company_id, figure_id):
    """POST ``action=paid`` (mark) or ``action=undo``; idempotent either way."""
    _require_client(request)
    figure = access_figure(request.user, company_id, figure_id)
    item = read.item_for_figure(figure, timezone.localdate())
    if item is None:
        raise Http404
    action = request.POST.get("action", "paid")
    if action == "undo":
        unmark_paid(item)
        messages.info(request, _("%(item)s %(period)s: marked as not paid.") % {"item": item.name,
                                                                              "period": item.period_label})
    elif action == "paid":
        try:
            mark_paid(item, by=request.user)
        except ValidationError as error:
            messages.error(request, error.messages[0])
        else:
            messages.success(request, _("%(item)s %(period)s: marked as paid.") % {"item": item.name,
                                                                                 "period": item.period_label})
    else:
        return HttpResponse(_("Unknown action."), status=400, content_type="text/plain; charset=utf-8")
    return _back(request, "clients:dashboard")


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request):
    _require_client(request)
    person = person_of(request.user)
    if person is None:
        raise Http404
    initial = {"notify_email": person.notify_email, "notify_sms": person.notify_sms, "phone": person.phone,
               "opted_out": person.opted_out}
    form = PreferencesForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            set_preferences(person, **form.cleaned_data)
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                for message in errors:
                    form.add_error(field if field in form.fields else None, message)
        else:
            messages.success(request, _("Your choices are saved."))
            return redirect("clients:preferences")
    return render(request, "clients/preferences.html", {"form": form, "person": person,
                                                         "memberships": memberships_of(request.user)},
                  status=400 if form.errors else 200)

