"""A small server-side SVG bar chart of a year's revenue and costs (no JavaScript, works in PDFs too)."""

from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

WIDTH, HEIGHT = 600, 220
LEFT, RIGHT, TOP, BOTTOM = 8, 8, 22, 24
REVENUE_COLOUR, COSTS_COLOUR = "#1f5fbf", "#e0892b"
MONTH_LABELS = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")


def _amount(value: Decimal) -> str:
    return f"{value:,.2f}".replace(",", "\u00a0")


def revenue_costs_svg(months, *, year: int, highlight=None) -> SafeString:
    """Twelve pairs of bars (revenue, costs), each with a ``<title>`` tooltip; empty months stay empty.

    ``months``: 12 objects with ``period``, ``revenue`` and ``costs`` (Decimal or None).
    """
    values = [abs(v) for m in months for v in (m.revenue, m.costs) if v is not None]
    peak = max(values, default=Decimal(0)) or Decimal(1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / 12
    bar = slot * 0.34
    label = escape(_("Revenue and costs in %(year)s") % {"year": year})
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
             f'aria-label="{label}" class="chart" preserveAspectRatio="xMidYMid meet">',
             f'<title>{label}</title>',
             f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}" stroke="#c5cbd6"/>']
    revenue_word, costs_word = escape(_("Revenue")), escape(_("Costs"))
    for index, month in enumerate(months):
        x = LEFT + index * slot + (slot - 2 * bar) / 2
        if highlight is not None and month.period == highlight:
            parts.append(f'<rect x="{LEFT + index * slot:.1f}" y="{TOP - 4}" width="{slot:.1f}" '
                         f'height="{plot_h + 4}" fill="#eef3fb"/>')
        for offset, value, colour, word in ((0, month.revenue, REVENUE_COLOUR, revenue_word),
                                            (bar, month.costs, COSTS_COLOUR, costs_word)):
            if value is None:
                continue
            height = max(float(abs(value) / peak) * plot_h, 1.0)
            parts.append(f'<rect x="{x + offset:.1f}" y="{TOP + plot_h - height:.1f}" width="{bar:.1f}" '
                         f'height="{height:.1f}" rx="1.5" fill="{colour}"><title>{word} '
                         f'{month.period.month:02d}.{month.period.year}: {_amount(value)}</title></rect>')
        parts.append(f'<text x="{LEFT + index * slot + slot / 2:.1f}" y="{HEIGHT - 7}" font-size="11" '
                     f'text-anchor="middle" fill="#5b6475">{MONTH_LABELS[index]}</text>')
    parts.append(f'<rect x="{LEFT}" y="4" width="10" height="10" fill="{REVENUE_COLOUR}"/>'
                 f'<text x="{LEFT + 14}" y="13" font-size="11" fill="#1d2330">{revenue_word}</text>'
                 f'<rect x="{LEFT + 90}" y="4" width="10" height="10" fill="{COSTS_COLOUR}"/>'
                 f'<text x="{LEFT + 104}" y="13" font-size="11" fill="#1d2330">{costs_word}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text inside is escaped above
