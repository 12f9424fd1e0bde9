"""The agent's work: scan the folder into the queue, deliver the queue, report what happened.

Delivery rules for one item (``deliver``):

- 2xx → delivered (a batch answered ``"status": "rejected"`` — nothing applied — is treated as refused);
- ``422 idempotency_key_reused`` → this content was already delivered under its key: a duplicate, done;
- 401 / 403 / 404 / a redirect → a configuration problem (token, office, URL): the run stops, items stay;
- 408, 409, 5xx → retried later with exponential backoff and jitter (``Retry-After`` honoured);
- 429, 503 and network errors → the whole portal is paused for ``Retry-After`` or the backoff;
- any other 4xx → permanent: the file goes to ``rejected/`` with ``<name>.problem.json`` next to it.
"""

from __future__ import annotations

import json
import os
import platform
import random
import socket
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from sync.agent import __version__
from sync.agent.client import NetworkError, PortalClient, Response, multipart
from sync.agent.config import AgentConfig
from sync.agent.files import LocalRejectionError, uploads_of, watched_files
from sync.agent.queue import Item, Queue, digest, now_iso, write_json

DELIVERED, REJECTED, DUPLICATE, RETRY, PAUSE = "delivered", "rejected", "duplicate", "retry", "pause"
SPLIT = "split"
UPLOAD_ENDPOINTS = ("batches", "files")
MAX_EVENTS_PER_POST = 500
_COUNTERS = {DELIVERED: "delivered", REJECTED: "rejected", DUPLICATE: "duplicates"}


class HaltError(Exception):
    """The portal refuses the agent itself (token, office, URL): nothing can be delivered until it is fixed."""


def split_batch(payload: bytes) -> list[bytes]:
    """A batch body cut in two halves of its companies (payers go with the first); [] if it cannot be cut."""
    try:
        data = json.loads(payload)
    except ValueError:
        return []
    companies = data.get("companies") if isinstance(data, dict) else None
    if not isinstance(companies, list) or len(companies) < 2:
        return []
    middle = len(companies) // 2
    first = {**data, "companies": companies[:middle]}
    second = {**data, "companies": companies[middle:], "payers": []}
    return [json.dumps(half, ensure_ascii=False).encode() for half in (first, second)]


def agent_info() -> dict:
    return {"version": __version__, "os": f"{platform.system()} {platform.release()}".strip()[:100],
            "hostname": socket.gethostname()[:100]}


def runtime_info() -> dict:
    return {"os": platform.platform(), "python": platform.python_version(),
            "implementation": platform.python_implementation(), "executable": sys.executable,
            "agent": __version__, "pid": os.getpid()}


class Progress:
    """A plain-text progress bar on stderr: redrawn in place on a terminal, a line per 10 % otherwise."""

    WIDTH = 30

    def __init__(self, total: int, stream=None, *, minimum: int = 2):
        self.total, self.done = total, 0
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = total >= minimum
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._last_step = -1

    def advance(self, label: str = "") -> None:
        self.done += 1
        if not self.enabled:
            return
        filled = self.WIDTH * self.done // self.total
        line = f"[{'#' * filled}{'.' * (self.WIDTH - filled)}] {self.done}/{self.total}"
        if self.tty:
            self.stream.write(f"\r{line} {label[:40]:<40}")
            if self.done >= self.total:
                self.stream.write("\n")
        else:
            step = 10 * self.done // self.total
            if step != self._last_step:
                self._last_step = step
                self.stream.write(line + "\n")
        self.stream.flush()


@dataclass
class Summary:
    delivered: int = 0
    rejected: int = 0
    duplicates: int = 0
    enqueued: int = 0
    waiting: int = 0
    messages: list[str] = field(default_factory=list)


class Agent:
    def __init__(self, config: AgentConfig, *, out=None, err=None, sleep=time.sleep, clock=time.time):
        self.config = config
        self.queue = Queue(config.state_dir)
        self.client = PortalClient(config)
        self.out = out if out is not None else sys.stdout
        self.err = err if err is not None else sys.stderr
        self.sleep, self.clock = sleep, clock
        self.outbox: list[dict] = []  # events waiting to become one queued ``POST events``
        self._seen: dict[str, tuple[int, int]] = {}  # path → (size, mtime_ns) already looked at

    def say(self, message: str) -> None:
        print(message, file=self.out, flush=True)

    # --- events and error reports ---------------------------------------------------------------

    def event(self, code: str, message: str, *, level: str = "info", **details) -> None:
        self.outbox.append({"at": now_iso(), "level": level, "code": code, "message": message[:10_000],
                            "details": details})

    def flush_events(self) -> None:
        while self.outbox:
            chunk, self.outbox = self.outbox[:MAX_EVENTS_PER_POST], self.outbox[MAX_EVENTS_PER_POST:]
            body = json.dumps({"events": chunk}, ensure_ascii=False).encode("utf-8")
            self.queue.add("events", body, name=f"{len(chunk)} event(s)")

    def report_exception(self, error: BaseException) -> None:
        """*Zgłoś błąd*: queue an error report with the stack trace and runtime (sent like anything else)."""
        stack = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        runtime = {**runtime_info(), "reported_at": now_iso()}  # the time also keeps two identical crashes apart
        body = json.dumps({"message": f"{type(error).__name__}: {error}"[:10_000], "stacktrace": stack[-200_000:],
                           "agent": agent_info(), "runtime": runtime}, ensure_ascii=False).encode("utf-8")
        self.queue.add("error-reports", body, name="error report")

    # --- scanning -----------------------------------------------------------------------------------

    def enqueue_path(self, path: Path, *, kind: str | None = None, watched: bool = True) -> int:
        """Queue what ``path`` holds; a file that cannot be sent goes straight to rejected/. Returns items added.

        A refused file of the watched folder is moved to rejected/; one given to ``send`` (``watched=False``)
        stays where it is and a copy goes there."""
        data = path.read_bytes()
        try:
            uploads = uploads_of(path, data)
        except LocalRejectionError as refusal:
            self._reject_file(path.name, data, refusal.problem(), source=str(path) if watched else "")
            self.event("file_rejected", f"{path.name}: {refusal.detail}", level="warning", name=path.name,
                       problem=refusal.problem())
            return 0
        added = 0
        for upload in uploads:
            upload_kind = kind or upload.kind
            parts = (upload_kind.encode(), upload.data) if upload.endpoint == "files" else (upload.data,)
            item = self.queue.add(upload.endpoint, upload.data, name=upload.name, kind=upload_kind,
                                  source=upload.source if watched else "", digest_parts=parts)
            if item is not None:
                added += 1
        return added

    def scan(self) -> int:
        """Queue new files of the watched folder (settled: untouched for ``settle_seconds``)."""
        added = 0
        now = self.clock()
        for path in watched_files(self.config.watch_folder):
            try:
                stat = path.stat()
            except OSError:
                continue
            signature = (stat.st_size, stat.st_mtime_ns)
            if self._seen.get(str(path)) == signature or now - stat.st_mtime < self.config.settle_seconds:
                continue
            try:
                added += self.enqueue_path(path)
            except OSError as exc:  # locked by the exporting program, vanished…: next poll
                self.say(f"cannot read {path.name} yet: {exc.strerror or exc}")
                continue
            self._seen[str(path)] = signature
        return added

    # --- delivering ---------------------------------------------------------------------------------

    def drain(self, *, wait_until: float | None = None, progress_stream=None) -> Summary:
        """Deliver due items oldest first; with ``wait_until``, sleep for items not due yet until then."""
        summary = Summary()
        self.flush_events()
        progress = Progress(len(self.queue.items()), progress_stream if progress_stream is not None else self.err)
        while True:
            items = self.queue.items()
            if not items:
                break
            now = self.clock()
            pause_until = float(self.queue.state().get("pause_until", 0) or 0)
            due = [item for item in items if item.next_attempt_at <= now] if pause_until <= now else []
            if not due:
                next_time = max(pause_until, min(item.next_attempt_at for item in items))
                if wait_until is None or next_time > wait_until:
                    break
                self.sleep(max(0.0, next_time - now))
                continue
            for item in due:
                outcome = self.deliver(item)
                if outcome in _COUNTERS:
                    if progress.done < progress.total:
                        progress.advance(item.name)
                    setattr(summary, _COUNTERS[outcome], getattr(summary, _COUNTERS[outcome]) + 1)
                if outcome == PAUSE:
                    break
            self.flush_events()
        summary.waiting = len(self.queue.items())
        return summary

    def deliver(self, item: Item) -> str:
        payload = self.queue.payload(item)
        item.attempts += 1
        try:
            response = self._post(item, payload)
        except NetworkError as error:
            return self._unreachable(item, str(error))
        self._reachable()
        status = response.status
        if 200 <= status < 300:
            return self._delivered(item, payload, response)
        problem = response.problem
        if status == 422 and problem.get("code") == "idempotency_key_reused":
            self.queue.finish(item, DUPLICATE, problem=problem)
            self.say(f"{item.name}: already delivered earlier (same content), not applied again")
            self.queue.update_state(count_duplicate=1)
            return DUPLICATE
        if status in (401, 403, 404) or 300 <= status < 400:
            item.attempts -= 1  # not the item's fault
            detail = problem.get("detail") or ""
            where = f" (to {response.headers.get('location')})" if 300 <= status < 400 else ""
            self.queue.update_state(last_error=f"HTTP {status}{where}: {detail}"[:500], last_error_at=now_iso())
            raise HaltError(f"The portal refused the agent (HTTP {status}{where}): {detail} — check [portal] url, "
                            "office_host and token.")
        if status in (408, 409, 429) or status >= 500:
            retry_after = response.retry_after()
            delay = self._backoff(item.attempts, retry_after)
            item.last_error = f"HTTP {status}: {problem.get('detail', '')}"[:500]
            item.next_attempt_at = self.clock() + delay
            self.queue.save(item)
            self.queue.update_state(last_error=item.last_error, last_error_at=now_iso())
            if status in (429, 503):
                self.queue.update_state(pause_until=self.clock() + delay)
                self.say(f"portal busy (HTTP {status}); retrying in {delay:.0f} s")
                return PAUSE
            self.say(f"{item.name}: HTTP {status}; retrying in {delay:.0f} s")
            return RETRY
        if status == 413 and problem.get("code") == "batch_too_large" and item.endpoint == "batches":
            halves = split_batch(payload)
            if halves:
                return self._split(item, halves, problem)
        return self._rejected(item, payload, problem, status)

    def _split(self, item: Item, halves: list[bytes], problem: dict) -> str:
        """Queue the two halves of a batch over the portal's maxima in its place (each half is split again
        if still too large). Their keys come from their content, so a restarted agent splits the same way."""
        for number, half in enumerate(halves, 1):
            self.queue.add("batches", half, name=f"{item.name} ({number}/{len(halves)})", kind=item.kind,
                           source=item.source)
        self.queue.finish(item, SPLIT, problem=problem)
        self.say(f"{item.name}: larger than the portal accepts in one batch ({problem.get('detail', '')}); "
                 "sent in two halves")
        return SPLIT

    def _post(self, item: Item, payload: bytes) -> Response:
        if item.endpoint == "files":
            body, content_type = multipart({"kind": item.kind}, "file", Path(item.name).name, payload)
            return self.client.post("files", body, content_type=content_type, key=item.key)
        return self.client.post(item.endpoint, payload, content_type="application/json", key=item.key)

    def _backoff(self, attempts: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return retry_after + random.uniform(0, min(1.0, retry_after * 0.1))  # noqa: S311 - jitter, not crypto
        delay = min(self.config.max_backoff_seconds, 2.0 ** max(0, attempts - 1))
        return random.uniform(delay / 2, delay)  # noqa: S311

    def _unreachable(self, item: Item, error: str) -> str:
        state = self.queue.state()
        failures = int(state.get("failures", 0)) + 1
        delay = self._backoff(failures, None)
        item.last_error = error[:500]
        self.queue.save(item)
        changes = {"failures": failures, "pause_until": self.clock() + delay, "last_error": error[:500],
                   "last_error_at": now_iso()}
        if not state.get("unreachable_since"):
            changes["unreachable_since"] = now_iso()
            self.say(f"portal unreachable ({error}); the queue keeps everything until it is back")
        self.queue.update_state(**changes)
        return PAUSE

    def _reachable(self) -> None:
        state = self.queue.state()
        if state.get("unreachable_since"):
            since = state["unreachable_since"]
            self.event("portal_unreachable", f"The portal was unreachable from {since} to {now_iso()}: "
                       f"{state.get('last_error', '')}", level="warning", since=since, until=now_iso(),
                       error=state.get("last_error", ""), failures=state.get("failures", 0))
            self.say("portal reachable again")
        if state.get("failures") or state.get("unreachable_since") or state.get("pause_until"):
            self.queue.update_state(failures=0, unreachable_since=None, pause_until=0)

    def _delivered(self, item: Item, payload: bytes, response: Response) -> str:
        body = response.json() if response.body else None
        body = body if isinstance(body, dict) else {}
        self.queue.update_state(last_success_at=now_iso(), count_delivered=1)
        if item.endpoint not in UPLOAD_ENDPOINTS:
            self.queue.finish(item, DELIVERED, response=body)
            return DELIVERED
        status = body.get("status", "")
        if status == "rejected":
            return self._rejected(item, payload, body, response.status)
        replayed = response.headers.get("idempotent-replayed") == "true"
        self.queue.finish(item, DELIVERED, response=body, replayed=replayed)
        summary = {"batch": body.get("batch"), "status": status, "companies": body.get("companies"),
                   "figures": body.get("figures"), "settlements": body.get("settlements")}  # v1.1; None from v1
        self.event("file_sent", f"{item.name}: {status}, batch {body.get('batch')}",
                   level="warning" if status == "partially_applied" else "info", name=item.name, kind=item.kind,
                   replayed=replayed, **summary)
        figures = body.get("figures") or {}
        self.say(f"{item.name}: {status} (batch {body.get('batch')}; figures created {figures.get('created', 0)}, "
                 f"updated {figures.get('updated', 0)}, unchanged {figures.get('unchanged', 0)})")
        return DELIVERED

    def _rejected(self, item: Item, payload: bytes, problem: dict, status: int) -> str:
        self.queue.finish(item, REJECTED, problem=problem, http_status=status)
        self.queue.update_state(count_rejected=1, last_error=f"{item.name}: {problem.get('detail', '')}"[:500],
                                last_error_at=now_iso())
        if item.endpoint not in UPLOAD_ENDPOINTS:
            self.say(f"{item.name} refused by the portal (HTTP {status}): {problem.get('detail', '')}")
            return REJECTED
        target = self._reject_file(item.name, payload, problem, source=item.source, http_status=status)
        self.event("file_rejected", f"{item.name}: {problem.get('detail', '')}", level="error", name=item.name,
                   kind=item.kind, http_status=status, problem_code=problem.get("code", ""),
                   errors=(problem.get("errors") or [])[:20])
        self.say(f"{item.name}: REJECTED (HTTP {status}): {problem.get('detail', '')} → {target}")
        return REJECTED

    def _reject_file(self, name: str, payload: bytes, problem: dict, *, source: str = "",
                     http_status: int | None = None) -> Path:
        """Put the refused file in rejected/ with ``<name>.problem.json`` next to it; the watched copy moves there."""
        folder = self.config.rejected_folder
        folder.mkdir(parents=True, exist_ok=True)
        base = name.replace("/", "__").replace("\\", "__")
        target = folder / base
        counter = 1
        while target.exists() or target.with_name(target.name + ".problem.json").exists():
            stem, suffix = os.path.splitext(base)
            target = folder / f"{stem}.{counter}{suffix}"
            counter += 1
        source_path = Path(source) if source else None
        moved = False
        if source_path is not None and source_path.is_file():
            try:
                if digest("x", source_path.read_bytes()) == digest("x", payload):
                    os.replace(source_path, target)
                    moved = True
            except OSError:
                moved = False
        if not moved:
            target.write_bytes(payload)
        write_json(target.with_name(target.name + ".problem.json"),
                   {"file": name, "at": now_iso(), "http_status": http_status, **problem})
        return target

    # --- commands -----------------------------------------------------------------------------------

    def started(self) -> None:
        info = agent_info()
        self.event("agent_started", f"biurko-agent {__version__} started on {info['hostname']} ({info['os']}), "
                   f"watching {self.config.watch_folder}", version=__version__, os=info["os"],
                   hostname=info["hostname"], queued=len(self.queue.items()))

    def watch_once(self, *, wait_until: float | None = None) -> Summary:
        enqueued = self.scan()
        summary = self.drain(wait_until=wait_until)
        summary.enqueued = enqueued
        return summary

    def watch(self, *, stop=lambda: False) -> None:
        self.queue.cleanup_orphans()
        self.started()
        while not stop():
            try:
                self.watch_once()
            except HaltError:
                raise
            except Exception as error:  # noqa: BLE001 - reported to the portal, then the loop goes on
                self.say(f"unexpected error: {type(error).__name__}: {error}")
                self.report_exception(error)
            self.flush_events()
            self.sleep(self._next_wake())

    def _next_wake(self) -> float:
        items = self.queue.items()
        wake = self.config.poll_seconds
        if items:
            pause_until = float(self.queue.state().get("pause_until", 0) or 0)
            earliest = max(pause_until, min(item.next_attempt_at for item in items))
            wake = min(wake, max(0.1, earliest - self.clock()))
        return wake

    def status(self) -> dict:
        state = self.queue.state()
        items = self.queue.items()
        return {
            "queue_length": len(items),
            "queued": [{"name": i.name, "endpoint": i.endpoint, "attempts": i.attempts, "created_at": i.created_at,
                        "last_error": i.last_error} for i in items],
            "last_success_at": state.get("last_success_at"),
            "last_error": state.get("last_error"),
            "last_error_at": state.get("last_error_at"),
            "unreachable_since": state.get("unreachable_since"),
            "counts": state.get("counts", {}),
            "portal": self.config.url, "office_host": self.config.office_host or None,
            "watch_folder": str(self.config.watch_folder), "state_dir": str(self.config.state_dir),
        }
