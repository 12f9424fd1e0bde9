"""Export of approved figures for a month or a company (CSV, XLSX)."""

import itertools

from django import forms
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from clients import export
from clients.models import format_period
from clients.privacy import record_figures_export
from offices.panel.companies import access_review_company, reviewable_companies
from offices.panel.companies_forms import PeriodField


class ExportForm(forms.Form):
    period = PeriodField(label=_("month"), required=False)
    company = forms.IntegerField(required=False, widget=forms.HiddenInput)
    format = forms.ChoiceField(label=_("format"), choices=[("xlsx", "Excel (XLSX)"), ("csv", "CSV")],
                               initial="xlsx", widget=forms.RadioSelect)

    def clean(self):
        data = super().clean()
        if not data.get("period") and not data.get("company"):
            raise forms.ValidationError(_("Choose a month (or export from a company's page)."), code="no_scope")
        return data


@require_GET
def export_page(request):
    company = access_review_company(request.user, request.GET["company"]) if request.GET.get("company") else None
    form = ExportForm(initial={"company": company.pk if company else None, "format": "xlsx"})
    return render(request, "offices/panel/export/export.html", {"form": form, "company": company})


@require_GET
def export_download(request):
    form = ExportForm(request.GET)
    company = None
    if request.GET.get("company"):
        company = access_review_company(request.user, request.GET["company"])
    if not form.is_valid():
        return render(request, "offices/panel/export/export.html", {"form": form, "company": company}, status=400)
    period = form.cleaned_data["period"]
    rows = export.approved_rows(reviewable_companies(request.user), period=period, company=company)
    first = next(rows, None)
    if first is None:
        # A header-only file would look like a broken export: say why there is nothing instead.
        form.add_error(None, forms.ValidationError(
            _("Nothing to export: no approved values for this selection."), code="empty"))
        return render(request, "offices/panel/export/export.html", {"form": form, "company": company})
    rows = itertools.chain([first], rows)
    if company is not None:
        record_figures_export(request.user, company)  # the RODO access log
    name = "biurko-" + "-".join(part for part in (company.nip if company else "",
                                                   format_period(period) if period else "") if part)
    if form.cleaned_data["format"] == "csv":
        response = StreamingHttpResponse(export.to_csv(rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    else:
        response = HttpResponse(export.to_xlsx(rows), content_type=(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
        response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    response["Cache-Control"] = "no-store"
    return response
