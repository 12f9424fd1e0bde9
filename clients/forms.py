"""Forms of the client views."""

from django import forms
from django.utils.translation import gettext_lazy as _


class PreferencesForm(forms.Form):
    notify_email = forms.BooleanField(label=_("E-mail"), required=False,
                                      help_text=_("The monthly summary with the PDF and reminders before due dates."))
    notify_sms = forms.BooleanField(label=_("Text message (SMS)"), required=False,
                                    help_text=_("A short summary: what to pay and by when."))
    phone = forms.CharField(label=_("Mobile number"), required=False, max_length=40,
                            widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel",
                                                          "placeholder": "+48 600 100 200"}))
    opted_out = forms.BooleanField(label=_("No messages at all"), required=False,
                                   help_text=_("The office sends you nothing; you still see everything here."))
