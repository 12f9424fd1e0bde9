"""The rules of the layers that import-linter cannot state (docs/architecture.md, pyproject.toml).

- No module uses another module's private (``_name``) names: not by ``from x import _name``, nor as
  ``module._name`` on an imported module of ours.
- The web modules inside the domain apps (``clients.views``, ``sync.api``, …) are imported only by
  URLconfs and other web modules, never by the domain modules beside them.
"""

from __future__ import annotations

import ast
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent
OUR_PACKAGES = ("portal", "offices", "clients", "sync")
CHECKED = (*OUR_PACKAGES, "tests")

# Web modules living inside a domain app, and who may import them.
WEB_MODULES = ("clients.views", "clients.urls", "clients.messaging.views", "clients.messaging.urls", "sync.api")
WEB_IMPORTERS = ("portal", "offices.panel", "offices.views", *WEB_MODULES)

# Known private imports in files being rewritten in parallel (issue "One path per rule"): H1 removes them.
KNOWN_PRIVATE = {
    *((path, f"clients.dashboard.{name}") for path in ("clients/messaging/services.py", "offices/panel/messages.py")
      for name in ("_approved", "_marks", "_payable")),
    *(("offices/panel/messages.py", f"clients.messaging.services.{name}")
      for name in ("_create", "_failed_reason", "_recipients", "_suppressed")),
    ("tests/offices/test_messages_panel.py", "offices.panel.messages._unpaid_items"),
}


def _python_files():
    for package in CHECKED:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def _ours(module: str | None) -> bool:
    return bool(module) and module.split(".")[0] in (*OUR_PACKAGES, "tests")


def _is_our_module(dotted: str) -> bool:
    path = ROOT.joinpath(*dotted.split("."))
    return _ours(dotted) and (path.with_suffix(".py").is_file() or (path / "__init__.py").is_file())


def _is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def private_uses(source: str) -> list[str]:
    """``module._name`` for every private name of another module of ours that ``source`` uses."""
    tree = ast.parse(source)
    found, module_aliases = [], {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and _ours(node.module):
            for alias in node.names:
                if _is_private(alias.name):
                    found.append(f"{node.module}.{alias.name}")
                elif _is_our_module(f"{node.module}.{alias.name}"):
                    module_aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if _ours(alias.name):  # ``import a.b`` binds ``a``; ``import a.b as c`` binds ``c`` to ``a.b``
                    bound = alias.name if alias.asname else alias.name.split(".")[0]
                    module_aliases[alias.asname or bound] = bound
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and _is_private(node.attr) and isinstance(node.value, ast.Name)
                and node.value.id in module_aliases):
            found.append(f"{module_aliases[node.value.id]}.{node.attr}")
    return found


def test_the_checker_finds_private_imports_and_attribute_uses():
    source = ("from clients.dashboard import _payable, build_items\nfrom offices import tasks\n"
              "import sync.ingest as ingest\nfrom django.db import _private_of_django\n"
              "tasks._queue(1)\ningest._Ingestion\nbuild_items._cache\nself._own\n")
    assert sorted(private_uses(source)) == ["clients.dashboard._payable", "offices.tasks._queue",
                                            "sync.ingest._Ingestion"]


def test_no_module_uses_another_modules_private_names():
    offences = []
    for path in _python_files():
        relative = path.relative_to(ROOT).as_posix()
        for name in private_uses(path.read_text(encoding="utf-8")):
            if (relative, name) not in KNOWN_PRIVATE:
                offences.append(f"{relative}: {name}")
    assert offences == [], "make the name public (and name it for what it does) or move the caller"


@pytest.fixture(scope="module")
def graph():
    return grimp.build_graph(*OUR_PACKAGES)


def test_domain_modules_never_import_the_web_modules_beside_them(graph):
    offences = []
    for web in WEB_MODULES:
        for importer in sorted(graph.find_modules_that_directly_import(web) | set().union(
                *(graph.find_modules_that_directly_import(child) for child in graph.find_descendants(web)))):
            if not any(importer == allowed or importer.startswith(allowed + ".") for allowed in WEB_IMPORTERS):
                offences.append(f"{importer} -> {web}")
    assert offences == []
