"""One path per rule: each of these writes (or fan-outs) has one service, and no other module does it itself.

Read from the source, so a new caller that goes around a service fails here, not in production:

- publishing (revisions become the approved ones): ``clients.publishing.publish``, through
  ``clients.bulk.approve_pending``;
- the outbox (every ``Message`` row): ``clients.messaging.services``;
- applying an agent's batch: ``sync.recording.apply_and_record`` (``POST batches``, ``POST files``, the panel's
  upload); the only other callers of ``apply_batch`` are a preview that is rolled back and the demo seed;
- periodic work for every office: ``offices.tenancy.for_each_office``;
- unpaid items: ``clients.unpaid`` (the behaviour, dashboard = reminders = nudge = calendar, is
  ``tests/offices/test_messages_panel.py::test_dashboard_reminders_and_nudge_agree_on_the_unpaid_items``);
- the stored payment status of items (``ItemStatus``): ``clients.item_statuses``, called by every writer of
  the status's inputs (the behaviour, writer by writer, is ``tests/clients/test_item_statuses.py``).

The behaviour of each service, whoever calls it, is tested beside it (``tests/clients/messaging/test_publishing.py``:
a panel, an agent, a rule and a manual value queue the same correction; ``tests/sync/test_recording.py``).
"""

from __future__ import annotations

import ast
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("portal", "offices", "clients", "sync")


def _modules():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path.relative_to(ROOT).as_posix(), ast.parse(path.read_text(encoding="utf-8"))


def _dotted(node) -> str:
    """``a.b.c`` of a Name/Attribute chain ('' for anything else)."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return ""


def _calls(name_matches):
    """``(module path, line)`` of every call whose callee (``f`` or ``x.y.f``) satisfies ``name_matches``."""
    for path, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and name_matches(_dotted(node.func)):
                yield path, node.lineno


def _is_approved(node) -> bool:
    return _dotted(node) == "RevisionState.APPROVED" or (isinstance(node, ast.Constant) and node.value == "approved")


def test_only_the_messaging_services_create_outbox_rows():
    creating = {"Message", "Message.objects.create", "Message.objects.bulk_create", "Message.objects.get_or_create",
                "Message.objects.update_or_create"}
    places = {path for path, _line in _calls(lambda name: name in creating)}
    assert places == {"clients/messaging/services.py"}


def test_only_publishing_makes_revisions_approved():
    assert {path for path, _line in _calls(lambda name: name.endswith("approve_pending"))} == {"clients/publishing.py"}
    offences = []
    for path, tree in _modules():
        for node in ast.walk(tree):
            # x.update(state=APPROVED), Revision.objects.create(state=APPROVED, ...), Revision(state=APPROVED)
            if isinstance(node, ast.Call) and _dotted(node.func).split(".")[-1] in {
                    "update", "create", "bulk_create", "get_or_create", "update_or_create", "Revision"}:
                offences += [f"{path}:{node.lineno}" for keyword in node.keywords
                             if keyword.arg == "state" and _is_approved(keyword.value)]
            # revision.state = APPROVED
            if isinstance(node, ast.Assign) and _is_approved(node.value):
                offences += [f"{path}:{node.lineno}" for target in node.targets
                             if isinstance(target, ast.Attribute) and target.attr == "state"]
    assert offences == []
    sql = [path for path, tree in _modules() for node in ast.walk(tree)
           if isinstance(node, ast.Constant) and isinstance(node.value, str) and "SET state = 'approved'" in node.value]
    assert sql == ["clients/bulk.py"]


def test_batches_are_applied_and_recorded_through_apply_and_record():
    assert {path for path, _line in _calls(lambda name: name.endswith("apply_and_record"))} == {
        "sync/api/views.py", "offices/panel/upload.py"}
    # apply_batch itself: the recording path, a dry run that is rolled back, and the demo office's seed
    assert {path for path, _line in _calls(lambda name: name.split(".")[-1] == "apply_batch")} == {
        "sync/recording.py", "sync/preview.py", "offices/demo.py"}


def _function(path: str, name: str) -> ast.FunctionDef:
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    return next(node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef) and node.name == name)


def test_periodic_work_for_every_office_goes_through_for_each_office():
    # Only for_each_office queues a task per office (inside the office's schema, for tenant-schemas-celery).
    assert {path for path, _line in _calls(lambda name: name.endswith((".apply_async", ".delay")))} == {
        "offices/tenancy.py"}
    fan_outs = [entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
                if entry["task"].endswith("_all_offices")]
    assert fan_outs  # the periodic per-office work (clean-ups, dispatch, rules, alerts, retention)
    for task_name in fan_outs:
        module, function = task_name.rsplit(".", 1)
        path = _task_module(module, function)
        body = [node for node in _function(path, function).body
                if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))]  # the docstring
        assert len(body) == 1 and isinstance(body[0], ast.Return), task_name
        assert _dotted(body[0].value.func) == "for_each_office", task_name


def _task_module(module: str, function: str) -> str:
    """The file of a task named ``app.function`` or ``app.tasks.function`` (Celery names tasks either way)."""
    for candidate in (module.replace(".", "/") + ".py", module.replace(".", "/") + "/tasks.py"):
        path = ROOT / candidate
        if path.is_file() and f"def {function}(" in path.read_text(encoding="utf-8"):
            return candidate
    raise AssertionError(f"no module defines the task {module}.{function}")


def test_unpaid_items_are_read_only_through_clients_unpaid():
    # The payment marks and settlements decide what is paid: outside clients.unpaid only their writers touch them
    # (a bookkeeper settling a month, clients.office_settling, settles clients.unpaid.payment_items).
    readers = set()
    for path, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and _dotted(node) in {"PaymentMark.objects", "Settlement.objects"}:
                readers.add(path)
    # clients.self_service and clients.settlements write them (and show a company's marks / match waiting ones);
    # clients.privacy exports the marks a person made (RODO: everything held about them), never as what is due;
    # clients.models_payments holds settlements_of, the settlements by item key (read by clients.unpaid).
    assert readers == {"clients/unpaid.py", "clients/self_service.py", "clients/settlements.py",
                       "clients/privacy.py", "clients/models_payments.py"}, readers


REFRESHING = ("refresh_item_statuses", "refresh_months", "refresh_after_company_go_live",
              "refresh_after_office_go_live")


def test_the_stored_item_status_is_written_only_by_clients_item_statuses():
    users = {path for path, tree in _modules() for node in ast.walk(tree)
             if isinstance(node, ast.Attribute) and _dotted(node) == "ItemStatus.objects"}
    assert users == {"clients/item_statuses.py"}, users
    # Every module that writes an input of the status refreshes it: marks, settlements, approved revisions,
    # go-live months (a company's, the office's), payer keys on erasure.
    refreshing = {path for path, _line in _calls(lambda name: name.split(".")[-1] in REFRESHING)}
    assert refreshing == {"clients/self_service.py", "clients/settlements.py", "clients/publishing.py",
                          "clients/office_settling.py", "clients/privacy.py",
                          "clients/item_statuses.py"}, refreshing
