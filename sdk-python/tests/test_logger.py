"""Unit: the logger writes protocol JSON lines (§9) and honours HEDDLE_LOG_LEVEL."""

import io
import json
import logging
import re

from heddle.core.logger import Logger, ProtocolLogHandler, format_record, parse_level


def _lines(stream):
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_record_format():
    record = json.loads(format_record("info", "opened vault", {"instance": "vault-1"}))
    assert set(record) == {"level", "message", "time", "fields"}
    assert (record["level"], record["message"], record["fields"]) == ("info", "opened vault", {"instance": "vault-1"})
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", record["time"])
    assert "fields" not in json.loads(format_record("warn", "no fields"))


def test_one_line_per_record_even_with_newlines_and_odd_values():
    stream = io.StringIO()
    Logger("trace", stream=stream).info("two\nlines", value=object(), n=3)
    assert stream.getvalue().count("\n") == 1
    record = _lines(stream)[0]
    assert record["message"] == "two\nlines" and record["fields"]["n"] == 3 and "object" in record["fields"]["value"]


def test_levels_below_the_threshold_are_dropped():
    stream = io.StringIO()
    log = Logger("warn", stream=stream)
    log.trace("t"), log.debug("d"), log.info("i"), log.warn("w"), log.warning("w2"), log.error("e")
    assert [r["level"] for r in _lines(stream)] == ["warn", "warn", "error"]


def test_level_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("HEDDLE_LOG_LEVEL", "error")
    assert Logger().level == "error"
    monkeypatch.setenv("HEDDLE_LOG_LEVEL", "bogus")
    assert Logger().level == "info"
    assert parse_level("WARNING") == "warn" and parse_level("") == "info"


def test_child_loggers_add_fields():
    stream = io.StringIO()
    child = Logger("info", {"plugin": "p"}, stream=stream).with_fields(call_id="c1")
    child.info("hi", step="s")
    assert _lines(stream)[0]["fields"] == {"plugin": "p", "call_id": "c1", "step": "s"}


def test_standard_logging_bridge():
    stream = io.StringIO()
    std = logging.getLogger("heddle-test-bridge")
    std.propagate = False
    std.setLevel(logging.DEBUG)
    std.addHandler(ProtocolLogHandler(Logger("debug", stream=stream)))
    try:
        raise ValueError("boom")
    except ValueError:
        std.exception("failed %s", "here")
    std.debug("detail")
    first, second = _lines(stream)
    assert (first["level"], first["message"]) == ("error", "failed here")
    assert "ValueError: boom" in first["fields"]["stack"] and first["fields"]["logger"] == "heddle-test-bridge"
    assert second["level"] == "debug"
