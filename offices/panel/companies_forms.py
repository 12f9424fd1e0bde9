"""Forms of the companies pages (offices/panel/companies.py)."""

import re
from datetime import date
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from clients.models import ApprovalRule, Company, parse_period
from clients.names import figure_name, program_choices
from clients.sources import BASIC_FIELDS
from clients.vocabulary import (
    STATEMENT_PARTS,
    TAX_TYPES,
    ZUS_PARTS,
    is_zus,
    statement_kind,
    tax_kind,
    zus_kind,
)
from offices.accounts.models import STAFF_ROLES, User

_PERIOD = re.compile(r"^(20\d\d)-(0[1-9]|1[0-2])$")
PER_PAGE = 50


def period_or_none(value) -> date | None:
    """``"2026-01"`` → ``date(2026, 1, 1)``; anything else → None."""
    if isinstance(value, str) and _PERIOD.match(value):
        return parse_period(value)
    return None


class PeriodField(forms.CharField):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.widget.attrs.update(placeholder="2026-01", pattern=r"20\d\d-(0[1-9]|1[0-2])", maxlength="7")

    def prepare_value(self, value):
        # A stored month (a date, the first day) is shown as it is typed: 2026-01.
        return f"{value.year:04d}-{value.month:02d}" if isinstance(value, date) else value

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        period = period_or_none(value.strip())
        if period is None:
            raise forms.ValidationError(_("Enter a month as YYYY-MM, e.g. 2026-01."), code="invalid_period")
        return period


def bookkeeper_choices() -> list[tuple[str, str]]:
    staff = User.objects.filter(role__in=STAFF_ROLES, is_active=True).order_by("first_name", "email")
    return [(str(user.pk), str(user)) for user in staff]


class CompanyFilterForm(forms.Form):
    SORTS = [("name", _("name A–Z")), ("-name", _("name Z–A")), ("nip", _("NIP")), ("pending", _("unapproved first")),
             ("-synced", _("synced recently")), ("synced", _("not synced for longest"))]

    q = forms.CharField(label=_("Name or NIP"), required=False, max_length=100)
    unapproved = forms.BooleanField(label=_("only with unapproved data"), required=False)
    without_zus_account = forms.BooleanField(label=_("only with ZUS but no ZUS account (NRS)"), required=False)
    missing = PeriodField(label=_("no data for the month"), required=False)
    program = forms.ChoiceField(label=_("program"), required=False)
    bookkeeper = forms.ChoiceField(label=_("bookkeeper"), required=False)
    disabled = forms.ChoiceField(label=_("synchronisation"), required=False, choices=[
        ("", _("all")), ("no", _("switched on")), ("yes", _("switched off"))])
    sort = forms.ChoiceField(label=_("sort"), required=False, choices=SORTS)

    def __init__(self, *args, bookkeepers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["program"].choices = [("", _("any"))] + program_choices()
        self.fields["bookkeeper"].choices = [("", _("anyone")), ("none", _("nobody assigned"))] + bookkeepers
        self.fields["q"].widget.attrs.update(type="search", autocomplete="off")


class BulkApproveForm(forms.Form):
    company = forms.TypedMultipleChoiceField(coerce=int, choices=())
    send_summary = forms.BooleanField(label=_("send the summary for the latest month"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Any integer is accepted here; the view keeps only the companies the user may review.
        self.fields["company"].valid_value = lambda value: str(value).isdigit()


def manual_kind_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    return [
        (_("Taxes"), [(tax_kind(name), figure_name(tax_kind(name))) for name in TAX_TYPES]),
        (_("ZUS"), [(zus_kind(name), figure_name(zus_kind(name))) for name in ZUS_PARTS]),
        (_("Statements"), [(statement_kind(name), figure_name(statement_kind(name))) for name in STATEMENT_PARTS]),
    ]


class ManualValueForm(forms.Form):
    period = PeriodField(label=_("month"))
    kind = forms.ChoiceField(label=_("value"), choices=manual_kind_choices)
    payer_key = forms.CharField(label=_("payer (PESEL or NIP, ZUS only)"), required=False, max_length=11)
    amount = forms.DecimalField(label=_("amount (PLN)"), max_digits=14, decimal_places=2,
                                min_value=Decimal("-999999999999.99"))
    due_date = forms.DateField(label=_("due date"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
                               help_text=_("Empty: the statutory deadline."))
    approve = forms.BooleanField(label=_("publish to the client at once"), required=False, initial=True)

    def clean_payer_key(self):
        value = "".join((self.cleaned_data.get("payer_key") or "").split())
        if value and (not value.isdigit() or len(value) not in (10, 11)):
            raise forms.ValidationError(_("A PESEL has 11 digits, a NIP 10."), code="invalid_payer")
        return value

    def clean(self):
        data = super().clean()
        if data.get("payer_key") and not is_zus(data.get("kind") or ""):
            self.add_error("payer_key", forms.ValidationError(_("Only ZUS values have a payer."), code="payer_not_zus"))
        return data


def source_choices():
    return [("", _("do not update"))] + program_choices()


class SourcesForm(forms.Form):
    basic_data = forms.ChoiceField(label=_("Basic data"), required=False, choices=source_choices)
    zus = forms.ChoiceField(label=_("ZUS"), required=False, choices=source_choices)
    taxes = forms.ChoiceField(label=_("Taxes"), required=False, choices=source_choices)
    statements = forms.ChoiceField(label=_("Statements"), required=False, choices=source_choices)
    for_all = forms.MultipleChoiceField(
        label=_("also set for all companies"), required=False, widget=forms.CheckboxSelectMultiple,
        choices=[("basic_data", _("Basic data")), ("zus", _("ZUS")), ("taxes", _("Taxes")),
                 ("statements", _("Statements"))])


class BasicDataForm(forms.ModelForm):
    class Meta:
        model = Company
        fields = list(BASIC_FIELDS)


class AssignForm(forms.Form):
    bookkeeper = forms.ChoiceField(label=_("bookkeeper"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["bookkeeper"].choices = [("", _("nobody"))] + bookkeeper_choices()


class ApprovalRuleForm(forms.ModelForm):
    class Meta:
        model = ApprovalRule
        fields = ["mode", "day", "hour"]
        widgets = {"mode": forms.RadioSelect}
