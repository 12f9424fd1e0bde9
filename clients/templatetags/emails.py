"""Template filters of the e-mails and SMS (templates/emails, templates/sms)."""

from django import template

register = template.Library()


@register.filter
def before_full_stop(name) -> str:
    """A name that ends a sentence, without its own final dot: "Żółw Sp. z o.o." + "." is one full stop."""
    return str(name or "").rstrip().rstrip(".")
