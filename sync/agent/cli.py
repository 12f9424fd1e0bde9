"""``biurko-agent [--config FILE] COMMAND`` (also ``python -m sync.agent``).

Commands:

- ``watch [--once]``   poll the watched folder, queue new files, deliver the queue; ``--once``: one pass
- ``send FILE…``       queue these files and deliver them now (waiting up to ``send_timeout_seconds``)
- ``status [--json]``  queue length, what waits and why, last success, last error
- ``check``            ask the portal for the office's configuration (token, office host and URL right?)

Exit codes: 0 done; 1 something was rejected or failed unexpectedly; 2 bad configuration or arguments;
3 the portal refuses the agent (token, office, URL); 75 items are still queued (portal unreachable).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from sync.agent import __version__
from sync.agent.client import NetworkError
from sync.agent.config import CONFIG_ENV, ConfigError, load_config
from sync.agent.queue import exclusive_lock
from sync.agent.runner import Agent, HaltError
from sync.batch import FILE_KINDS

EXIT_OK, EXIT_FAILED, EXIT_CONFIG, EXIT_REFUSED, EXIT_QUEUED = 0, 1, 2, 3, 75


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="biurko-agent", description="Biurko's reference agent: sends exchange "
                                     "files and JSON batches to the office's portal, exactly once.")
    parser.add_argument("--config", "-c", help=f"configuration file (INI or TOML; default ${CONFIG_ENV} or "
                        "./biurko-agent.ini)")
    parser.add_argument("--version", action="version", version=f"biurko-agent {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    watch = commands.add_parser("watch", help="poll the watched folder and deliver what appears")
    watch.add_argument("--once", action="store_true", help="one scan and one delivery pass, then exit")
    send = commands.add_parser("send", help="queue these files and deliver them now")
    send.add_argument("files", nargs="+", type=Path, metavar="FILE")
    send.add_argument("--kind", choices=FILE_KINDS, help="the exchange file's kind (default: detected)")
    send.add_argument("--no-wait", action="store_true", help="one delivery attempt; what fails stays queued")
    status = commands.add_parser("status", help="queue length, last success, last error")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    commands.add_parser("check", help="check the URL, office host and token against the portal")
    return parser


def main(argv: list[str] | None = None, *, out=None, err=None, sleep=time.sleep) -> int:
    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    args = build_parser().parse_args(argv)
    try:
        config = load_config(args.config)
    except ConfigError as error:
        print(error, file=err)
        return EXIT_CONFIG
    agent = Agent(config, out=out, err=err, sleep=sleep)
    if args.command == "status":
        return _status(agent, args.json, out)
    if args.command == "check":
        return _check(agent, out, err)
    try:
        with exclusive_lock(config.state_dir):
            return _run(agent, args, err)
    except RuntimeError as error:
        print(error, file=err)
        return EXIT_FAILED
    except HaltError as error:
        print(error, file=err)
        return EXIT_REFUSED


def _run(agent: Agent, args, err) -> int:
    try:
        if args.command == "watch":
            if args.once:
                agent.started()
                summary = agent.watch_once()
                agent.flush_events()
                agent.drain()  # the events of this pass, if the portal is there
                return EXIT_QUEUED if agent.queue.items() else (EXIT_FAILED if summary.rejected else EXIT_OK)
            try:
                agent.watch()
            except KeyboardInterrupt:
                print("stopped; the queue is kept on disk", file=err)
            return EXIT_OK
        for path in args.files:
            if not path.is_file():
                print(f"{path}: no such file", file=err)
                return EXIT_CONFIG
        for path in args.files:
            agent.enqueue_path(path, kind=args.kind, watched=False)
        deadline = None if args.no_wait else time.time() + agent.config.send_timeout_seconds
        summary = agent.drain(wait_until=deadline)
        if summary.waiting:
            print(f"{summary.waiting} item(s) still queued (portal unreachable or busy); `biurko-agent watch` "
                  "or the next `send` delivers them.", file=err)
            return EXIT_QUEUED
        return EXIT_FAILED if summary.rejected else EXIT_OK
    except HaltError:
        raise
    except Exception as error:
        agent.report_exception(error)
        print(f"unexpected error: {type(error).__name__}: {error} (reported to the portal)", file=err)
        try:
            agent.drain()
        except Exception:  # noqa: BLE001,S110 - the report stays queued for the next run
            pass
        return EXIT_FAILED


def _status(agent: Agent, as_json: bool, out) -> int:
    info = agent.status()
    if as_json:
        print(json.dumps(info, indent=2, ensure_ascii=False), file=out)
        return EXIT_OK
    print(f"portal:        {info['portal']}" + (f" (Host: {info['office_host']})" if info["office_host"] else ""),
          file=out)
    print(f"watching:      {info['watch_folder']}", file=out)
    print(f"queue:         {info['queue_length']} item(s) waiting", file=out)
    for item in info["queued"][:20]:
        error = f" — {item['last_error']}" if item["last_error"] else ""
        print(f"  {item['name']} ({item['endpoint']}, {item['attempts']} attempt(s)){error}", file=out)
    print(f"last success:  {info['last_success_at'] or 'never'}", file=out)
    if info["unreachable_since"]:
        print(f"unreachable:   since {info['unreachable_since']}", file=out)
    if info["last_error"]:
        print(f"last error:    {info['last_error_at']}: {info['last_error']}", file=out)
    counts = info["counts"]
    print(f"so far:        delivered {counts.get('delivered', 0)}, rejected {counts.get('rejected', 0)}, "
          f"duplicates {counts.get('duplicate', 0)}", file=out)
    return EXIT_OK


def _check(agent: Agent, out, err) -> int:
    try:
        response = agent.client.get("config")
    except NetworkError as error:
        print(error, file=err)
        return EXIT_QUEUED
    if response.status != 200:
        print(f"HTTP {response.status}: {response.problem.get('detail', '')}", file=err)
        return EXIT_REFUSED
    office = (response.json() or {}).get("office", {})
    print(f"OK: office {office.get('name')} ({office.get('slug')}) at {agent.config.url}", file=out)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
