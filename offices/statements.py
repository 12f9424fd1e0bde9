"""A client uploads a bank statement of their own company (docs/client-views.md, "Bank statements").

Only a client login, only a company it may see the money of (``clients.access``: the same 404 for "missing"
and "not yours"); a statement of another company's account is refused as a whole
(``clients.bank_statements``). Lives among the entry points because it needs the importers (``sync``), which
the client views in ``clients`` may not import.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from clients.access import access_company, is_client, memberships_of
from clients.bank_statements import StatementRefusedError, demo_statement_file
from clients.models import StatementSource
from sync.importers import ExchangeFileError, default_limits, parse_statement
from sync.statements import import_and_record


class ClientStatementForm(forms.Form):
    company = forms.TypedChoiceField(label=gettext_lazy("Company"), coerce=int)
    file = forms.FileField(label=gettext_lazy("Bank statement"), allow_empty_file=True, help_text=gettext_lazy(
        "MT940 or CAMT.053, as your bank exports it (in internet banking: history → export)."),
        widget=forms.ClearableFileInput(attrs={"accept": ".sta,.mt940,.940,.txt,.xml"}))

    def __init__(self, *args, companies, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["company"].choices = [(company.pk, company.name or company.nip) for company in companies]


def _companies(user):
    return [membership.company for membership in memberships_of(user) if membership.financial]


@login_required
@require_http_methods(["GET", "POST"])
def client_statements(request):
    if not is_client(request.user):
        raise Http404
    companies = _companies(request.user)
    if not companies:
        raise Http404
    form = ClientStatementForm(request.POST or None, request.FILES or None, companies=companies)
    context = {"form": form, "demo_statement": demo_statement_file() is not None}
    if request.method != "POST":
        return render(request, "clients/statements/upload.html", context)
    if not form.is_valid():
        return render(request, "clients/statements/upload.html", context, status=422)
    company = access_company(request.user, form.cleaned_data["company"])
    upload = form.cleaned_data["file"]
    limits = default_limits()
    try:
        if upload.size > limits.max_bytes:
            raise ExchangeFileError(_("The file is %(size)s bytes; the limit is %(limit)s bytes.")
                                    % {"size": upload.size, "limit": limits.max_bytes}, code="too_large")
        parsed = parse_statement(upload.read(), filename=(upload.name or "")[:200], limits=limits)
        _record, outcomes = import_and_record(parsed, source=StatementSource.CLIENT, by=request.user,
                                              company=company)
    except (ExchangeFileError, StatementRefusedError) as error:
        return render(request, "clients/statements/upload.html", {**context, "error": error}, status=422)
    return render(request, "clients/statements/upload.html",
                  {**context, "outcomes": outcomes, "company": company, "parsed": parsed})


@login_required
@require_GET
def client_demo_statement(request):
    content = demo_statement_file() if is_client(request.user) else None
    if content is None:
        raise Http404
    response = HttpResponse(content, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="wyciag-demo.sta"'
    return response
