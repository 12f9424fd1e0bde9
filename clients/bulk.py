"""Set-based writes of figures and revisions, for ingestion at scale.

``sync.ingest.apply_batch`` decides *what* changes; these functions write it with a
constant number of SQL statements, whatever the number of figures (arrays passed to
``unnest``; no per-row round trips). The clients app owns its tables' SQL, so the
rules of the revision state machine (one approved, one pending per figure) stay here.

All functions expect to run inside a transaction that holds the companies' row locks
(``lock_companies``), which is what makes concurrent syncs of one company safe.
"""

import time
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import psycopg
from django.core.exceptions import ImproperlyConfigured
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


class _Cursor:
    """A cursor with server-side parameter binding, for statements carrying large arrays.

    Django's default psycopg cursor binds on the client: it renders every array element into the
    SQL text, which costs more than the statement itself for thousands of figures. This one sends
    parameters separately. Queries are still recorded like Django's own, so query-count assertions
    (``CaptureQueriesContext``) and debug logging see them. The search path is the office's: a
    Django cursor is opened first, which makes django-tenants set it on this connection.
    """

    def __enter__(self):
        self._django = connection.cursor()
        self._cursor = psycopg.Cursor(self._django.cursor.connection)
        return self

    def __exit__(self, *exc_info):
        self._cursor.close()
        self._django.close()

    def execute(self, sql: str, params) -> None:
        started = time.monotonic()
        try:
            # %b: parameters in binary format (arrays of thousands of values dump much faster).
            self._cursor.execute(sql.replace("%s", "%b"), params)
        finally:
            if connection.queries_logged:
                connection.queries_log.append({"sql": f"[bulk] {sql}", "time": f"{time.monotonic() - started:.3f}"})

    def fetchall(self):
        return self._cursor.fetchall()

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount


def _other_columns(model, given: tuple[str, ...]) -> tuple[str, list]:
    """The columns a raw INSERT does not set itself, with their model defaults, so new fields need no SQL change.

    Returns ``(", col1, col2", [default1, default2])`` to append to the column list and the SELECT list.
    """
    columns, values = [], []
    for field in model._meta.concrete_fields:
        if field.primary_key or field.column in given:
            continue
        value = field.get_default()
        if value is None and not field.null:
            raise ImproperlyConfigured(f"{model.__name__}.{field.name} needs a default for bulk inserts.")
        columns.append(field.column)
        values.append(field.get_db_prep_save(value, connection))
    return "".join(f", {column}" for column in columns), values


def _placeholders(values: list) -> str:
    return "".join(", %s" for _value in values)


def lock_companies(nips: list[str], *, create_with_program: str | None = None) -> dict[str, tuple[int, bool]]:
    """Lock the companies with these NIPs in NIP order; ``nip → (id, created)``.

    With ``create_with_program`` the missing ones are created (with that program as every
    source) in the same statement; without it they are simply absent from the result.
    Locking in one stable order means two syncs of overlapping companies never deadlock.
    """
    nips = sorted(set(nips))
    if not nips:
        return {}
    with _Cursor() as cursor:
        if create_with_program is None:
            cursor.execute(f"SELECT id, nip, false FROM {COMPANY} WHERE nip = ANY(%s) ORDER BY nip FOR UPDATE",  # noqa: S608
                           [nips])
        else:
            given = ("nip", "source_basic_data", "source_zus", "source_taxes", "source_statements", "created_at")
            columns, defaults = _other_columns(Company, given)
            cursor.execute(
                f"INSERT INTO {COMPANY} ({', '.join(given)}{columns}) "  # noqa: S608
                f"SELECT nip, %s, %s, %s, %s, now(){_placeholders(defaults)} FROM unnest(%s::text[]) AS t(nip) "
                f"ORDER BY nip ON CONFLICT (nip) DO UPDATE SET nip = {COMPANY}.nip RETURNING id, nip, (xmax = 0)",
                [create_with_program] * 4 + defaults + [nips],
            )
        return {nip: (company_id, created) for company_id, nip, created in cursor.fetchall()}


def update_companies(companies: list[Company], fields: list[str]) -> None:
    """Write these text fields of these companies in one statement (Django's bulk_update is far slower)."""
    if not companies:
        return
    arrays = [[company.pk for company in companies]] + [[getattr(c, name) for c in companies] for name in fields]
    columns = ", ".join(fields)
    assignments = ", ".join(f"{name} = t.{name}" for name in fields)
    casts = ", ".join(["%s::bigint[]"] + ["%s::text[]"] * len(fields))
    with _Cursor() as cursor:
        cursor.execute(f"UPDATE {COMPANY} AS c SET {assignments} FROM unnest({casts}) AS t(id, {columns}) "  # noqa: S608
                       "WHERE c.id = t.id", arrays)


def mark_synced(company_ids: list[int]) -> None:
    if company_ids:
        with _Cursor() as cursor:
            cursor.execute(f"UPDATE {COMPANY} SET last_synced_at = now() WHERE id = ANY(%s)",  # noqa: S608
                           [sorted(company_ids)])


def load_live_figures(company_ids: list[int], periods: list[date]) -> dict[FigureKey, LiveFigure]:
    """Every figure of these companies in these months, with its approved and pending value: one query."""
    live: dict[FigureKey, LiveFigure] = {}
    if not company_ids or not periods:
        return live
    with _Cursor() as cursor:
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
    columns, defaults = _other_columns(Figure, ("company_id", "period", "kind", "payer_key"))
    with _Cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {FIGURE} (company_id, period, kind, payer_key{columns}) "  # noqa: S608
            f"SELECT c, p, k, pk{_placeholders(defaults)} "
            "FROM unnest(%s::bigint[], %s::date[], %s::text[], %s::text[]) AS t(c, p, k, pk) "
            f"ON CONFLICT (company_id, period, kind, payer_key) DO UPDATE SET manual = {FIGURE}.manual "
            "RETURNING id, company_id, period, kind, payer_key",
            [*defaults, company_ids, periods, kinds, payers],
        )
        return {(c, p, k, pk): fid for fid, c, p, k, pk in cursor.fetchall()}


def supersede(revision_ids: list[int]) -> None:
    """Retire revisions (pending ones replaced by a newer value, approved ones replaced by an approval)."""
    if revision_ids:
        with _Cursor() as cursor:
            cursor.execute(f"UPDATE {REVISION} SET state = 'superseded' WHERE id = ANY(%s)",  # noqa: S608
                           [sorted(revision_ids)])


@dataclass(slots=True)
class NewRevision:
    figure_id: int
    amount: Decimal
    due_date: date | None
    label: str
    approve: bool


def insert_revisions(revisions: list[NewRevision], *, source: str, batch_ref: str = "") -> list[int]:
    """Insert new pending revisions; one statement. Returns the ids of those marked ``approve``.

    The caller has superseded the pending revisions they replace (one pending per figure) and publishes
    the ``approve`` ones with ``clients.publishing.publish``, which supersedes the approved ones.
    """
    if not revisions:
        return []
    figure_ids = [r.figure_id for r in revisions]
    amounts = [r.amount for r in revisions]
    dues = [r.due_date for r in revisions]
    labels = [r.label for r in revisions]
    given = ("figure_id", "amount", "due_date", "label", "source", "state", "created_at", "batch_ref")
    columns, defaults = _other_columns(Revision, given)
    with _Cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {REVISION} ({', '.join(given)}{columns}) "  # noqa: S608
            f"SELECT f, a, d, l, %s, 'pending', now(), %s{_placeholders(defaults)} "
            "FROM unnest(%s::bigint[], %s::numeric[], %s::date[], %s::text[]) AS t(f, a, d, l) "
            "RETURNING id, figure_id",
            [source, batch_ref[:64], *defaults, figure_ids, amounts, dues, labels],
        )
        inserted = dict((figure_id, revision_id) for revision_id, figure_id in cursor.fetchall())
    return [inserted[r.figure_id] for r in revisions if r.approve]


def approve_pending(revision_ids: list[int], *, user_id: int | None, agent_id: int | None, agent_name: str
                    ) -> list[tuple[int, date]]:
    """Make these revisions (those still pending) the approved ones of their figures; two statements.

    The figures' previously approved revisions are superseded first (one approved per figure). Returns
    ``(company id, period)`` of each revision approved. Only ``clients.publishing.publish`` calls this.
    """
    if not revision_ids:
        return []
    with _Cursor() as cursor:
        cursor.execute(
            f"UPDATE {REVISION} SET state = 'superseded' WHERE state = 'approved' AND figure_id IN "  # noqa: S608
            f"(SELECT figure_id FROM {REVISION} WHERE id = ANY(%s) AND state = 'pending')", [revision_ids])
        cursor.execute(
            f"UPDATE {REVISION} AS r SET state = 'approved', approved_at = now(), approved_by_id = %s, "  # noqa: S608
            f"approved_by_agent_id = %s, approved_by_agent_name = %s FROM {FIGURE} AS f "
            "WHERE r.id = ANY(%s) AND r.state = 'pending' AND f.id = r.figure_id RETURNING f.company_id, f.period",
            [user_id, agent_id, agent_name[:100], revision_ids])
        return cursor.fetchall()
