"""What each supported accounting program can provide to the portal, with its human name.

The codes are ``sync.batch.PROGRAM_CODES``. The values are what the program itself keeps, so what an agent
can read out of it: a program without a payroll module has no ZUS contributions to give (its offices
usually send ZUS from Płatnik), a pure payroll program has no taxes or statements. ``PARTIAL`` means only
part of the kind (e.g. VAT only); ``note`` says which. ``DEPENDS`` is for a source we cannot vouch for.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from sync.batch import DATA_KINDS

YES = "yes"
PARTIAL = "partial"
NO = "no"
DEPENDS = "depends"

CAPABILITY_LABELS = {YES: _("yes"), PARTIAL: _("partly"), NO: _("no"), DEPENDS: _("depends on the agent")}
DATA_KIND_LABELS = {
    "basic_data": _("Basic data"),
    "zus": _("ZUS"),
    "taxes": _("Taxes"),
    "statements": _("Statements"),
}


@dataclass(frozen=True)
class Program:
    code: str
    name: str  # product name: not translated
    basic_data: str
    zus: str
    taxes: str
    statements: str
    note: str = ""

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
        Program("optima", "Comarch ERP Optima", **_WITH_PAYROLL,
                note=_("ZUS when the office uses the Płace i Kadry module.")),
        Program("symfonia", "Symfonia", **_WITH_PAYROLL,
                note=_("ZUS when the office uses Symfonia Kadry i Płace.")),
        Program("platnik", "Płatnik (ZUS)", basic_data=PARTIAL, zus=YES, taxes=NO, statements=NO,
                note=_("ZUS contributions only; basic data limited to the payer's identifiers and name.")),
        Program("insert_gt", "InsERT GT (Rachmistrz, Rewizor, Gratyfikant)", **_WITH_PAYROLL,
                note=_("ZUS when the office uses Gratyfikant GT.")),
        Program("insert_nexo", "InsERT nexo (Rachmistrz, Rewizor, Gratyfikant)", **_WITH_PAYROLL,
                note=_("ZUS when the office uses Gratyfikant nexo.")),
        Program("raks", "RAKS SQL", **_WITH_PAYROLL, note=_("ZUS when the office uses the payroll module.")),
        Program("ramzes", "Ramzes", **_WITH_PAYROLL, note=_("ZUS when the office uses Ramzes Płace.")),
        Program("wapro", "WAPRO (Kaper, Fakir, Gang)", **_WITH_PAYROLL,
                note=_("ZUS when the office uses WAPRO Gang.")),
        Program("finka", "Finka", **_WITH_PAYROLL, note=_("ZUS when the office uses Finka Płace.")),
        Program("reset2", "Reset2 (R2księga, R2płatnik)", **_WITH_PAYROLL,
                note=_("ZUS when the office uses R2płatnik.")),
        Program("kpr", "KPR", **_BOOKS_ONLY, note=_("Tax book (KPiR) and lump sum; ZUS usually from Płatnik.")),
        Program("fakt", "Fakt", **_BOOKS_ONLY, note=_("ZUS usually from Płatnik.")),
        Program("enova365", "enova365", **_WITH_PAYROLL, note=_("ZUS when the office uses Kadry Płace.")),
        Program("buchalter", "Buchalter", **_BOOKS_ONLY, note=_("ZUS usually from Płatnik.")),
        Program("skp", "SKP", **_BOOKS_ONLY, note=_("ZUS usually from Płatnik.")),
        Program("mala_ksiegowosc", "Mała Księgowość", **_BOOKS_ONLY, note=_("ZUS usually from Płatnik.")),
        Program("ognik", "Ognik", **_BOOKS_ONLY, note=_("ZUS usually from Płatnik.")),
        Program("pcbiznes", "PC-Biznes", **_BOOKS_ONLY, note=_("ZUS usually from Płatnik.")),
        Program("file_import", _("File import (JPK_V7, Płatnik KEDU)"), basic_data=PARTIAL, zus=YES, taxes=PARTIAL,
                statements=NO,
                note=_("VAT from JPK_V7M/JPK_V7K files, ZUS from Płatnik's KEDU files; basic data limited to "
                       "the identifiers and name in the file.")),
        Program("other", _("Other program"), basic_data=DEPENDS, zus=DEPENDS, taxes=DEPENDS, statements=DEPENDS,
                note=_("Whatever the agent sends.")),
    )
}

def program_name(code: str) -> str:
    program = PROGRAMS.get(code)
    return str(program.name) if program else code
