"""How much one ``POST batches`` may carry: bounded so that one request's memory stays small.

``AGENT_API_MAX_COMPANIES_PER_BATCH`` companies and ``AGENT_API_MAX_FIGURES_PER_BATCH`` figures (single
values: a tax, each part of a ZUS entry or a statement, as ``sync.parsing.count_figures`` counts them).
The companies and a lower bound of the figures (one per entry) are checked on the decoded JSON, before
anything is built; the exact figures after validation, before anything is written. Beyond either: ``413``
naming the limit, and the agent splits its post (``GET config`` → ``limits``). Measured in
docs/benchmarks.md ("Memory of one batch").
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

from sync.api.problems import ProblemError
from sync.batch import Batch
from sync.parsing import count_figures

ENTRY_SECTIONS = ("taxes", "zus", "statements")


def config_limits() -> dict:
    """The batch maxima as ``GET config`` shows them (v1.1)."""
    return {"max_companies_per_batch": settings.AGENT_API_MAX_COMPANIES_PER_BATCH,
            "max_figures_per_batch": settings.AGENT_API_MAX_FIGURES_PER_BATCH}


def check_decoded(data) -> None:
    """Refuse a decoded body that is surely over a limit (cheap: list lengths only)."""
    if type(data) is not dict:
        return  # the parser says what is wrong with it
    companies = data.get("companies")
    companies = companies if type(companies) is list else []
    if len(companies) > settings.AGENT_API_MAX_COMPANIES_PER_BATCH:
        raise _too_many_companies(len(companies))
    entries = 0
    for holder in (companies, data.get("payers")):
        for item in holder if type(holder) is list else ():
            if type(item) is dict:
                entries += sum(len(item[name]) for name in ENTRY_SECTIONS if type(item.get(name)) is list)
    if entries > settings.AGENT_API_MAX_FIGURES_PER_BATCH:
        raise _too_many_figures(entries, at_least=True)


def check_parsed(batch: Batch) -> None:
    figures = count_figures(batch)
    if figures > settings.AGENT_API_MAX_FIGURES_PER_BATCH:
        raise _too_many_figures(figures)


def _too_many_companies(count: int) -> ProblemError:
    limit = settings.AGENT_API_MAX_COMPANIES_PER_BATCH
    return ProblemError("batch_too_large", _(
        "The batch has %(count)d companies; at most %(limit)d are accepted in one batch. Split it into "
        "several batches.") % {"count": count, "limit": limit},
        extra={"limit": {"name": "max_companies_per_batch", "value": limit}})


def _too_many_figures(count: int, *, at_least: bool = False) -> ProblemError:
    limit = settings.AGENT_API_MAX_FIGURES_PER_BATCH
    message = (_("The batch has at least %(count)d figures; at most %(limit)d are accepted in one batch. "
                 "Split it into several batches.") if at_least else
               _("The batch has %(count)d figures; at most %(limit)d are accepted in one batch. Split it into "
                 "several batches."))
    return ProblemError("batch_too_large", message % {"count": count, "limit": limit},
                        extra={"limit": {"name": "max_figures_per_batch", "value": limit}})
