"""Who may use the panel: the one access layer every panel view goes through.

- anonymous → the login page (for htmx requests, an ``HX-Redirect`` there);
- logged in but not allowed (a client, or a bookkeeper on an administrators' page) → 404, the same
  answer as for a page that does not exist, so the panel's shape is not revealed;
- an owner/administrator of an office that requires two-factor authentication, without an
  authenticator app yet → the TOTP set-up page, before any panel page.

Objects are fetched through ``access_*`` helpers that return the object or the same 404 for "missing"
and "not yours"; views never call ``.get(pk=…)`` themselves.
"""

from functools import wraps

from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from offices.accounts.models import STAFF_ROLES, OfficeSettings, User
from sync.models import Agent

STAFF = "staff"
ADMIN = "admin"


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _redirect(request: HttpRequest, url: str) -> HttpResponse:
    if is_htmx(request):
        # htmx follows a 302 inside the XHR and would swap the login page into a table row.
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def needs_mfa_setup(user: User) -> bool:
    """True when the office requires two-factor authentication from this user and they have not set it up."""
    if not user.is_office_admin:
        return False
    if not OfficeSettings.load().require_mfa_for_admins:
        return False
    return not is_mfa_enabled(user, [Authenticator.Type.TOTP])


def allowed(user, level: str) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_office_admin if level == ADMIN else user.is_office_staff


def _guard(view, level: str):
    @wraps(view)
    def guarded(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            if is_htmx(request):
                return _redirect(request, f"{reverse('account_login')}?next={request.path}")
            return redirect_to_login(request.get_full_path())
        if not allowed(user, level):
            raise Http404
        if needs_mfa_setup(user):
            messages.warning(request, _("This office requires two-factor authentication for owners and "
                                        "administrators. Set up an authenticator app to continue."))
            return _redirect(request, reverse("mfa_activate_totp"))
        return view(request, *args, **kwargs)

    guarded.panel_access = level
    return guarded


def staff_required(view):
    """Owners, administrators and bookkeepers."""
    return _guard(view, STAFF)


def admin_required(view):
    """Owners and administrators."""
    return _guard(view, ADMIN)


def access_agent(user: User, agent_id: int):
    if not allowed(user, ADMIN):
        raise Http404
    agent = Agent.objects.filter(pk=agent_id).first()
    if agent is None:
        raise Http404
    return agent


def access_staff_member(user: User, user_id: int) -> User:
    """A staff login of this office, for an administrator; clients' logins are not managed here."""
    if not allowed(user, ADMIN):
        raise Http404
    member = User.objects.filter(pk=user_id, role__in=STAFF_ROLES).first()
    if member is None:
        raise Http404
    return member
