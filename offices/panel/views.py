"""The panel's pages. Thin: access comes from the URLconf's wrappers and ``access_*`` helpers,
every write is a call to ``offices.accounts.services``.

htmx requests (``HX-Request: true``) get the changed fragment back; the same URLs without JS
answer a plain POST with a redirect (and show a confirmation page where one is needed).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Max
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clients.messaging.transports import send_test_email
from clients.names import DATA_KIND_LABELS
from clients.office_settling import update_office_settings
from clients.vocabulary import DATA_KINDS
from offices.accounts import services
from offices.accounts.mail import smtp_error_text
from offices.accounts.models import STAFF_ROLES, AuditAction, AuditEntry, OfficeSettings, Role, User
from offices.accounts.validators import LOGO_CONTENT_TYPES, detect_logo_extension
from offices.panel import staff as staff_invitations
from offices.panel.access import access_agent, access_staff_member, is_htmx, needs_mfa_setup
from offices.panel.forms import AgentForm, InviteStaffForm, OfficeSettingsForm, RoleForm, SmtpTestForm
from sync.agents import register_agent, with_latest_batch, withdraw_agent
from sync.models import Agent
from sync.programs import CAPABILITY_LABELS, PROGRAMS

AUDIT_ROWS = 20
AGENT_ACTIONS = (AuditAction.AGENT_REGISTERED, AuditAction.AGENT_REVOKED)
STAFF_ACTIONS = (AuditAction.STAFF_INVITED, AuditAction.ROLE_CHANGED, AuditAction.USER_DEACTIVATED,
                 AuditAction.USER_REACTIVATED)
SETTINGS_ACTIONS = (AuditAction.SETTINGS_CHANGED,)


def _audit(actions) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action__in=actions)[:AUDIT_ROWS])


def _message_text(error: ValidationError) -> str:
    return " ".join(error.messages)


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


# --- Home ---------------------------------------------------------------------------------------


@require_GET
def home(request):
    agents = Agent.objects.filter(revoked_at__isnull=True).aggregate(last_seen=Max("last_seen_at"))
    context = {
        "active_agents": Agent.objects.filter(revoked_at__isnull=True).count(),
        "last_seen": agents["last_seen"],
        "staff_count": User.objects.filter(role__in=STAFF_ROLES, is_active=True).count(),
    }
    return render(request, "offices/panel/home.html", context)


# --- Agents -------------------------------------------------------------------------------------


def _programs_table() -> dict:
    rows = [(program, [(kind, value, CAPABILITY_LABELS[value]) for kind, value in program.capabilities()])
            for program in PROGRAMS.values()]
    return {"kinds": [DATA_KIND_LABELS[kind] for kind in DATA_KINDS], "rows": rows}


@require_http_methods(["GET", "POST"])
def agents(request):
    form = AgentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            agent, raw_token = register_agent(form.cleaned_data["name"], by=request.user)
        except ValidationError as error:
            form.add_error("name", error)
        else:
            # Post/redirect/get: a reload of the token page must not register a second agent. The raw token
            # waits in the session for that one page and is gone once shown (only its hash is stored).
            request.session[_token_session_key(agent.pk)] = raw_token
            return redirect("panel:agent_created", agent_id=agent.pk)
    context = {
        "form": form,
        "agents": with_latest_batch(Agent.objects.select_related("created_by")),
        "programs": _programs_table(),
        "audit": _audit(AGENT_ACTIONS),
    }
    return render(request, "offices/panel/agents.html", context, status=400 if form.errors else 200)


def _token_session_key(agent_id: int) -> str:
    return f"panel:new-agent-token:{agent_id}"


@require_GET
def agent_created(request, agent_id: int):
    agent = access_agent(request.user, agent_id)
    token = request.session.pop(_token_session_key(agent.pk), None)
    return _no_store(render(request, "offices/panel/agent_created.html", {"agent": agent, "token": token}))


@require_http_methods(["GET", "POST"])
def agent_revoke(request, agent_id: int):
    agent = access_agent(request.user, agent_id)
    if request.method == "GET":
        # Without JS the "Revoke" link leads here; with htmx the browser's confirm() asks instead.
        return render(request, "offices/panel/agent_revoke_confirm.html", {"agent": agent})
    revoked = withdraw_agent(agent, by=request.user)
    if is_htmx(request):
        return render(request, "offices/panel/_agent_row.html",
                      {"agent": with_latest_batch(Agent.objects.filter(pk=agent.pk)).get(), "just_revoked": revoked})
    if revoked:
        messages.success(request, _("The agent “%(name)s” was revoked; its token no longer works.")
                         % {"name": agent.name})
    else:
        messages.info(request, _("The agent “%(name)s” was already revoked.") % {"name": agent.name})
    return redirect("panel:agents")


# --- Staff --------------------------------------------------------------------------------------


def _staff_rows():
    return User.objects.filter(role__in=STAFF_ROLES).order_by("-is_active", "role", "email")


def _row_context(request, member: User, **extra) -> dict:
    return {"member": member, "role_form": RoleForm(initial={"role": member.role}, prefix=f"m{member.pk}"),
            "role_choices": [(role.value, role.label) for role in STAFF_ROLES], **extra}


@require_http_methods(["GET", "POST"])
def staff(request):
    form = InviteStaffForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            member = staff_invitations.invite(data["email"], role=Role(data["role"]), by=request.user,
                                              first_name=data["first_name"], last_name=data["last_name"])
        except ValidationError as error:
            form.add_error("email" if error.code in ("email_taken", "invalid") else None, error)
        else:
            messages.success(request, _("%(email)s was invited; the activation link is on its way.")
                             % {"email": member.email})
            return redirect("panel:staff")
    context = {
        "form": form,
        "members": [_row_context(request, member) for member in _staff_rows()],
        "audit": _audit(STAFF_ACTIONS),
    }
    return render(request, "offices/panel/staff.html", context, status=400 if form.errors else 200)


def _staff_action_response(request, member: User, *, done: str | None, error: ValidationError | None):
    """The changed row for htmx; otherwise a message and back to the staff list."""
    if is_htmx(request):
        member.refresh_from_db()
        context = _row_context(request, member, row_error=_message_text(error) if error else "", row_done=done)
        return render(request, "offices/panel/_staff_row.html", context)
    if error is not None:
        messages.error(request, _message_text(error))
    elif done:
        messages.success(request, done)
    return redirect("panel:staff")


@require_POST
def staff_role(request, user_id: int):
    member = access_staff_member(request.user, user_id)
    form = RoleForm(request.POST, prefix=f"m{member.pk}")
    if not form.is_valid():
        error = ValidationError(_("Choose one of the staff roles."), code="invalid_role")
        return _staff_action_response(request, member, done=None, error=error)
    try:
        changed = services.change_role(member, form.cleaned_data["role"], by=request.user)
    except ValidationError as error:
        return _staff_action_response(request, member, done=None, error=error)
    done = (_("%(email)s is now: %(role)s.") % {"email": member.email, "role": member.get_role_display()}
            if changed else None)
    return _staff_action_response(request, member, done=done, error=None)


@require_POST
def staff_deactivate(request, user_id: int):
    member = access_staff_member(request.user, user_id)
    try:
        services.deactivate_user(member, by=request.user)
    except ValidationError as error:
        return _staff_action_response(request, member, done=None, error=error)
    return _staff_action_response(request, member, error=None,
                                  done=_("%(email)s can no longer log in.") % {"email": member.email})


@require_POST
def staff_reactivate(request, user_id: int):
    member = access_staff_member(request.user, user_id)
    try:
        services.reactivate_user(member, by=request.user)
    except ValidationError as error:
        return _staff_action_response(request, member, done=None, error=error)
    return _staff_action_response(request, member, error=None,
                                  done=_("%(email)s can log in again.") % {"email": member.email})


@require_POST
def staff_resend(request, user_id: int):
    member = access_staff_member(request.user, user_id)
    try:
        staff_invitations.resend_invitation(member, by=request.user)
    except ValidationError as error:
        return _staff_action_response(request, member, done=None, error=error)
    return _staff_action_response(request, member, error=None,
                                  done=_("The activation link was sent again to %(email)s.") % {"email": member.email})


# --- Settings -----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def office_settings(request):
    row = OfficeSettings.load()
    form = OfficeSettingsForm(request.POST or None, request.FILES or None, instance=row, office=request.tenant)
    if request.method == "POST" and form.is_valid():
        try:
            changed = update_office_settings(
                request.tenant, form.settings_values(), by=request.user,
                logo=form.cleaned_data.get("logo") or None, clear_logo=form.cleaned_data["clear_logo"],
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, errors in error.error_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, error)
        else:
            if changed:
                messages.success(request, _("The settings were saved."))
            else:
                messages.info(request, _("Nothing changed."))
            return redirect("panel:settings")
    context = {
        "form": form,
        "settings_row": OfficeSettings.load() if form.errors else row,
        "audit": _audit(SETTINGS_ACTIONS),
        "mfa_missing": needs_mfa_setup(request.user),
        "test_form": SmtpTestForm(initial={"to": request.user.email}),
    }
    return render(request, "offices/panel/settings.html", context, status=400 if form.errors else 200)


@require_POST
def office_settings_test_email(request):
    """Send a test e-mail at once through the office's saved connection (its own SMTP server or the portal's)
    to the address given (the admin's own by default); the result, or why it failed in Polish, as a message."""
    form = SmtpTestForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter a valid e-mail address for the test e-mail."))
        return redirect("panel:settings")
    address = form.cleaned_data["to"] or request.user.email
    failure = send_test_email(address, by=request.user)
    if failure is None:
        messages.success(request, _("The test e-mail was sent to %(email)s. Check that it arrived.")
                         % {"email": address})
    else:
        messages.error(request, _("The test e-mail could not be sent: %(reason)s")
                       % {"reason": smtp_error_text(*failure)})
    return redirect("panel:settings")


# --- Branding (outside /panel/: the login page and the client area show the logo too) -----------------


@require_GET
def office_logo(request):
    row = OfficeSettings.load()
    if not row.logo:
        raise Http404
    try:
        handle = row.logo.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    # The type comes from the content, never from the stored name: a file that is not one of the logo
    # image types (a logo stored before names followed the content) is not served at all.
    extension = detect_logo_extension(handle)
    if extension is None:
        handle.close()
        raise Http404
    response = FileResponse(handle, content_type=LOGO_CONTENT_TYPES[extension],
                            filename=f"logo.{extension}", as_attachment=False)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "public, max-age=86400"
    return response
