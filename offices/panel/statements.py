"""Bank statements in the panel: import one on the "Import files" page, and the page of unmatched settlements
(from the books, agent API v1.1, and from bank statements) with their reasons (docs/office-panel.md)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clients.access import mask_pesel
from clients.bank_statements import StatementRefusedError, demo_statement_file, recheck_unmatched, unmatched_lines
from clients.models import StatementSource
from clients.settlements import unmatched_settlements
from sync.importers import ExchangeFileError, default_limits, parse_statement
from sync.statements import import_and_record


class StatementForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Bank statement"), allow_empty_file=True, help_text=gettext_lazy(
        "MT940 (the text file Polish banks export) or CAMT.053 (XML)."),
        widget=forms.ClearableFileInput(attrs={"accept": ".sta,.mt940,.940,.txt,.xml"}))


def read_statement_upload(upload):
    """The parsed statement of an uploaded file, or the ``ExchangeFileError`` saying why not."""
    limits = default_limits()
    if upload.size > limits.max_bytes:
        return ExchangeFileError(_("The file is %(size)s bytes; the limit is %(limit)s bytes.")
                                 % {"size": upload.size, "limit": limits.max_bytes}, code="too_large")
    try:
        return parse_statement(upload.read(), filename=(upload.name or "")[:200], limits=limits)
    except ExchangeFileError as error:
        return error


@require_http_methods(["GET", "POST"])
def statement_upload(request):
    form = StatementForm(request.POST or None, request.FILES or None)
    if request.method != "POST":
        return redirect("panel:upload")
    if not form.is_valid():
        return render(request, "offices/panel/statements/result.html", {"form": form}, status=422)
    parsed = read_statement_upload(form.cleaned_data["file"])
    if isinstance(parsed, ExchangeFileError):
        return render(request, "offices/panel/statements/result.html", {"form": form, "error": parsed}, status=422)
    try:
        record, outcomes = import_and_record(parsed, source=StatementSource.PANEL, by=request.user)
    except StatementRefusedError as refused:  # only a client's upload is refused as a whole; kept for safety
        return render(request, "offices/panel/statements/result.html", {"form": form, "error": refused}, status=422)
    return render(request, "offices/panel/statements/result.html",
                  {"record": record, "outcomes": outcomes, "parsed": parsed})


@require_GET
def unmatched(request):
    books = [(row, mask_pesel(row.payer_key) if len(row.payer_key) == 11 else row.payer_key)
             for row in unmatched_settlements(limit=200)]
    return render(request, "offices/panel/statements/unmatched.html",
                  {"books": books, "lines": unmatched_lines(limit=200)})


@require_POST
def unmatched_recheck(request):
    outcome = recheck_unmatched(by=request.user)
    if outcome.matched:
        messages.success(request, _("Checked again: %(count)d payment(s) now settle their items.")
                         % {"count": len(outcome.matched)})
    else:
        messages.info(request, _("Checked again: no payment matches an item yet."))
    return redirect("panel:unmatched")


def demo_statement_response() -> HttpResponse:
    """The demo office's bank statement to try the import with (offices.demo); 404 in any other office."""
    content = demo_statement_file()
    if content is None:
        raise Http404
    response = HttpResponse(content, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="wyciag-demo.sta"'
    return response


@require_GET
def demo_statement(request):
    return demo_statement_response()
