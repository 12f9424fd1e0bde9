from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from offices.accounts.activation import activation_url
from offices.provisioning import create_office
from offices.tenancy import office_url


class Command(BaseCommand):
    help = "Create an office (a tenant) with its owner, cloned from the office template."

    def add_arguments(self, parser):
        parser.add_argument("--slug", required=True, help="Address: the office is served at <slug>.BASE_DOMAIN.")
        parser.add_argument("--name", required=True, help="The office's name as clients see it.")
        parser.add_argument("--owner-email", required=True, help="The owner's login e-mail.")
        parser.add_argument("--owner-password", default=None,
                            help="Optional; without it the command prints a link to set a password.")

    def handle(self, *args, slug, name, owner_email, owner_password, **options):
        try:
            provisioned = create_office(slug=slug, name=name, owner_email=owner_email,
                                        owner_password=owner_password, owner_verified=True)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        office = provisioned.office
        self.stdout.write(f"Created office “{office.name}” in {provisioned.seconds:.2f} s: {office_url(office.slug)}")
        if not owner_password:
            self.stdout.write(f"The owner sets a password here: {activation_url(office, provisioned.owner)}")
