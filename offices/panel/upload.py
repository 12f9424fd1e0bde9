"""Importing exchange files in the panel: upload → preview → apply.

1. ``upload`` (POST): every file (a ZIP gives its members) is parsed by ``sync.importers``; a refused
   file is listed with the importer's message and kept out. The accepted files are stored in the office's
   default storage (per-office prefix) under a random key, with a manifest naming the uploader, and the
   preview (``sync.preview.preview_batch``: the real ingestion rolled back) is shown per file and company.
2. ``upload_apply`` (POST): the stored files are parsed again (deterministic) and each is applied with
   ``sync.recording.apply_and_record`` like a batch from program ``file_import`` (a ``Batch`` row and its
   event), plus a ``panel_upload`` event naming who uploaded it. Files naming companies the
   office does not have are applied to them only when their "create" box is ticked (ticked by default
   when the office creates companies from synchronisation). The stored files are deleted afterwards;
   an upload can be applied once (an advisory lock serialises double submissions).
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import time
from dataclasses import dataclass, field, replace
from datetime import timedelta

from django import forms
from django.contrib import messages
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from clients.bank_statements import DEMO_STATEMENT_PATH
from clients.models import Company
from offices.accounts.models import OfficeSettings
from sync.importers import ExchangeFileError, ImportResult, default_limits, detect_and_parse, iter_zip_members
from sync.models import Batch
from sync.preview import BatchPreview, preview_batch, review_flags
from sync.recording import apply_and_record, record_panel_upload

UPLOAD_DIR = "panel-uploads"
MAX_FILES = 50
KEEP_FOR = timedelta(hours=24)
_KEY = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
_ZIP_MAGIC = b"PK\x03\x04"


class _MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class _MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", _MultipleFileInput(attrs={"accept": ".xml,.zip"}))
        kwargs.setdefault("allow_empty_file", True)  # the importer says what is wrong with an empty file
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data]
        if not any(files):
            raise forms.ValidationError(_("Choose at least one file."), code="required")
        if len(files) > MAX_FILES:
            raise forms.ValidationError(_("At most %(max)d files at a time; put more into a ZIP archive.")
                                        % {"max": MAX_FILES}, code="too_many")
        return [super(_MultipleFileField, self).clean(item, initial) for item in files]


class UploadForm(forms.Form):
    files = _MultipleFileField(label=gettext_lazy("Files"), help_text=gettext_lazy(
        "JPK_V7M / JPK_V7K or KEDU (Płatnik) XML files, or ZIP archives of them."))


@dataclass
class FileOutcome:
    """One file of an upload: parsed (``result`` + ``preview``) or refused (``error``)."""

    index: int
    name: str
    result: ImportResult | None = None
    preview: BatchPreview | None = None
    error: ExchangeFileError | None = None
    number: int | None = None  # position among the accepted (stored) files: the "create" box's value

    @property
    def unknown_nips(self) -> list[str]:
        return [row.nip for row in self.preview.unknown] if self.preview else []


@dataclass
class Parsed:
    files: list[FileOutcome] = field(default_factory=list)

    @property
    def accepted(self) -> list[FileOutcome]:
        return [outcome for outcome in self.files if outcome.error is None]

    @property
    def refused(self) -> list[FileOutcome]:
        return [outcome for outcome in self.files if outcome.error is not None]


# --- storage -----------------------------------------------------------------------------------------

def _manifest_path(key: str) -> str:
    return f"{UPLOAD_DIR}/{key}/manifest.json"


def _delete_upload(key: str) -> None:
    folder = f"{UPLOAD_DIR}/{key}"
    try:
        _dirs, names = default_storage.listdir(folder)
    except (FileNotFoundError, NotADirectoryError, OSError):
        return
    for name in names:
        default_storage.delete(f"{folder}/{name}")
    try:
        default_storage.delete(folder)  # the folder itself (file-system storage); harmless elsewhere
    except OSError:
        pass


def _delete_stale_uploads() -> None:
    """Uploads previewed but never applied are kept ``KEEP_FOR`` at most."""
    try:
        keys, _files = default_storage.listdir(UPLOAD_DIR)
    except (FileNotFoundError, NotADirectoryError, OSError):
        return
    limit = timezone.now() - KEEP_FOR
    for key in keys:
        try:
            created = default_storage.get_created_time(_manifest_path(key))
        except (FileNotFoundError, OSError, NotImplementedError):
            created = None
        if created is None or created < limit:
            _delete_upload(key)


def _load_manifest(key: str, user) -> dict:
    """The upload's manifest, for the user who made it; the same 404 for "missing", "expired" and "not yours"."""
    if not _KEY.match(key):
        raise Http404
    try:
        with default_storage.open(_manifest_path(key), "rb") as handle:
            manifest = json.loads(handle.read())
    except (FileNotFoundError, OSError, ValueError):
        raise Http404 from None
    if manifest.get("user") != user.pk:
        raise Http404
    return manifest


# --- parsing and previewing ------------------------------------------------------------------------------

def _members(name: str, data: bytes) -> list[tuple[str, bytes | ExchangeFileError]]:
    if not data.startswith(_ZIP_MAGIC):
        return [(name, data)]
    try:
        return [(f"{name}/{member}", content) for member, content in iter_zip_members(data)]
    except ExchangeFileError as error:
        return [(name, error)]


def _parse(name: str, data: bytes) -> ImportResult | ExchangeFileError:
    try:
        return detect_and_parse(data, filename=name)
    except ExchangeFileError as error:
        return error


def parse_uploads(uploads) -> tuple[Parsed, list[tuple[str, bytes]]]:
    """Parse every uploaded file (and ZIP member); returns the outcomes and the accepted files' bytes."""
    limits = default_limits()
    parsed, accepted = Parsed(), []
    for upload in uploads:
        name = (upload.name or "file")[:200]
        if upload.size > max(limits.max_bytes, limits.zip_max_total_bytes):
            parsed.files.append(FileOutcome(len(parsed.files), name, error=ExchangeFileError(
                _("The file is %(size)s bytes; the limit is %(limit)s bytes.") % {
                    "size": upload.size, "limit": limits.max_bytes}, code="too_large")))
            continue
        for member_name, content in _members(name, upload.read()):
            outcome = FileOutcome(len(parsed.files), member_name)
            result = content if isinstance(content, ExchangeFileError) else _parse(member_name, content)
            if isinstance(result, ExchangeFileError):
                outcome.error = result
            else:
                outcome.result, outcome.number = result, len(accepted)
                accepted.append((member_name, content))
            parsed.files.append(outcome)
    return parsed, accepted


def _preview(parsed: Parsed) -> None:
    for outcome in parsed.accepted:
        outcome.preview = preview_batch(outcome.result.batch)


# --- views -------------------------------------------------------------------------------------------------

@require_http_methods(["GET", "POST"])
def upload(request):
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        parsed, accepted = parse_uploads(form.cleaned_data["files"])
        _preview(parsed)
        key = ""
        if accepted:
            _delete_stale_uploads()
            key = secrets.token_urlsafe(24)
            entries = []
            for number, (name, content) in enumerate(accepted):
                path = default_storage.save(f"{UPLOAD_DIR}/{key}/{number}.xml", ContentFile(content))
                entries.append({"name": name, "path": path, "sha256": hashlib.sha256(content).hexdigest()})
            manifest = {"user": request.user.pk, "created": timezone.now().isoformat(), "files": entries}
            default_storage.save(_manifest_path(key), ContentFile(json.dumps(manifest).encode()))
        auto_create = OfficeSettings.load().auto_create_companies
        return render(request, "offices/panel/upload/preview.html",
                      {"parsed": parsed, "key": key, "auto_create": auto_create},
                      status=200 if accepted else 422)
    return render(request, "offices/panel/upload/form.html",
                  {"form": form, "demo_statement": default_storage.exists(DEMO_STATEMENT_PATH)},
                  status=422 if request.method == "POST" else 200)


@require_POST
def upload_apply(request, key: str):
    manifest = _load_manifest(key, request.user)
    if request.POST.get("action") == "discard":
        _delete_upload(key)
        messages.info(request, _("The upload was discarded; nothing was changed."))
        return redirect("panel:upload")
    create = {int(value) for value in request.POST.getlist("create") if value.isdigit()}
    applied: list[tuple[str, Batch | None, str]] = []
    with transaction.atomic():
        with connection.cursor() as cursor:  # a double submission waits here, then finds the upload gone
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"panel-upload:{key}"])
        if not default_storage.exists(_manifest_path(key)):
            raise Http404
        # Claim the upload: a second submission finds no manifest. If applying fails, the upload is gone
        # too (nothing was applied; the user uploads again) and its files go with the stale ones.
        default_storage.delete(_manifest_path(key))
        for number, entry in enumerate(manifest["files"]):
            with default_storage.open(entry["path"], "rb") as handle:
                content = handle.read()
            if hashlib.sha256(content).hexdigest() != entry["sha256"]:
                raise Http404
            applied.append(_apply_file(request, entry["name"], content, create=number in create))
        transaction.on_commit(lambda: _delete_upload(key))
    return render(request, "offices/panel/upload/result.html", {"applied": applied})


def _apply_file(request, name: str, content: bytes, *, create: bool) -> tuple[str, Batch | None, str]:
    """Apply one stored file; ``(name, batch record or None, why not applied)``."""
    started = time.monotonic()
    result = _parse(name, content)
    if isinstance(result, ExchangeFileError):  # cannot happen for a stored file, unless the importer changed
        return name, None, result.message
    batch, flags = result.batch, review_flags(result)
    nips = [company.nip for company in batch.companies]
    known = set(Company.objects.filter(nip__in=nips).values_list("nip", flat=True))
    unknown = [nip for nip in nips if nip not in known]
    if unknown and not create:
        batch = replace(batch, companies=tuple(c for c in batch.companies if c.nip in known))
        if not batch.companies and not batch.payers:
            return name, None, _("Not applied: the office has no company with NIP %(nips)s.") % {
                "nips": ", ".join(unknown)}
    record = apply_and_record(batch, None, source=Batch.Source.FILE, started=started, body_bytes=len(content),
                              create_nips=unknown if create else (), flags=flags)
    record_panel_upload(record, user=request.user, file_name=name, variant=result.variant, nips=nips,
                        skipped_unknown=[] if create else unknown)
    return name, record, ""
