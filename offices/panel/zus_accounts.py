"""The company page's ZUS account (NRS) form: the office enters, corrects or clears a company's NRS."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from clients.zus_accounts import set_company_zus_account
from offices.panel.companies import access_review_company


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
