"""Builders of validated batches (``sync.batch``) and valid Polish identifiers, for tests, the cast and benches."""

from decimal import Decimal

from stdnum.pl import pesel as stdnum_pesel

from sync.batch import (
    Address,
    Batch,
    CompanyData,
    PayerData,
    PersonData,
    StatementEntry,
    TaxEntry,
    TaxSetup,
    ZusEntry,
)

_NIP_WEIGHTS = (6, 5, 7, 2, 3, 4, 5, 6, 7)


def make_nip(n: int) -> str:
    """The ``n``-th valid NIP of a deterministic sequence (distinct for distinct n)."""
    candidate = 100_000_000 + n * 7
    while True:
        digits = f"{candidate:09d}"
        check = sum(w * int(d) for w, d in zip(_NIP_WEIGHTS, digits, strict=True)) % 11
        if check != 10:
            return digits + str(check)
        candidate += 1  # skip numbers whose check digit would be 10 (such NIPs do not exist)


def make_pesel(n: int) -> str:
    """A valid PESEL of someone born on 1 January 1980 (n < 10000)."""
    base = f"800101{n:04d}"
    return base + stdnum_pesel.calc_check_digit(base)


def D(value) -> Decimal:  # noqa: N802
    return Decimal(str(value)).quantize(Decimal("0.01"))


def tax(index: int, period: str, tax_type: str, amount, **kwargs) -> TaxEntry:
    return TaxEntry(index=index, period=period, type=tax_type, amount=D(amount), **kwargs)


def zus(index: int, period: str, *, total, social=None, health=None, payer_pesel=None, **kwargs) -> ZusEntry:
    return ZusEntry(index=index, period=period, payer_pesel=payer_pesel, total=D(total),
                    social=None if social is None else D(social), health=None if health is None else D(health),
                    **kwargs)


def statement(index: int, period: str, revenue, costs, **totals) -> StatementEntry:
    return StatementEntry(index=index, period=period, revenue=D(revenue), costs=D(costs), income=D(revenue) - D(costs),
                          totals={name: D(value) for name, value in totals.items()})


def person(index: int, first_name: str, last_name: str, *, pesel=None, role="owner", **kwargs) -> PersonData:
    return PersonData(index=index, first_name=first_name, last_name=last_name, pesel=pesel, role=role, **kwargs)


def company(index: int, nip: str, name: str = "", *, taxes=(), zus_entries=(), statements=(), people=(),
            vat="monthly", income_tax="linear", zus_payer="other", city="Warszawa", **kwargs) -> CompanyData:
    return CompanyData(
        index=index, nip=nip, name=name or f"Firma {nip}", address=Address(street="ul. Prosta 1", postal_code="00-001",
                                                                          city=city),
        tax_setup=TaxSetup(vat=vat, income_tax=income_tax, zus_payer=zus_payer), people=tuple(people),
        taxes=tuple(taxes), zus=tuple(zus_entries), statements=tuple(statements), **kwargs)


def payer(index: int, *, pesel=None, nip=None, zus_entries=()) -> PayerData:
    return PayerData(index=index, pesel=pesel, nip=nip, zus=tuple(zus_entries))


def batch(*companies: CompanyData, program: str = "optima", **kwargs) -> Batch:
    return Batch(program=program, companies=tuple(companies), **kwargs)


def months(year: int, first: int = 1, last: int = 12) -> list[str]:
    return [f"{year:04d}-{month:02d}" for month in range(first, last + 1)]


def full_company(index: int, nip: str, periods: list[str], *, seed: int = 0, people=(), **kwargs) -> CompanyData:
    """A company with taxes, ZUS and statements for every period (about 11 figures a month)."""
    taxes, zus_entries, statements = [], [], []
    for i, period in enumerate(periods):
        base = 1000 + seed * 37 + i * 11
        taxes += [tax(len(taxes), period, "VAT-7", base), tax(len(taxes) + 1, period, "PIT-5L", base / 4),
                  tax(len(taxes) + 2, period, "PIT-4", 300 + seed)]
        zus_entries.append(zus(i, period, social="1646.47", health=432.54 + seed, total=2079.01 + seed))
        statements.append(statement(i, period, 50000 + base, 30000 + seed, vat_due=base))
    return company(index, nip, taxes=taxes, zus_entries=zus_entries, statements=statements, people=people, **kwargs)
