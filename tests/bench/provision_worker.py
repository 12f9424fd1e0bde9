"""A fresh process that provisions the offices named on its command line and prints their times (JSON).

Used by tests/bench/test_scale.py to time provisioning in a new interpreter; run with
DATABASE_URL pointing at the benchmark's database.
"""

import json
import sys

import django

django.setup()

from offices.provisioning import create_office  # noqa: E402 - needs django.setup()

if __name__ == "__main__":
    seconds = [create_office(slug=slug, name=f"Biuro {slug}", owner_email=f"szef@{slug}.pl",
                             owner_verified=True).seconds for slug in sys.argv[1:]]
    print(json.dumps(seconds))
