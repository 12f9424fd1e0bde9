"""RODO in the panel: a person's data with its export (JSON, PDF) and erasure; the office's privacy page.

Thin views over ``clients.privacy`` and ``clients.retention``. A person is reached only through a company
the staff login may review (``access_review_company``) and only when the person belongs to it (or was
erased from it): any other id — another company's person, another office's — is the same 404.
Erasure and the privacy page (access log, erasures, retention) are for owners and administrators.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from clients import privacy, retention
from clients.access import mask_pesel
from clients.models import DataAccess, Erasure
from offices.accounts.models import AuditAction, AuditEntry, OfficeSettings
from offices.accounts.services import update_office_settings
from offices.panel.companies import access_review_company, reviewable_companies


class EraseForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("E.g. the person's request of 1 December 2026 received by e-mail."))
    confirm = forms.BooleanField(
        label=gettext_lazy("I understand that the personal data will be removed for good and cannot be restored."))


class RetentionForm(forms.Form):
    retention_months = forms.IntegerField(
        label=gettext_lazy("Erase departed companies' personal data after (months)"), required=False,
        min_value=1, max_value=1200,
        help_text=gettext_lazy("Counted from when the company's synchronisation was switched off. Empty: never "
                               "automatically. The figures are kept as long as the tax law requires."))


def _person_or_404(request, company_id, person_id):
    company = access_review_company(request.user, company_id)
    person = privacy.person_of_company(company, person_id)
    if person is None:
        raise Http404
    return company, person


def _export_scope(user):
    """None (everything) for a login that reviews every company; else the companies it may review."""
    if user.is_office_admin or not OfficeSettings.load().bookkeepers_see_assigned_only:
        return None
    return reviewable_companies(user)


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def person_page(request, company_id: int, person_id: int):
    company, person = _person_or_404(request, company_id, person_id)
    privacy.record_access(request.user, DataAccess.What.PERSON, company=company, person=person)
    data = privacy.person_export(person, companies=_export_scope(request.user))
    context = {"company": company, "person": person, "data": data, "pesel": mask_pesel(person.pesel),
               "erasure": Erasure.objects.filter(person=person).first()}
    return _no_store(render(request, "offices/panel/privacy/person.html", context))


def _export(request, company_id: int, person_id: int, fmt: str) -> HttpResponse:
    company, person = _person_or_404(request, company_id, person_id)
    privacy.export_person(person, by=request.user, company=company)
    scope = _export_scope(request.user)
    if fmt == "pdf":
        response = HttpResponse(privacy.render_person_pdf(person, companies=scope), content_type="application/pdf")
    else:
        response = HttpResponse(privacy.person_export_json(person, companies=scope),
                                content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{privacy.export_filename(person, fmt)}"'
    return _no_store(response)


@require_GET
def person_export_json(request, company_id: int, person_id: int):
    return _export(request, company_id, person_id, "json")


@require_GET
def person_export_pdf(request, company_id: int, person_id: int):
    return _export(request, company_id, person_id, "pdf")


@require_http_methods(["GET", "POST"])
def person_erase(request, company_id: int, person_id: int):
    company, person = _person_or_404(request, company_id, person_id)
    erasure = Erasure.objects.filter(person=person).first()
    form = EraseForm(request.POST or None)
    if request.method == "POST" and erasure is not None:
        messages.info(request, _("This person's personal data was already erased."))
        return redirect("panel:company", company.pk)
    if request.method == "POST" and form.is_valid():
        try:
            privacy.erase_person(person, by=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The personal data was erased. The company's figures and approvals stay, "
                                        "as the tax law requires."))
            return redirect("panel:company", company.pk)
    context = {"company": company, "person": person, "form": form, "erasure": erasure,
               "pesel": mask_pesel(person.pesel)}
    return _no_store(render(request, "offices/panel/privacy/erase.html", context,
                            status=400 if form.errors else 200))


@require_http_methods(["GET", "POST"])
def privacy_page(request):
    """The office's privacy page: retention, what the next run erases, erasures and the access log."""
    settings_row = OfficeSettings.load()
    form = RetentionForm(request.POST or None, initial={"retention_months": settings_row.retention_months})
    if request.method == "POST" and form.is_valid():
        try:
            update_office_settings(request.tenant, {"retention_months": form.cleaned_data["retention_months"]},
                                   by=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The retention period was saved."))
            return redirect("panel:privacy")
    company = None
    if request.GET.get("company"):
        company = access_review_company(request.user, request.GET["company"])
    context = {
        "form": form, "company": company,
        "due": retention.retention_preview(settings_row.retention_months),
        "erasures": privacy.erasures(),
        "exports": AuditEntry.objects.filter(action=AuditAction.PERSONAL_DATA_EXPORTED)[:20],
        "accesses": privacy.access_log(company),
    }
    return _no_store(render(request, "offices/panel/privacy/office.html", context,
                            status=400 if form.errors else 200))
