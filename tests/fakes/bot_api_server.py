"""A local fake Telegram Bot API over real HTTP (aiohttp on 127.0.0.1).

It serves `bot.offline.telegram.FakeTelegram`: the real aiogram Bot talks to it through its
ordinary aiohttp session, exactly as it talks to api.telegram.org. Updates are handed out by
`getUpdates`, or posted to the bot's webhook when one is set.
"""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import ClientSession, web

from bot.offline.telegram import BotApiError, FakeTelegram

# A test's hook, awaited with (method, params) before a call is carried out and again after
# (with its result); returning False from the first drops the call unrecorded (500).
Gate = Callable[[str, dict[str, Any], Any], Awaitable[bool]]

SENDING = frozenset({"sendMessage", "sendPhoto", "sendVoice"})

HTML_502 = """<html>
<head><title>502 Bad Gateway</title></head>
<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body>
</html>
"""


@dataclass
class Fault:
    """Something that goes wrong between the bot and Telegram, for the calls it matches.

    kind:
    - "json_5xx": Telegram's own error answer (502 Bad Gateway, JSON);
    - "html_502": a proxy's HTML error page (the client cannot decode it);
    - "hang": the request hangs `seconds`, then is answered 504 (never carried out);
    - "drop": the connection is closed with no answer (the call never carried out);
    - "take_and_drop": Telegram carries the call out, then the connection breaks before the
      answer: the bot cannot know the message went;
    - "429": flood control, `retry_after` seconds;
    - "403": Forbidden (as if the person had blocked the bot);
    - "old_query": 400, the button's query is too old to be answered.
    It hits `times` calls (None: no limit) while `active()` says so (None: always)."""

    kind: str
    times: int | None = None
    active: Callable[[], bool] | None = None
    methods: frozenset[str] = SENDING
    seconds: float = 30.0
    retry_after: int = 1
    hits: int = field(default=0, init=False)

    def matches(self, method: str) -> bool:
        if method not in self.methods:
            return False
        if self.times is not None and self.hits >= self.times:
            return False
        return self.active is None or self.active()


class FakeBotApiServer:
    def __init__(self, telegram: FakeTelegram) -> None:
        self.telegram = telegram
        self.gate: Gate | None = None
        self.faults: list[Fault] = []
        self._runner: web.AppRunner | None = None
        self.base_url = ""
        self._client: ClientSession | None = None

    def inject(self, kind: str, **options: Any) -> Fault:
        """Add a fault (see `Fault`); the first matching fault answers a call."""
        fault = Fault(kind, **options)
        self.faults.append(fault)
        return fault

    async def _fault_answer(self, request: web.Request, method: str) -> web.StreamResponse | None:
        """Play the first matching fault; None when the call is to be carried out (after
        which "take_and_drop" breaks the connection: see `_handle`)."""
        fault = next((f for f in self.faults if f.matches(method)), None)
        if fault is None:
            return None
        fault.hits += 1
        if fault.kind == "json_5xx":
            return web.json_response({"ok": False, "error_code": 502,
                                      "description": "Bad Gateway"}, status=502)
        if fault.kind == "html_502":
            return web.Response(text=HTML_502, status=502, content_type="text/html")
        if fault.kind == "old_query":
            return web.json_response(
                {"ok": False, "error_code": 400, "description": "Bad Request: query is too old "
                 "and response timeout expired or query ID is invalid"}, status=400)
        if fault.kind == "403":
            return web.json_response({"ok": False, "error_code": 403,
                                      "description": "Forbidden: bot was blocked by the user"},
                                     status=403)
        if fault.kind == "429":
            return web.json_response(
                {"ok": False, "error_code": 429,
                 "description": f"Too Many Requests: retry after {fault.retry_after}",
                 "parameters": {"retry_after": fault.retry_after}}, status=429)
        if fault.kind == "hang":
            await asyncio.sleep(fault.seconds)
            return web.Response(text="Gateway Timeout", status=504)
        if fault.kind == "drop":
            raise _Drop
        if fault.kind == "take_and_drop":
            request["take_and_drop"] = True
            return None
        raise AssertionError(f"unknown fault {fault.kind}")

    async def start(self) -> str:
        app = web.Application(client_max_size=50 * 1024 * 1024, middlewares=[_dropper])
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
                if (answer := await self._fault_answer(request, method)) is not None:
                    return answer  # type: ignore[return-value]
                if self.gate is not None and not await self.gate(method, params, None):
                    return web.json_response({"ok": False, "error_code": 500,
                                              "description": "dropped"}, status=500)
                result = self.telegram.handle(method, params, files)
                if self.gate is not None:
                    await self.gate(method, params, result)
        except BotApiError as error:
            return web.json_response(error.payload(), status=error.status)
        if request.get("take_and_drop"):
            raise _Drop
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


class _Drop(Exception):
    """Close the connection without an answer."""


@web.middleware
async def _dropper(request: web.Request, handler):  # type: ignore[no-untyped-def]
    try:
        return await handler(request)
    except _Drop:
        assert request.transport is not None
        request.transport.abort()
        raise asyncio.CancelledError from None
