"""The agent's configuration file: INI (``biurko-agent.ini``) or TOML (``*.toml``), validated up front.

INI::

    [portal]
    url = http://127.0.0.1:8000        ; where to connect (scheme, host, port)
    office_host = demo.localhost       ; optional: the Host header naming the office
    token = bk_...                     ; or token_file = C:\\ProgramData\\Biurko\\token.txt
    timeout = 60

    [agent]
    watch_folder = C:\\Eksport
    state_dir = C:\\ProgramData\\Biurko\\agent
    rejected_folder =                  ; default: <watch_folder>/rejected
    poll_seconds = 30
    settle_seconds = 5
    max_backoff_seconds = 900
    send_timeout_seconds = 300

TOML uses the same two tables and keys. ``BIURKO_AGENT_TOKEN`` in the environment overrides the token.
Every problem found is reported at once, each naming the file and the key (``ConfigError``).
"""

from __future__ import annotations

import configparser
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_CONFIG = "biurko-agent.ini"
CONFIG_ENV = "BIURKO_AGENT_CONFIG"
TOKEN_ENV = "BIURKO_AGENT_TOKEN"
_HOST = re.compile(r"^(?=.{1,253}(?::\d{1,5})?$)[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::\d{1,5})?$")
_TOKEN = re.compile(r"^[\x21-\x7e]{8,512}$")
_KNOWN = {
    "portal": {"url", "office_host", "token", "token_file", "timeout"},
    "agent": {"watch_folder", "state_dir", "rejected_folder", "poll_seconds", "settle_seconds",
              "max_backoff_seconds", "send_timeout_seconds"},
}


class ConfigError(Exception):
    """The configuration cannot be used; ``problems`` lists every reason, one sentence each."""

    def __init__(self, path: Path | str, problems: list[str]):
        self.path = str(path)
        self.problems = problems
        super().__init__(f"{self.path}: " + "; ".join(problems))

    def __str__(self) -> str:
        lines = [f"The agent configuration {self.path} cannot be used:"]
        lines += [f"  - {problem}" for problem in self.problems]
        return "\n".join(lines)


@dataclass(frozen=True)
class AgentConfig:
    path: Path
    url: str  # scheme://host[:port][/prefix], no trailing slash
    office_host: str  # Host header value ("" = the URL's own host)
    token: str
    watch_folder: Path
    state_dir: Path
    rejected_folder: Path
    timeout: float = 60.0
    poll_seconds: float = 30.0
    settle_seconds: float = 5.0
    max_backoff_seconds: float = 900.0
    send_timeout_seconds: float = 300.0

    @property
    def api_base(self) -> str:
        return f"{self.url}/api/agent/v1/"


def _read(path: Path) -> dict[str, dict[str, str]]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(path, [f"the file does not exist (pass --config or set {CONFIG_ENV})"]) from None
    except OSError as exc:
        raise ConfigError(path, [f"the file cannot be read: {exc.strerror or exc}"]) from None
    if path.suffix.lower() == ".toml":
        try:
            data = tomllib.loads(raw.decode("utf-8-sig"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(path, [f"not valid TOML: {exc}"]) from None
        sections = {}
        for name, table in data.items():
            if not isinstance(table, dict):
                raise ConfigError(path, [f"“{name}” must be a table ([portal] or [agent])"])
            sections[name] = {key: value if isinstance(value, str) else str(value) for key, value in table.items()}
        return sections
    parser = configparser.ConfigParser(interpolation=None, inline_comment_prefixes=(";", "#"))
    try:
        parser.read_string(raw.decode("utf-8-sig"), source=str(path))
    except (configparser.Error, UnicodeDecodeError) as exc:
        raise ConfigError(path, [f"not a valid INI file: {exc}"]) from None
    return {name: dict(parser[name]) for name in parser.sections()}


def load_config(path: Path | str | None = None, *, environ=None) -> AgentConfig:
    """Read and validate the configuration; raise ``ConfigError`` naming every problem."""
    environ = os.environ if environ is None else environ
    path = Path(path or environ.get(CONFIG_ENV) or DEFAULT_CONFIG).expanduser()
    sections = _read(path)
    problems: list[str] = []
    for name, values in sections.items():
        if name not in _KNOWN:
            problems.append(f"unknown section [{name}] (expected [portal] and [agent])")
            continue
        for key in values:
            if key not in _KNOWN[name]:
                problems.append(f"unknown key “{key}” in [{name}] (known: {', '.join(sorted(_KNOWN[name]))})")
    portal, agent = sections.get("portal", {}), sections.get("agent", {})
    base_dir = path.parent

    url = portal.get("url", "").strip().rstrip("/")
    if not url:
        problems.append("[portal] url is required, e.g. http://127.0.0.1:8000 or https://biuro.biurko.pl")
    else:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            problems.append(f"[portal] url “{url}” must start with http:// or https:// and name a host")
        elif parts.query or parts.fragment or parts.username:
            problems.append(f"[portal] url “{url}” must not carry a query, a fragment or credentials")
        else:
            try:
                parts.port  # noqa: B018 - raises ValueError on a bad port
            except ValueError:
                problems.append(f"[portal] url “{url}” has an invalid port")

    office_host = portal.get("office_host", "").strip()
    if office_host and not _HOST.match(office_host):
        problems.append(f"[portal] office_host “{office_host}” is not a host name (e.g. demo.localhost or "
                        "demo.localhost:8000)")

    token = environ.get(TOKEN_ENV, "").strip() or portal.get("token", "").strip()
    token_file = portal.get("token_file", "").strip()
    if not token and token_file:
        token_path = (base_dir / token_file).expanduser()
        try:
            token = token_path.read_text(encoding="utf-8-sig").strip()
        except OSError as exc:
            problems.append(f"[portal] token_file {token_path} cannot be read: {exc.strerror or exc}")
    if not token:
        if not token_file:
            problems.append(f"[portal] token (or token_file, or {TOKEN_ENV}) is required: create one in the office "
                            "panel, page Agents")
    elif not _TOKEN.match(token):
        problems.append("[portal] the token must be 8–512 visible ASCII characters without spaces")

    def number(section: dict, name: str, default: float, minimum: float, maximum: float) -> float:
        raw = section.get(name, "")
        if raw == "":
            return default
        try:
            value = float(raw)
        except ValueError:
            problems.append(f"“{name}” must be a number of seconds, not “{raw}”")
            return default
        if not minimum <= value <= maximum:
            problems.append(f"“{name}” must be between {minimum:g} and {maximum:g} seconds")
            return default
        return value

    timeout = number(portal, "timeout", 60.0, 1, 3600)
    poll = number(agent, "poll_seconds", 30.0, 0.1, 86400)
    settle = number(agent, "settle_seconds", 5.0, 0, 3600)
    max_backoff = number(agent, "max_backoff_seconds", 900.0, 1, 86400)
    send_timeout = number(agent, "send_timeout_seconds", 300.0, 0, 86400)

    def folder(name: str, *, required: bool, create: bool) -> Path | None:
        raw = agent.get(name, "").strip()
        if not raw:
            if required:
                problems.append(f"[agent] {name} is required")
            return None
        folder_path = (base_dir / Path(raw).expanduser()).resolve()
        if create:
            try:
                folder_path.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                problems.append(f"[agent] {name} {folder_path} cannot be created: {exc.strerror or exc}")
                return folder_path
        if not folder_path.is_dir():
            problems.append(f"[agent] {name} {folder_path} is not an existing folder")
        elif not os.access(folder_path, os.R_OK | os.W_OK | os.X_OK):
            problems.append(f"[agent] {name} {folder_path} must be readable and writable by the agent")
        return folder_path

    watch = folder("watch_folder", required=True, create=False)
    state = folder("state_dir", required=True, create=True)
    rejected = folder("rejected_folder", required=False, create=True)
    if rejected is None and watch is not None and watch.is_dir():
        rejected = watch / "rejected"
    if problems:
        raise ConfigError(path, problems)
    return AgentConfig(path=path, url=url, office_host=office_host, token=token, watch_folder=watch,
                       state_dir=state, rejected_folder=rejected, timeout=timeout, poll_seconds=poll,
                       settle_seconds=settle, max_backoff_seconds=max_backoff, send_timeout_seconds=send_timeout)
