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
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection
from django.urls import reverse
from requests.exceptions import ConnectionError as RequestsConnectionError
from requests.exceptions import ConnectTimeout, RequestException
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from urllib3.exceptions import NameResolutionError, NewConnectionError

from clients.messaging.links import current_office, portal_url, unsubscribe_url
from clients.messaging.models import Channel, Message, OfficeMessaging
from clients.pdf import month_pdf_filename, render_month_pdf
from offices.accounts.models import OfficeSettings
from offices.accounts.services import office_sender

logger = logging.getLogger(__name__)

#: Twilio error codes that no retry will fix; the number is suppressed for the office.
#: 21211 invalid 'To' number, 21614 not a mobile number, 21610 the recipient replied STOP,
#: 21612 unreachable route, 21408 no permission for the region.
SUPPRESS_CODES = frozenset({21211, 21614, 21610, 21612, 21408})
CREDENTIALS_CODES = frozenset({20003, 20005, 20008})


class TransportError(Exception):
    def __init__(self, message: str, *, permanent: bool = False, code: str = "", unknown: bool = False,
                 credentials: bool = False, suppress: bool = False):
        super().__init__(message)
        self.message = message
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
                             code="sms_no_sender")

    def send(self, message: Message) -> str:
        if not (settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN):
            raise TransportError("SMS is disabled: TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are not set.",
                                 permanent=True, code="sms_disabled")
        try:
            sent = twilio_client().messages.create(to=message.recipient, body=message.body,
                                                   status_callback=status_callback_url(message), **self._sender())
        except TwilioRestException as error:
            raise self._classify(error) from error
        except RequestException as error:
            if _never_reached(error):
                raise TransportError(f"Twilio unreachable: {error.__class__.__name__}") from error
            raise TransportError(f"No answer from Twilio ({error.__class__.__name__}); it may have the message.",
                                 unknown=True) from error
        return sent.sid

    @staticmethod
    def _classify(error) -> TransportError:
        status, code = error.status, error.code
        text = f"Twilio {status}" + (f" error {code}" if code else "") + f": {error.msg}"
        if status == 401 or code in CREDENTIALS_CODES:
            return TransportError(text, credentials=True, code=code or status)
        if status == 429 or status >= 500:
            return TransportError(text, code=code or status)
        return TransportError(text, permanent=True, code=code or status, suppress=code in SUPPRESS_CODES)

    def lookup(self, message: Message) -> str | None:
        if message.provider_id:
            return message.provider_id
        since = message.claimed_at or message.created_at
        try:
            recent = twilio_client().messages.list(to=message.recipient, limit=50)
        except (TwilioRestException, RequestException) as error:
            raise TransportError(f"Twilio could not be asked: {error}") from error
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

    def build(self, message: Message) -> EmailMultiAlternatives:
        from_email, reply_to = office_sender(current_office())
        headers = {"Message-ID": message_id_header(message)}
        if message.resends:  # the same Message-ID, and a mark a person (or a filter) can see
            headers[RESEND_HEADER] = str(message.resends)
        if message.person_id is not None:
            url = unsubscribe_url(message.person)
            headers["List-Unsubscribe"] = f"<{url}>"
            headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        email = EmailMultiAlternatives(message.subject, message.body, from_email, [message.recipient],
                                       reply_to=reply_to, headers=headers)
        if message.html:
            email.attach_alternative(message.html, "text/html")
        if message.purpose in ("summary", "correction") and message.company_id and message.period:
            attachment = month_pdf(message)
            if attachment is not None:
                email.attach(attachment[0], attachment[1], "application/pdf")
        return email

    def send(self, message: Message) -> str:
        email = self.build(message)
        backend = get_connection(fail_silently=False)
        try:
            backend.open()
        except (OSError, smtplib.SMTPException) as error:
            # Nothing was handed over: safe to retry.
            raise TransportError(f"SMTP server unreachable: {error}") from error
        try:
            backend.send_messages([email])
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _text in error.recipients.values()]
            permanent = any(500 <= code < 600 for code in codes)
            raise TransportError(f"SMTP refused the recipient: {error.recipients}", permanent=permanent,
                                 code=codes[0] if codes else "") from error
        except smtplib.SMTPResponseException as error:
            raise TransportError(f"SMTP {error.smtp_code}: {error.smtp_error!r}",
                                 permanent=500 <= error.smtp_code < 600, code=error.smtp_code) from error
        except (smtplib.SMTPServerDisconnected, TimeoutError, OSError) as error:
            raise TransportError(f"The SMTP conversation broke off ({error}); the server may have the e-mail.",
                                 unknown=True) from error
        finally:
            try:
                backend.close()
            except Exception:  # noqa: S110 - closing a broken connection
                pass
        return headers_message_id(email)


def headers_message_id(email: EmailMultiAlternatives) -> str:
    return email.extra_headers.get("Message-ID", "")


TRANSPORTS: dict[str, Transport] = {Channel.SMS: TwilioSms(), Channel.EMAIL: Email()}


def transport_for(channel: str) -> Transport:
    return TRANSPORTS[channel]
