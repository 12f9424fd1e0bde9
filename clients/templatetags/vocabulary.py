"""Template filters that show the vocabulary's display names (``clients.names``), never its codes."""

from django import template

from clients.names import figure_name as _figure_name

register = template.Library()


@register.filter
def figure_name(kind: str) -> str:
    """``tax:PIT-5L`` → "Zaliczka na podatek dochodowy, liniowy (PIT-5L)"."""
    return _figure_name(kind or "")
