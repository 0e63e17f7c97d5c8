"""Logging: one event per line, as JSON in production (`LOG_FORMAT=json`, the default for
`scorebot run`) or as text for people at a console, with the update id, person id and
enterprise ids of the update being handled.

Two promises hold for every line, whichever the format:
- the bot token (and the webhook secret) never appear: they are replaced by "[secret]";
- nobody is tied to an anonymous act: while a person writes a suggestion, answers a
  reviewer as its submitter or answers a pulse survey (a "private flow", decided by
  `bot.middlewares.private_flow`), lines carry no person id, enterprise ids, Telegram id or
  button data, whichever middleware or handler writes them.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Awaitable, Callable, Iterable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aiogram.types import TelegramObject

# The fields of the update being handled; each update runs in its own task and context.
_context: ContextVar[dict[str, Any] | None] = ContextVar("log_context", default=None)
# Set for the rest of an update once it is known to belong to a private flow.
_private: ContextVar[bool] = ContextVar("private_flow", default=False)

# Fields that say who the person is: never bound in a private flow.
IDENTITY_FIELDS = ("person_id", "enterprise_ids")


def bind(**fields: Any) -> None:
    """Add fields to every log line of the current update (or job). In a private flow the
    fields that say who the person is are dropped."""
    if _private.get():
        fields = {k: v for k, v in fields.items() if k not in IDENTITY_FIELDS}
    _context.set({**(_context.get() or {}), **fields})


def enter_private_flow() -> None:
    """From now to the end of the update, no log line says who the person is."""
    _private.set(True)
    unbind(*IDENTITY_FIELDS)


def in_private_flow() -> bool:
    return _private.get()


def unbind(*names: str) -> None:
    current = dict(_context.get() or {})
    for name in names:
        current.pop(name, None)
    _context.set(current)


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.context = dict(_context.get() or {})
        return True


class RedactFilter(logging.Filter):
    """Replaces secrets in the final message, its arguments and any traceback text."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s and len(s) >= 6]

    def _clean(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "[secret]")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            record.msg = self._clean(record.getMessage())
            record.args = None
            if record.exc_info:
                record.exc_text = self._clean(
                    logging.Formatter().formatException(record.exc_info))
                record.exc_info = None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        event: dict[str, Any] = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "event": record.getMessage(),
            **getattr(record, "context", {}),
        }
        if record.exc_info:
            event["error"] = self.formatException(record.exc_info)
        elif record.exc_text:
            event["error"] = record.exc_text
        return json.dumps(event, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        context = getattr(record, "context", {})
        if context:
            line += " [" + " ".join(f"{k}={v}" for k, v in context.items()) + "]"
        return line


def setup_logging(level: str, fmt: str = "json", secrets: Iterable[str] = ()) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    # Filters on the handler see records from every logger, third-party ones included.
    handler.addFilter(ContextFilter())
    handler.addFilter(RedactFilter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    keep_values_out_of_logs()
    # aiogram logs every handled update, and Alembic its plugins, at INFO: keep that for DEBUG.
    if level != "DEBUG":
        logging.getLogger("aiogram.event").setLevel(logging.WARNING)
        logging.getLogger("alembic").setLevel(logging.WARNING)


def keep_values_out_of_logs() -> None:
    """aiosqlite logs every SQL statement with its values at DEBUG, which would put a person id
    beside what they did: never below INFO, whatever LOG_LEVEL says. (SQLAlchemy's own
    statement log shows no values: engines are made with hide_parameters, storage/db.py.)"""
    logging.getLogger("aiosqlite").setLevel(logging.INFO)


# The two middlewares are plain callables, as aiogram allows, so the command line can set up
# logging without importing aiogram (seconds on a small machine).
class LogContextMiddleware:
    """Outer middleware on updates: every line logged while an update is handled carries its
    id (and, once known, the person's and their enterprises')."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        update_id = getattr(event, "update_id", None)  # set on updates only
        token = _context.set({"update_id": update_id} if update_id is not None else {})
        private = _private.set(False)
        try:
            return await handler(event, data)
        finally:
            _private.reset(private)
            _context.reset(token)


class UnloggedPersonMiddleware:
    """Inner middleware: handlers flagged `unlogged_person` (writing a suggestion, answering a
    reviewer as its submitter) run as a private flow, even when the outer check could not
    tell, so no line ties a person to a suggestion."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        from aiogram.dispatcher.flags import get_flag

        if get_flag(data, "unlogged_person"):
            enter_private_flow()
        return await handler(event, data)
