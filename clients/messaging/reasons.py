"""Why a message is where it is, stored as a code and parameters and said in the reader's language.

A row keeps ``reason_code`` and ``reason_params`` (rendered here through gettext for the delivery log and the
messaging page, in the language of whoever reads it) next to ``reason``, an English sentence for the
operator's logs. Rows written before codes existed have only ``reason``; their known sentences were turned
into codes by a data migration (``0003_message_reason_code``), anything else is shown as it was stored.

A leaf module: the outbox services, the dispatcher, the transports and the callbacks use it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from offices.accounts.mail import SMTP_ERROR_TEXTS, smtp_error_text

TEXTS = {
    "lost_sms": _("The worker was lost while sending; asking the provider."),
    "lost_email": _("The worker was lost while sending; the e-mail will be sent again."),
    "resent_email": _("Sent again: the e-mail may not have left when the worker was lost (the same Message-ID "
                      "lets mail systems recognise a second copy)."),
    "gave_up_email": _("The e-mail may or may not have left (SMTP cannot be asked). It was already sent again "
                       "automatically; use “Send again” if the person did not get it."),
    "found_at_provider": _("Found at the provider after the worker was lost."),
    "provider_never_got_it": _("The provider never got it; sending again."),
    "superseded": _("Superseded by a newer summary of the same month."),
    "cancelled_by_office": _("Cancelled by the office within the undo window."),
    "paid_before_reminder": _("Paid before the reminder went out."),
    "suppressed": _("The provider refused this address earlier (invalid number or opted out)."),
    "sms_suspended": _("SMS sending is suspended for the office."),
    "sms_disabled": _("SMS cannot be sent: the portal has no SMS provider configured."),
    "sms_no_sender": _("The office has no SMS sender name, number or Messaging Service."),
    "twilio_unreachable": _("The SMS provider could not be reached."),
    "twilio_no_answer": _("No answer from the SMS provider; it may have the message."),
    "twilio_report": _("The SMS provider reported the message as not delivered."),
    "smtp_broke_off": _("The connection to the SMTP server broke off during sending; the server may have the "
                        "e-mail."),
    "unexpected": _("Unexpected error while sending."),
}

#: Twilio's error codes a person can act on (https://www.twilio.com/docs/api/errors).
TWILIO_ERRORS = {
    "20003": _("the SMS provider rejected the portal's credentials"),
    "20005": _("the SMS provider's account is suspended"),
    "20008": _("the SMS provider rejected the portal's credentials"),
    "21211": _("the number is not a valid phone number"),
    "21408": _("sending SMS to this country is not allowed"),
    "21610": _("the recipient sent STOP and does not accept SMS"),
    "21612": _("the number cannot be reached"),
    "21614": _("the number is not a mobile number"),
    "30003": _("the phone is unreachable or switched off"),
    "30005": _("the number does not exist"),
    "30006": _("the number is a landline or cannot receive SMS"),
    "30007": _("the operator filtered the message"),
}


@dataclass(frozen=True)
class Reason:
    code: str
    params: dict = field(default_factory=dict)

    def as_fields(self) -> dict:
        return {"reason_code": self.code, "reason_params": self.params, "reason": english(self)}


NONE = Reason("")


def _twilio(params: dict) -> str:
    code = str(params.get("code") or "")
    what = TWILIO_ERRORS.get(code)
    if what is not None:
        return str(_("The SMS provider refused the message: %(what)s (error %(code)s).")) % {"what": what,
                                                                                          "code": code}
    return str(_("The SMS provider refused the message (HTTP %(status)s, error %(code)s).")) % {
        "status": params.get("status", ""), "code": code or "-"}


def _twilio_report(params: dict) -> str:
    code = str(params.get("code") or "")
    what = TWILIO_ERRORS.get(code)
    if what is not None:
        return str(_("The SMS provider reported the message as not delivered: %(what)s (error %(code)s).")) % {
            "what": what, "code": code}
    return str(TEXTS["twilio_report"])


def render(code: str, params: dict | None = None) -> str:
    """The sentence for a reason, in the active language ('' for no reason; an unknown code as it is)."""
    params = params or {}
    if not code:
        return ""
    if code == "attempt_failed":
        return str(_("Attempt %(attempt)s failed: %(error)s")) % {
            "attempt": params.get("attempt", ""), "error": render(params.get("error", ""), params.get("error_params"))}
    if code == "gave_up":
        return str(_("Gave up after %(attempts)s attempts. Last error: %(error)s")) % {
            "attempts": params.get("attempts", ""),
            "error": render(params.get("error", ""), params.get("error_params"))}
    if code == "resent_email_sent":
        return str(_("Sent again (%(count)s×): an earlier copy may have arrived too; the same Message-ID lets mail "
                     "systems recognise it.")) % {"count": params.get("count", 1)}
    if code == "twilio_error":
        return _twilio(params)
    if code == "twilio_report":
        return _twilio_report(params)
    if code in SMTP_ERROR_TEXTS:
        return smtp_error_text(code, params)
    if code in TEXTS:
        return str(TEXTS[code])
    return code


def english(reason: Reason) -> str:
    """The same sentence in English, kept in ``Message.reason`` for the operator's logs."""
    with translation.override("en"):
        return render(reason.code, reason.params)


def text_of(message) -> str:
    """What the delivery log says about a message's state, in the reader's language."""
    if message.reason_code:
        return render(message.reason_code, message.reason_params)
    return message.reason


#: how the Twilio transport words its errors in English (``Twilio 401 error 20003: …``): rows from before codes
_TWILIO_SENTENCE = re.compile(r"^Twilio (\d{3})(?: error (\d+))?:")


def suppression_text(row) -> str:
    """Why the provider refused an address (``Suppression``), in the reader's language."""
    if row.reason_code:
        return render(row.reason_code, row.reason_params)
    if row.error_code:
        return render("twilio_error", {"code": row.error_code})
    return str(TEXTS["suppressed"])


def suspension_text(state) -> str:
    """Why SMS is suspended for the office (``OfficeMessaging``), in the reader's language."""
    if state.sms_suspended_reason_code:
        return render(state.sms_suspended_reason_code, state.sms_suspended_reason_params)
    old = _TWILIO_SENTENCE.match(state.sms_suspended_reason or "")
    if old is not None:
        return render("twilio_error", {"status": old.group(1), "code": old.group(2) or ""})
    return str(TWILIO_ERRORS["20003"])
