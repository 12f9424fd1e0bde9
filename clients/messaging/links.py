"""Who and where a message is from: the current office, links into its portal, unsubscribe tokens.

The leaf of the messaging modules: the outbox services, the transports and the provider callbacks all use
these, and this module uses none of them.
"""

from django.core import signing
from django.db import connection
from django.urls import reverse

from clients.models import Person
from offices.tenancy import current_office, office_url

UNSUBSCRIBE_SALT = "clients.messaging.unsubscribe"


def portal_url(path: str = "/") -> str:
    return office_url(current_office().slug, path)


def unsubscribe_token(person: Person) -> str:
    return signing.dumps({"p": person.pk, "s": connection.schema_name}, salt=UNSUBSCRIBE_SALT, compress=True)


def person_from_unsubscribe_token(token: str) -> Person | None:
    """The person of a valid token of *this* office (a token of another office is refused)."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("s") != connection.schema_name:
        return None
    return Person.objects.filter(pk=data.get("p")).first()


def unsubscribe_url(person: Person) -> str:
    return portal_url(reverse("messaging:unsubscribe", kwargs={"token": unsubscribe_token(person)}))
