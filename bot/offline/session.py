"""An aiogram session that answers Bot API calls from an in-process FakeTelegram, with no
network. Requests are encoded exactly as aiogram encodes them for HTTP, and answers go
through aiogram's own response checks, so errors surface as the same exceptions."""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator
from http import HTTPStatus
from typing import Any

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import InputFile

from bot.offline.telegram import BotApiError, FakeTelegram


class InProcessSession(BaseSession):
    def __init__(self, telegram: FakeTelegram) -> None:
        super().__init__()
        self.telegram = telegram

    async def close(self) -> None:
        return None

    def _encode(self, bot: Bot,
                method: TelegramMethod[Any]) -> tuple[dict[str, Any], dict[str, bytes]]:
        self.telegram.upload_names = {}
        files: dict[str, InputFile] = {}
        params: dict[str, Any] = {}
        for key, value in method.model_dump(warnings=False).items():
            prepared = self.prepare_value(value, bot=bot, files=files)
            if prepared:
                params[key] = prepared
        contents: dict[str, bytes] = {}
        for key, input_file in files.items():
            # The bot sends BufferedInputFile (bytes in memory) or FSInputFile (a path).
            data = getattr(input_file, "data", None)
            if data is None:
                with open(input_file.path, "rb") as handle:  # type: ignore[attr-defined]
                    data = handle.read()
            contents[key] = data
            if input_file.filename:
                self.telegram.upload_names[key] = input_file.filename
        return params, contents

    async def make_request(
        self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None
    ) -> TelegramType:
        params, files = self._encode(bot, method)
        try:
            if method.__api_method__ == "getUpdates":
                result: Any = await self.telegram.get_updates(
                    int(params.get("offset", 0)), int(params.get("limit", 100)),
                    float(params.get("timeout", 0)),
                )
            else:
                result = self.telegram.handle(method.__api_method__, params, files)
            status: int = HTTPStatus.OK
            body = {"ok": True, "result": result}
        except BotApiError as error:
            status, body = error.status, error.payload()
        response = self.check_response(
            bot=bot, method=method, status_code=status, content=json.dumps(body)
        )
        return response.result  # type: ignore[return-value]

    async def stream_content(
        self, url: str, headers: dict[str, Any] | None = None, timeout: int = 30,
        chunk_size: int = 65536, raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        raise NotImplementedError("files are not downloaded offline")
        yield b""  # pragma: no cover
