"""What a client changes themselves: "I have paid this" marks and message preferences.

Views call these; the office panel reads the marks through :func:`paid_marks_for`. A mark (or its undo)
refreshes the item's stored payment status (``clients.item_statuses``).
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.item_statuses import refresh_item_statuses
from clients.models import Company, PaymentMark, Person
from clients.unpaid import PaymentItem
from clients.validators import normalize_phone


@transaction.atomic
def mark_paid(item: PaymentItem, *, by) -> PaymentMark:
    """Record that the client paid ``item`` (its current approved amount). Idempotent: marking again keeps one row.

    Refused (ValidationError ``nothing_to_pay``) for a refund, a zero amount or an item without a value.
    """
    if not item.payable:
        raise ValidationError(_("There is nothing to pay here."), code="nothing_to_pay")
    PaymentMark.objects.bulk_create(
        [PaymentMark(figure=item.figure, amount=item.amount, marked_by=by, marked_at=timezone.now())],
        update_conflicts=True, unique_fields=["figure"], update_fields=["amount", "marked_by", "marked_at"])
    mark = PaymentMark.objects.get(figure=item.figure)
    item.mark = mark
    refresh_item_statuses([item.company.pk], [item.period])
    return mark


@transaction.atomic
def unmark_paid(item: PaymentItem) -> bool:
    """Undo a paid mark; False when there was none."""
    deleted, _rows = PaymentMark.objects.filter(figure=item.figure).delete()
    item.mark = None
    if deleted:
        refresh_item_statuses([item.company.pk], [item.period])
    return bool(deleted)


def paid_marks_for(company: Company, period: date | None = None) -> QuerySet[PaymentMark]:
    """The company's paid marks (optionally of one month), with the figure and who marked it — for the panel.

    A mark's ``amount`` is what the client saw when marking; compare it with the figure's approved amount
    to spot a payment made before a correction.
    """
    marks = PaymentMark.objects.filter(figure__company=company).select_related("figure", "marked_by")
    if period is not None:
        marks = marks.filter(figure__period=period)
    return marks.order_by("figure__period", "figure__kind", "figure__payer_key")


@transaction.atomic
def set_preferences(person: Person, *, notify_email: bool, notify_sms: bool, phone: str = "",
                    opted_out: bool = False) -> Person:
    """A person's own choice of channels. Opting out switches both channels off; SMS needs a valid phone.

    Raises ValidationError (``{"phone": …}``, code ``invalid_phone`` or ``phone_required``) and writes nothing.
    """
    phone = (phone or "").strip()
    if phone:
        try:
            phone = normalize_phone(phone)
        except ValidationError as error:
            raise ValidationError({"phone": error}) from None
    if opted_out:
        notify_email = notify_sms = False
    if notify_sms and not phone:
        raise ValidationError({"phone": ValidationError(_("Enter a mobile number to get text messages."),
                                                        code="phone_required")})
    person.notify_email, person.notify_sms, person.phone, person.opted_out = notify_email, notify_sms, phone, opted_out
    person.save(update_fields=["notify_email", "notify_sms", "phone", "opted_out"])
    return person
