"""How an office's e-mail leaves: its own SMTP server when it set one, else the platform's.

``office_connection()`` is the one place that builds the connection (the outbox's e-mail transport, allauth's
e-mails and the panel's test send use it). ``describe_smtp_error`` turns what smtplib raised into a stable
code and parameters; ``smtp_error_text`` says it in the reader's language (the panel's test send, the delivery
log), so no English exception text reaches an office.
"""

from __future__ import annotations

import ipaddress
import smtplib
import socket
import ssl
from email.mime.image import MIMEImage

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.smtp import EmailBackend
from django.core.mail.message import SafeMIMEMultipart
from django.utils.translation import gettext_lazy as _

from offices.accounts.branding import LOGO_CID, office_logo
from offices.accounts.encryption import DecryptionError, decrypt
from offices.accounts.models import OfficeSettings, SmtpSecurity
from offices.accounts.services import office_sender

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


class SmtpConfigurationError(Exception):
    """The office's SMTP settings cannot be used as they are (the office must change them)."""

    def __init__(self, code: str, params: dict | None = None):
        super().__init__(code)
        self.code = code
        self.params = params or {}


def _refuse_private_host(host: str, port: int) -> None:
    """An office's server must be on the internet: not the platform's loopback or private network."""
    if settings.OFFICE_SMTP_ALLOW_PRIVATE_HOSTS:
        return
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)}
    except OSError:
        return  # smtplib reports the name that does not resolve (smtp_dns)
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if not ip.is_global:
            raise SmtpConfigurationError("smtp_private_host", {"host": host})


def office_connection(office_settings: OfficeSettings | None = None) -> EmailBackend:
    """An unopened connection: the office's SMTP server (``OfficeSettings.smtp_*``) or the platform's.

    Raises ``SmtpConfigurationError`` when the office's server may not be used (a private address) or its
    stored password cannot be decrypted (the encryption keys changed).
    """
    office_settings = office_settings or OfficeSettings.load()
    if not office_settings.uses_own_smtp:
        return get_connection(fail_silently=False)
    try:
        password = decrypt(office_settings.smtp_password_encrypted)
    except DecryptionError:
        raise SmtpConfigurationError("smtp_password_unreadable") from None
    _refuse_private_host(office_settings.smtp_host, office_settings.smtp_port)
    return get_connection(
        SMTP_BACKEND, fail_silently=False, host=office_settings.smtp_host, port=office_settings.smtp_port,
        username=office_settings.smtp_username, password=password,
        use_tls=office_settings.smtp_security == SmtpSecurity.STARTTLS,
        use_ssl=office_settings.smtp_security == SmtpSecurity.SSL, timeout=settings.EMAIL_TIMEOUT)


class BrandedEmail(EmailMultiAlternatives):
    """An e-mail whose HTML part carries inline images (the office's logo) in a ``multipart/related``.

    Django puts attachments next to the alternatives (``multipart/mixed``); an image the HTML refers to by
    ``cid:`` belongs with the HTML (RFC 2387), so mail programs show it in place and not as an attachment.
    """

    def __init__(self, *args, inline_images=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.inline_images = list(inline_images)  # (content id, bytes, subtype)

    def _create_alternatives(self, msg):
        msg = super()._create_alternatives(msg)
        if not self.inline_images or not msg.is_multipart():
            return msg
        parts = msg.get_payload()
        for index, part in enumerate(parts):
            if part.get_content_type() == "text/html":
                related = SafeMIMEMultipart(_subtype="related", encoding=self.encoding or settings.DEFAULT_CHARSET)
                related.attach(part)
                for content_id, data, subtype in self.inline_images:
                    image = MIMEImage(data, _subtype=subtype)
                    image.add_header("Content-ID", f"<{content_id}>")
                    image.add_header("Content-Disposition", "inline", filename=f"{content_id}.{subtype}")
                    related.attach(image)
                parts[index] = related
                msg.set_payload(parts)
                break
        return msg


def build_email(office, subject: str, body: str, html: str, to: list[str], *, headers: dict | None = None,
                office_settings: OfficeSettings | None = None) -> BrandedEmail:
    """An e-mail of the office: its sender and Reply-To, the HTML's logo inline (``cid:``)."""
    office_settings = office_settings or OfficeSettings.load()
    from_email, reply_to = office_sender(office, office_settings)
    images = []
    if html and f"cid:{LOGO_CID}" in html:
        logo = office_logo(office_settings)
        if logo is not None:
            images.append((LOGO_CID, *logo))
    email = BrandedEmail(subject, body, from_email, to, reply_to=reply_to, headers=headers or {},
                         inline_images=images)
    if html:
        email.attach_alternative(html, "text/html")
    return email


# --- what went wrong, in the reader's language --------------------------------------------------------

SMTP_ERROR_TEXTS = {
    "smtp_auth": _("The SMTP server refused the user name or password (%(smtp_code)s)."),
    "smtp_auth_unsupported": _("The SMTP server does not accept logins on this connection; check the connection "
                               "security (STARTTLS or SSL/TLS)."),
    "smtp_tls_unsupported": _("The SMTP server does not offer STARTTLS; choose SSL/TLS or check the port."),
    "smtp_tls": _("The secure connection to the SMTP server failed (certificate or TLS settings): %(detail)s"),
    "smtp_refused": _("The SMTP server %(host)s refused the connection on port %(port)s."),
    "smtp_dns": _("The SMTP server's name %(host)s cannot be found."),
    "smtp_timeout": _("The SMTP server %(host)s did not answer in time."),
    "smtp_disconnected": _("The SMTP server closed the connection unexpectedly; check the port and the "
                           "connection security."),
    "smtp_sender_refused": _("The SMTP server refused the sender address %(sender)s (%(smtp_code)s)."),
    "smtp_recipient_refused": _("The SMTP server refused the recipient (%(smtp_code)s)."),
    "smtp_error": _("The SMTP server answered with an error (%(smtp_code)s)."),
    "smtp_unreachable": _("The SMTP server %(host)s cannot be reached."),
    "smtp_private_host": _("The SMTP server %(host)s is on a private network address; the portal does not "
                           "connect there."),
    "smtp_password_unreadable": _("The stored SMTP password cannot be read (the portal's encryption key "
                                  "changed); enter the password again."),
}


def describe_smtp_error(error: BaseException, *, host: str = "", port: int | str = "") -> tuple[str, dict]:
    """A stable code and parameters for an SMTP failure (the order matters: most specific first)."""
    base = {"host": host, "port": port}
    if isinstance(error, SmtpConfigurationError):
        return error.code, {**base, **error.params}
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return "smtp_auth", {**base, "smtp_code": error.smtp_code}
    if isinstance(error, smtplib.SMTPNotSupportedError):
        text = str(error).lower()
        return ("smtp_tls_unsupported" if "starttls" in text else "smtp_auth_unsupported"), base
    if isinstance(error, smtplib.SMTPSenderRefused):
        return "smtp_sender_refused", {**base, "smtp_code": error.smtp_code, "sender": error.sender}
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _text in error.recipients.values()]
        return "smtp_recipient_refused", {**base, "smtp_code": codes[0] if codes else ""}
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return "smtp_disconnected", base
    if isinstance(error, smtplib.SMTPResponseException):
        return "smtp_error", {**base, "smtp_code": error.smtp_code}
    if isinstance(error, smtplib.SMTPException) and "auth" in str(error).lower():
        return "smtp_auth_unsupported", base
    if isinstance(error, ssl.SSLError):
        return "smtp_tls", {**base, "detail": getattr(error, "reason", None) or error.__class__.__name__}
    if isinstance(error, ConnectionRefusedError):
        return "smtp_refused", base
    if isinstance(error, socket.gaierror):
        return "smtp_dns", base
    if isinstance(error, TimeoutError):
        return "smtp_timeout", base
    return "smtp_unreachable", base


def smtp_error_text(code: str, params: dict) -> str:
    """The sentence for a code of ``describe_smtp_error`` (missing parameters are shown empty)."""
    template = SMTP_ERROR_TEXTS.get(code)
    if template is None:
        return ""

    class _Blank(dict):
        def __missing__(self, key):
            return ""

    return str(template) % _Blank(params)


def connection_target(office_settings: OfficeSettings) -> tuple[str, int]:
    """The host and port an office's e-mail goes to (for messages about a failure)."""
    if office_settings.uses_own_smtp:
        return office_settings.smtp_host, office_settings.smtp_port
    return settings.EMAIL_HOST, settings.EMAIL_PORT


def send_test_email(email: EmailMultiAlternatives, office_settings: OfficeSettings) -> tuple[str, dict] | None:
    """Send ``email`` at once through the office's connection; None when it left, else (code, params).

    Synchronous on purpose (the panel's "send a test e-mail"): the office sees at once whether its server
    takes the message, and why not, instead of a row in the outbox retried for hours.
    """
    host, port = connection_target(office_settings)
    try:
        backend = office_connection(office_settings)
        email.connection = backend
        backend.send_messages([email])
    except (SmtpConfigurationError, smtplib.SMTPException, OSError) as error:
        return describe_smtp_error(error, host=host, port=port)
    return None
