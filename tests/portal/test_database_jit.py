"""PostgreSQL's JIT compiler is off for the portal's connections.

The month board's one statement over 5,000 companies crosses ``jit_above_cost``: on the real PostgreSQL 15
(built with LLVM) JIT compilation made it 1.2 s instead of 0.11 s (docs/benchmarks.md). Short OLTP queries
never win it back.
"""

from django.db import connection


def test_the_portals_connections_run_without_jit(db):
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
