"""Forms of the panel's messaging pages (offices/panel/messages.py)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from clients.messaging.models import OfficeMessaging
from offices.panel.companies_forms import PeriodField


class MonthForm(forms.Form):
    """A month ``YYYY-MM`` (the bulk "send summaries", the delivery log's cancel and nudge)."""

    period = PeriodField(label=_("Month"), help_text=_("For example 2026-01."))


class MessagingOptionsForm(forms.ModelForm):
    class Meta:
        model = OfficeMessaging
        fields = ["sms_unicode", "messaging_service_sid"]

    def clean_messaging_service_sid(self):
        return (self.cleaned_data.get("messaging_service_sid") or "").strip()
