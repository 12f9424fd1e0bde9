"""The JSON body of ``POST batches`` → a validated ``sync.batch.Batch``.

``values`` checks single members (amounts, periods, identifiers, text), ``entries`` the monthly
entries and people, ``request`` the companies, payers and the request as a whole.

Plain Python on purpose: a batch may carry hundreds of thousands of figures, so
there are no serializers per figure, membership tests go against pre-built sets,
and error pointers are only formatted when something is wrong.

Rules (the public contract is ``docs/agent-api.md`` and the OpenAPI schema):

- The request as a whole must be an object with a valid ``program``; ``agent``, ``range``,
  ``options``, ``companies`` and ``payers`` are optional but, when present, must be well-formed.
  A problem there refuses the whole request (``RequestInvalidError``, answered with 422).
- Each company is validated on its own: any bad field or figure inside it rejects that
  company only (its index goes to ``Batch.rejected_companies``, its errors to ``Batch.errors``,
  with JSON Pointers such as ``/companies/3/taxes/0/amount``); the others go on. A refused
  company stays in ``Batch.companies`` with what could be read of it, never applied, so that
  ``apply_batch`` counts every figure it carried as rejected. A bad
  entry of ``payers`` is rejected the same way, on its own.
- Amounts are JSON strings ``-?[0-9]{1,12}(.[0-9]{1,2})?``; a JSON number is ``invalid_amount``.
  Periods are ``YYYY-MM`` (a real month, years 1990–2099), dates ``YYYY-MM-DD`` (a real day).
- NIP, PESEL, REGON and phone numbers are checked and normalised by ``clients.validators``.
- Unknown members are ignored (tolerant reader: newer agents may send more than this
  portal knows); this is stated in the OpenAPI schema.
"""
from sync.parsing.request import count_figures, gc_paused, parse_batch
from sync.parsing.values import RequestInvalidError

__all__ = ["RequestInvalidError", "count_figures", "gc_paused", "parse_batch"]
