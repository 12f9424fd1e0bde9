"""Logins and administration of an office. Every entry point (sign-up, panel, commands, seeds, tests) calls these."""

from email.utils import formataddr, parseaddr
from functools import partial

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from offices.accounts.encryption import encrypt
from offices.accounts.models import (
    STAFF_ROLES,
    AuditAction,
    AuditEntry,
    OfficeSettings,
    Role,
    User,
    logo_upload_to,
)
from offices.accounts.validators import validate_logo
from offices.models import Office


@transaction.atomic
def create_login(email: str, *, role: Role, password: str | None = None, first_name: str = "",
                 last_name: str = "", verified: bool = False) -> User:
    """Create a user of the current office with its allauth e-mail address.

    Without a password the account cannot log in until the person sets one
    through the password-reset (activation) link.
    """
    user = User.objects.create_user(email=email, password=password, role=role,
                                    first_name=first_name, last_name=last_name)
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=verified)
    return user


# --- Office administration: staff and settings (agents: sync.agents) ----------------------------------------------
#
# Every rule about who may change what lives here; the panel's views only call these. Each change is
# recorded in ``AuditEntry`` in the same transaction. Refusals raise ``ValidationError`` with a stable
# ``code`` and a translated message the panel shows as it is.


def record_audit(actor: User | None, action: AuditAction, target: str = "", details: dict | None = None) -> AuditEntry:
    return AuditEntry.objects.create(actor=actor, actor_email=getattr(actor, "email", "") or "", action=action,
                                     target=str(target)[:254], details=details or {})


def require_admin(by: User) -> None:
    if by is None or not by.is_active or not by.is_office_admin:
        raise ValidationError(_("Only the office's owners and administrators can do this."), code="not_allowed")


def _active_owner_ids_locked() -> list[int]:
    # Locks the owners' rows so two owners demoting each other at once cannot leave the office without one.
    return list(User.objects.select_for_update().filter(role=Role.OWNER, is_active=True)
                .order_by("pk").values_list("pk", flat=True))


def office_sender(office, office_settings: OfficeSettings | None = None) -> tuple[str, list[str]]:
    """The From header and Reply-To list for e-mails sent on behalf of an office.

    Through the platform's SMTP the address is the platform's (``DEFAULT_FROM_EMAIL``, so SPF/DKIM hold);
    through the office's own server (``smtp_host``) it is the office's sender address, the one that server
    may send as. The display name is the office's chosen sender name or its name, and replies go to the
    office's reply-to address.
    """
    office_settings = office_settings or OfficeSettings.load()
    _platform_name, address = parseaddr(django_settings.DEFAULT_FROM_EMAIL)
    if office_settings.uses_own_smtp and office_settings.smtp_from_email:
        address = office_settings.smtp_from_email
    name = office_settings.email_from_name or office.name
    reply_to = [office_settings.reply_to_email] if office_settings.reply_to_email else []
    return formataddr((name, address)), reply_to


INVITABLE_ROLES = (Role.ADMIN, Role.BOOKKEEPER)


@transaction.atomic
def invite_staff(email: str, *, role: Role, by: User, first_name: str = "", last_name: str = "") -> User:
    """Create a staff login without a password (the caller queues its activation e-mail in the same transaction:
    ``clients.messaging.services.queue_staff_invitation``, as the panel's ``offices.panel.staff`` does)."""
    require_admin(by)
    if role not in INVITABLE_ROLES:
        raise ValidationError(_("Invite administrators and bookkeepers; make someone an owner from the staff list."),
                              code="role_not_invitable")
    email = (email or "").strip().lower()
    validate_email(email)
    existing = User.objects.filter(email__iexact=email).first()
    if existing is not None:
        if existing.is_office_staff:
            message = _("%(email)s already has a login in this office as %(role)s.")
        else:
            message = _("%(email)s already has a client login in this office (%(role)s); "
                        "one e-mail address can have only one login.")
        raise ValidationError(message, code="email_taken",
                              params={"email": email, "role": existing.get_role_display()})
    user = create_login(email, role=role, first_name=first_name.strip(), last_name=last_name.strip())
    record_audit(by, AuditAction.STAFF_INVITED, user.email, {"role": str(role)})
    return user


@transaction.atomic
def allow_staff_invitation_resend(user: User, *, by: User) -> None:
    """Check and record that ``by`` sends the invitation of a login not yet activated again (the caller queues it)."""
    require_admin(by)
    if user.has_usable_password() or user.last_login is not None:
        raise ValidationError(_("%(email)s has already activated the login."), code="already_active",
                              params={"email": user.email})
    record_audit(by, AuditAction.STAFF_INVITED, user.email, {"role": user.role, "resent": True})


@transaction.atomic
def change_role(user: User, new_role: Role, *, by: User) -> bool:
    """Give a staff member another staff role; return False when nothing changed.

    Only owners make or unmake owners, and the office always keeps at least one active owner.
    """
    require_admin(by)
    if new_role not in STAFF_ROLES or not user.is_office_staff:
        raise ValidationError(_("Staff roles are owner, administrator and bookkeeper."), code="not_a_staff_role")
    owners = _active_owner_ids_locked()
    user.refresh_from_db(fields=["role", "is_active"])
    old_role = user.role
    if old_role == new_role:
        return False
    if Role.OWNER in (old_role, new_role) and by.role != Role.OWNER:
        raise ValidationError(_("Only an owner can make someone an owner or change an owner's role."),
                              code="owner_only")
    if old_role == Role.OWNER and [pk for pk in owners if pk != user.pk] == []:
        raise ValidationError(_("%(email)s is the office's last owner: make someone else an owner first."),
                              code="last_owner", params={"email": user.email})
    User.objects.filter(pk=user.pk).update(role=new_role)
    user.role = new_role
    record_audit(by, AuditAction.ROLE_CHANGED, user.email, {"from": str(old_role), "to": str(new_role)})
    return True


@transaction.atomic
def deactivate_user(user: User, *, by: User) -> bool:
    """Block a login (it can no longer log in, its open sessions stop working); False when already blocked."""
    require_admin(by)
    if user.pk == by.pk:
        raise ValidationError(_("You cannot deactivate your own login."), code="self")
    owners = _active_owner_ids_locked()
    user.refresh_from_db(fields=["role", "is_active"])
    if not user.is_active:
        return False
    if user.role == Role.OWNER:
        if by.role != Role.OWNER:
            raise ValidationError(_("Only an owner can deactivate an owner."), code="owner_only")
        if [pk for pk in owners if pk != user.pk] == []:
            raise ValidationError(_("%(email)s is the office's last owner."), code="last_owner",
                                  params={"email": user.email})
    User.objects.filter(pk=user.pk).update(is_active=False)
    user.is_active = False
    record_audit(by, AuditAction.USER_DEACTIVATED, user.email, {"role": user.role})
    return True


@transaction.atomic
def reactivate_user(user: User, *, by: User) -> bool:
    require_admin(by)
    user.refresh_from_db(fields=["role", "is_active"])
    if user.is_active:
        return False
    if user.role == Role.OWNER and by.role != Role.OWNER:
        raise ValidationError(_("Only an owner can reactivate an owner."), code="owner_only")
    User.objects.filter(pk=user.pk).update(is_active=True)
    user.is_active = True
    record_audit(by, AuditAction.USER_REACTIVATED, user.email, {"role": user.role})
    return True


def _audit_value(value):
    if isinstance(value, (bool, int, str)) or value is None:
        return value
    if isinstance(value, list):
        return [_audit_value(item) for item in value]
    return str(value)


def _has_totp(user: User) -> bool:
    return is_mfa_enabled(user, [Authenticator.Type.TOTP])


def _check_smtp(row: OfficeSettings) -> None:
    """The office's own SMTP server needs a sender address it may send as; a password needs its user."""
    if not row.smtp_host:
        return
    errors = {}
    if not row.smtp_from_email:
        errors["smtp_from_email"] = ValidationError(
            _("Enter the address e-mails are sent from through your server."), code="smtp_from_required")
    if row.smtp_password_encrypted and not row.smtp_username:
        errors["smtp_username"] = ValidationError(_("Enter the user the password belongs to."),
                                                  code="smtp_user_required")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def update_office_settings(office, values: dict, *, by: User, logo=None, clear_logo: bool = False) -> list[str]:
    """Apply validated settings (and the office's display name under ``"office_name"``); return changed names.

    ``values`` maps ``OfficeSettings`` field names to new values. The row is validated as a whole before
    anything is written, so a refused change writes nothing. A new logo replaces the old file, which is
    deleted once the transaction commits.
    """
    require_admin(by)
    row = OfficeSettings.objects.select_for_update().get_or_create(singleton=1)[0]
    changes: dict[str, list] = {}
    office_name = values.pop("office_name", None)
    if office_name is not None:
        office_name = office_name.strip()
        if not office_name:
            raise ValidationError({"office_name": _("Enter the office's name.")}, code="name_required")
        if office_name != office.name:
            changes["office_name"] = [office.name, office_name]
    if values.get("require_mfa_for_admins") and not row.require_mfa_for_admins and not _has_totp(by):
        raise ValidationError({"require_mfa_for_admins": ValidationError(
            _("Set up two-factor authentication for your own login first, so that you are not locked out."),
            code="mfa_setup_first")})
    smtp_password = values.pop("smtp_password", None)
    if smtp_password and not smtp_password.isascii():
        # smtplib sends AUTH in ASCII only: such a password could never log in.
        raise ValidationError({"smtp_password": ValidationError(
            _("The SMTP password can contain only Latin letters without diacritics, digits and symbols."),
            code="smtp_password_ascii")})
    for name, value in values.items():
        old = getattr(row, name)
        if old != value:
            changes[name] = [_audit_value(old), _audit_value(value)]
            setattr(row, name, value)
    if not row.smtp_host and (smtp_password is None or smtp_password == "") and row.smtp_password_encrypted:
        smtp_password = ""  # no own server any more: keep no password of it
    if smtp_password is not None and (smtp_password or row.smtp_password_encrypted):
        # Never the password in the audit trail: only that it was set, changed or removed.
        changes["smtp_password"] = ["•••" if row.smtp_password_encrypted else "", "•••" if smtp_password else ""]
        row.smtp_password_encrypted = encrypt(smtp_password)
    row.full_clean(exclude=["logo"])
    _check_smtp(row)
    old_logo_name = row.logo.name if row.logo else ""
    if logo is not None:
        # Only after validation, so a refused change leaves no file behind. Named after the type detected
        # in its content, never after the upload's name (a PNG named logo.html must not become a page).
        extension = validate_logo(logo)
        row.logo.save(logo_upload_to(row, f"logo.{extension}"), logo, save=False)
        changes["logo"] = [old_logo_name, row.logo.name]
    elif clear_logo and old_logo_name:
        row.logo = ""
        changes["logo"] = [old_logo_name, ""]
    if not changes:
        return []
    row.save()
    if "office_name" in changes:
        Office.objects.filter(pk=office.pk).update(name=office_name)
        office.name = office_name
    if "logo" in changes:
        office.logo_file = row.logo.name if row.logo else ""
        Office.objects.filter(pk=office.pk).update(logo_file=office.logo_file)
    if "logo" in changes and old_logo_name:
        storage = row.logo.storage
        transaction.on_commit(partial(storage.delete, old_logo_name))
    record_audit(by, AuditAction.SETTINGS_CHANGED, "", {"changed": changes})
    return list(changes)
