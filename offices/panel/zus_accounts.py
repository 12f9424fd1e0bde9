"""The company page's payment forms: the office enters a company's ZUS account (NRS) and marks its approved
items settled (one item, one month, or everything up to a month)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from clients.office_settling import open_items, set_company_go_live, settle_approved, settle_item
from clients.zus_accounts import set_company_zus_account
from offices.panel.companies import access_review_company
from offices.panel.companies_forms import PeriodField


class ZusAccountForm(forms.Form):
    zus_account = forms.CharField(label=gettext_lazy("ZUS account (NRS)"), required=False, max_length=64,
                                  help_text=gettext_lazy("26 digits; empty: not known."))


@require_POST
def company_zus_account(request, company_id: int):
    company = access_review_company(request.user, company_id)
    form = ZusAccountForm(request.POST)
    page = reverse("panel:company", args=[company.pk])
    if not form.is_valid():
        messages.error(request, _("Enter the ZUS account as 26 digits."))
        return redirect(page)
    try:
        changed = set_company_zus_account(company, form.cleaned_data["zus_account"], by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(page)
    if not changed:
        messages.success(request, _("Nothing changed."))
    elif company.zus_account:
        messages.success(request, _("The ZUS account was saved: clients now see it on their ZUS items."))
    else:
        messages.success(request, _("The ZUS account was removed: clients are told it is missing."))
    return redirect(page)


class SettleForm(forms.Form):
    period = PeriodField(label=gettext_lazy("month"))
    scope = forms.ChoiceField(choices=[("month", gettext_lazy("this month")),
                                       ("up_to", gettext_lazy("everything up to this month"))])


@require_POST
def company_settle(request, company_id: int):
    """Mark the approved items settled by the office (audited); the client then sees them as paid."""
    company = access_review_company(request.user, company_id)
    form = SettleForm(request.POST)
    page = reverse("panel:company", args=[company.pk])
    if not form.is_valid():
        messages.error(request, " ".join(" ".join(errors) for errors in form.errors.values()))
        return redirect(page)
    month = form.cleaned_data["period"]
    if form.cleaned_data["scope"] == "up_to":
        counts = settle_approved([company], by=request.user, up_to=month)
    else:
        counts = settle_approved([company], by=request.user, period=month)
    messages.success(request, _("Marked as settled: %(count)d item(s).") % {"count": counts.recorded}
                     if counts.recorded else _("Nothing left to settle there."))
    return redirect(page)


@require_http_methods(["GET", "POST"])
def company_settle_item(request, company_id: int):
    """The company's approved items not settled yet (GET), and marking one of them (POST ``figure``: its
    anchor figure) settled by the office for its approved amount (audited)."""
    company = access_review_company(request.user, company_id)
    if request.method == "GET":
        return render(request, "offices/panel/companies/settle_items.html",
                      {"company": company, "items": open_items(company)})
    page = reverse("panel:company_settle_item", args=[company.pk])
    try:
        figure_id = int(request.POST.get("figure", ""))
    except ValueError:
        messages.error(request, _("Choose an item to settle."))
        return redirect(page)
    counts = settle_item(company, figure_id, by=request.user)
    if counts.recorded:
        messages.success(request, _("The item was marked as settled."))
    else:
        messages.info(request, _("Nothing left to settle there."))
    return redirect(page)


class GoLiveForm(forms.Form):
    go_live_month = PeriodField(label=gettext_lazy("go-live month"), required=False)


@require_POST
def company_go_live(request, company_id: int):
    """This company's own go-live month (empty: the office's)."""
    company = access_review_company(request.user, company_id)
    form = GoLiveForm(request.POST)
    page = reverse("panel:company", args=[company.pk])
    if not form.is_valid():
        messages.error(request, " ".join(" ".join(errors) for errors in form.errors.values()))
        return redirect(page)
    changed = set_company_go_live(company, form.cleaned_data["go_live_month"], by=request.user)
    messages.success(request, _("The go-live month was saved.") if changed else _("Nothing changed."))
    return redirect(page)
