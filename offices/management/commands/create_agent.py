from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import schema_context

from offices.models import Office
from sync.agents import create_agent


class Command(BaseCommand):
    help = "Register a desktop agent for an office and print its token (shown only this once)."

    def add_arguments(self, parser):
        parser.add_argument("--office", required=True, help="The office's slug.")
        parser.add_argument("--name", required=True, help="A name to recognise the agent by, e.g. the PC.")

    def handle(self, *args, office, name, **options):
        try:
            target = Office.objects.get(slug=office)
        except Office.DoesNotExist:
            raise CommandError(f"No office with the slug “{office}”.") from None
        with schema_context(target.schema_name):
            try:
                agent, token = create_agent(name)
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from exc
        self.stderr.write(f"Agent “{agent.name}” registered for {target.slug}. Its token (shown only once):")
        self.stdout.write(token)
