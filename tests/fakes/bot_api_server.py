"""A local fake Telegram Bot API over real HTTP (aiohttp on 127.0.0.1).

It serves `bot.offline.telegram.FakeTelegram`: the real aiogram Bot talks to it through its
ordinary aiohttp session, exactly as it talks to api.telegram.org. Updates are handed out by
`getUpdates`, or posted to the bot's webhook when one is set.
"""

from __future__ import annotations

import io
import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import ClientSession, web

from bot.offline.telegram import BotApiError, FakeTelegram

# A test's hook, awaited with (method, params) before a call is carried out and again after
# (with its result); returning False from the first drops the call unrecorded (500).
Gate = Callable[[str, dict[str, Any], Any], Awaitable[bool]]


class FakeBotApiServer:
    def __init__(self, telegram: FakeTelegram) -> None:
        self.telegram = telegram
        self.gate: Gate | None = None
        self._runner: web.AppRunner | None = None
        self.base_url = ""
        self._client: ClientSession | None = None

    async def start(self) -> str:
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}"
        return self.base_url

    async def stop(self) -> None:
        if self._client is not None:
            await self._client.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.telegram.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        method = request.match_info["method"]
        params: dict[str, Any] = {}
        files: dict[str, bytes] = {}
        if request.content_type == "application/json":
            body = await request.json()
            params = {k: v if isinstance(v, str) else json.dumps(v) for k, v in body.items()}
        else:
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    files[key] = value.file.read()
                else:
                    params[key] = value
        try:
            if method == "getUpdates":
                result: Any = await self.telegram.get_updates(
                    int(params.get("offset", 0)),
                    int(params.get("limit", 100)),
                    float(params.get("timeout", 0)),
                )
            else:
                if self.gate is not None and not await self.gate(method, params, None):
                    return web.json_response({"ok": False, "error_code": 500,
                                              "description": "dropped"}, status=500)
                result = self.telegram.handle(method, params, files)
                if self.gate is not None:
                    await self.gate(method, params, result)
        except BotApiError as error:
            return web.json_response(error.payload(), status=error.status)
        return web.json_response({"ok": True, "result": result})

    async def post_to_webhook(
        self, update: dict[str, Any] | bytes, secret: str | None = "use-registered"
    ) -> int:
        """POST an update to the registered webhook, as Telegram does; returns the status.
        `secret` defaults to the one the bot registered; pass None to send no header. Bytes
        are sent as they are (a broken body)."""
        assert self.telegram.webhook is not None, "the bot registered no webhook"
        if self._client is None:
            self._client = ClientSession()
        headers = {"Content-Type": "application/json"}
        token = self.telegram.webhook["secret_token"] if secret == "use-registered" else secret
        if token is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = token
        raw = update if isinstance(update, bytes) else json.dumps(update).encode()
        body = io.BytesIO(raw)  # a stream: bodies may be large
        async with self._client.post(
            self.telegram.webhook["url"], data=body, headers=headers
        ) as response:
            await response.read()
            return response.status
