"""The codes the agent API accepts for fields that are model choices, taken from the models' ``TextChoices``
(their labels are what a person reads). Kept out of ``sync.batch``, which must import before Django's apps
are loaded (the API's problem responses use it from a logging filter).
"""

from clients.models import IncomeTaxSetup, PersonRole, RevisionLabel, VatSetup, ZusPayerKind

FIGURE_LABELS = tuple(RevisionLabel.values)
PERSON_ROLES = tuple(PersonRole.values)
VAT_SETUPS = tuple(VatSetup.values)
INCOME_TAX_SETUPS = tuple(IncomeTaxSetup.values)
ZUS_PAYER_KINDS = tuple(ZusPayerKind.values)
