"""Structured logging in the protocol's format (docs/protocol.md §9).

Each record is one JSON object on one stderr line:
`{"level":"info","message":"…","time":"2026-11-22T10:00:00.000Z","fields":{…}}`.
The host parses these lines and re-emits them with the plugin's name, so
plugin code should log through `Logger` (or the standard `logging` module,
which `install_logging_bridge` routes here) instead of printing.
"""

from __future__ import annotations

import datetime
import json
import logging
import os
import sys
import threading
from typing import Any, Dict, Mapping, Optional, TextIO

LEVELS = ("trace", "debug", "info", "warn", "error")
"""The protocol's log levels, lowest first."""

_LEVEL_RANK = {name: rank for rank, name in enumerate(LEVELS)}
_ALIASES = {"warning": "warn", "err": "error", "fatal": "error", "critical": "error"}
_write_lock = threading.Lock()


def parse_level(value: Optional[str], default: str = "info") -> str:
    """Normalises a level name (`HEDDLE_LOG_LEVEL` style); unknown or empty values give `default`."""
    if not value:
        return default
    name = value.strip().lower()
    name = _ALIASES.get(name, name)
    return name if name in _LEVEL_RANK else default


def _utc_timestamp() -> str:
    now = datetime.datetime.now(datetime.timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def format_record(level: str, message: str, fields: Optional[Mapping[str, Any]] = None) -> str:
    """Returns one protocol log line (without the newline). Values that are not JSON become strings."""
    record: Dict[str, Any] = {"level": level, "message": message, "time": _utc_timestamp()}
    if fields:
        record["fields"] = dict(fields)
    return json.dumps(record, default=str, ensure_ascii=False, separators=(",", ":"))


class Logger:
    """Writes protocol JSON lines to a stream (stderr by default), dropping records below `level`.

    `level` defaults to `HEDDLE_LOG_LEVEL` (or `info`). Fields given to
    `with_fields` are added to every record of the returned child logger.
    Writing never raises: a closed stream just loses the line.
    """

    __slots__ = ("_rank", "level", "_fields", "_stream")

    def __init__(
        self,
        level: Optional[str] = None,
        fields: Optional[Mapping[str, Any]] = None,
        stream: Optional[TextIO] = None,
    ) -> None:
        self.level = parse_level(level if level is not None else os.environ.get("HEDDLE_LOG_LEVEL"))
        self._rank = _LEVEL_RANK[self.level]
        self._fields = dict(fields) if fields else {}
        self._stream = stream

    def enabled(self, level: str) -> bool:
        """Whether a record at `level` would be written."""
        return _LEVEL_RANK.get(parse_level(level), 2) >= self._rank

    def with_fields(self, **fields: Any) -> "Logger":
        """A child logger that adds `fields` to every record (the child's own fields win on clashes)."""
        child = Logger(self.level, {**self._fields, **fields}, self._stream)
        return child

    def log(self, level: str, message: str, **fields: Any) -> None:
        """Writes `message` at `level` with `fields` (merged over the logger's own fields)."""
        level = parse_level(level)
        if _LEVEL_RANK[level] < self._rank:
            return
        merged = {**self._fields, **fields} if self._fields else fields
        line = format_record(level, str(message), merged) + "\n"
        stream = self._stream or sys.stderr
        with _write_lock:
            try:
                stream.write(line)
                stream.flush()
            except (OSError, ValueError):
                pass

    def trace(self, message: str, **fields: Any) -> None:
        """Logs at `trace`."""
        self.log("trace", message, **fields)

    def debug(self, message: str, **fields: Any) -> None:
        """Logs at `debug`."""
        self.log("debug", message, **fields)

    def info(self, message: str, **fields: Any) -> None:
        """Logs at `info`."""
        self.log("info", message, **fields)

    def warn(self, message: str, **fields: Any) -> None:
        """Logs at `warn`."""
        self.log("warn", message, **fields)

    warning = warn

    def error(self, message: str, **fields: Any) -> None:
        """Logs at `error`."""
        self.log("error", message, **fields)


_default_logger: Optional[Logger] = None


def get_logger(**fields: Any) -> Logger:
    """The process-wide logger (level from `HEDDLE_LOG_LEVEL`), with `fields` added if given."""
    global _default_logger
    if _default_logger is None:
        _default_logger = Logger()
    return _default_logger.with_fields(**fields) if fields else _default_logger


_STD_TO_PROTOCOL = {
    logging.DEBUG: "debug",
    logging.INFO: "info",
    logging.WARNING: "warn",
    logging.ERROR: "error",
    logging.CRITICAL: "error",
}


class ProtocolLogHandler(logging.Handler):
    """A `logging.Handler` that writes standard-library records as protocol JSON lines.

    The logger name goes to the `logger` field and exception text to `stack`.
    """

    def __init__(self, logger: Optional[Logger] = None) -> None:
        super().__init__()
        self._logger = logger

    def emit(self, record: logging.LogRecord) -> None:
        """Writes one standard-library record as a protocol line (never raises)."""
        level = _STD_TO_PROTOCOL.get(record.levelno)
        if level is None:
            level = "trace" if record.levelno < logging.DEBUG else "error" if record.levelno > logging.ERROR else "info"
        fields: Dict[str, Any] = {"logger": record.name}
        if record.exc_info:
            fields["stack"] = logging.Formatter().formatException(record.exc_info)
        try:
            message = record.getMessage()
        except Exception:  # a bad %-format in user code must not kill the plugin
            message = str(record.msg)
        (self._logger or get_logger()).log(level, message, **fields)


def install_logging_bridge() -> None:
    """Routes the standard `logging` module to protocol JSON lines on stderr.

    Only done when the root logger has no handler yet, so a plugin that set up
    its own logging keeps it. The root level follows `HEDDLE_LOG_LEVEL`.
    """
    root = logging.getLogger()
    if root.handlers:
        return
    root.addHandler(ProtocolLogHandler())
    std_level = {"trace": 1, "debug": logging.DEBUG, "info": logging.INFO, "warn": logging.WARNING, "error": logging.ERROR}
    root.setLevel(std_level[get_logger().level])
