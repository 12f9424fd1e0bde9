"""Inside an office: companies, people, monthly figures and their revisions.

See docs/domain.md for the rules. In short: a ``Figure`` is one monthly value of a
company keyed by (company, period, kind, payer_key); every change of its value is a
``Revision``; at most one revision per figure is *approved* (what clients see) and at
most one is *pending* (waiting for a bookkeeper) — both enforced by partial unique
indexes. Writes go through services (``clients.services``, ``clients.approval``,
``sync.ingest.apply_batch``), never through ad-hoc ``save()`` calls in views.
"""

from datetime import date

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from clients.names import (
    FIGURE_LABEL_NAMES,
    INCOME_TAX_PERIOD_NAMES,
    INCOME_TAX_SETUP_NAMES,
    PERSON_ROLE_NAMES,
    VAT_SETUP_NAMES,
    ZUS_PAYER_KIND_NAMES,
    program_choices,
)
from clients.vocabulary import (
    FIGURE_LABELS,
    INCOME_TAX_PERIODS,
    INCOME_TAX_SETUPS,
    MAX_KIND_LENGTH,
    PERSON_ROLES,
    VAT_SETUPS,
    ZUS_PAYER_KINDS,
)

#: Revision.source of a value a bookkeeper typed in.
MANUAL_SOURCE = "manual"


def parse_period(value: str) -> date:
    """``"2026-10"`` → ``date(2026, 10, 1)`` (periods are stored as the first day of the month)."""
    year, month = value.split("-")
    return date(int(year), int(month), 1)


def format_period(value: date) -> str:
    return f"{value.year:04d}-{value.month:02d}"


def add_months(period: date, months: int) -> date:
    index = period.year * 12 + period.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def vocabulary_choices(name: str, codes: tuple[str, ...], names: dict) -> type[models.TextChoices]:
    """The ``TextChoices`` of codes defined in ``clients.vocabulary`` (members named by the upper-cased code,
    ``VatSetup.MONTHLY``), labelled with their display names from ``clients.names``."""
    return models.TextChoices(name, [(code.upper(), (code, names[code])) for code in codes])


VatSetup = vocabulary_choices("VatSetup", VAT_SETUPS, VAT_SETUP_NAMES)
IncomeTaxSetup = vocabulary_choices("IncomeTaxSetup", INCOME_TAX_SETUPS, INCOME_TAX_SETUP_NAMES)
IncomeTaxPeriod = vocabulary_choices("IncomeTaxPeriod", INCOME_TAX_PERIODS, INCOME_TAX_PERIOD_NAMES)
ZusPayerKind = vocabulary_choices("ZusPayerKind", ZUS_PAYER_KINDS, ZUS_PAYER_KIND_NAMES)


class Company(models.Model):
    """A client company (firma) of the office, identified by its NIP."""

    nip = models.CharField(_("NIP"), max_length=10, unique=True)
    regon = models.CharField(_("REGON"), max_length=14, blank=True)
    name = models.CharField(_("name"), max_length=255, blank=True)
    street = models.CharField(_("street"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=10, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True, default="PL")
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True, help_text=_("E.164, e.g. +48600100200"))
    # Tax setup; blank = not known yet (deadlines then use the general rules).
    vat = models.CharField(_("VAT"), max_length=20, choices=VatSetup.choices, blank=True)
    income_tax = models.CharField(_("income tax"), max_length=20, choices=IncomeTaxSetup.choices, blank=True)
    # Quarterly advances (PIT-5, PIT-5L, PIT-28, CIT) of small taxpayers who chose them; blank = monthly.
    income_tax_period = models.CharField(_("income tax advances"), max_length=10, choices=IncomeTaxPeriod.choices,
                                         blank=True)
    zus_payer = models.CharField(_("ZUS payer"), max_length=20, choices=ZusPayerKind.choices, blank=True)
    # Overrides the office's go-live month (OfficeSettings.go_live_month) for this company; NULL = the office's.
    go_live_month = models.DateField(_("go-live month"), null=True, blank=True)
    # The company's own NRS (clients.zus_accounts); 26 digits or blank = not known yet.
    zus_account = models.CharField(_("ZUS account (NRS)"), max_length=26, blank=True)
    # Which program feeds each kind of data; NULL = "do not update".
    source_basic_data = models.CharField(_("basic data from"), max_length=20, choices=program_choices, null=True,
                                         blank=True)
    source_zus = models.CharField(_("ZUS from"), max_length=20, choices=program_choices, null=True, blank=True)
    source_taxes = models.CharField(_("taxes from"), max_length=20, choices=program_choices, null=True, blank=True)
    source_statements = models.CharField(_("statements from"), max_length=20, choices=program_choices, null=True,
                                         blank=True)
    basic_data_program = models.CharField(_("basic data came from"), max_length=20, choices=program_choices,
                                          blank=True)
    enabled = models.BooleanField(_("synchronised"), default=True,
                                  help_text=_("Switched off, agents no longer update this company."))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_synced_at = models.DateTimeField(_("last synchronised"), null=True, blank=True)
    # Client views: partners see financial data only when the office shares it with them.
    share_with_partners = models.BooleanField(
        _("share with partners"), default=True,
        help_text=_("Partners of the company see its taxes, contributions and statements."))
    # Office panel: the bookkeeper responsible (see OfficeSettings.bookkeepers_see_assigned_only), and the basic-data
    # fields the office edited by hand (a sync never overwrites those silently: clients.conflicts). Nullable, so
    # clients.bulk's raw INSERT of new companies needs no change.
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="assigned_companies", verbose_name=_("bookkeeper"))
    office_edited = ArrayField(models.CharField(max_length=20), null=True, blank=True,
                               verbose_name=_("edited by the office"))

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        ordering = ["name", "nip"]
        constraints = [
            models.CheckConstraint(condition=Q(nip__regex=r"^[0-9]{10}$"), name="company_nip_ten_digits"),
        ]

    def __str__(self):
        return self.name or self.nip

    def source_for(self, data_kind: str) -> str | None:
        """The program feeding ``basic_data``, ``zus``, ``taxes`` or ``statements`` (None: do not update)."""
        return getattr(self, f"source_{data_kind}")


class Person(models.Model):
    """An owner, partner or proxy of one or more companies; optionally a client login."""

    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    # Unique: a PESEL identifies one natural person (NULLs are distinct in PostgreSQL).
    pesel = models.CharField(_("PESEL"), max_length=11, null=True, blank=True, unique=True)
    nip = models.CharField(_("NIP"), max_length=10, null=True, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    # The NRS of a person paying their own contributions (clients.zus_accounts); blank = not known yet.
    zus_account = models.CharField(_("ZUS account (NRS)"), max_length=26, blank=True)
    notify_sms = models.BooleanField(_("SMS"), default=False)
    notify_email = models.BooleanField(_("e-mail"), default=True)
    # Client views: the person asked for no messages at all; senders must honour it over the channels.
    opted_out = models.BooleanField(_("no messages"), default=False)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="person", verbose_name=_("login"))
    # The secret of the person's calendar feed URL (clients.calendar_feed); null until they turn it on.
    calendar_token = models.CharField(_("calendar feed token"), max_length=64, null=True, blank=True,
                                      unique=True, editable=False)
    companies = models.ManyToManyField(Company, through="CompanyPerson", related_name="people")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["last_name", "first_name", "id"]
        indexes = [models.Index(fields=["nip"], name="person_nip")]

    def __str__(self):
        return f"{self.first_name} {self.last_name}".strip() or self.email or str(self.pk)


PersonRole = vocabulary_choices("PersonRole", PERSON_ROLES, PERSON_ROLE_NAMES)


class CompanyPerson(models.Model):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="memberships")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=10, choices=PersonRole.choices, default=PersonRole.OWNER)

    class Meta:
        verbose_name = _("company person")
        verbose_name_plural = _("company people")
        constraints = [models.UniqueConstraint(fields=["company", "person"], name="company_person_unique")]

    def __str__(self):
        return f"{self.person} ({self.get_role_display()}) — {self.company}"


class Figure(models.Model):
    """One monthly value of a company: (company, period, kind, payer_key). Its values are its revisions."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="figures")
    period = models.DateField(_("period"), help_text=_("First day of the month."))
    kind = models.CharField(_("kind"), max_length=MAX_KIND_LENGTH)
    payer_key = models.CharField(_("payer"), max_length=11, blank=True, default="",
                                 help_text=_("PESEL or NIP of the ZUS payer; empty for the company itself."))
    # A bookkeeper's manual value holds the figure: syncs leave it alone until released.
    manual = models.BooleanField(_("held by a manual value"), default=False)

    class Meta:
        verbose_name = _("figure")
        verbose_name_plural = _("figures")
        constraints = [
            models.UniqueConstraint(fields=["company", "period", "kind", "payer_key"], name="figure_key_unique"),
            models.CheckConstraint(condition=Q(period__day=1), name="figure_period_first_day"),
        ]
        # Office panel: "companies without data for a month" and exports of one month read figures by period.
        indexes = [models.Index(fields=["period", "company"], name="figure_period_company")]

    def __str__(self):
        payer = f" [{self.payer_key}]" if self.payer_key else ""
        return f"{self.company_id} {format_period(self.period)} {self.kind}{payer}"

    @property
    def period_label(self) -> str:
        return format_period(self.period)


class RevisionState(models.TextChoices):
    PENDING = "pending", _("waiting for approval")
    APPROVED = "approved", _("approved")
    SUPERSEDED = "superseded", _("superseded")


RevisionLabel = vocabulary_choices("RevisionLabel", FIGURE_LABELS, FIGURE_LABEL_NAMES)


class Revision(models.Model):
    """One value of a figure. Clients only ever see the approved one."""

    figure = models.ForeignKey(Figure, on_delete=models.CASCADE, related_name="revisions")
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    label = models.CharField(_("label"), max_length=12, choices=RevisionLabel.choices,
                             default=RevisionLabel.DECLARATION)
    source = models.CharField(_("source"), max_length=20, help_text=_("Program code, or “manual”."))
    manual = models.BooleanField(_("entered manually"), default=False)
    state = models.CharField(_("state"), max_length=10, choices=RevisionState.choices, default=RevisionState.PENDING)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name=_("approved by"))
    # Plain fields, not a foreign key: clients never depends on sync.
    approved_by_agent_id = models.BigIntegerField(null=True, blank=True)
    approved_by_agent_name = models.CharField(max_length=100, blank=True)
    batch_ref = models.CharField(_("batch"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("revision")
        verbose_name_plural = _("revisions")
        constraints = [
            models.UniqueConstraint(fields=["figure"], condition=Q(state="approved"), name="revision_one_approved"),
            models.UniqueConstraint(fields=["figure"], condition=Q(state="pending"), name="revision_one_pending"),
        ]
        indexes = [models.Index(fields=["state", "figure"], name="revision_state_figure")]

    def __str__(self):
        return f"{self.figure} = {self.amount} ({self.state})"


class ApprovalLog(models.Model):
    """Audit trail of approvals and releases, shown in the panel: who, when, what."""

    class Action(models.TextChoices):
        APPROVE = "approve", _("approved")
        MANUAL = "manual", _("manual value entered")
        RELEASE = "release", _("manual value released")

    at = models.DateTimeField(_("when"), auto_now_add=True)
    action = models.CharField(max_length=10, choices=Action.choices, default=Action.APPROVE)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="approval_log")
    period = models.DateField(null=True, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    agent_id = models.BigIntegerField(null=True, blank=True)
    agent_name = models.CharField(max_length=100, blank=True)
    revisions = models.PositiveIntegerField(_("revisions"), default=0)
    batch_ref = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("approval")
        verbose_name_plural = _("approvals")
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.action} {self.company_id} {self.revisions} at {self.at:%Y-%m-%d %H:%M}"


# === Client views (clients/views.py, clients/dashboard.py) ===============================================


class PaymentMark(models.Model):
    """A client's "I have paid this": one per payment item, keyed by the item's figure (its anchor).

    ``amount`` is the approved amount the client saw when marking; when the office later approves another
    amount the mark no longer matches and the item shows as to pay again (with the earlier mark noted).
    """

    figure = models.OneToOneField(Figure, on_delete=models.CASCADE, related_name="payment_mark")
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    marked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+", verbose_name=_("marked by"))
    marked_at = models.DateTimeField(_("marked"), auto_now=True)

    class Meta:
        verbose_name = _("payment mark")
        verbose_name_plural = _("payment marks")

    def __str__(self):
        return f"paid {self.figure} = {self.amount}"


# === Office panel (offices/panel/companies.py; clients/review.py, sources.py, conflicts.py, rules.py) ============


class ApprovalRule(models.Model):
    """How the figures of one data kind (ZUS, taxes, statements) get approved in this office."""

    class Kind(models.TextChoices):
        ZUS = "zus", _("ZUS")
        TAXES = "taxes", _("taxes")
        STATEMENTS = "statements", _("statements")

    class Mode(models.TextChoices):
        MANUAL = "manual", _("only by hand")
        ON_SYNC = "on_sync", _("on every synchronisation")
        SCHEDULED = "scheduled", _("automatically on a day of the month")

    kind = models.CharField(_("data"), max_length=12, choices=Kind.choices, unique=True)
    mode = models.CharField(_("approval"), max_length=12, choices=Mode.choices, default=Mode.MANUAL)
    day = models.PositiveSmallIntegerField(_("day of the month"), default=10,
                                           validators=[MinValueValidator(1), MaxValueValidator(28)])
    hour = models.PositiveSmallIntegerField(_("hour"), default=8, validators=[MaxValueValidator(23)])
    last_run_at = models.DateTimeField(_("last automatic approval"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        verbose_name = _("approval rule")
        verbose_name_plural = _("approval rules")
        constraints = [
            models.CheckConstraint(condition=Q(day__gte=1, day__lte=28, hour__lte=23), name="approval_rule_when"),
        ]

    def __str__(self):
        return f"{self.kind}: {self.mode}"


class BasicDataConflict(models.Model):
    """A synced basic-data value that differs from the office's: the office keeps its own or takes the program's."""

    class Resolution(models.TextChoices):
        OURS = "ours", _("kept the office's value")
        THEIRS = "theirs", _("took the program's value")

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="conflicts")
    field = models.CharField(_("field"), max_length=20)
    ours = models.CharField(_("office's value"), max_length=255, blank=True)
    theirs = models.CharField(_("program's value"), max_length=255)
    program = models.CharField(_("program"), max_length=20)
    created_at = models.DateTimeField(_("noticed"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    resolution = models.CharField(_("resolution"), max_length=10, choices=Resolution.choices, blank=True)

    class Meta:
        verbose_name = _("basic data conflict")
        verbose_name_plural = _("basic data conflicts")
        ordering = ["company", "field", "-created_at"]
        constraints = [
            # One open conflict per field: a later sync updates the program's value of it.
            models.UniqueConstraint(fields=["company", "field"], condition=Q(resolved_at__isnull=True),
                                    name="basic_data_conflict_one_open"),
        ]

    def __str__(self):
        return f"{self.company_id} {self.field}: {self.ours!r} / {self.theirs!r}"


class CompanyChange(models.Model):
    """Audit trail of what staff changed on a company outside approvals (sources, switch, basic data, conflicts)."""

    class Action(models.TextChoices):
        SOURCES = "sources", _("changed the source programs")
        ENABLED = "enabled", _("switched synchronisation on")
        DISABLED = "disabled", _("switched synchronisation off")
        BASIC_DATA = "basic_data", _("edited the basic data")
        CONFLICT = "conflict", _("resolved a basic data conflict")
        ASSIGNED = "assigned", _("assigned a bookkeeper")
        ZUS_ACCOUNT = "zus_account", _("changed the ZUS account (NRS)")
        SETTLED = "settled", _("recorded payments")
        GO_LIVE = "go_live", _("changed the go-live month")

    at = models.DateTimeField(_("when"), auto_now_add=True)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="changes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+", verbose_name=_("who"))
    action = models.CharField(_("what"), max_length=12, choices=Action.choices)
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("company change")
        verbose_name_plural = _("company changes")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["company", "-at"], name="company_change_company_at")]

    def __str__(self):
        return f"{self.action} {self.company_id} at {self.at:%Y-%m-%d %H:%M}"


# === Privacy, RODO (clients/privacy.py, docs/privacy.md) ===========================================================


class DataAccess(models.Model):
    """Who opened a client's data in the panel: one INSERT per company page, person page or export."""

    class What(models.TextChoices):
        COMPANY = "company", _("opened the company page")
        PERSON = "person", _("opened the person's data")
        EXPORT = "export", _("exported the person's data")
        FIGURES = "figures", _("exported the company's figures")

    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+", verbose_name=_("who"))
    # Kept when the login is later removed.
    user_email = models.EmailField(_("who (e-mail)"), blank=True)
    what = models.CharField(_("what"), max_length=10, choices=What.choices)
    company = models.ForeignKey(Company, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("access to client data")
        verbose_name_plural = _("accesses to client data")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["company", "-at"], name="data_access_company_at")]

    def __str__(self):
        return f"{self.user_email} {self.what} {self.company_id} at {self.at:%Y-%m-%d %H:%M}"


class Erasure(models.Model):
    """One erasure of personal data: a person's (on request) or a departed company's (retention), and why."""

    class Cause(models.TextChoices):
        REQUEST = "request", _("request of the person")
        RETENTION = "retention", _("retention period ended")

    at = models.DateTimeField(_("when"), auto_now_add=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                           related_name="+", verbose_name=_("who"))
    by_email = models.EmailField(_("who (e-mail)"), blank=True)
    cause = models.CharField(_("cause"), max_length=10, choices=Cause.choices)
    reason = models.TextField(_("reason"))
    # At most one erasure per person: a repeated request finds it and changes nothing.
    person = models.OneToOneField(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="erasure")
    # The companies the person belonged to (their memberships are removed), or the departed company itself.
    company_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    company_deleted = models.BooleanField(_("company removed"), default=False)

    class Meta:
        verbose_name = _("erasure of personal data")
        verbose_name_plural = _("erasures of personal data")
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"erasure {self.cause} {self.person_id or self.company_ids} at {self.at:%Y-%m-%d %H:%M}"


# Registered here; defined apart to keep this module small (see its docstring).
from clients.models_bank import BankStatement, BankStatementLine, LineStatus, StatementSource  # noqa: E402, F401
from clients.models_payments import ItemStatus, Settlement, SettlementSource  # noqa: E402, F401
