"""aiogram reads every Bot API answer into `Response[T]`, a pydantic generic class made for T
on use. pydantic keeps those classes in a weak cache, so once a call is over the class is
collected and the next call of the same method builds it again: about a tenth of the time of
a quiz answer went there. A request middleware keeps one `Response[T]` per method's return
type alive for the life of the process; the next `Response[T]` is a cache hit."""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType

_KEPT: dict[Any, type[Response[Any]]] = {}


class KeepResponseTypes(BaseRequestMiddleware):
    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        returning = method.__returning__
        if returning not in _KEPT:
            _KEPT[returning] = Response[returning]  # type: ignore[valid-type]  # a runtime type
        return await make_request(bot, method)


def keep_response_types(session: BaseSession) -> BaseSession:
    session.middleware(KeepResponseTypes())
    return session
