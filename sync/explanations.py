"""Plain-language explanations and fix hints for the event codes agents and the portal log most often.

Keyed by ``Event.code`` (agents choose their codes; these are the common ones, see docs/agent-api.md
``POST events``). The event log shows the explanation next to the event; unknown codes show none.
"""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Explanation:
    what: Promise | str
    fix: Promise | str


EXPLANATIONS: dict[str, Explanation] = {
    "db_unreachable": Explanation(
        _("The agent could not connect to the accounting program's database."),
        _("Check that the computer or server with the program's database is on and reachable from the agent's "
          "computer (network, VPN), and that the database service (e.g. SQL Server) is running."),
    ),
    "db_timeout": Explanation(
        _("The accounting program's database answered too slowly."),
        _("Try again outside working hours; if it repeats, ask the program's administrator to check the server."),
    ),
    "auth_failed": Explanation(
        _("The agent's login to the accounting program or its database was refused (wrong user name or password)."),
        _("Enter the current user name and password in the agent's settings; passwords changed in the program "
          "must be changed in the agent too."),
    ),
    "wrong_credentials": Explanation(
        _("The agent's login to the accounting program or its database was refused (wrong user name or password)."),
        _("Enter the current user name and password in the agent's settings; passwords changed in the program "
          "must be changed in the agent too."),
    ),
    "config_error": Explanation(
        _("The agent's configuration is incomplete or wrong (e.g. a missing database name or program path)."),
        _("Open the agent's settings on the office's computer and complete the marked fields; the agent's "
          "installation guide lists what each program needs."),
    ),
    "configuration_error": Explanation(
        _("The agent's configuration is incomplete or wrong (e.g. a missing database name or program path)."),
        _("Open the agent's settings on the office's computer and complete the marked fields; the agent's "
          "installation guide lists what each program needs."),
    ),
    "template_missing": Explanation(
        _("A report template the agent reads the figures with is missing in the accounting program."),
        _("Import the template that comes with the agent into the program (or reinstall the agent), then "
          "synchronise again."),
    ),
    "missing_template": Explanation(
        _("A report template the agent reads the figures with is missing in the accounting program."),
        _("Import the template that comes with the agent into the program (or reinstall the agent), then "
          "synchronise again."),
    ),
    "token_invalid": Explanation(
        _("The portal refused the agent's token (revoked, or typed wrongly)."),
        _("Register the agent again on the Agents page and paste the new token into the agent's settings."),
    ),
    "batch_rejected": Explanation(
        _("The portal refused every company of a batch (see the batch's errors)."),
        _("The errors name the company and the value at fault, e.g. an invalid NIP; correct it in the program "
          "and synchronise again."),
    ),
    "batch_partially_applied": Explanation(
        _("Some companies or values of a batch were refused; the rest was applied."),
        _("The batch's errors name what was refused and why; correct it in the program and synchronise again."),
    ),
}


def explain(code: str) -> Explanation | None:
    return EXPLANATIONS.get(code)
