"""The DDL of an office schema, rendered from PostgreSQL's catalogue, replayed under another name.

django-tenants' ``clone_schema`` walks the whole catalogue on every call, so each new office cost
more than the last (0.3 s at 5 offices, 5–11 s at 60: docs/benchmarks.md, "Thousands of offices"). Here the template is
read once per migration state: its tables, constraints and indexes become one SQL script with
*unqualified* names (rendered with ``search_path`` set to the source schema alone, so PostgreSQL
prints same-schema names bare and everything else qualified). Replaying the script with
``search_path`` set to the new schema builds the copy with no catalogue walk at all, in a time
that does not depend on how many schemas the database holds.

The same renderer serves ``export_office``: an office's structure travels as this script.

Supported: tables, identity columns, defaults, generated columns, collations, primary/unique/
check/exclusion/foreign-key constraints, indexes. Anything else in a schema (views, functions,
triggers, free-standing sequences) raises ``UnsupportedSchemaError`` rather than being left out
silently; Biurko's migrations create none of them (tests/offices/test_provisioning_ddl.py checks
that a provisioned office has exactly the template's shape).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection, transaction

CACHE_TIMEOUT_SECONDS = 7 * 24 * 3600
# Copies of the template hold it shared (they run side by side), a migration of the template
# exclusively: nothing is ever copied from a template half-way through a migration.
TEMPLATE_LOCK_ID = 0x6269726B  # "birk"


def lock_template_shared() -> None:
    """Until the end of the current transaction, the template cannot be migrated."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock_shared(%s)", [TEMPLATE_LOCK_ID])


class UnsupportedSchemaError(RuntimeError):
    """The schema holds an object the renderer cannot reproduce (see the module's docstring)."""


@dataclass(frozen=True)
class SchemaScript:
    """What a schema is made of, in the order it must be built.

    ``tables`` create the tables (columns and identities), ``constraints`` and ``indexes`` come after the
    data is in (faster than checking every inserted row), foreign keys last (they need every table).
    ``sequences`` are the identity sequences' positions as (table, column, last_value).
    """

    tables: tuple[str, ...]
    constraints: tuple[str, ...]
    indexes: tuple[str, ...]
    foreign_keys: tuple[str, ...]
    sequences: tuple[tuple[str, str, int], ...]
    data_tables: tuple[tuple[str, tuple[str, ...]], ...]

    def to_dict(self) -> dict:
        return {"tables": list(self.tables), "constraints": list(self.constraints), "indexes": list(self.indexes),
                "foreign_keys": list(self.foreign_keys), "sequences": [list(s) for s in self.sequences],
                "data_tables": [[table, list(columns)] for table, columns in self.data_tables]}

    @classmethod
    def from_dict(cls, data: dict) -> SchemaScript:
        return cls(tables=tuple(data["tables"]), constraints=tuple(data["constraints"]),
                   indexes=tuple(data["indexes"]), foreign_keys=tuple(data["foreign_keys"]),
                   sequences=tuple(tuple(s) for s in data["sequences"]),
                   data_tables=tuple((table, tuple(columns)) for table, columns in data["data_tables"]))


_PLAIN_NAME = re.compile(r"^[a-z_][a-z0-9_$]*$")


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


_COLUMNS = """
SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, a.attidentity,
       a.attgenerated, pg_get_expr(d.adbin, d.adrelid),
       CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation
            THEN (SELECT quote_ident(collname) FROM pg_collation WHERE oid = a.attcollation) END
FROM pg_class c
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
WHERE c.relnamespace = %s AND c.relkind = 'r'
ORDER BY c.relname, a.attnum
"""

_CONSTRAINTS = """
SELECT c.relname, k.conname, k.contype, pg_get_constraintdef(k.oid)
FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
WHERE c.relnamespace = %s AND k.contype IN ('p', 'u', 'c', 'x', 'f') AND k.conislocal
ORDER BY c.relname, k.contype, k.conname
"""

_INDEXES = """
SELECT pg_get_indexdef(i.indexrelid)
FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
WHERE c.relnamespace = %s
  AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.contype IN ('p', 'u', 'x'))
ORDER BY 1
"""

_IDENTITY_SEQUENCES = """
SELECT c.relname, a.attname, s.last_value
FROM pg_depend d
JOIN pg_class seq ON seq.oid = d.objid AND seq.relkind = 'S'
JOIN pg_class c ON c.oid = d.refobjid
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.refobjsubid
JOIN pg_sequences s ON s.schemaname = %s AND s.sequencename = seq.relname
WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass AND d.deptype = 'i'
  AND c.relnamespace = %s AND s.last_value IS NOT NULL
ORDER BY 1, 2
"""

# Objects the renderer does not reproduce: better an error at render time than a copy without them.
_UNSUPPORTED = """
SELECT 'relation ' || relname || ' of kind ' || relkind::text FROM pg_class
 WHERE relnamespace = %(ns)s AND relkind NOT IN ('r', 'i', 'S')
UNION ALL
SELECT 'sequence ' || s.relname FROM pg_class s WHERE s.relnamespace = %(ns)s AND s.relkind = 'S'
   AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = s.oid
                   AND d.deptype = 'i')
UNION ALL
SELECT 'function ' || proname FROM pg_proc WHERE pronamespace = %(ns)s
UNION ALL
SELECT 'trigger ' || tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
 WHERE c.relnamespace = %(ns)s AND NOT t.tgisinternal
UNION ALL
SELECT 'type ' || typname FROM pg_type t WHERE typnamespace = %(ns)s AND typtype NOT IN ('c', 'b')
   AND NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.reltype = t.oid)
"""


def _column_sql(name, type_sql, not_null, identity, generated, default, collation) -> str:
    parts = [quote(name), type_sql]
    if collation:
        parts.append(f"COLLATE {collation}")
    if identity:
        parts.append("GENERATED ALWAYS AS IDENTITY" if identity == "a" else "GENERATED BY DEFAULT AS IDENTITY")
    elif generated:
        parts.append(f"GENERATED ALWAYS AS ({default}) STORED")
    elif default is not None:
        parts.append(f"DEFAULT {default}")
    if not_null and not identity:
        parts.append("NOT NULL")
    return " ".join(parts)


def _render_tables(cursor, namespace: int) -> tuple[tuple[str, ...], dict[str, list[str]]]:
    cursor.execute(_COLUMNS, [namespace])
    columns: dict[str, list[str]] = {}
    insertable: dict[str, list[str]] = {}
    for table, name, type_sql, not_null, identity, generated, default, collation in cursor.fetchall():
        columns.setdefault(table, []).append(
            _column_sql(name, type_sql, not_null, identity, generated, default, collation))
        if not generated:
            insertable.setdefault(table, []).append(name)
    tables = tuple(f"CREATE TABLE {quote(table)} ({', '.join(cols)})" for table, cols in columns.items())
    return tables, insertable


def _render_constraints(cursor, namespace: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    cursor.execute(_CONSTRAINTS, [namespace])
    plain, foreign = [], []
    for table, name, kind, definition in cursor.fetchall():
        statement = f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}"
        (foreign if kind == "f" else plain).append(statement)
    return tuple(plain), tuple(foreign)


def _unqualified_index(definition: str, schema: str) -> str:
    """pg_get_indexdef qualifies the table whatever the search_path: drop this schema's qualifier."""
    qualifier = schema if _PLAIN_NAME.match(schema) else quote(schema)
    pattern = re.compile(r"^(CREATE (?:UNIQUE )?INDEX \S+ ON (?:ONLY )?)" + re.escape(qualifier) + r"\.")
    unqualified, found = pattern.subn(r"\1", definition, count=1)
    if not found:
        raise UnsupportedSchemaError(f"unexpected index definition: {definition}")
    return unqualified


def _tables_with_rows(cursor, schema: str, insertable: dict[str, list[str]], include_empty: bool) -> tuple:
    if include_empty:
        return tuple((table, tuple(cols)) for table, cols in insertable.items())
    if not insertable:
        return ()
    query = " UNION ALL ".join(
        f"SELECT %s WHERE EXISTS (SELECT 1 FROM {quote(schema)}.{quote(table)})"  # noqa: S608 - quoted names
        for table in insertable)
    cursor.execute(query, list(insertable))
    filled = {row[0] for row in cursor.fetchall()}
    return tuple((table, tuple(cols)) for table, cols in insertable.items() if table in filled)


def render_schema(schema: str, include_empty_tables: bool = False) -> SchemaScript:
    """Read ``schema``'s structure from the catalogue (costly with many schemas: do it once, then cache).

    ``data_tables`` lists the tables holding rows, or every table with ``include_empty_tables``.
    """
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT oid FROM pg_namespace WHERE nspname = %s", [schema])
        row = cursor.fetchone()
        if row is None:
            raise UnsupportedSchemaError(f"schema {schema} does not exist")
        namespace = row[0]
        cursor.execute(_UNSUPPORTED, {"ns": namespace})
        unsupported = [found for (found,) in cursor.fetchall()]
        if unsupported:
            raise UnsupportedSchemaError(f"{schema} holds objects the renderer cannot copy: {unsupported}")
        # Rendered inside a transaction so that SET LOCAL ends with it: with only this schema on the
        # path, pg_get_*def print this schema's names bare and every other schema's qualified.
        cursor.execute(f"SET LOCAL search_path TO {quote(schema)}")
        tables, insertable = _render_tables(cursor, namespace)
        constraints, foreign_keys = _render_constraints(cursor, namespace)
        cursor.execute(_INDEXES, [namespace])
        indexes = tuple(_unqualified_index(definition, schema) for (definition,) in cursor.fetchall())
        cursor.execute(_IDENTITY_SEQUENCES, [schema, namespace])
        sequences = tuple((table, column, value) for table, column, value in cursor.fetchall())
        data_tables = _tables_with_rows(cursor, schema, insertable, include_empty_tables)
    return SchemaScript(tables=tables, constraints=constraints, indexes=indexes, foreign_keys=foreign_keys,
                        sequences=sequences, data_tables=data_tables)


def migration_state(schema: str) -> str:
    """A fingerprint of the migrations applied in ``schema``: the key of its cached script."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT app, name FROM {quote(schema)}.django_migrations ORDER BY app, name")  # noqa: S608
        applied = cursor.fetchall()
    return hashlib.sha256(repr(applied).encode()).hexdigest()[:32]


_rendered: dict[tuple[str, str], SchemaScript] = {}


def cached_script(schema: str, state: str | None = None) -> SchemaScript:
    """``render_schema(schema)`` for its current migration state (``state`` if the caller has it): from
    this process, the shared cache (so a fresh worker does not walk the catalogue either), or rendered now."""
    key = (schema, state or migration_state(schema))
    script = _rendered.get(key)
    if script is None:
        cache_key = f"offices:schema-ddl:{key[0]}:{key[1]}"
        stored = cache.get(cache_key)
        if stored is not None:
            script = SchemaScript.from_dict(stored)
        else:
            script = render_schema(schema)
            cache.set(cache_key, script.to_dict(), CACHE_TIMEOUT_SECONDS)
        _rendered[key] = script
    return script


def build_structure(cursor, script: SchemaScript, schema: str) -> None:
    """Create ``schema`` with the script's tables (no constraints yet). Runs in the caller's transaction."""
    cursor.execute(f"CREATE SCHEMA {quote(schema)}; SET LOCAL search_path TO {quote(schema)}; "
                   + ";\n".join(script.tables))


def finish_structure(cursor, script: SchemaScript, schema: str) -> None:
    """Position the identity sequences, then add the constraints, indexes and foreign keys."""
    statements = [f"SET LOCAL search_path TO {quote(schema)}"]
    statements += [
        f"SELECT setval(pg_get_serial_sequence('{quote(table)}', '{column}'), {int(value)})"
        for table, column, value in script.sequences
    ]
    statements += [*script.constraints, *script.indexes, *script.foreign_keys]
    cursor.execute(";\n".join(statements))


def copy_schema(script: SchemaScript, source: str, target: str) -> None:
    """Create ``target`` as a copy of ``source`` (structure from ``script``, rows copied in the database).

    Must run inside a transaction (``SET LOCAL``); django-tenants sets its own search_path again
    on the next cursor, so nothing of this leaks into the caller's queries.
    """
    with connection.cursor() as cursor:
        build_structure(cursor, script, target)
        copies = [
            f"INSERT INTO {quote(table)} ({', '.join(map(quote, cols))}) OVERRIDING SYSTEM VALUE "  # noqa: S608
            f"SELECT {', '.join(map(quote, cols))} FROM {quote(source)}.{quote(table)}"
            for table, cols in script.data_tables
        ]
        if copies:
            cursor.execute(";\n".join(copies))
        finish_structure(cursor, script, target)
