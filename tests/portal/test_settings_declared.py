"""Every setting is declared in portal/settings.py (read with portal.env) and documented in the README."""

import ast
import re
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("portal", "offices", "clients", "sync")
SETTINGS_NAMES = {"settings", "django_settings"}


def _sources():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts and path.name != "settings.py":
                yield path, ast.parse(path.read_text(encoding="utf-8"))


def test_every_environment_variable_of_the_settings_is_in_the_readme_table():
    variables = set(re.findall(r'env\.\w+\(\s*"([A-Z][A-Z0-9_]*)"', (ROOT / "portal/settings.py").read_text()))
    table = "\n".join(line for line in (ROOT / "README.md").read_text().splitlines() if line.startswith("| `"))
    assert variables, "the settings read no environment variable: the pattern is out of date"
    assert sorted(name for name in variables if f"`{name}`" not in table) == []


def test_no_setting_is_read_with_a_hidden_default():
    hidden = [f"{path.relative_to(ROOT)}:{node.lineno}" for path, tree in _sources() for node in ast.walk(tree)
              if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr"
              and node.args and isinstance(node.args[0], ast.Name) and node.args[0].id in SETTINGS_NAMES]
    assert hidden == [], "declare the setting in portal/settings.py and read settings.NAME"


def test_every_setting_the_code_reads_exists():
    used = {(node.attr, f"{path.relative_to(ROOT)}:{node.lineno}") for path, tree in _sources()
            for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
            and node.value.id in SETTINGS_NAMES and node.attr.isupper()}
    assert sorted(where for name, where in used if not hasattr(settings, name)) == []
