"""Set-based writes of figures and revisions, for ingestion at scale.

``sync.ingest.apply_batch`` decides *what* changes; these functions write it with a
constant number of SQL statements, whatever the number of figures (arrays passed to
``unnest``; no per-row round trips). The clients app owns its tables' SQL, so the
rules of the revision state machine (one approved, one pending per figure) stay here.

All functions expect to run inside a transaction that holds the companies' row locks
(``lock_companies``), which is what makes concurrent syncs of one company safe.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import connection

from clients.models import Company, CompanyPerson, Figure, Person, Revision, RevisionState

COMPANY = Company._meta.db_table
FIGURE = Figure._meta.db_table
REVISION = Revision._meta.db_table
PERSON = Person._meta.db_table
COMPANY_PERSON = CompanyPerson._meta.db_table

FigureKey = tuple[int, date, str, str]  # (company_id, period, kind, payer_key)
# A revision's value as the sync compares it: (revision id, amount, due date, label).
LiveValue = tuple[int, Decimal, date | None, str]


@dataclass(slots=True)
class LiveFigure:
    id: int
    manual: bool
    approved: LiveValue | None = None
    pending: LiveValue | None = None


def lock_companies(nips: list[str], *, create_with_program: str | None = None) -> dict[str, tuple[int, bool]]:
    """Lock the companies with these NIPs in NIP order; ``nip → (id, created)``.

    With ``create_with_program`` the missing ones are created (with that program as every
    source) in the same statement; without it they are simply absent from the result.
    Locking in one stable order means two syncs of overlapping companies never deadlock.
    """
    nips = sorted(set(nips))
    if not nips:
        return {}
    with connection.cursor() as cursor:
        if create_with_program is None:
            cursor.execute(f"SELECT id, nip, false FROM {COMPANY} WHERE nip = ANY(%s) ORDER BY nip FOR UPDATE",  # noqa: S608
                           [nips])
        else:
            cursor.execute(
                f"INSERT INTO {COMPANY} (nip, regon, name, street, postal_code, city, country, email, phone, vat, "  # noqa: S608
                "income_tax, zus_payer, zus_account, source_basic_data, source_zus, source_taxes, source_statements, "
                "basic_data_program, enabled, created_at, last_synced_at) "
                "SELECT nip, '', '', '', '', '', 'PL', '', '', '', '', '', '', %(p)s, %(p)s, %(p)s, %(p)s, '', true, "
                "now(), NULL FROM unnest(%(nips)s::text[]) AS t(nip) ORDER BY nip "
                f"ON CONFLICT (nip) DO UPDATE SET nip = {COMPANY}.nip "
                "RETURNING id, nip, (xmax = 0)",
                {"p": create_with_program, "nips": nips},
            )
        return {nip: (company_id, created) for company_id, nip, created in cursor.fetchall()}


def mark_synced(company_ids: list[int]) -> None:
    if company_ids:
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {COMPANY} SET last_synced_at = now() WHERE id = ANY(%s)",  # noqa: S608
                           [sorted(company_ids)])


def load_live_figures(company_ids: list[int], periods: list[date]) -> dict[FigureKey, LiveFigure]:
    """Every figure of these companies in these months, with its approved and pending value: one query."""
    live: dict[FigureKey, LiveFigure] = {}
    if not company_ids or not periods:
        return live
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT f.id, f.company_id, f.period, f.kind, f.payer_key, f.manual, "  # noqa: S608
            "r.id, r.state, r.amount, r.due_date, r.label "
            f"FROM {FIGURE} f LEFT JOIN {REVISION} r ON r.figure_id = f.id AND r.state IN ('approved', 'pending') "
            "WHERE f.company_id = ANY(%s) AND f.period = ANY(%s)",
            [company_ids, periods],
        )
        for fid, company_id, period, kind, payer_key, manual, rid, state, amount, due, label in cursor.fetchall():
            key = (company_id, period, kind, payer_key)
            figure = live.get(key)
            if figure is None:
                figure = live[key] = LiveFigure(fid, manual)
            if rid is not None:
                if state == RevisionState.APPROVED:
                    figure.approved = (rid, amount, due, label)
                else:
                    figure.pending = (rid, amount, due, label)
    return live


def insert_figures(keys: list[FigureKey]) -> dict[FigureKey, int]:
    """Create these figures (or find them, should one exist after all); ``key → id``: one statement."""
    if not keys:
        return {}
    company_ids, periods, kinds, payers = (list(column) for column in zip(*keys, strict=True))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {FIGURE} (company_id, period, kind, payer_key, manual) "  # noqa: S608
            "SELECT c, p, k, pk, false FROM unnest(%s::bigint[], %s::date[], %s::text[], %s::text[]) AS t(c, p, k, pk) "
            f"ON CONFLICT (company_id, period, kind, payer_key) DO UPDATE SET manual = {FIGURE}.manual "
            "RETURNING id, company_id, period, kind, payer_key",
            [company_ids, periods, kinds, payers],
        )
        return {(c, p, k, pk): fid for fid, c, p, k, pk in cursor.fetchall()}


def supersede(revision_ids: list[int]) -> None:
    """Retire revisions (pending ones replaced by a newer value, approved ones replaced by an approval)."""
    if revision_ids:
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {REVISION} SET state = 'superseded' WHERE id = ANY(%s)",  # noqa: S608
                           [sorted(revision_ids)])


@dataclass(slots=True)
class NewRevision:
    figure_id: int
    amount: Decimal
    due_date: date | None
    label: str
    approve: bool


def insert_revisions(revisions: list[NewRevision], *, source: str, batch_ref: str = "",
                     agent_id: int | None = None, agent_name: str = "") -> int:
    """Insert new revisions, pending or (``approve``) approved by the agent; one statement.

    The caller has superseded whatever they replace, so the one-approved / one-pending
    indexes hold. Returns how many were inserted as approved.
    """
    if not revisions:
        return 0
    figure_ids = [r.figure_id for r in revisions]
    amounts = [r.amount for r in revisions]
    dues = [r.due_date for r in revisions]
    labels = [r.label for r in revisions]
    approved = [r.approve for r in revisions]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {REVISION} (figure_id, amount, due_date, label, source, manual, state, created_at, "  # noqa: S608
            "approved_at, approved_by_agent_id, approved_by_agent_name, batch_ref) "
            "SELECT f, a, d, l, %(source)s, false, CASE WHEN ap THEN 'approved' ELSE 'pending' END, now(), "
            "CASE WHEN ap THEN now() END, CASE WHEN ap THEN %(agent_id)s::bigint END, "
            "CASE WHEN ap THEN %(agent_name)s ELSE '' END, %(batch)s "
            "FROM unnest(%(f)s::bigint[], %(a)s::numeric[], %(d)s::date[], %(l)s::text[], %(ap)s::boolean[]) "
            "AS t(f, a, d, l, ap)",
            {"source": source, "agent_id": agent_id, "agent_name": agent_name[:100], "batch": batch_ref[:64],
             "f": figure_ids, "a": amounts, "d": dues, "l": labels, "ap": approved},
        )
    return sum(approved)
