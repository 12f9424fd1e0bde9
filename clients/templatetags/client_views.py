"""Template filters of the client views: money, days left."""

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clients import names

register = template.Library()


@register.filter
def money(value) -> str:
    """``1 050,00 zł`` in Polish, ``PLN 1,050.00`` in English (``clients.names.money``)."""
    return names.money(value)


@register.filter
def days_left(days) -> str:
    if days is None:
        return ""
    if days == 0:
        return _("due today")
    if days > 0:
        return ngettext("%(n)d day left", "%(n)d days left", days) % {"n": days}
    return ngettext("%(n)d day overdue", "%(n)d days overdue", -days) % {"n": -days}
