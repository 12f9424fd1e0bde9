"""Finding 5 of the penetration test: login limits per process, lock-outs by strangers, the proxy's address.

Behind the TLS proxy every request came from the proxy's address, so 20 failures a minute from anywhere
locked out a whole office and the sign-up limit became global; without ``CACHE_URL`` each worker counted
on its own and ``check --deploy`` said nothing.
"""

import pytest
from django.core.cache import cache
from django.core.checks import run_checks
from django.test import RequestFactory

from offices.accounts.network import client_ip
from offices.models import Office
from tests.conftest import PASSWORD

PROXY = "10.0.0.1"
ATTACKER, ALICE_AT_HOME, BOB_AT_HOME = "198.51.100.66", "203.0.113.10", "203.0.113.20"


@pytest.fixture(autouse=True)
def _fresh_limits(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    cache.clear()
    yield
    cache.clear()


def _login(client, email, password, ip, forged=""):
    forwarded = f"{forged}, {ip}" if forged else ip  # our proxy appends the address it saw
    return client.post("/accounts/login/", {"login": email, "password": password},
                       REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)


def _logged_in(response) -> bool:
    return response.status_code == 302 and response["Location"] == "/"


def test_a_strangers_failures_lock_out_nobody_else(office_client, cast):
    attacker = office_client(cast.office_a)
    for attempt in range(25):  # alternating accounts, forging the left part of X-Forwarded-For
        email = ("alice@alpha.test", "bob@example.com")[attempt % 2]
        _login(attacker, email, "wrong-password", ATTACKER, forged=f"192.0.2.{attempt}")
    # the attacker is stopped, even with the right password
    assert not _logged_in(_login(office_client(cast.office_a), cast.alice.email, PASSWORD, ATTACKER))
    # the accounts' owners, at their own addresses behind the same proxy, are not
    assert _logged_in(_login(office_client(cast.office_a), cast.alice.email, PASSWORD, ALICE_AT_HOME))
    assert _logged_in(_login(office_client(cast.office_a), cast.bob.email, PASSWORD, BOB_AT_HOME))


def test_one_account_gets_five_tries_per_address(office_client, cast):
    for _attempt in range(5):
        _login(office_client(cast.office_a), cast.alice.email, "wrong-password", ATTACKER)
    refused = _login(office_client(cast.office_a), cast.alice.email, PASSWORD, ATTACKER)
    assert not _logged_in(refused)
    assert "too many" in refused.content.decode().lower() or "zbyt wiele" in refused.content.decode().lower()


def test_the_client_ip_is_taken_from_the_trusted_proxies_only(settings):
    factory = RequestFactory()
    request = factory.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="192.0.2.1, 198.51.100.7, 10.0.0.9")
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request) == PROXY
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request) == "10.0.0.9"
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(request) == "198.51.100.7"
    settings.TRUSTED_PROXY_COUNT = 4  # a request that did not pass the whole chain: the socket counts
    assert client_ip(request) == PROXY


def test_the_signup_limit_is_per_client_not_per_proxy(public_client):
    cache.set(f"signup-attempts:{ATTACKER}", 5, timeout=3600)  # the attacker has used up the hour's sign-ups
    form = {"name": "Biuro Nowe", "slug": "nowe-biuro", "owner_email": "jan@nowe.pl",
            "password1": "Zielona-Herbata-42", "password2": "Zielona-Herbata-42"}
    refused = public_client.post("/signup/", {**form, "slug": "atak"}, REMOTE_ADDR=PROXY,
                                 HTTP_X_FORWARDED_FOR=ATTACKER)
    assert refused.status_code == 400 and not Office.objects.filter(slug="atak").exists()
    accepted = public_client.post("/signup/", form, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=BOB_AT_HOME)
    assert accepted.status_code == 201


@pytest.mark.parametrize(("cache_url", "refused"), [("", True), ("locmem://", True), ("redis://cache:6379/1", False)])
def test_the_deploy_check_requires_a_shared_cache_in_production(settings, cache_url, refused):
    settings.PRODUCTION = True
    settings.CACHE_URL = cache_url
    ids = {message.id for message in run_checks(include_deployment_checks=True)}
    assert ("biurko.E001" in ids) is refused
