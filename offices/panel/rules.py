"""Approval rules per data kind: on every sync, automatically on a day of the month, or only by hand."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from clients.models import ApprovalRule
from clients.rules import approval_rules as load_rules
from clients.rules import set_rule
from offices.panel.companies_forms import ApprovalRuleForm


@require_http_methods(["GET", "POST"])
def approval_rules(request):
    rules = load_rules()
    forms = {kind: ApprovalRuleForm(request.POST if request.method == "POST" else None, instance=rule, prefix=kind)
             for kind, rule in rules.items()}
    if request.method == "POST" and all(form.is_valid() for form in forms.values()):
        changed = 0
        for kind, form in forms.items():
            data = form.cleaned_data
            changed += set_rule(kind, data["mode"], day=data["day"], hour=data["hour"], by=request.user)
        messages.success(request, _("The approval rules were saved.") if changed else _("Nothing changed."))
        return redirect("panel:approval_rules")
    rows = [(ApprovalRule.Kind(kind).label, forms[kind]) for kind in rules]
    return render(request, "offices/panel/companies/rules.html", {"rows": rows},
                  status=400 if any(form.errors for form in forms.values()) else 200)
