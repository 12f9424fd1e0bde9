"""The demo office that ``biurko run`` seeds once on a fresh database.

Its data goes through the same code as an agent's: one batch through
``sync.ingest.apply_batch`` (about 20 companies with people and the last 12 months of
taxes, ZUS and statements), approvals through ``clients.approval`` by the office's
bookkeeper (every month but the newest, which stays pending), then one more batch with
a correction of an approved figure, which waits for approval while clients still see
the old value. The two demo client logins are linked to the owners of two companies.

It tells the truth about paying (clients.payment_status): the history is settled from the books
(``clients.settlements``, as an agent's ``settlements`` would record it), one item of the last
approved month is still unpaid (overdue), the two demo clients' newest month is approved and due,
one paid VAT was corrected downwards afterwards (a nadpłata), and one company has no NRS yet. It also keeps one
bank statement to import (``DEMO_STATEMENT_PATH`` in the office's storage, offered on the panel's "Import files"
page and the client's statement page): Ewa's company paying its newest month, plus a payment whose title names no
period (left unmatched, with the reason) and lines that are no tax payments.
"""

import random
import time
from datetime import date
from decimal import Decimal

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_context
from stdnum import iban
from stdnum.pl import pesel as stdnum_pesel

from clients.activation import link_login
from clients.approval import approve_company, approve_company_period
from clients.bank_matching import StatementData, StatementLine
from clients.bank_statements import DEMO_STATEMENT_PATH
from clients.models import Company, Person, Revision, RevisionState, SettlementSource, add_months, format_period
from clients.models_payments import ZUS_ITEM
from clients.settlements import SettlementEntry, record_settlements_of
from clients.unpaid import payment_items
from clients.vocabulary import STATEMENT_PREFIX, TAX_PREFIX, ZUS_PREFIX, ZUS_TOTAL, tax_kind
from offices.accounts.models import Role, User
from offices.accounts.services import create_login
from offices.models import Office
from offices.provisioning import create_office
from sync.agents import create_agent
from sync.batch import Address, Batch, CompanyData, PersonData, StatementEntry, TaxEntry, TaxSetup, ZusEntry
from sync.importers.statement_writer import render_mt940
from sync.ingest import apply_batch

DEMO_SLUG = "demo"
DEMO_NAME = "Biuro Rachunkowe Demo"
DEMO_PASSWORD = "demo-biurko-2026"
DEMO_OWNER = "ksiegowa@example.com"
DEMO_CLIENTS = [
    ("jan.kowalski@example.com", "Jan", "Kowalski"),
    ("ewa.nowak@example.com", "Ewa", "Nowak"),
]
DEMO_LOGINS = [("staff", DEMO_OWNER), *[("client", email) for email, _first, _last in DEMO_CLIENTS]]

# (name, owner first name, owner last name, VAT, income tax, ZUS payer kind, employees?)
DEMO_COMPANIES = [
    ("Kowalski Usługi Budowlane", "Jan", "Kowalski", "monthly", "linear", "other", True),
    ("Nowak Design Sp. z o.o.", "Ewa", "Nowak", "monthly", "cit", "legal_person", True),
    ("Piekarnia Złoty Kłos", "Marek", "Wiśniewski", "monthly", "scale", "other", True),
    ("Zielińska Tłumaczenia", "Anna", "Zielińska", "quarterly", "lump_sum", "other", False),
    ("Auto-Serwis Lewandowski", "Piotr", "Lewandowski", "monthly", "linear", "other", True),
    ("Kamińska Gabinet Fizjoterapii", "Katarzyna", "Kamińska", "exempt", "lump_sum", "other", False),
    ("Dąbrowski IT Consulting", "Tomasz", "Dąbrowski", "monthly", "linear", "other", False),
    ("Sklep Ogrodniczy Zając", "Barbara", "Zając", "quarterly", "scale", "other", True),
    ("Transport Szymański Sp. z o.o.", "Paweł", "Szymański", "monthly", "cit", "legal_person", True),
    ("Woźniak Architekci", "Magdalena", "Woźniak", "monthly", "linear", "other", False),
    ("Kozłowska Catering", "Agnieszka", "Kozłowska", "monthly", "scale", "other", True),
    ("Jankowski Elektro", "Krzysztof", "Jankowski", "monthly", "linear", "other", True),
    ("Mazur Nieruchomości Sp. z o.o.", "Joanna", "Mazur", "monthly", "cit", "legal_person", False),
    ("Wojciechowski Stolarstwo", "Andrzej", "Wojciechowski", "quarterly", "scale", "other", True),
    ("Kwiatkowska Kwiaciarnia", "Małgorzata", "Kwiatkowska", "exempt", "lump_sum", "other", False),
    ("Krawczyk Fotografia", "Michał", "Krawczyk", "monthly", "lump_sum", "other", False),
    ("Fundacja Dobry Start", "Ewelina", "Kaczmarek", "exempt", "cit", "legal_person", True),
    ("Piotrowski Hydraulika", "Grzegorz", "Piotrowski", "monthly", "linear", "other", True),
    ("Grabowska Biuro Podróży Sp. z o.o.", "Monika", "Grabowska", "monthly", "cit", "legal_person", True),
    ("Pawlak Weterynaria", "Robert", "Pawlak", "monthly", "scale", "other", False),
]
_INCOME_TAX_FORM = {"linear": "PIT-5L", "scale": "PIT-5", "lump_sum": "PIT-28", "cit": "CIT"}
_NIP_WEIGHTS = (6, 5, 7, 2, 3, 4, 5, 6, 7)
#: The demo company whose NRS the office has not entered yet (its clients are told it is missing).
WITHOUT_NRS = 3
_CITIES = ["Warszawa", "Kraków", "Łódź", "Wrocław", "Poznań", "Gdańsk", "Lublin", "Katowice"]


def _nip(n: int) -> str:
    candidate = 525_000_000 + n * 1_013
    while True:
        digits = str(candidate)
        check = sum(w * int(d) for w, d in zip(_NIP_WEIGHTS, digits, strict=True)) % 11
        if check != 10:
            return digits + str(check)
        candidate += 1


def _pesel(n: int) -> str:
    base = f"{70 + n % 25:02d}{1 + n % 12:02d}{1 + n % 28:02d}{n:04d}"
    return base + stdnum_pesel.calc_check_digit(base)


def _nrs(nip: str) -> str:
    """A ZUS contribution account of the structure ZUS assigns (docs/glossary.md, "NRS") for this NIP."""
    bban = "60000002026" + "000" + nip
    return iban.calc_check_digits("PL00" + bban) + bban


def _money(value: float) -> Decimal:
    return Decimal(str(round(value, 2))).quantize(Decimal("0.01"))


def demo_batch(periods: list[str], seed: int = 2026) -> Batch:
    """The demo companies with their owners and a year of figures, as an agent would post them."""
    rng = random.Random(seed)  # noqa: S311 - demo figures, not secrets
    companies = []
    for index, (name, first, last, vat, income_tax, zus_payer, employees) in enumerate(DEMO_COMPANIES):
        size = rng.uniform(0.5, 4)
        taxes, zus, statements = [], [], []
        for month_index, period in enumerate(periods):
            revenue = _money(size * rng.uniform(18_000, 30_000))
            costs = _money(float(revenue) * rng.uniform(0.45, 0.8))
            income = revenue - costs
            if vat == "monthly":
                due = _money(float(revenue) * 0.23 * rng.uniform(0.2, 0.5))
                taxes.append(TaxEntry(len(taxes), period, "VAT-7", due))
            elif vat == "quarterly" and int(period[5:]) % 3 == 0:
                due = _money(float(revenue) * 0.6 * rng.uniform(0.2, 0.5))
                taxes.append(TaxEntry(len(taxes), period, "VAT-7K", due))
            form = _INCOME_TAX_FORM[income_tax]
            rate = {"PIT-5L": 0.19, "PIT-5": 0.12, "PIT-28": 0.085, "CIT": 0.09}[form]
            base = revenue if form == "PIT-28" else income
            taxes.append(TaxEntry(len(taxes), period, form, _money(float(base) * rate)))
            if employees:
                taxes.append(TaxEntry(len(taxes), period, "PIT-4", _money(size * rng.uniform(300, 900))))
            social = Decimal("1773.96") if zus_payer == "other" else _money(size * 2100)
            health = _money(max(float(income) * 0.049, 432.54))
            labour_fund = Decimal("119.11") if zus_payer == "other" else _money(size * 190)
            zus.append(ZusEntry(month_index, period, social=social, health=health, labour_fund=labour_fund,
                                fgsp=Decimal("0.00"), total=social + health + labour_fund))
            totals = {}
            if income_tax == "cit":
                totals = {"trial_balance_debit": _money(float(revenue) * 3.1), "vat_due": _money(float(revenue) * 0.07)}
            statements.append(StatementEntry(month_index, period, revenue=revenue, costs=costs, income=income,
                                             totals=totals))
        owner = PersonData(0, first, last, pesel=_pesel(index + 1), email=f"{_ascii(first)}.{_ascii(last)}@example.com",
                           phone=f"+4860{index:07d}", role="owner")
        people = (owner,)
        if index % 5 == 1:
            people += (PersonData(1, "Adam", last, pesel=_pesel(index + 101), role="partner"),)
        companies.append(CompanyData(
            index=index, nip=_nip(index + 1), regon="", name=name,
            address=Address(street=f"ul. Polna {index + 1}", postal_code=f"0{index % 10}-{100 + index}",
                            city=_CITIES[index % len(_CITIES)]),
            email=f"biuro@{_ascii(last)}.example.com", phone=f"+4822{index:07d}",
            tax_setup=TaxSetup(vat=vat, income_tax=income_tax, zus_payer=zus_payer), people=people,
            zus_account=None if index == WITHOUT_NRS else _nrs(_nip(index + 1)),
            taxes=tuple(taxes), zus=tuple(zus), statements=tuple(statements)))
    return Batch(program="optima", program_version="2026.1", period_from=periods[0], period_to=periods[-1],
                 companies=tuple(companies))


def _ascii(text: str) -> str:
    table = str.maketrans("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ", "acelnoszzACELNOSZZ")
    return text.translate(table).lower().replace(" ", "")


def _seed_data(owner) -> None:
    """Companies, figures, approvals and a pending correction (current schema: the demo office)."""
    today = timezone.localdate()
    this_month = date(today.year, today.month, 1)
    months = [add_months(this_month, -offset) for offset in range(12, 0, -1)]
    agent, _token = create_agent("Agent demo (Optima)")
    apply_batch(demo_batch([format_period(month) for month in months]), agent, batch_ref="demo-1")
    companies = list(Company.objects.order_by("pk"))
    for company in companies:
        approve_company(company, by_user=owner, before=months[-1])  # the newest month waits for the bookkeeper
    # A correction of an approved figure: clients keep seeing the old value until it is approved.
    first = companies[0]
    corrected = months[-2]
    vat = first.figures.get(period=corrected, kind=tax_kind("VAT-7")).revisions.get(state="approved")
    apply_batch(Batch(program="optima", companies=(CompanyData(index=0, nip=first.nip, taxes=(
        TaxEntry(0, format_period(corrected), "VAT-7", vat.amount + Decimal("312.00"), label="correction"),)),)),
        agent, batch_ref="demo-2")
    _settle_history(companies, months, owner, agent)
    _store_demo_statement(companies[1], today)
    for (email, _first, _last), index in zip(DEMO_CLIENTS, (1, 2), strict=True):
        user = User.objects.get(email=email)
        link_login(Person.objects.get(pesel=_pesel(index)), user)


def _settle_history(companies: list[Company], months: list[date], owner, agent) -> None:
    """Settled from the books: everything but the newest months; one overdue item, one nadpłata."""
    jan, ewa = companies[0], companies[1]
    approved = (Revision.objects.filter(state=RevisionState.APPROVED, figure__period__lte=months[-2])
                .exclude(figure__kind__startswith=STATEMENT_PREFIX).exclude(figure__kind__startswith=ZUS_PREFIX)
                .values_list("figure__company_id", "figure__period", "figure__kind", "amount"))
    zus = (Revision.objects.filter(state=RevisionState.APPROVED, figure__period__lte=months[-2],
                                   figure__kind=ZUS_TOTAL)
           .values_list("figure__company_id", "figure__period", "figure__kind", "amount"))
    entries: dict[int, list[SettlementEntry]] = {company.pk: [] for company in companies}
    for company_id, period, kind, amount in [*approved, *zus]:
        what = ZUS_ITEM if kind.startswith(ZUS_PREFIX) else kind[len(TAX_PREFIX):]
        if company_id == jan.pk and period == months[-2] and what == "PIT-5L":
            continue  # the one item still unpaid: overdue
        entries[company_id].append(SettlementEntry(period, what, amount, paid_on=add_months(period, 1)))
    record_settlements_of([(company, entries[company.pk]) for company in companies],
                          source=SettlementSource.PROGRAM, program="optima", agent_name=agent.name)
    # Ewa's VAT of three months ago was paid, then corrected downwards: the client sees a nadpłata.
    corrected = months[-3]
    vat = ewa.figures.get(period=corrected, kind=tax_kind("VAT-7")).revisions.get(state="approved")
    apply_batch(Batch(program="optima", companies=(CompanyData(index=0, nip=ewa.nip, taxes=(
        TaxEntry(0, format_period(corrected), "VAT-7", vat.amount - Decimal("44.31"), label="correction"),)),)),
        agent, batch_ref="demo-3")
    approve_company_period(ewa, corrected, by_user=owner)
    # The two demo clients' newest month is approved: due this month.
    for company in (jan, ewa):
        approve_company_period(company, months[-1], by_user=owner)


def _store_demo_statement(company: Company, today: date) -> None:
    """Ewa's bank statement (MT940): her newest month's payments, one without a period, two others."""
    due = [item for item in payment_items(company, today) if item.to_pay and item.account]
    day = today.replace(day=1) if today.day > 1 else today
    lines = [StatementLine(index + 1, day, item.left_to_pay, True, counterparty_account=item.account,
                           counterparty_name=item.recipient, title=item.title, reference=f"DEMO{index + 1:04d}")
             for index, item in enumerate(due)]
    tax = next((item for item in due if item.group == "tax"), None)
    if tax is not None:  # a tax paid without the structured title: left unmatched, with the reason
        lines.append(StatementLine(len(lines) + 1, day, Decimal("150.00"), True, counterparty_account=tax.account,
                                   counterparty_name=tax.recipient, title="podatek", reference="DEMO0900"))
    supplier = "".join(["PL", iban.calc_check_digits("PL00" + "102055581111123456789012"), "102055581111123456789012"])
    lines += [StatementLine(len(lines) + 1, day, Decimal("1845.00"), True, counterparty_account=supplier[2:],
                            title="Faktura FV/12/2026 — papier", reference="DEMO0901"),
              StatementLine(len(lines) + 2, day, Decimal("12300.00"), False, counterparty_account=supplier[2:],
                            title="Zapłata za FV 7/2026", reference="DEMO0902")]
    own = "109010140000071219812874"
    statement = StatementData(kind="mt940", account=iban.calc_check_digits("PL00" + own) + own,
                              reference=f"DEMO{day:%Y%m}", currency="PLN", lines=tuple(lines))
    if default_storage.exists(DEMO_STATEMENT_PATH):  # a demo office seeded again (tests) replaces its file
        default_storage.delete(DEMO_STATEMENT_PATH)
    default_storage.save(DEMO_STATEMENT_PATH, ContentFile(render_mt940(statement, opening="50000.00")))


@transaction.atomic
def seed_demo_office(stdout=None) -> bool:
    """Create the demo office with a staff login, two client logins and a year of data; False when it exists."""
    if Office.objects.filter(slug=DEMO_SLUG).exists():
        return False
    started = time.perf_counter()
    provisioned = create_office(slug=DEMO_SLUG, name=DEMO_NAME, owner_email=DEMO_OWNER,
                                owner_password=DEMO_PASSWORD, owner_verified=True)
    with schema_context(provisioned.office.schema_name):
        for email, first_name, last_name in DEMO_CLIENTS:
            create_login(email, role=Role.CLIENT, password=DEMO_PASSWORD, first_name=first_name,
                         last_name=last_name, verified=True)
        _seed_data(provisioned.owner)
    if stdout is not None:
        stdout.write(f"Seeded the demo office in {time.perf_counter() - started:.2f} s.\n")
    return True
