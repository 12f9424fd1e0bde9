from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from offices.forms import OfficeSignupForm
from offices.provisioning import create_office
from offices.tenancy import office_url

SIGNUPS_PER_IP_PER_HOUR = 5


def landing(request):
    return render(request, "offices/landing.html")


def _signup_allowed(ip: str) -> bool:
    key = f"signup-attempts:{ip}"
    cache.add(key, 0, timeout=3600)
    return cache.incr(key) <= SIGNUPS_PER_IP_PER_HOUR


@require_http_methods(["GET", "POST"])
def signup(request):
    form = OfficeSignupForm(request.POST or None, base_domain=settings.BASE_DOMAIN)
    if request.method == "POST" and form.is_valid():
        if not _signup_allowed(request.META.get("REMOTE_ADDR", "")):
            form.add_error(None, _("Too many offices were created from your address. Try again in an hour."))
        else:
            data = form.cleaned_data
            try:
                provisioned = create_office(slug=data["slug"], name=data["name"], owner_email=data["owner_email"],
                                            owner_password=data["password1"])
            except ValidationError as exc:
                form.add_error("slug" if exc.code and exc.code.startswith("slug") else None, exc)
            else:
                office = provisioned.office
                return render(request, "offices/signup_done.html",
                              {"new_office": office, "login_url": office_url(office.slug, "/accounts/login/")},
                              status=201)
    return render(request, "offices/signup.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def home(request):
    # Staff work in the panel; clients in their own views.
    if request.user.is_office_staff:
        return redirect("panel:home")
    return redirect("clients:dashboard")
