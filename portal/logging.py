"""Structured logging: every line carries the office and the request id."""

import json
import logging
from contextvars import ContextVar

current_office: ContextVar[str] = ContextVar("current_office", default="-")
current_request_id: ContextVar[str] = ContextVar("current_request_id", default="-")


class ContextFilter(logging.Filter):
    """Adds ``office`` and ``request_id`` to every record (they default to "-")."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.office = current_office.get()
        record.request_id = current_request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log collectors."""

    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "office": getattr(record, "office", "-"),
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False)
