"""One batch's page: what it created, updated or refused, and why each refused value was refused."""

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from sync.batch_report import count_groups, error_lines
from sync.importers.result import ReviewFlag
from sync.models import Batch


@require_GET
def batch(request, public_id: str):
    record = Batch.objects.select_related("agent").filter(public_id=public_id).first()
    if record is None:
        raise Http404
    event = record.events.filter(code=f"batch_{record.status}").first()
    details = event.details if event and isinstance(event.details, dict) else {}
    response = record.response if isinstance(record.response, dict) else {}
    companies = details.get("companies") or {}
    flags = [flag for flag in map(ReviewFlag.from_json, details.get("flags") or []) if flag is not None]
    return render(request, "offices/panel/eventlog/batch.html", {
        "batch": record, "groups": count_groups(response), "errors": error_lines(response, companies),
        "omitted": response.get("errors_omitted", 0), "flags": flags})
