"""Log set-up for `serve`: human text (the default) or one JSON object per line
(`--log-format json`, setting log_format) for log shippers (Loki, Elasticsearch, journald).

A JSON line holds `time` (ISO 8601, UTC, ms), `level`, `logger`, `message`, every extra
field given with `log.info(..., extra={...})`, and `exc_info` (the formatted traceback)
when there is one. Written with the stdlib `logging.Formatter` and orjson (already a
dependency): a dozen lines do not need a logging library.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import orjson

# Attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key not in line:
                line[key] = value
        if record.exc_info:
            line["exc_info"] = self.formatException(record.exc_info)
        return orjson.dumps(line, default=str).decode()


TEXT_FORMAT = "%(levelname)s %(name)s: %(message)s"


def configure(level: str, fmt: str) -> None:
    """Root logging for `serve`; uvicorn's loggers propagate to it (serve passes
    log_config=None to uvicorn in JSON mode so they are not given text handlers)."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
