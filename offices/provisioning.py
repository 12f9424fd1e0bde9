"""Creating offices: slug rules, the template schema, and copying it.

A new office's schema is a copy of ``settings.TENANT_BASE_SCHEMA`` (tables,
identity sequences, migration records, content types, permissions) built from the
template's DDL, rendered once per template migration state and cached
(``offices.schema_ddl``): provisioning costs the same at the 2,000th office as at the
first, instead of django-tenants' ``clone_schema`` walking the ever larger catalogue.
"""

import logging
import re
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context, schema_exists

from offices.accounts.models import OfficeSettings, Role, User
from offices.accounts.services import create_login
from offices.models import Domain, Office
from offices.schema_ddl import TEMPLATE_LOCK_ID, cached_script, copy_schema, lock_template_shared, migration_state
from offices.spare_schemas import claim_spare
from offices.tenancy import office_host

logger = logging.getLogger(__name__)

SLUG_PATTERN = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
SLUG_MIN_LENGTH = 3
SLUG_MAX_LENGTH = 40
RESERVED_SLUGS = frozenset(
    {
        "admin", "api", "app", "assets", "auth", "billing", "biurko", "blog", "cdn", "dashboard",
        "dev", "docs", "ftp", "help", "imap", "localhost", "login", "mail", "media", "pop", "portal",
        "public", "smtp", "sso", "static", "staging", "status", "support", "test", "www",
    }
)


def validate_slug(slug: str) -> str:
    """Return the normalised slug or raise ValidationError with a message a person understands."""
    slug = (slug or "").strip().lower()
    if len(slug) < SLUG_MIN_LENGTH or len(slug) > SLUG_MAX_LENGTH:
        raise ValidationError(
            _("The address must have between %(min)d and %(max)d characters.")
            % {"min": SLUG_MIN_LENGTH, "max": SLUG_MAX_LENGTH},
            code="slug_length",
        )
    if not SLUG_PATTERN.match(slug):
        raise ValidationError(
            _("Use lowercase letters, digits and single hyphens; start with a letter, end with a letter or digit."),
            code="slug_format",
        )
    if slug in RESERVED_SLUGS or is_reserved_schema_name(schema_name_for(slug)):
        raise ValidationError(_("The address “%(slug)s” is reserved. Choose another.") % {"slug": slug},
                              code="slug_reserved")
    if Office.objects.filter(slug=slug).exists():
        raise _slug_taken(slug)
    return slug


def _slug_taken(slug: str) -> ValidationError:
    return ValidationError(_("The address “%(slug)s” is already taken.") % {"slug": slug}, code="slug_taken")


OFFICE_SCHEMA_PREFIX = "office_"
# Schemas the portal itself uses. A slug never contains "__" (single hyphens only), so
# names starting with INTERNAL_SCHEMA_PREFIX can never be an office's.
INTERNAL_SCHEMA_PREFIX = "office__"
RESERVED_SCHEMA_NAMES = frozenset({"public", "information_schema", settings.TENANT_BASE_SCHEMA})


def schema_name_for(slug: str) -> str:
    return OFFICE_SCHEMA_PREFIX + slug.replace("-", "_")


def is_reserved_schema_name(schema_name: str) -> bool:
    """True for schemas no office may get: the template, public, PostgreSQL's own, the portal's internal ones."""
    return (schema_name in RESERVED_SCHEMA_NAMES or schema_name.startswith(("pg_", INTERNAL_SCHEMA_PREFIX))
            or not schema_name.startswith(OFFICE_SCHEMA_PREFIX))


def template_schema() -> str:
    return settings.TENANT_BASE_SCHEMA


def template_needs_migrations() -> bool:
    with schema_context(template_schema()):
        executor = MigrationExecutor(connection)
        return bool(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def ensure_template_schema(verbosity: int = 0) -> bool:
    """Create or migrate the template schema; return True when something was done."""
    name = template_schema()
    created = False
    if not schema_exists(name):
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE SCHEMA "{name}"')
        created = True
    if created or template_needs_migrations():
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [TEMPLATE_LOCK_ID])  # see schema_ddl
            call_command("migrate_schemas", tenant=True, schema_name=name, interactive=False, verbosity=verbosity)
        return True
    return False


def delete_office(office: Office) -> None:
    """Erase an office completely: its schema, its domains and its public row, all or nothing."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f'DROP SCHEMA IF EXISTS "{office.schema_name}" CASCADE')
        office.delete()  # its Domain rows go with it


def _applied_migrations(schema: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT app || \'.\' || name FROM "{schema}".django_migrations')  # noqa: S608
        return {row[0] for row in cursor.fetchall()}


def office_schemas() -> list[str]:
    return list(Office.objects.exclude(schema_name="public").order_by("schema_name")
                .values_list("schema_name", flat=True))


def offices_needing_migrations(chunk: int = 200) -> list[str]:
    """Schemas of offices whose migration records lack any of the (up-to-date) template's.

    One query per ``chunk`` offices, so a deploy with nothing to do checks hundreds of
    offices in well under a second instead of running ``migrate`` in each.
    """
    expected = sorted(_applied_migrations(template_schema()))
    schemas = office_schemas()
    behind: list[str] = []
    for start in range(0, len(schemas), chunk):
        part = schemas[start:start + chunk]
        query = " UNION ALL ".join(
            f"SELECT %s, count(*) FROM \"{schema}\".django_migrations WHERE app || '.' || name = ANY(%s)"  # noqa: S608
            for schema in part
        )
        params: list = []
        for schema in part:
            params += [schema, expected]
        with connection.cursor() as cursor:
            cursor.execute(query, params)
            behind += [schema for schema, count in cursor.fetchall() if count < len(expected)]
    return behind


@dataclass(frozen=True)
class ProvisionedOffice:
    office: Office
    owner: User
    seconds: float


def create_office(*, slug: str, name: str, owner_email: str, owner_password: str | None = None,
                  owner_verified: bool = False) -> ProvisionedOffice:
    """Create an office: its public row, its domain, its schema, its settings and owner.

    The schema is a spare one made earlier from the template in its current migration state, renamed
    (instant), or when none is left a copy of the template made now (offices.spare_schemas). All or
    nothing: the schema is made in the same transaction as the rows, so a failure leaves no
    half-made office behind (and a claimed spare goes back to the pool).
    """
    started = time.perf_counter()
    slug = validate_slug(slug)
    name = (name or "").strip()
    if not name:
        raise ValidationError(_("Enter the office's name."), code="name_required")
    if not schema_exists(template_schema()):
        raise ValidationError(_("The office template is missing: run “manage.py migrate_offices”."),
                              code="no_template")
    try:
        with transaction.atomic():
            lock_template_shared()
            office = Office.objects.create(schema_name=schema_name_for(slug), slug=slug, name=name,
                                           owner_email=owner_email.strip().lower())
            Domain.objects.create(domain=office_host(slug), tenant=office, is_primary=True)
            state = migration_state(template_schema())
            if not claim_spare(office.schema_name, state):
                copy_schema(cached_script(template_schema(), state), template_schema(), office.schema_name)
            with schema_context(office.schema_name):
                OfficeSettings.load()
                owner = create_login(owner_email, role=Role.OWNER, password=owner_password,
                                     verified=owner_verified)
    except IntegrityError as exc:
        # Two sign-ups for the same address at once: validate_slug passed in both, the unique
        # index lets one through.
        if Office.objects.filter(slug=slug).exists():
            raise _slug_taken(slug) from exc
        raise
    seconds = time.perf_counter() - started
    logger.info("provisioned office %s in %.3f s", slug, seconds)
    return ProvisionedOffice(office=office, owner=owner, seconds=seconds)
