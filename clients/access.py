"""Who may see what in the client views. Every client URL takes its ids through these helpers.

Rules:

- a client login sees only the companies its person belongs to (``Person.user`` → ``CompanyPerson``);
- a partner sees a company's money (taxes, ZUS, statements, PDFs) only when the office shares it with
  partners (``Company.share_with_partners``); otherwise only that the company exists;
- staff logins have no client views (they use the panel): every client URL answers them 404;
- "missing" and "not yours" are the same 404, so ids cannot be probed.
"""

from dataclasses import dataclass

from django.http import Http404

from clients.models import Company, CompanyPerson, Figure, Person, PersonRole
from clients.vocabulary import STATEMENT_PREFIX


@dataclass(frozen=True)
class Membership:
    """A company as one client sees it: their role in it and whether they may see its money."""

    company: Company
    role: str

    @property
    def financial(self) -> bool:
        return self.role != PersonRole.PARTNER or self.company.share_with_partners


def is_client(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active
                and not getattr(user, "is_office_staff", False))


def person_of(user) -> Person | None:
    """The person a client login belongs to (None for staff, anonymous, or a login not linked yet)."""
    if not is_client(user):
        return None
    return Person.objects.filter(user=user).first()


def memberships_of(user) -> list[Membership]:
    """Every company of a client login with its role, in one query (name order)."""
    if not is_client(user):
        return []
    rows = (CompanyPerson.objects.filter(person__user=user).select_related("company")
            .order_by("company__name", "company__nip"))
    return [Membership(row.company, row.role) for row in rows]


def _membership(user, company_id) -> Membership:
    try:
        company_id = int(company_id)
    except (TypeError, ValueError):
        raise Http404 from None
    if not is_client(user):
        raise Http404
    row = (CompanyPerson.objects.filter(person__user=user, company_id=company_id).select_related("company")
           .first())
    if row is None:
        raise Http404
    return Membership(row.company, row.role)


def access_membership(user, company_id, *, financial: bool = True) -> Membership:
    """The client's membership of the company; 404 when missing, not theirs, or (``financial``) not shared."""
    membership = _membership(user, company_id)
    if financial and not membership.financial:
        raise Http404
    return membership


def access_company(user, company_id, *, financial: bool = True) -> Company:
    """The company if this client may see it (and its money, unless ``financial=False``); else the same 404."""
    return access_membership(user, company_id, financial=financial).company


def access_figure(user, company_id, figure_id) -> Figure:
    """A payable figure (tax or ZUS) of a company the client may see; the same 404 otherwise."""
    company = access_company(user, company_id)
    try:
        figure_id = int(figure_id)
    except (TypeError, ValueError):
        raise Http404 from None
    figure = (Figure.objects.filter(pk=figure_id, company=company).exclude(kind__startswith=STATEMENT_PREFIX)
              .first())
    if figure is None:
        raise Http404
    figure.company = company
    return figure


def mask_pesel(value: str | None) -> str:
    """``80010112345`` → ``******12345``: the birth date (the first six digits) never shows.

    Anything that is not 11 digits is masked completely (never echoed).
    """
    text = "".join(str(value or "").split())
    if not text:
        return ""
    if len(text) != 11 or not text.isdigit():
        return "*" * 11
    return "*" * 6 + text[6:]
