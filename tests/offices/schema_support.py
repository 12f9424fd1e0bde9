"""What a schema is made of, read from the catalogue independently of offices.schema_ddl; running
sign-ups side by side; what a backend caches about the catalogue (portal.db_recycling bounds it)."""

import threading

from django.db import connection, connections

_COLUMNS = """
SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, a.attidentity,
       a.attgenerated, pg_get_expr(d.adbin, d.adrelid), a.attcollation
FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
WHERE c.relnamespace = %s::regnamespace AND c.relkind = 'r'
"""
_CONSTRAINTS = """
SELECT c.relname, k.conname, k.contype, pg_get_constraintdef(k.oid)
FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
WHERE c.relnamespace = %s::regnamespace AND k.contype <> 'n'
"""
_INDEXES = """
SELECT c.relname, replace(pg_get_indexdef(i.indexrelid), %s || '.', '')
FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relnamespace = %s::regnamespace
"""
_RELATION_KINDS = "SELECT relkind, count(*) FROM pg_class WHERE relnamespace = %s::regnamespace GROUP BY 1"


def schema_shape(schema: str) -> dict:
    """Columns, constraints, indexes and relation counts of ``schema``, comparable between schemas."""
    with connection.cursor() as cursor:
        # Same search_path for both schemas compared, so references print the same way.
        cursor.execute(f"SET search_path TO {connection.ops.quote_name(schema)}")
        shape = {}
        for key, query, params in (("columns", _COLUMNS, [schema]), ("constraints", _CONSTRAINTS, [schema]),
                                   ("indexes", _INDEXES, [schema, schema]),
                                   ("relations", _RELATION_KINDS, [schema])):
            cursor.execute(query, params)
            shape[key] = sorted(cursor.fetchall())
        # A partial index's predicate re-parses into an equivalent but differently printed form
        # (`= ANY (ARRAY[...])` casts move): compare indexes up to the predicate, which tests check by behaviour.
        shape["indexes"] = [(name, definition.split(" WHERE ")[0], " WHERE " in definition)
                            for name, definition in shape["indexes"]]
    connection.set_schema_to_public()
    return shape


def table_rows(schema: str, table: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT * FROM "{schema}"."{table}" ORDER BY 1')  # noqa: S608 - test helper
        return cursor.fetchall()


def in_threads(work: list) -> list:
    """Run each function in its own thread, all released at once; their results or exceptions."""
    results = [None] * len(work)
    start = threading.Barrier(len(work))

    def run(index, function):
        start.wait()
        try:
            results[index] = function()
        except Exception as exc:  # noqa: BLE001 - the test inspects what each sign-up raised
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index, function)) for index, function in enumerate(work)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


# CacheMemoryContext and its children (index info, per-relation contexts); PostgreSQL 18 replaced
# the "parent" column with "path" (the ids of a context's ancestors and its own).
CACHE_MEMORY_BEFORE_18 = """
SELECT coalesce(sum(total_bytes) FILTER (WHERE name = 'CacheMemoryContext' OR parent = 'CacheMemoryContext'), 0),
       coalesce(sum(total_bytes), 0)
FROM pg_backend_memory_contexts
"""
CACHE_MEMORY = """
WITH contexts AS (SELECT * FROM pg_backend_memory_contexts),
     cache AS (SELECT level, path[level] AS id FROM contexts WHERE name = 'CacheMemoryContext')
SELECT coalesce(sum(total_bytes) FILTER (WHERE path[(SELECT level FROM cache)] = (SELECT id FROM cache)), 0),
       coalesce(sum(total_bytes), 0)
FROM contexts
"""


def backend_memory() -> tuple[int, int]:
    """(catalogue cache bytes, all bytes) of this connection's PostgreSQL backend (PostgreSQL 14+)."""
    with connection.cursor() as cursor:
        cursor.execute(CACHE_MEMORY if connection.pg_version >= 180000 else CACHE_MEMORY_BEFORE_18)
        cache_bytes, total_bytes = cursor.fetchone()
    return int(cache_bytes), int(total_bytes)
