"""Template filters that show the vocabulary's display names (``clients.names``), never its codes."""

from django import template

from clients.names import figure_name as _figure_name
from clients.names import program_name as _program_name
from clients.names import source_name as _source_name

register = template.Library()


@register.filter
def figure_name(kind: str) -> str:
    """``tax:PIT-5L`` → "Zaliczka na podatek dochodowy, liniowy (PIT-5L)"."""
    return _figure_name(kind or "")


@register.filter
def program_name(code: str) -> str:
    """``optima`` → "Comarch ERP Optima"; no code → ""."""
    return _program_name(code) if code else ""


@register.filter
def source_name(code: str) -> str:
    """A revision's source: ``optima`` → "Comarch ERP Optima", ``manual`` → "entered by hand"."""
    return _source_name(code) if code else ""
