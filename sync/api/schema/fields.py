"""What the bodies of the agent API's OpenAPI description share: value formats and problem details.

The serializers of ``sync.api.schema`` only *describe* bodies; requests are validated by ``sync.parsing``
(plain Python, for speed).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from sync.api.problems import PROBLEMS

AMOUNT_PATTERN = r"^-?[0-9]{1,12}(\.[0-9]{1,2})?$"
PERIOD_PATTERN = r"^(19|20)[0-9]{2}-(0[1-9]|1[0-2])$"
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
BATCH_ID_PATTERN = r"^b_[0-9A-HJKMNP-TV-Z]{26}$"

TOLERANT = " Members not listed here are ignored (newer agents may send more than this portal knows)."


def amount_field(help_text="", **kwargs):
    return serializers.RegexField(AMOUNT_PATTERN, max_length=16, help_text=help_text or _(
        "Amount in PLN as a string, at most 2 decimals and 12 integer digits; negative = refund/surplus."), **kwargs)


def period_field(**kwargs):
    return serializers.RegexField(PERIOD_PATTERN, max_length=7, help_text=_("Month, YYYY-MM."), **kwargs)


def date_field(**kwargs):
    return serializers.RegexField(DATE_PATTERN, max_length=10, help_text=_("Date, YYYY-MM-DD."), **kwargs)


class FieldErrorSerializer(serializers.Serializer):
    pointer = serializers.CharField(required=False, help_text=_("JSON Pointer (RFC 6901) into the request body."))
    parameter = serializers.CharField(required=False, help_text=_("Query parameter, for query-string problems."))
    code = serializers.CharField(help_text=_(
        "invalid_amount, invalid_period, invalid_date, invalid_nip, invalid_pesel, invalid_regon, invalid_phone, "
        "invalid_email, invalid_choice, invalid_type, required, too_long, duplicate_company, duplicate_figure, "
        "unknown_company, …"))
    detail = serializers.CharField()


class ProblemSerializer(serializers.Serializer):
    type = serializers.CharField(help_text=_("urn:biurko:problem:<code>"))
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    code = serializers.ChoiceField(choices=list(PROBLEMS), help_text=_("Stable machine-readable problem code."))
    errors = FieldErrorSerializer(many=True, required=False)
    errors_omitted = serializers.IntegerField(
        required=False, min_value=1, help_text=_("How many errors were left out of the list (at most 100 are listed)."))
