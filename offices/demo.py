"""The demo office that ``biurko run`` seeds once on a fresh database."""

from django.db import transaction
from django_tenants.utils import schema_context

from offices.accounts.models import Role
from offices.accounts.services import create_login
from offices.models import Office
from offices.provisioning import create_office

DEMO_SLUG = "demo"
DEMO_NAME = "Biuro Rachunkowe Demo"
DEMO_PASSWORD = "demo-biurko-2026"
DEMO_OWNER = "ksiegowa@example.com"
DEMO_CLIENTS = [
    ("jan.kowalski@example.com", "Jan", "Kowalski"),
    ("ewa.nowak@example.com", "Ewa", "Nowak"),
]
DEMO_LOGINS = [("staff", DEMO_OWNER), *[("client", email) for email, _first, _last in DEMO_CLIENTS]]


@transaction.atomic
def seed_demo_office(stdout=None) -> bool:
    """Create the demo office with a staff login and two client logins; False when it exists."""
    if Office.objects.filter(slug=DEMO_SLUG).exists():
        return False
    provisioned = create_office(slug=DEMO_SLUG, name=DEMO_NAME, owner_email=DEMO_OWNER,
                                owner_password=DEMO_PASSWORD, owner_verified=True)
    with schema_context(provisioned.office.schema_name):
        for email, first_name, last_name in DEMO_CLIENTS:
            create_login(email, role=Role.CLIENT, password=DEMO_PASSWORD, first_name=first_name,
                         last_name=last_name, verified=True)
    if stdout is not None:
        stdout.write(f"Seeded the demo office in {provisioned.seconds:.2f} s.\n")
    return True
