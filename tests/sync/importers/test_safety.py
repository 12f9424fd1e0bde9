"""Hostile and broken input: each refused with a clear code and message, nothing expanded or fetched."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest

from sync.importers import JPK_VARIANTS, ExchangeFileError, ImportLimits, detect_and_parse
from sync.importers.kedu import KEDU_SCHEMAS
from sync.importers.safexml import XSD_DIR, load_schema

from .conftest import REPO, jpk_xml

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<tns:JPK xmlns:tns="http://crd.gov.pl/wzor/2021/12/27/11148/"><tns:Naglowek>&lol9;</tns:Naglowek></tns:JPK>"""


def _refused(data: bytes, code: str, **kwargs) -> ExchangeFileError:
    with pytest.raises(ExchangeFileError) as caught:
        detect_and_parse(data, **kwargs)
    assert caught.value.code == code, caught.value.message
    assert caught.value.message
    return caught.value


def test_billion_laughs_is_refused():
    error = _refused(BILLION_LAUGHS, "forbidden_xml")
    assert "DOCTYPE" in error.message


def test_external_entity_is_refused_and_never_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-1234")
    data = (f'<?xml version="1.0"?><!DOCTYPE JPK [<!ENTITY xxe SYSTEM "file://{secret}">]>'
            f'<JPK xmlns="http://crd.gov.pl/wzor/2021/12/27/11148/"><Naglowek>&xxe;</Naglowek></JPK>').encode()
    error = _refused(data, "forbidden_xml")
    assert "TOP-SECRET" not in error.message


def test_external_dtd_and_parameter_entities_are_refused():
    _refused(b'<?xml version="1.0"?><!DOCTYPE KEDU SYSTEM "http://evil.example/x.dtd"><KEDU/>', "forbidden_xml")
    _refused(b'<!DOCTYPE x [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]><KEDU/>', "forbidden_xml")


def test_doctype_in_utf16_is_refused_too():
    data = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY a "b">]><KEDU>&a;</KEDU>'.encode("utf-16")
    _refused(data, "forbidden_xml")


def test_malformed_xml_is_refused_with_the_line():
    data = jpk_xml(declaration={"P_51": "1"}).replace(b"</tns:Naglowek>", b"</tns:Naglowk>", 1)
    error = _refused(data, "malformed_xml")
    assert "well-formed" in error.message


def test_truncated_file_is_refused():
    data = jpk_xml(declaration={"P_51": "1"})
    _refused(data[: len(data) // 2], "malformed_xml")


def test_empty_and_non_xml_files_are_refused():
    _refused(b"", "empty")
    _refused(b"   \n", "empty")
    _refused(b"NIP;KWOTA\n5260250995;100\n", "malformed_xml")
    _refused(b"PK\x03\x04rest-of-a-zip", "not_xml")


def test_size_limit_is_configurable_and_refuses_clearly():
    data = jpk_xml(declaration={"P_51": "1"})
    error = _refused(data, "too_large", limits=ImportLimits(max_bytes=1024))
    assert "limit" in error.message
    assert detect_and_parse(data, limits=ImportLimits(max_bytes=len(data))).batch.companies


def test_xsd_is_skipped_with_a_warning_above_its_threshold():
    data = jpk_xml(declaration={"P_51": "12.5"})  # invalid for the schema, still a readable amount
    result = detect_and_parse(data, limits=ImportLimits(xsd_max_bytes=100))
    assert not result.schema_validated
    assert any("XSD-check threshold" in w for w in result.warnings)
    assert result.batch.companies[0].taxes[0].amount == Decimal("12.50")


def _write_register(path, target_bytes: int) -> tuple[int, Decimal]:
    """Stream a JPK_V7M(2) register of about ``target_bytes`` to ``path``; returns (rows, output VAT)."""
    head, tail = jpk_xml(declaration={"P_51": "0"}, sales_rows=[{"K_19": "1.00", "K_20": "0.23"}],
                         sales_ctrl=(1, "0.23")).split(
        b"<tns:SprzedazCtrl>")
    start = head.index(b"<tns:SprzedazWiersz>")
    prefix, row = head[:start], head[start:]
    rows = 0
    with path.open("wb") as out:
        out.write(prefix)
        size = len(prefix)
        while size < target_bytes:
            out.write(row)
            size += len(row)
            rows += 1
        tax = Decimal("0.23") * rows
        out.write(b"<tns:SprzedazCtrl>" + tail.replace(b">1<", f">{rows}<".encode(), 1)
                  .replace(b"0.23", f"{tax:.2f}".encode(), 1))
    return rows, tax


def test_a_100_mb_register_is_refused_by_the_default_limit(tmp_path):
    path = tmp_path / "big.xml"
    _write_register(path, 100 * 1024 * 1024)
    error = _refused(path.read_bytes(), "too_large")
    assert "100.0 MiB" in error.message and "64.0 MiB" in error.message


@pytest.mark.slow
def test_a_100_mb_register_streams_in_bounded_memory_when_the_limit_allows(tmp_path):
    """Measured in a fresh process: peak RSS during the parse minus RSS before it (file bytes already loaded)."""
    if not Path("/proc/self/status").exists():
        pytest.skip("needs Linux /proc to read the resident set size")
    path = tmp_path / "big.xml"
    rows, tax = _write_register(path, 100 * 1024 * 1024)
    small = tmp_path / "small.xml"
    small.write_bytes(jpk_xml(sales_rows=[{"K_19": "1.00", "K_20": "0.23"}], sales_ctrl=(1, "0.23")))
    script = textwrap.dedent(f"""
        import json, os, sys, time
        sys.path.insert(0, {str(REPO)!r})
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
        import django
        django.setup()
        from sync.importers import ImportLimits, detect_and_parse
        data = open({str(path)!r}, "rb").read()
        detect_and_parse(open({str(small)!r}, "rb").read())  # warm up: imports, schema compilation
        def status_kib(field):
            with open("/proc/self/status") as status:
                return next(int(line.split()[1]) for line in status if line.startswith(field + ":"))
        before = status_kib("VmRSS")
        # Reset the peak (VmHWM) so earlier allocations (reading the file, imports) don't count.
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
        started = time.monotonic()
        result = detect_and_parse(data, limits=ImportLimits(max_bytes=200 * 1024 * 1024,
                                                           xsd_max_bytes=200 * 1024 * 1024))
        seconds = time.monotonic() - started
        after = status_kib("VmHWM")
        statement = result.batch.companies[0].statements[0]
        print(json.dumps({{"growth_kib": after - before, "seconds": seconds, "rows": result.details["sales_rows"],
                          "sales_vat": str(statement.totals["sales_vat"]), "validated": result.schema_validated,
                          "warnings": list(result.warnings)}}))
    """)
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO,
                               timeout=300, check=False)
    assert completed.returncode == 0, completed.stderr[-3000:]
    outcome = json.loads(completed.stdout.strip().splitlines()[-1])
    assert outcome["rows"] == rows
    assert Decimal(outcome["sales_vat"]) == tax
    assert outcome["validated"] is True and outcome["warnings"] == []
    # A DOM of this file would take well over 1 GiB; streaming stays within a few tens of MiB.
    assert outcome["growth_kib"] < 64 * 1024, outcome
    print(f"100 MB register: {outcome['seconds']:.1f} s, peak RSS growth {outcome['growth_kib'] // 1024} MiB")


def test_doctype_hidden_behind_a_long_prolog_is_still_refused():
    """The byte pre-check looks at the first 256 KiB; the parser-level check catches what comes later."""
    padding = b"<!--" + b"x" * (300 * 1024) + b"-->"
    data = BILLION_LAUGHS.replace(b"<!DOCTYPE", padding + b"<!DOCTYPE", 1)
    _refused(data, "forbidden_xml")


SHIPPED_2026 = {  # the hashes the reference data's SHA256SUMS-2026 / SHA256SUMS list for the official documents
    "Schemat_JPK_V7M(3)_v1-0E_14090.xsd": "1870324001ba1318f0535841b963571e970b45ef32ba5ca3d433f0dc5da412df",
    "Schemat_JPK_V7K(3)_v1-0E_14089.xsd": "3e7b70f30debf7ffe35127ac694b465004a45c0786b3267a92d91c7c29595d34",
    "StrukturyDanych_v12-0E.xsd": "01c45f7515f46cfa9bec843feef1409c126af3bee4d4e25f0325ae6323a9d512",
    "KodyKrajow_v13-0E.xsd": "447efc6e1a84de71d433666c60635856b8e01f090e5eedb3410b1afe545f8117",
    "KodyUrzedowSkarbowych_v8-0E.xsd": "af27f583ea1ceb44ed37e0ec0d9bfdf2bfda74aadd5841ccbf0fc241175c2e91",
    "kedu_5_7.xsd": "7f853a09c26a5a5d35f03e2eaa310de70a0a21efa7740d9be27e718741bbbaf5",
}


@pytest.mark.parametrize("name", sorted(SHIPPED_2026))
def test_the_2026_schemas_are_the_official_files_unchanged(name):
    assert hashlib.sha256((XSD_DIR / name).read_bytes()).hexdigest() == SHIPPED_2026[name]


def test_every_variant_schema_compiles_offline_from_shipped_files_only():
    """Each schema the importers name compiles with its imports served from sync/importers/xsd (never fetched)."""
    names = {v.schema for v in JPK_VARIANTS.values() if v.schema} | {f for _, f in KEDU_SCHEMAS.values()}
    assert {"Schemat_JPK_V7M(3)_v1-0E_14090.xsd", "Schemat_JPK_V7K(3)_v1-0E_14089.xsd", "kedu_5_7.xsd"} <= names
    for name in sorted(names):
        schema, reason = load_schema(name)
        assert schema is not None, (name, reason)

