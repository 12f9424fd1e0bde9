"""The offline queue on disk: every upload waits here until the portal has answered for it.

Layout of ``state_dir``::

    queue/<id>.body     the payload (file bytes, JSON batch, events…), written first
    queue/<id>.json     the item's metadata; its presence is what makes the item exist
    done/<digest>.json  the outcome of a delivered / rejected / duplicate item (so nothing is sent twice)
    state.json          last success, last error, counters (for ``status``)
    agent.lock          one agent process per state folder

Every file is written atomically (temporary file in the same folder, fsync, ``os.replace``), so a
crash or power cut leaves either the old or the new version, never half a file. ``<id>`` starts with
the enqueue time in nanoseconds, so items are delivered oldest first. The idempotency key is derived
from the content (sha256 of endpoint + payload), so the same file enqueued twice is one item, and a
resend after a lost response is answered from the portal's idempotency record instead of being
applied again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

KEY_PREFIX = "biurko-agent-"


def now_iso() -> str:
    return datetime.now(UTC).astimezone().isoformat(timespec="seconds")


def digest(endpoint: str, *parts: bytes) -> str:
    """sha256 of the endpoint and the payload parts (length-prefixed, so parts cannot run into each other)."""
    hasher = hashlib.sha256(endpoint.encode() + b"\0")
    for part in parts:
        hasher.update(len(part).to_bytes(8, "big"))
        hasher.update(part)
    return hasher.hexdigest()


def atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if hasattr(os, "O_DIRECTORY"):  # make the rename itself durable (POSIX)
        dir_fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def write_json(path: Path, data) -> None:
    atomic_write(path, json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8"))


def read_json(path: Path, default=None):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return default


@dataclass
class Item:
    """One pending upload. ``endpoint``: ``batches``, ``files``, ``events`` or ``error-reports``."""

    id: str
    digest: str
    endpoint: str
    name: str  # what the user recognises: the file name, "ZIP/member", "3 events"
    content_type: str = "application/json"
    kind: str = ""  # files: jpk_v7m | jpk_v7k | kedu
    source: str = ""  # the watched file it came from (moved to rejected/ if refused), "" if none
    created_at: str = field(default_factory=now_iso)
    attempts: int = 0
    next_attempt_at: float = 0.0  # time.time() before which it is not retried
    last_error: str = ""

    @property
    def key(self) -> str:
        return KEY_PREFIX + self.digest


class Queue:
    def __init__(self, state_dir: Path):
        self.root = Path(state_dir)
        self.queue_dir = self.root / "queue"
        self.done_dir = self.root / "done"
        self.state_path = self.root / "state.json"
        self.queue_dir.mkdir(parents=True, exist_ok=True)
        self.done_dir.mkdir(parents=True, exist_ok=True)

    # --- items -------------------------------------------------------------------------------

    def add(self, endpoint: str, payload: bytes, *, name: str, digest_parts: tuple[bytes, ...] = (),
            **fields) -> Item | None:
        """Enqueue ``payload``; None when the same content is already queued or was already handled."""
        item_digest = digest(endpoint, *(digest_parts or (payload,)))
        if self.is_done(item_digest) or self.find(item_digest) is not None:
            return None
        item = Item(id=f"{time.time_ns():020d}-{item_digest}", digest=item_digest, endpoint=endpoint, name=name,
                    **fields)
        atomic_write(self.queue_dir / f"{item.id}.body", payload)
        write_json(self.queue_dir / f"{item.id}.json", asdict(item))  # the item exists from here on
        return item

    def find(self, item_digest: str) -> Item | None:
        for path in self.queue_dir.glob(f"*-{item_digest}.json"):
            return self._load(path)
        return None

    def items(self) -> list[Item]:
        """Pending items, oldest first (unreadable metadata is skipped and left for inspection)."""
        items = [self._load(path) for path in sorted(self.queue_dir.glob("*.json"))]
        return [item for item in items if item is not None]

    def _load(self, path: Path) -> Item | None:
        data = read_json(path)
        if not isinstance(data, dict):
            return None
        try:
            return Item(**data)
        except TypeError:
            return None

    def payload(self, item: Item) -> bytes:
        return (self.queue_dir / f"{item.id}.body").read_bytes()

    def save(self, item: Item) -> None:
        write_json(self.queue_dir / f"{item.id}.json", asdict(item))

    def finish(self, item: Item, outcome: str, **details) -> None:
        """Record the outcome (``delivered``, ``rejected``, ``duplicate``), then drop the item."""
        write_json(self.done_dir / f"{item.digest}.json",
                   {"outcome": outcome, "at": now_iso(), "name": item.name, "endpoint": item.endpoint,
                    "attempts": item.attempts, **details})
        (self.queue_dir / f"{item.id}.json").unlink(missing_ok=True)
        (self.queue_dir / f"{item.id}.body").unlink(missing_ok=True)

    def is_done(self, item_digest: str) -> bool:
        return (self.done_dir / f"{item_digest}.json").exists()

    def cleanup_orphans(self, older_than: float = 3600) -> None:
        """Bodies whose metadata never got written (a crash mid-enqueue) and stale temporary files."""
        limit = time.time() - older_than
        for path in self.queue_dir.iterdir():
            orphan = path.suffix == ".body" and not path.with_suffix(".json").exists()
            if (orphan or path.name.startswith(".tmp-")) and path.stat().st_mtime < limit:
                path.unlink(missing_ok=True)

    # --- state ---------------------------------------------------------------------------------

    def state(self) -> dict:
        return read_json(self.state_path, {}) or {}

    def update_state(self, **changes) -> dict:
        state = self.state()
        for name, value in changes.items():
            if name.startswith("count_"):
                counts = state.setdefault("counts", {})
                counts[name[6:]] = counts.get(name[6:], 0) + value
            else:
                state[name] = value
        write_json(self.state_path, state)
        return state


@contextlib.contextmanager
def exclusive_lock(state_dir: Path):
    """Hold ``agent.lock`` for the agent's lifetime: two agents on one state folder would double-send."""
    path = Path(state_dir) / "agent.lock"
    handle = open(path, "a+b")  # noqa: SIM115 - held for the whole block
    try:
        try:
            if os.name == "nt":
                import msvcrt  # noqa: PLC0415 - exists on Windows only

                handle.seek(0)
                msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
            else:
                import fcntl  # noqa: PLC0415 - exists on POSIX only

                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise RuntimeError(f"Another agent is already running with the state folder {state_dir} "
                               f"(lock {path}).") from None
        yield
    finally:
        handle.close()
