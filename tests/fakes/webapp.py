"""The dashboard's side of Telegram in tests: initData signed as Telegram signs it, and the
dashboard served on a local port beside the bot under test."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
from datetime import datetime
from urllib.parse import urlencode

from aiohttp import web

from bot.web.server import build_dashboard_app
from tests.fakes.harness import TOKEN, BotUnderTest, TgUser


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def init_data(user: TgUser, auth_date: datetime, token: str = TOKEN) -> str:
    """What Telegram hands a Mini App: the user, the time, and a hash keyed by the bot token."""
    fields = {
        "query_id": "AAH-test",
        "user": json.dumps({"id": user.id, "first_name": user.name,
                            "language_code": user.language_code}, separators=(",", ":")),
        "auth_date": str(int(auth_date.timestamp())),
    }
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    fields["hash"] = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    return urlencode(fields)


class DashboardServer:
    """The dashboard's routes of `tg`'s bot on 127.0.0.1:`port` (WEB_BASE_URL points there)."""

    def __init__(self, tg: BotUnderTest, port: int) -> None:
        self.tg, self.port = tg, port
        self.base = f"http://127.0.0.1:{port}"
        self._runner: web.AppRunner | None = None

    async def __aenter__(self) -> DashboardServer:
        self._runner = web.AppRunner(build_dashboard_app(self.tg.app, self.tg.bot),
                                     access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._runner is not None
        await self._runner.cleanup()
