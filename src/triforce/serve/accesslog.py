"""Structured logs: one JSON object per line, for log shippers (Loki, Elasticsearch, jq).

The access log (`triforce.serve.access`) writes one line per request when it ends: time, request
id, method, path, status, duration, the model asked for and the one that answered, the route,
fallbacks, verification outcome, bytes, client address and worker pid. Message bodies are left out
unless the server runs with `--log-bodies`. API keys never appear: neither the caller's nor the
upstreams'. Other gateway messages (`triforce.serve`) use the same JSON shape with `level` and
`message`.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from typing import Any

import orjson

ACCESS = logging.getLogger("triforce.serve.access")
LOG = logging.getLogger("triforce.serve")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            out: dict[str, Any] = fields
        else:
            out = {
                "ts": _iso(record.created),
                "level": record.levelname.lower(),
                "logger": record.name,
                "message": record.getMessage(),
                "pid": os.getpid(),
            }
            if record.exc_info:
                out["traceback"] = self.formatException(record.exc_info)
        return orjson.dumps(out, default=str).decode()


def _iso(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t % 1 * 1000):03d}Z"


def configure(*, level: int = logging.INFO, access: bool = True, stream: Any = None) -> None:
    """JSON lines on stderr for every `triforce.serve*` logger (idempotent)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    for logger in (LOG, ACCESS):
        logger.handlers[:] = [handler]
        logger.propagate = False
        logger.setLevel(level)
    ACCESS.disabled = not access


def access(fields: dict[str, Any]) -> None:
    if ACCESS.disabled or not ACCESS.isEnabledFor(logging.INFO):
        return
    fields = {"ts": _iso(time.time()), **fields, "pid": os.getpid()}
    ACCESS.info("", extra={"fields": fields})
