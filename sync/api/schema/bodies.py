"""The bodies of the agent API's smaller calls (config, companies, events, error reports, files), as the
OpenAPI description shows them."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from clients.vocabulary import FILE_KINDS, PROGRAM_CODES
from sync.api.schema.batches import AgentInfoSerializer
from sync.models import EventLevel

# --- GET config ----------------------------------------------------------------------------------

class OfficeSerializer(serializers.Serializer):
    name = serializers.CharField()
    slug = serializers.CharField()


class LimitsSerializer(serializers.Serializer):
    max_body_bytes = serializers.IntegerField(help_text=_("Largest accepted body after decompression."))
    rate_limit_per_minute = serializers.IntegerField(help_text=_("Requests per agent per minute."))
    max_companies_per_batch = serializers.IntegerField(help_text=_(
        "Most companies in one batch (v1.1); a larger batch is 413 batch_too_large: split it."))
    max_figures_per_batch = serializers.IntegerField(help_text=_(
        "Most figures (single values) in one batch (v1.1); a larger batch is 413 batch_too_large: split it."))


class ConfigSerializer(serializers.Serializer):
    office = OfficeSerializer()
    update_basic_data = serializers.BooleanField()
    approve_on_sync = serializers.BooleanField()
    send_activation = serializers.BooleanField()
    copy_zus_from_previous = serializers.BooleanField()
    match_payers = serializers.BooleanField()
    sync_interval_minutes = serializers.IntegerField()
    limits = LimitsSerializer()



# --- GET companies -------------------------------------------------------------------------------

class SourcesSerializer(serializers.Serializer):
    basic_data = serializers.ChoiceField(choices=PROGRAM_CODES, allow_null=True)
    zus = serializers.ChoiceField(choices=PROGRAM_CODES, allow_null=True)
    taxes = serializers.ChoiceField(choices=PROGRAM_CODES, allow_null=True)
    statements = serializers.ChoiceField(choices=PROGRAM_CODES, allow_null=True)


class CompanyListItemSerializer(serializers.Serializer):
    nip = serializers.RegexField(r"^[0-9]{10}$")
    name = serializers.CharField()
    enabled = serializers.BooleanField()
    sources = SourcesSerializer(help_text=_("Program feeding each kind of data; null = do not update."))


class CompanyPageSerializer(serializers.Serializer):
    results = CompanyListItemSerializer(many=True)
    next = serializers.URLField(allow_null=True, help_text=_("URL of the next page, null on the last one."))
    next_cursor = serializers.CharField(allow_null=True, help_text=_("The cursor of the next page, or null."))



# --- POST events, POST error-reports --------------------------------------------------------------

class EventSerializer(serializers.Serializer):
    at = serializers.DateTimeField(help_text=_("ISO 8601 with a UTC offset."))
    level = serializers.ChoiceField(choices=tuple(EventLevel.values), required=False, default="info")
    code = serializers.RegexField(r"^[A-Za-z0-9_.:-]{1,64}$", help_text=_("e.g. db_unreachable"))
    message = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=10000)
    program = serializers.ChoiceField(choices=PROGRAM_CODES, required=False, allow_null=True)
    nip = serializers.CharField(required=False, allow_null=True)
    details = serializers.DictField(required=False, allow_null=True, help_text=_("Any JSON object, at most 64 KiB."))


class EventsRequestSerializer(serializers.Serializer):
    events = EventSerializer(many=True, help_text=_("1–1000 events; one invalid event refuses the request."))


class EventsResponseSerializer(serializers.Serializer):
    accepted = serializers.IntegerField()


class RuntimeSerializer(serializers.Serializer):
    os = serializers.CharField(required=False)
    dotnet = serializers.CharField(required=False)
    python = serializers.CharField(required=False)


class ErrorReportRequestSerializer(serializers.Serializer):
    message = serializers.CharField(max_length=10000)
    stacktrace = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=200000)
    agent = AgentInfoSerializer(required=False, allow_null=True)
    runtime = RuntimeSerializer(required=False, allow_null=True, help_text=_("Any JSON object, at most 64 KiB."))


class ErrorReportResponseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    received_at = serializers.DateTimeField()



# --- POST files ----------------------------------------------------------------------------------

class FileUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=_("The exchange file (XML, or ZIP where the importer allows it), or a "
                                             "bank statement (MT940 text, CAMT.053 XML)."))
    kind = serializers.ChoiceField(choices=FILE_KINDS)
