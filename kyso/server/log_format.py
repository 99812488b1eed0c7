"""How ``kyso serve`` writes its log: text for people, JSON lines for log collectors.

``[logging] format`` (or ``kyso serve --log-format``): ``text``, ``json``, or ``auto`` (the
default): text when standard error is a terminal, JSON lines otherwise (systemd, a container
runtime, a pipe). One JSON object per line, UTC time in ISO 8601 with milliseconds::

    {"time": "2026-12-01T02:10:01.123Z", "level": "INFO", "logger": "kyso.access",
     "message": "Sign OK 41.2 ms", "request_id": "4f0c…", "method": "Sign", "code": "OK",
     "duration_ms": 41.2, "client": "dms-backend", "document_sha256": "9a1e…"}

Every line written while an RPC runs carries its ``request_id``
(:class:`kyso.server.request_log.RequestIdFilter`); outside a request it is ``-``. The JSON
lines come from python-json-logger; the fields a record was given with ``extra=`` become keys.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Literal

from pythonjsonlogger.json import JsonFormatter

from kyso.server.request_log import RequestIdFilter

LogFormat = Literal["auto", "text", "json"]

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"


class _UtcJsonFormatter(JsonFormatter):
    """JSON lines with ``time`` in UTC (``Z``), ``level``, ``logger``, ``message`` first."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        return f"{stamp}.{int(record.msecs):03d}Z"


def resolve(fmt: LogFormat, stream: object = None) -> Literal["text", "json"]:
    """``auto`` -> ``text`` on a terminal, ``json`` otherwise."""
    if fmt != "auto":
        return fmt
    target = stream if stream is not None else sys.stderr
    isatty = getattr(target, "isatty", None)
    return "text" if callable(isatty) and isatty() else "json"


def formatter(fmt: Literal["text", "json"]) -> logging.Formatter:
    if fmt == "json":
        return _UtcJsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            json_ensure_ascii=False,
        )
    return logging.Formatter(TEXT_FORMAT)


def configure(fmt: LogFormat, *, verbose: bool = False) -> Literal["text", "json"]:
    """Give the root logger one handler on standard error in ``fmt``; returns the format used.

    Replaces the handlers the CLI set up: the server's lines all look alike.
    """
    chosen = resolve(fmt)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(chosen))
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    return chosen


__all__ = ["TEXT_FORMAT", "LogFormat", "configure", "formatter", "resolve"]
