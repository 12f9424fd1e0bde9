from django import forms
from django.contrib.auth.base_user import BaseUserManager
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from offices.accounts.models import STAFF_ROLES, OfficeSettings, Role
from offices.accounts.services import INVITABLE_ROLES
from offices.accounts.validators import LOGO_MAX_BYTES, parse_reminder_days, validate_logo
from offices.panel.companies_forms import PeriodField


class AgentForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100,
                           help_text=_("E.g. the computer or program it runs on: “Optima – server”."))


class ReminderDaysField(forms.CharField):
    """``"3,1"`` in the form, ``[3, 1]`` in ``cleaned_data``."""

    def prepare_value(self, value):
        if isinstance(value, (list, tuple)):
            return ",".join(str(day) for day in value)
        return value

    def to_python(self, value):
        return parse_reminder_days(super().to_python(value))


class OfficeSettingsForm(forms.ModelForm):
    SYNC_FIELDS = ("update_basic_data", "approve_on_sync", "send_activation", "copy_zus_from_previous",
                   "match_payers", "auto_create_companies", "sync_interval_minutes", "go_live_month")
    BRANDING_FIELDS = ("office_name", "logo", "clear_logo", "brand_color", "contact_phone", "email_from_name",
                       "reply_to_email", "sms_sender")
    SMTP_FIELDS = ("smtp_host", "smtp_port", "smtp_security", "smtp_username", "smtp_password",
                   "clear_smtp_password", "smtp_from_email")
    MESSAGE_FIELDS = ("reminder_days", "quiet_hours_start", "quiet_hours_end", "undo_window_minutes")
    ACCESS_FIELDS = ("bookkeepers_see_assigned_only", "require_mfa_for_admins")

    office_name = forms.CharField(label=_("Office name"), max_length=200,
                                  help_text=_("Shown to clients in the portal, e-mails and PDFs."))
    logo = forms.FileField(
        label=_("Logo"), required=False,
        help_text=_("PNG, JPEG or WebP, at most %(size)d kB.") % {"size": LOGO_MAX_BYTES // 1024},
        widget=forms.FileInput(attrs={"accept": "image/png,image/jpeg,image/webp"}),
    )
    clear_logo = forms.BooleanField(label=_("Remove the logo"), required=False)
    # Write-only: the stored password is never put back into the page (render_value=False, empty initial).
    smtp_password = forms.CharField(
        label=_("SMTP password"), required=False, max_length=200, strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Stored encrypted and never shown again. Leave empty to keep the saved password."))
    clear_smtp_password = forms.BooleanField(label=_("Remove the saved SMTP password"), required=False)
    go_live_month = PeriodField(
        label=_("Go-live month"), required=False,
        help_text=_("Approved items of earlier months count as settled (without payment confirmation) unless a "
                    "settlement or the client's mark says otherwise, so a client's history never shows as overdue. "
                    "Empty: every month counts. Each company may have its own."))
    reminder_days = ReminderDaysField(
        label=_("Reminders before the due date (days)"), required=False, max_length=40,
        help_text=_("Days before each payment's due date when clients get a reminder, separated by commas, "
                    "e.g. 3,1. Empty: no reminders."),
    )

    class Meta:
        model = OfficeSettings
        fields = [
            "update_basic_data", "approve_on_sync", "send_activation", "copy_zus_from_previous", "match_payers",
            "auto_create_companies", "sync_interval_minutes", "email_from_name", "reply_to_email", "sms_sender",
            "quiet_hours_start", "quiet_hours_end", "undo_window_minutes", "bookkeepers_see_assigned_only",
            "require_mfa_for_admins", "go_live_month", "brand_color", "contact_phone", "smtp_host", "smtp_port",
            "smtp_security", "smtp_username", "smtp_from_email",
        ]
        widgets = {
            "quiet_hours_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "quiet_hours_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "brand_color": forms.TextInput(attrs={"placeholder": "#1f4e79", "maxlength": 7, "size": 8}),
            "smtp_username": forms.TextInput(attrs={"autocomplete": "off"}),
        }
        help_texts = {
            "quiet_hours_start": _("SMS messages are not sent between these hours (office time); "
                                   "they wait until the end of the quiet hours."),
        }

    def __init__(self, *args, office, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["office_name"].initial = office.name
        self.fields["reminder_days"].initial = self.instance.reminder_days
        self.fields["sync_interval_minutes"].widget.attrs.update(min=5, max=1440)
        self.fields["undo_window_minutes"].widget.attrs.update(min=0, max=60)
        # Offices without their own server never touch these: empty means the defaults.
        self.fields["smtp_port"].required = False
        self.fields["smtp_security"].required = False

    def clean_sms_sender(self):
        value = (self.cleaned_data.get("sms_sender") or "").strip()
        if value.startswith("+"):
            value = "".join(value.split()).replace("-", "")
        return value

    def clean_reply_to_email(self):
        return BaseUserManager.normalize_email(self.cleaned_data.get("reply_to_email") or "")

    def clean_logo(self):
        upload = self.cleaned_data.get("logo")
        if upload:
            validate_logo(upload)
        return upload

    def fieldsets(self):
        groups = (
            (_("Synchronisation"), self.SYNC_FIELDS),
            (_("Branding and sending"), self.BRANDING_FIELDS),
            (_("Own e-mail server (SMTP)"), self.SMTP_FIELDS),
            (_("Reminders and SMS"), self.MESSAGE_FIELDS),
            (_("Access"), self.ACCESS_FIELDS),
        )
        return [(title, [self[name] for name in names]) for title, names in groups]

    def settings_values(self) -> dict:
        """The validated values for ``update_office_settings`` (without the logo)."""
        values = {name: self.cleaned_data[name] for name in self.Meta.fields}
        values["reminder_days"] = self.cleaned_data["reminder_days"]
        values["office_name"] = self.cleaned_data["office_name"]
        if self.cleaned_data.get("clear_smtp_password"):
            values["smtp_password"] = ""
        elif self.cleaned_data.get("smtp_password"):
            values["smtp_password"] = self.cleaned_data["smtp_password"]
        return values

    def clean_smtp_port(self):
        return self.cleaned_data.get("smtp_port") or OfficeSettings._meta.get_field("smtp_port").default

    def clean_smtp_security(self):
        return self.cleaned_data.get("smtp_security") or OfficeSettings._meta.get_field("smtp_security").default

    def clean_smtp_host(self):
        return (self.cleaned_data.get("smtp_host") or "").strip().lower()

    def clean_brand_color(self):
        return (self.cleaned_data.get("brand_color") or "").strip().lower()


class SmtpTestForm(forms.Form):
    to = forms.EmailField(label=_("Send the test e-mail to"), required=False)


class InviteStaffForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"))
    role = forms.ChoiceField(label=_("Role"), choices=[(role.value, role.label) for role in INVITABLE_ROLES],
                             initial=Role.BOOKKEEPER)
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=[(role.value, role.label) for role in STAFF_ROLES])

    def clean_role(self):
        try:
            return Role(self.cleaned_data["role"])
        except ValueError:
            raise ValidationError(_("Unknown role."), code="invalid_role") from None
