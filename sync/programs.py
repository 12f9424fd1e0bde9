"""What each supported accounting program can provide to the portal.

The codes are ``clients.vocabulary.PROGRAM_CODES``, their names ``clients.names.PROGRAM_NAMES``. The values
are what the program itself keeps, so what an agent can read out of it: a program without a payroll module
has no ZUS contributions to give (its offices usually send ZUS from Płatnik), a pure payroll program has no
taxes or statements. ``PARTIAL`` means only part of the kind (e.g. VAT only); ``note`` says which.
``DEPENDS`` is for a source we cannot vouch for.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from clients.names import PROGRAM_NAMES
from clients.vocabulary import DATA_KINDS

YES = "yes"
PARTIAL = "partial"
NO = "no"
DEPENDS = "depends"

CAPABILITY_LABELS = {YES: _("yes"), PARTIAL: _("partly"), NO: _("no"), DEPENDS: _("depends on the agent")}


@dataclass(frozen=True)
class Program:
    code: str
    basic_data: str
    zus: str
    taxes: str
    statements: str
    note: str = ""

    @property
    def name(self) -> str:
        return PROGRAM_NAMES[self.code]

    def capability(self, kind: str) -> str:
        return getattr(self, kind)

    def capabilities(self) -> list[tuple[str, str]]:
        """``[(data kind, YES/PARTIAL/NO/DEPENDS), …]`` in ``DATA_KINDS`` order."""
        return [(kind, self.capability(kind)) for kind in DATA_KINDS]

    def provides(self, kind: str) -> bool:
        return self.capability(kind) in (YES, PARTIAL, DEPENDS)


_WITH_PAYROLL = dict(basic_data=YES, zus=YES, taxes=YES, statements=YES)
_BOOKS_ONLY = dict(basic_data=YES, zus=NO, taxes=YES, statements=YES)

PROGRAMS: dict[str, Program] = {
    program.code: program
    for program in (
        Program("optima", **_WITH_PAYROLL,
                note=_("ZUS when the office uses the Płace i Kadry module.")),
        Program("symfonia", **_WITH_PAYROLL,
                note=_("ZUS when the office uses Symfonia Kadry i Płace.")),
        Program("platnik", basic_data=PARTIAL, zus=YES, taxes=NO, statements=NO,
                note=_("ZUS contributions only; basic data limited to the payer's identifiers and name.")),
        Program("insert_gt", **_WITH_PAYROLL,
                note=_("ZUS when the office uses Gratyfikant GT.")),
        Program("insert_nexo", **_WITH_PAYROLL,
                note=_("ZUS when the office uses Gratyfikant nexo.")),
        Program("raks", **_WITH_PAYROLL, note=_("ZUS when the office uses the payroll module.")),
        Program("ramzes", **_WITH_PAYROLL, note=_("ZUS when the office uses Ramzes Płace.")),
        Program("wapro", **_WITH_PAYROLL,
                note=_("ZUS when the office uses WAPRO Gang.")),
        Program("finka", **_WITH_PAYROLL, note=_("ZUS when the office uses Finka Płace.")),
        Program("reset2", **_WITH_PAYROLL,
                note=_("ZUS when the office uses R2płatnik.")),
        Program("kpr", **_BOOKS_ONLY, note=_("Tax book (KPiR) and lump sum; ZUS usually from Płatnik.")),
        Program("fakt", **_BOOKS_ONLY, note=_("ZUS usually from Płatnik.")),
        Program("enova365", **_WITH_PAYROLL, note=_("ZUS when the office uses Kadry Płace.")),
        Program("buchalter", **_BOOKS_ONLY, note=_("ZUS usually from Płatnik.")),
        Program("skp", **_BOOKS_ONLY, note=_("ZUS usually from Płatnik.")),
        Program("mala_ksiegowosc", **_BOOKS_ONLY, note=_("ZUS usually from Płatnik.")),
        Program("ognik", **_BOOKS_ONLY, note=_("ZUS usually from Płatnik.")),
        Program("pcbiznes", **_BOOKS_ONLY, note=_("ZUS usually from Płatnik.")),
        Program("file_import", basic_data=PARTIAL, zus=YES, taxes=PARTIAL,
                statements=NO,
                note=_("VAT from JPK_V7M/JPK_V7K files, ZUS from Płatnik's KEDU files; basic data limited to "
                       "the identifiers and name in the file.")),
        Program("other", basic_data=DEPENDS, zus=DEPENDS, taxes=DEPENDS, statements=DEPENDS,
                note=_("Whatever the agent sends.")),
    )
}
