import logging
import smtplib
from email.utils import formataddr, parseaddr

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.mail import get_connection
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.encoding import force_str

from offices.accounts.branding import branding
from offices.accounts.mail import SmtpConfigurationError, build_email, describe_smtp_error, office_connection
from offices.accounts.models import OfficeSettings
from offices.accounts.network import client_ip
from offices.tenancy import current_office, office_url

logger = logging.getLogger(__name__)


class OfficeAccountAdapter(DefaultAccountAdapter):
    """Offices invite their staff and clients; nobody signs up on an office host."""

    def is_open_for_signup(self, request):
        return False

    def get_client_ip(self, request) -> str:
        # allauth's own reading raises ImproperlyConfigured (a 500) for a short X-Forwarded-For;
        # ours falls back to the socket's address. Every rate limit "per ip" uses this.
        ip = client_ip(request)
        if not ip:
            raise PermissionDenied("Unable to determine the client's IP address.")
        return ip

    def _get_login_attempts_cache_key(self, request, **credentials) -> str:
        # The "per key" login limit counts failures per account *and* address: a stranger failing on
        # someone's account from elsewhere never locks its owner out (the "per ip" limit stops the stranger).
        return f"{super()._get_login_attempts_cache_key(request, **credentials)}:{self.get_client_ip(request)}"

    # --- e-mails: the office's own, branded, through its connection -------------------------------------

    def format_email_subject(self, subject: str) -> str:
        # No "[host]" prefix: the sender's name already says which office writes.
        return force_str(subject)

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """allauth's e-mails (confirmation, password reset, notices) as the office's branded e-mails.

        Texts: ``templates/account/email/*`` and ``templates/mfa/email/*`` (ours override allauth's), in
        Polish; the HTML part wraps the text in the office's layout (``emails/account-body.html``). Sent at
        once, like allauth does, through the office's own SMTP server; when that server fails, through the
        platform's (a person waiting for a password reset link must get it), and the failure is logged.
        """
        office = current_office()
        office_settings = OfficeSettings.load()
        ctx = {"request": allauth_context.request, "email": email, "office": office,
               "brand": branding(office, office_settings), "portal_url": office_url(office.slug, "/"), **context}
        with translation.override(settings.LANGUAGE_CODE):
            subject = self.format_email_subject(
                " ".join(render_to_string(f"{template_prefix}_subject.txt", ctx).splitlines()).strip())
            body = render_to_string(f"{template_prefix}_message.txt", ctx)
            html = render_to_string("emails/account-body.html", {**ctx, "body": body})
        message = build_email(office, subject, body, html, [email], office_settings=office_settings)
        try:
            message.connection = office_connection(office_settings)
            message.send()
        except (SmtpConfigurationError, smtplib.SMTPException, OSError) as error:
            if not office_settings.uses_own_smtp:
                raise
            code, _params = describe_smtp_error(error)
            logger.warning("office %s: its SMTP server failed (%s) for %s; sent through the platform's",
                           office.slug, code, template_prefix)
            fallback = build_email(office, subject, body, html, [email], office_settings=office_settings)
            fallback.from_email = _platform_sender(fallback.from_email)
            fallback.connection = get_connection(fail_silently=False)
            fallback.send()


def _platform_sender(office_from: str) -> str:
    """The office's display name with the platform's address (the office's address needs its server)."""
    name, _address = parseaddr(office_from)
    return formataddr((name, parseaddr(settings.DEFAULT_FROM_EMAIL)[1]))
