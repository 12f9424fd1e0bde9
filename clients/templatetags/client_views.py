"""Template filters of the client views: money, days left."""

from decimal import Decimal

from django import template
from django.utils.formats import number_format
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def money(value) -> str:
    """``1 050,00 zł`` in Polish, ``PLN 1,050.00`` in English; grouping always on, never a float."""
    if value is None or value == "":
        return ""
    amount = number_format(Decimal(value), 2, use_l10n=True, force_grouping=True)
    if (get_language() or "pl").startswith("pl"):
        return f"{amount}\u00a0zł"
    return f"PLN\u00a0{amount}"


@register.filter
def days_left(days) -> str:
    if days is None:
        return ""
    if days == 0:
        return _("due today")
    if days > 0:
        return ngettext("%(n)d day left", "%(n)d days left", days) % {"n": days}
    return ngettext("%(n)d day overdue", "%(n)d days overdue", -days) % {"n": -days}
