"""Transports: how a message leaves (healthchecks' ``hc/api/transports.py`` shape).

Each transport sends one ``Message`` and returns the provider's id, or raises ``TransportError``
saying what the dispatcher should do: give up (``permanent``), wait and retry (the default),
reconcile because the provider may have it (``unknown``), or stop the channel for the office
because the provider rejected our credentials (``credentials``).
"""

import logging
import smtplib
import threading
from collections import OrderedDict

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from requests.exceptions import ConnectionError as RequestsConnectionError
from requests.exceptions import ConnectTimeout, RequestException
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from urllib3.exceptions import NameResolutionError, NewConnectionError

from clients.messaging.links import current_office, portal_url, unsubscribe_url
from clients.messaging.models import Channel, Message, OfficeMessaging
from clients.messaging.reasons import Reason
from clients.pdf import month_pdf_filename, render_month_pdf
from offices.accounts.branding import branding
from offices.accounts.mail import (
    BrandedEmail,
    SmtpConfigurationError,
    build_email,
    connection_target,
    describe_smtp_error,
    office_connection,
)
from offices.accounts.mail import send_test_email as mail_send_test_email
from offices.accounts.models import OfficeSettings

logger = logging.getLogger(__name__)

#: Twilio error codes that no retry will fix; the number is suppressed for the office.
#: 21211 invalid 'To' number, 21614 not a mobile number, 21610 the recipient replied STOP,
#: 21612 unreachable route, 21408 no permission for the region.
SUPPRESS_CODES = frozenset({21211, 21614, 21610, 21612, 21408})
CREDENTIALS_CODES = frozenset({20003, 20005, 20008})


class TransportError(Exception):
    """``message``: English, for the logs; ``reason``: what the delivery log says (a code, in the reader's language)."""

    def __init__(self, message: str, *, permanent: bool = False, code: str = "", unknown: bool = False,
                 credentials: bool = False, suppress: bool = False, reason: Reason | None = None):
        super().__init__(message)
        self.message = message
        self.reason = reason or Reason("unexpected")
        self.permanent = permanent
        self.code = str(code or "")
        self.unknown = unknown
        self.credentials = credentials
        self.suppress = suppress


class Transport:
    channel: str

    def send(self, message: Message) -> str:
        raise NotImplementedError

    def lookup(self, message: Message) -> str | None:
        """The provider's id of ``message`` if the provider has it, None if it surely does not.

        Raises ``TransportError`` when the provider cannot tell (the message stays unknown).
        """
        raise TransportError("This provider cannot be asked about a message it may have received.")


# --- SMS (Twilio) -----------------------------------------------------------------------------------

_local = threading.local()
# twilio's HTTP client logs every request's headers at INFO: keep that to warnings.
_twilio_http_log = logging.getLogger("clients.messaging.twilio_http")
_twilio_http_log.setLevel(logging.WARNING)


def twilio_client():
    """A Twilio client per thread and credentials, pointed at ``TWILIO_API_BASE`` (a local fake in tests)."""
    key = (settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, settings.TWILIO_API_BASE)
    cached = getattr(_local, "twilio", None)
    if cached is None or cached[0] != key:
        timeout = settings.TWILIO_TIMEOUT
        client = Client(key[0], key[1], http_client=TwilioHttpClient(timeout=timeout, logger=_twilio_http_log))
        client.api.base_url = key[2].rstrip("/")
        _local.twilio = cached = (key, client)
    return cached[1]


def status_callback_url(message: Message) -> str:
    return portal_url(reverse("messaging:twilio_status")) + f"?m={message.pk}"


def _never_reached(error: Exception) -> bool:
    """True when the request surely did not reach the provider (refused, DNS, connect timeout)."""
    if isinstance(error, ConnectTimeout):
        return True
    if isinstance(error, RequestsConnectionError):
        reason = getattr(error.args[0], "reason", None) if error.args else None
        return isinstance(reason, NewConnectionError | NameResolutionError | ConnectionRefusedError)
    return False


class TwilioSms(Transport):
    channel = Channel.SMS

    def _sender(self) -> dict:
        service = OfficeMessaging.load().messaging_service_sid
        if service:
            return {"messaging_service_sid": service}
        sender = OfficeSettings.load().sms_sender
        if sender:
            return {"from_": sender}
        raise TransportError("The office has no SMS sender name, number or Messaging Service.", permanent=True,
                             code="sms_no_sender", reason=Reason("sms_no_sender"))

    def send(self, message: Message) -> str:
        if not (settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN):
            raise TransportError("SMS is disabled: TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are not set.",
                                 permanent=True, code="sms_disabled", reason=Reason("sms_disabled"))
        try:
            sent = twilio_client().messages.create(to=message.recipient, body=message.body,
                                                   status_callback=status_callback_url(message), **self._sender())
        except TwilioRestException as error:
            raise self._classify(error) from error
        except RequestException as error:
            if _never_reached(error):
                raise TransportError(f"Twilio unreachable: {error.__class__.__name__}",
                                     reason=Reason("twilio_unreachable")) from error
            raise TransportError(f"No answer from Twilio ({error.__class__.__name__}); it may have the message.",
                                 unknown=True, reason=Reason("twilio_no_answer")) from error
        return sent.sid

    @staticmethod
    def _classify(error) -> TransportError:
        status, code = error.status, error.code
        text = f"Twilio {status}" + (f" error {code}" if code else "") + f": {error.msg}"
        reason = Reason("twilio_error", {"status": status, "code": str(code or "")})
        if status == 401 or code in CREDENTIALS_CODES:
            return TransportError(text, credentials=True, code=code or status, reason=reason)
        if status == 429 or status >= 500:
            return TransportError(text, code=code or status, reason=reason)
        return TransportError(text, permanent=True, code=code or status, suppress=code in SUPPRESS_CODES,
                              reason=reason)

    def lookup(self, message: Message) -> str | None:
        if message.provider_id:
            return message.provider_id
        since = message.claimed_at or message.created_at
        try:
            recent = twilio_client().messages.list(to=message.recipient, limit=50)
        except (TwilioRestException, RequestException) as error:
            raise TransportError(f"Twilio could not be asked: {error}", reason=Reason("twilio_unreachable")) from error
        for candidate in recent:
            created = candidate.date_created
            if candidate.body == message.body and (created is None or created >= since.replace(microsecond=0)):
                return candidate.sid
        return None


# --- e-mail -----------------------------------------------------------------------------------------


#: On an e-mail sent again although the first copy may have arrived: how many times it was resent.
RESEND_HEADER = "X-Biurko-Resend"


def message_id_header(message: Message) -> str:
    """A Message-ID fixed per outbox row: a repeated delivery is recognisably the same e-mail."""
    return f"<biurko.{connection.schema_name}.{message.pk}@{settings.BASE_DOMAIN}>"


_pdf_cache: OrderedDict = OrderedDict()
_PDF_CACHE_SIZE = 16


def month_pdf(message: Message) -> tuple[str, bytes] | None:
    """The month's PDF for a summary or correction (None when the PDF module is not there).

    Rendering costs about half a second (WeasyPrint), so the people of one company share it: the last
    few PDFs are kept per worker process, keyed by the approved revisions the message is about.
    """
    key = (connection.schema_name, message.company_id, message.period, tuple(sorted(message.revision_ids)))
    if key not in _pdf_cache:
        _pdf_cache[key] = render_month_pdf(message.company, message.period)
        while len(_pdf_cache) > _PDF_CACHE_SIZE:
            _pdf_cache.popitem(last=False)
    _pdf_cache.move_to_end(key)
    return month_pdf_filename(message.company, message.period), _pdf_cache[key]


class Email(Transport):
    channel = Channel.EMAIL

    def build(self, message: Message, office_settings: OfficeSettings | None = None) -> BrandedEmail:
        headers = {"Message-ID": message_id_header(message)}
        if message.resends:  # the same Message-ID, and a mark a person (or a filter) can see
            headers[RESEND_HEADER] = str(message.resends)
        if message.person_id is not None:
            url = unsubscribe_url(message.person)
            headers["List-Unsubscribe"] = f"<{url}>"
            headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        email = build_email(current_office(), message.subject, message.body, message.html, [message.recipient],
                            headers=headers, office_settings=office_settings)
        if message.purpose in ("summary", "correction") and message.company_id and message.period:
            attachment = month_pdf(message)
            if attachment is not None:
                email.attach(attachment[0], attachment[1], "application/pdf")
        return email

    def send(self, message: Message) -> str:
        office_settings = OfficeSettings.load()
        email = self.build(message, office_settings)
        host, port = connection_target(office_settings)
        try:
            backend = office_connection(office_settings)  # the office's own SMTP server, else the platform's
            backend.open()
        except (SmtpConfigurationError, OSError, smtplib.SMTPException) as error:
            # Nothing was handed over: safe to retry (the office may be fixing its settings).
            code, params = describe_smtp_error(error, host=host, port=port)
            raise TransportError(f"SMTP server {host}:{port} unusable: {error}", code=code,
                                 reason=Reason(code, params)) from error
        try:
            backend.send_messages([email])
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _text in error.recipients.values()]
            permanent = any(500 <= code < 600 for code in codes)
            raise TransportError(f"SMTP refused the recipient: {error.recipients}", permanent=permanent,
                                 code=codes[0] if codes else "",
                                 reason=Reason(*describe_smtp_error(error, host=host, port=port))) from error
        except smtplib.SMTPResponseException as error:
            raise TransportError(f"SMTP {error.smtp_code}: {error.smtp_error!r}",
                                 permanent=500 <= error.smtp_code < 600, code=error.smtp_code,
                                 reason=Reason(*describe_smtp_error(error, host=host, port=port))) from error
        except (smtplib.SMTPServerDisconnected, TimeoutError, OSError) as error:
            raise TransportError(f"The SMTP conversation broke off ({error}); the server may have the e-mail.",
                                 unknown=True, reason=Reason("smtp_broke_off")) from error
        finally:
            try:
                backend.close()
            except Exception:  # noqa: S110 - closing a broken connection
                pass
        return headers_message_id(email)


def send_test_email(to: str, *, by=None) -> tuple[str, dict] | None:
    """The panel's "send a test e-mail": a branded e-mail sent at once through the office's connection.

    Returns None when the server took it, else the failure's code and parameters
    (``offices.accounts.mail.smtp_error_text`` says it in Polish). Not an outbox message: nobody else is
    written to, and the office must see the result at once (docs/messaging.md, "Per-office SMTP").
    """
    office_settings = OfficeSettings.load()
    office = current_office()
    context = {"office": office, "brand": branding(office, office_settings), "user": by,
               "portal_url": portal_url("/"), "own_server": office_settings.uses_own_smtp,
               "server": connection_target(office_settings)[0]}
    with translation.override(settings.LANGUAGE_CODE):
        subject = " ".join(render_to_string("emails/smtp_test-subject.txt", context).split())
        body = render_to_string("emails/smtp_test-body.txt", context)
        html = render_to_string("emails/smtp_test-body.html", context)
    email = build_email(office, subject, body, html, [to], office_settings=office_settings)
    return mail_send_test_email(email, office_settings)


def headers_message_id(email: EmailMultiAlternatives) -> str:
    return email.extra_headers.get("Message-ID", "")


TRANSPORTS: dict[str, Transport] = {Channel.SMS: TwilioSms(), Channel.EMAIL: Email()}


def transport_for(channel: str) -> Transport:
    return TRANSPORTS[channel]
