"""Log lines: one JSON object per line with the update's fields; secrets never written."""

from __future__ import annotations

import json
import logging

import pytest

from bot import logs
from bot.logs import bind, setup_logging

TOKEN = "123456:AAE-very-secret-token"


@pytest.fixture
def restore_logging():  # type: ignore[no-untyped-def]
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    fields = logs._context.set(None)  # no fields left from another test
    yield
    logs._context.reset(fields)
    root.handlers[:] = handlers
    root.setLevel(level)


def test_json_lines_carry_the_context_and_never_the_token(restore_logging, capsys):
    setup_logging("INFO", "json", secrets=[TOKEN, "hook-secret-1"])
    log = logging.getLogger("bot.test")
    bind(update_id=77, person_id=5, enterprise_ids=[2])
    log.info("calling https://api.telegram.org/bot%s/sendMessage", TOKEN)
    try:
        raise RuntimeError(f"POST /bot{TOKEN}/getMe failed, secret hook-secret-1")
    except RuntimeError:
        log.exception("request failed")
    lines = capsys.readouterr().err.strip().splitlines()
    events = [json.loads(line) for line in lines]
    assert [e["event"] for e in events] == [
        "calling https://api.telegram.org/bot[secret]/sendMessage", "request failed"]
    assert events[0]["update_id"] == 77 and events[0]["person_id"] == 5
    assert events[0]["enterprise_ids"] == [2] and events[0]["level"] == "INFO"
    assert "RuntimeError" in events[1]["error"]
    assert TOKEN not in "\n".join(lines) and "hook-secret-1" not in "\n".join(lines)


def test_text_lines_for_the_console(restore_logging, capsys):
    setup_logging("WARNING", "text", secrets=[TOKEN])
    bind(update_id=8)
    logging.getLogger("bot.test").warning("token %s", TOKEN)
    logging.getLogger("bot.test").info("not shown at WARNING")
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.endswith("token [secret] [update_id=8]")
