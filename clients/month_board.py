"""The office's month board: one month across all companies, one row per company, a column per stage.

Stages of a company's month: data arrived → approved → summary sent → seen by the client → paid per the
client → settled. Everything is read in SQL, and the filters, counts, totals and the page are computed there:
one statement for the counts and totals, one for the page (or for every row of the filter: the export and the
"all of this filter" bulk actions), whatever the number of companies (``tests/offices/test_month_board.py``;
5,000 companies: docs/benchmarks.md).

The two payment stages read the one payment status as stored per item (``ItemStatus``, written by
``clients.item_statuses`` through ``clients.unpaid.payment_items`` → ``clients.payment_status.status_of``),
so the board never computes "paid" a second way: it only counts and sums the stored states, and compares due
dates with today ("overdue", "due in 3 days").

"Seen by the client" follows the delivery log (offices/panel/messages.py): a login of one of the company's
people after the month's last summary went out.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from clients.messaging.models import Message, Status
from clients.messaging.services import SUMMARY_PURPOSES, queue_nudge, queue_summary
from clients.models import Company, CompanyPerson, Figure, ItemStatus, Person, Revision, RevisionState
from clients.office_settling import settle_approved
from clients.payment_status import PaymentState
from clients.review import folded, name_search

ZERO = Decimal("0.00")
#: "due in 3 days and not paid": today and the next three days.
DUE_SOON_DAYS = 3

#: The board's filters: key → label (in the order of the filter bar).
FILTERS = {
    "": _("all"),
    "no_data": _("no data yet"),
    "to_approve": _("waiting for approval"),
    "not_sent": _("approved but not sent"),
    "not_seen": _("sent but not seen"),
    "due_soon": _("due in 3 days and not paid"),
    "overdue": _("overdue"),
    "paid_not_settled": _("paid per the client, not settled"),
    "settled": _("settled"),
}

#: Each filter as a condition on the columns of the board's rows (``_BOARD`` below); ``BoardRow``'s properties
#: of the same names say the same for one row (the page's badges).
CONDITIONS = {
    "": "TRUE",
    "no_data": "figures = 0",
    "to_approve": "pending > 0",
    "not_sent": "approved > 0 AND pending = 0 AND summary_sent_at IS NULL AND NOT summary_queued",
    "not_seen": "summary_sent_at IS NOT NULL AND seen_at IS NULL",
    "due_soon": "due_soon",
    "overdue": "overdue_amount > 0",
    "paid_not_settled": "paid_by_client > 0",
    "settled": "items > 0 AND settled = items",
}


@dataclass
class BoardRow:
    """One company's month."""

    company_id: int
    nip: str
    name: str
    enabled: bool
    figures: int = 0  # values (revisions) of the month: data arrived
    pending: int = 0
    approved: int = 0
    data_at: datetime | None = None
    summary_sent_at: datetime | None = None
    summary_queued: bool = False
    seen_at: datetime | None = None
    items: int = 0  # payable items (something to pay)
    paid_by_client: int = 0  # paid per the client, not (yet) settled by the office
    settled: int = 0  # settled by the office, or history before the go-live month
    amount: Decimal = ZERO  # the approved payable amounts
    left_to_pay: Decimal = ZERO
    overdue_amount: Decimal = ZERO
    next_due: date | None = None  # the earliest due date of what is left to pay
    due_soon: bool = False

    @property
    def has_data(self) -> bool:
        return self.figures > 0

    @property
    def fully_approved(self) -> bool:
        return self.approved > 0 and self.pending == 0

    @property
    def summary_sent(self) -> bool:
        return self.summary_sent_at is not None

    @property
    def seen(self) -> bool:
        return self.seen_at is not None

    @property
    def overdue(self) -> bool:
        return self.overdue_amount > 0

    @property
    def all_settled(self) -> bool:
        return self.items > 0 and self.settled == self.items


#: BoardRow's fields in the order of the SQL's columns.
COLUMNS = ("id", "nip", "name", "enabled", "figures", "pending", "approved", "data_at", "summary_sent_at",
           "summary_queued", "seen_at", "items", "paid_by_client", "settled", "amount", "left_to_pay",
           "overdue_amount", "next_due", "due_soon")


@dataclass
class BoardTotals:
    companies: int = 0
    amount: Decimal = ZERO
    left_to_pay: Decimal = ZERO
    overdue_amount: Decimal = ZERO


def _tables() -> dict[str, str]:
    user = get_user_model()
    return {"company": Company._meta.db_table, "figure": Figure._meta.db_table,
            "revision": Revision._meta.db_table, "message": Message._meta.db_table,
            "company_person": CompanyPerson._meta.db_table, "person": Person._meta.db_table,
            "user": user._meta.db_table, "item_status": ItemStatus._meta.db_table}


# The rows of the board, one per company of ``co`` (the staff login's companies, searched). Each stage is one
# grouped scan of the month's rows, joined to the companies: revisions, summaries, logins, stored item statuses.
_BOARD = """
co AS MATERIALIZED (SELECT id, nip, name, enabled FROM {company} WHERE id IN ({companies})),
rev AS MATERIALIZED (SELECT f.company_id, count(*) AS figures, count(*) FILTER (WHERE r.state = %s) AS pending,
               count(*) FILTER (WHERE r.state = %s) AS approved, max(r.created_at) AS data_at
        FROM {revision} r JOIN {figure} f ON f.id = r.figure_id
        WHERE f.period = %s AND f.company_id IN (SELECT id FROM co) GROUP BY f.company_id),
msg AS MATERIALIZED (SELECT company_id, max(sent_at) FILTER (WHERE status = ANY(%s)) AS sent_at,
               bool_or(status = ANY(%s)) AS queued
        FROM {message} WHERE period = %s AND purpose = ANY(%s) AND company_id IN (SELECT id FROM co)
        GROUP BY company_id),
login AS MATERIALIZED (SELECT cp.company_id, max(u.last_login) AS last_login
          FROM {company_person} cp JOIN {person} p ON p.id = cp.person_id JOIN {user} u ON u.id = p.user_id
          WHERE cp.company_id IN (SELECT id FROM co) GROUP BY cp.company_id),
pay AS MATERIALIZED (SELECT company_id, count(*) AS items, count(*) FILTER (WHERE state = %s) AS paid_by_client,
               count(*) FILTER (WHERE state = ANY(%s)) AS settled, sum(amount) AS amount,
               sum(left_to_pay) AS left_to_pay,
               sum(left_to_pay) FILTER (WHERE left_to_pay > 0 AND due_date < %s) AS overdue_amount,
               min(due_date) FILTER (WHERE left_to_pay > 0) AS next_due,
               bool_or(left_to_pay > 0 AND due_date >= %s AND due_date <= %s) AS due_soon
        FROM {item_status} WHERE period = %s AND amount > 0 AND company_id IN (SELECT id FROM co)
        GROUP BY company_id),
board AS MATERIALIZED (
    SELECT co.id, co.nip, co.name, co.enabled, coalesce(rev.figures, 0) AS figures,
           coalesce(rev.pending, 0) AS pending, coalesce(rev.approved, 0) AS approved, rev.data_at,
           msg.sent_at AS summary_sent_at, coalesce(msg.queued, false) AS summary_queued,
           CASE WHEN msg.sent_at IS NOT NULL AND login.last_login >= msg.sent_at THEN login.last_login END
               AS seen_at,
           coalesce(pay.items, 0) AS items, coalesce(pay.paid_by_client, 0) AS paid_by_client,
           coalesce(pay.settled, 0) AS settled, coalesce(pay.amount, 0) AS amount,
           coalesce(pay.left_to_pay, 0) AS left_to_pay, coalesce(pay.overdue_amount, 0) AS overdue_amount,
           pay.next_due, coalesce(pay.due_soon, false) AS due_soon
    FROM co LEFT JOIN rev ON rev.company_id = co.id LEFT JOIN msg ON msg.company_id = co.id
         LEFT JOIN login ON login.company_id = co.id LEFT JOIN pay ON pay.company_id = co.id)
"""


class BoardQuery:
    """The board's SQL for these companies, month and day: the counts and totals alone (``counts_and_totals``),
    with one page of the chosen filter in the same statement (``counts_and_page``), or every row (``rows``)."""

    def __init__(self, companies: QuerySet[Company], period: date, today: date):
        company_sql, company_params = companies.order_by().values("pk").query.sql_with_params()
        self.sql = "WITH " + _BOARD.format(companies=company_sql, **_tables())
        soon = today + timedelta(days=DUE_SOON_DAYS)
        self.params = [
            *company_params,
            RevisionState.PENDING, RevisionState.APPROVED, period,
            [Status.SENT, Status.DELIVERED, Status.UNKNOWN], [Status.QUEUED, Status.SENDING], period,
            list(SUMMARY_PURPOSES),
            PaymentState.PAID_BY_CLIENT, [PaymentState.SETTLED, PaymentState.HISTORY], today, today, soon, period,
        ]

    @staticmethod
    def _counts(filter_key: str) -> str:
        chosen = CONDITIONS[filter_key]
        counts = [f"count(*) FILTER (WHERE {condition}) AS n_{n}" for n, condition in enumerate(CONDITIONS.values())]
        sums = [f"coalesce(sum({column}) FILTER (WHERE {chosen}), 0) AS s_{column}"
                for column in ("amount", "left_to_pay", "overdue_amount")]
        return f"SELECT {', '.join(counts + sums)}, count(*) FILTER (WHERE {chosen}) AS chosen FROM board"  # noqa: S608

    @staticmethod
    def _read_counts(filter_key: str, values) -> tuple[dict[str, int], BoardTotals]:
        counts = dict(zip(CONDITIONS, values[:len(CONDITIONS)], strict=True))
        return counts, BoardTotals(counts[filter_key], *values[len(CONDITIONS):len(CONDITIONS) + 3])

    def counts_and_totals(self, filter_key: str) -> tuple[dict[str, int], BoardTotals]:
        with connection.cursor() as cursor:
            cursor.execute(f"{self.sql} {self._counts(filter_key)}", self.params)
            return self._read_counts(filter_key, cursor.fetchone())

    def counts_and_page(self, filter_key: str, number: int, per_page: int
                        ) -> tuple[dict[str, int], BoardTotals, int, list[BoardRow]]:
        """The counts and totals, and page ``number`` of the filter's rows, in one statement. A page number out of
        range gives the last page, as ``Paginator.get_page`` does; returns the page's offset with its rows."""
        width = len(CONDITIONS) + 4
        sql = (f"{self.sql}, counts AS MATERIALIZED ({self._counts(filter_key)}), "  # noqa: S608
               "shown AS (SELECT greatest(ceil(chosen::numeric / %s)::int, 1) AS pages FROM counts), "
               "start AS (SELECT (CASE WHEN %s < 1 OR %s > pages THEN pages ELSE %s END - 1) * %s AS at FROM shown), "
               f"page AS (SELECT {', '.join(COLUMNS)} FROM board WHERE {CONDITIONS[filter_key]} ORDER BY name, id "
               "LIMIT %s OFFSET (SELECT at FROM start)) "
               "SELECT counts.*, start.at, page.* FROM counts CROSS JOIN start LEFT JOIN page ON true "
               "ORDER BY page.name, page.id")
        params = [*self.params, per_page, number, number, number, per_page, per_page]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            records = cursor.fetchall()
        counts, totals = self._read_counts(filter_key, records[0])
        rows = [BoardRow(*record[width + 1:]) for record in records if record[width + 1] is not None]
        return counts, totals, records[0][width], rows

    def rows(self, filter_key: str, offset: int = 0, limit: int | None = None) -> list[BoardRow]:
        page = " LIMIT %s OFFSET %s" if limit is not None else ""
        params = [*self.params, limit, offset] if limit is not None else self.params
        with connection.cursor() as cursor:
            cursor.execute(f"{self.sql} SELECT {', '.join(COLUMNS)} FROM board WHERE {CONDITIONS[filter_key]} "  # noqa: S608
                           f"ORDER BY name, id{page}", params)
            return [BoardRow(*row) for row in cursor.fetchall()]


class BoardRows(Sequence):
    """The rows of the chosen filter, read a slice at a time: its ``count()`` is the filter's count, already
    known; the page ``month_board`` read with the counts is served without a query (the view's ``Paginator``
    asks for it); any other slice is one query, and iterating reads every row (the export, bulk actions)."""

    def __init__(self, query: BoardQuery, filter_key: str, count: int, page: tuple[int, list[BoardRow]] | None):
        self._query, self._key, self._count, self._page = query, filter_key, count, page
        self._all: list[BoardRow] | None = None

    def count(self) -> int:
        return self._count

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, index):
        if isinstance(index, slice):
            start, stop, step = index.indices(self._count)
            if self._all is not None or step != 1:
                return list(self)[index]
            if stop <= start:
                return []
            if self._page is not None and self._page[0] == start and start + len(self._page[1]) == stop:
                return list(self._page[1])
            return self._query.rows(self._key, start, stop - start)
        return self[index:index + 1][0] if 0 <= index < self._count else list(self)[index]

    def __iter__(self) -> Iterator[BoardRow]:
        if self._all is None:
            self._all = self._query.rows(self._key)
        return iter(self._all)


@dataclass
class Board:
    period: date
    today: date
    rows: BoardRows  # the rows of the chosen filter (read when sliced or iterated)
    counts: dict[str, int] = field(default_factory=dict)  # filter key → companies, over the whole month
    totals: BoardTotals = field(default_factory=BoardTotals)  # of ``rows``


def page_number(value) -> int:
    """A page number as ``Paginator.get_page`` reads it: anything but an integer is the first page."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return 1


def _companies(companies: QuerySet[Company], q: str) -> QuerySet[Company]:
    text = q.strip()
    if text:
        companies = companies.alias(search_folded=folded("name")).filter(name_search(text))
    return companies


def month_board(companies: QuerySet[Company], period: date, today: date, *, filter_key: str = "",
                q: str = "", page=None, per_page: int = 50) -> Board:
    """The board of ``period`` for these companies (the staff login's), filtered by ``filter_key`` (FILTERS;
    anything else: all) and a name/NIP search; counts per filter over the searched companies, totals of the
    filtered rows. One query, which also reads page ``page`` of ``per_page`` rows when a page is asked for
    (``Paginator(board.rows, per_page).get_page(page)`` then needs none); without one, each slice of ``rows``
    read is one more."""
    key = filter_key if filter_key in CONDITIONS else ""
    query = BoardQuery(_companies(companies, q), period, today)
    if page is None:
        counts, totals = query.counts_and_totals(key)
        return Board(period, today, BoardRows(query, key, totals.companies, None), counts, totals)
    counts, totals, offset, rows = query.counts_and_page(key, page_number(page), per_page)
    return Board(period, today, BoardRows(query, key, totals.companies, (offset, rows)), counts, totals)


# --- Bulk actions -----------------------------------------------------------------------------------------


@dataclass
class BulkResult:
    companies: int = 0  # companies the action did something for
    done: int = 0  # summaries queued, reminders queued, items settled
    skipped: int = 0  # companies with nothing to do


def send_summaries_of(companies: list[Company], period: date) -> BulkResult:
    """Queue the month's summary of each company with approved figures of ``period`` (idempotent: the outbox's
    de-duplication keys; a company whose summary was already sent or queued gets nothing new)."""
    result = BulkResult()
    with_approved = set(Figure.objects.filter(company__in=companies, period=period,
                                              revisions__state=RevisionState.APPROVED)
                        .values_list("company_id", flat=True))
    with transaction.atomic():
        for company in companies:
            if company.enabled and company.pk in with_approved and queue_summary(company, period):
                result.companies += 1
                result.done += 1
            else:
                result.skipped += 1
    return result


def nudge_companies(companies: list[Company], period: date, today: date | None = None) -> BulkResult:
    """A payment reminder now about the month's unpaid items to each company's people (``queue_nudge``:
    idempotent per day, nothing for a company with nothing left to pay)."""
    result = BulkResult()
    for company in companies:
        queued = queue_nudge(company, period, today).queued
        if queued:
            result.companies += 1
            result.done += len(queued)
        else:
            result.skipped += 1
    return result


def settle_companies(companies: list[Company], period: date, *, by) -> BulkResult:
    """Mark the month's approved items of these companies settled by the office (``settle_approved``:
    audited in each company's history; items already settled are left alone)."""
    counts = settle_approved(companies, by=by, period=period)
    return BulkResult(companies=len(companies), done=counts.recorded)
