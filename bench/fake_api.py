"""The fake Bot API for the benchmarks, run in a process of its own:
`python -m bench.fake_api` prints its base URL and serves until stdin closes.

It answers the bot's calls like Telegram (bot.offline.telegram.FakeTelegram), plays
Telegram's part in delivering updates (POSTs them to the bot's webhook with a given
concurrency and times each until the bot answers), and audits the sends it receives against
Telegram's limits. Control endpoints are under /_bench/.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import defaultdict
from typing import Any

from aiohttp import ClientSession, ClientTimeout, TCPConnector, web

from bot.offline.telegram import BotApiError, FakeTelegram, SentMessage

TOKEN = "424242:BENCH-token"
SEND_METHODS = {"sendmessage", "sendphoto", "sendvoice"}


def audit(sends: list[tuple[float, int]], overall: int = 30, chat_interval: float = 1.0,
          window: float = 1.0) -> dict[str, Any]:
    """How many of `sends` ((arrival, chat id), any order) broke a limit, counted on arrival:
    a send with more than `overall` sends (itself included) arrived in the `window` seconds up
    to it, (at - window, at]; a send to a chat less than `chat_interval` after the one
    before. The limiter (bot/scheduling/rate_limit.py) keeps the same definition: a slot frees
    a window after its answer. (A nanosecond is forgiven, for virtual clocks' rounding.)"""
    sends = sorted(sends)
    slack = 1e-9
    over = 0
    start = 0
    for end, (at, _chat) in enumerate(sends):
        while sends[start][0] <= at - window + slack:
            start += 1
        over += end - start + 1 > overall
    last: dict[int, float] = {}
    too_close = 0
    for at, chat in sends:
        if chat in last and at - last[chat] < chat_interval - slack:
            too_close += 1
        last[chat] = at
    span = sends[-1][0] - sends[0][0] if len(sends) > 1 else 0.0
    return {"sends": len(sends), "span": span, "overall": over, "per_chat": too_close}


class BenchApi:
    def __init__(self) -> None:
        self.telegram = FakeTelegram(token=TOKEN, username="scorebot_bench_bot")
        self.sends: list[tuple[float, int]] = []  # (arrival, chat id) of every send
        self.calls = 0  # Bot API calls answered, to count them per update

    async def handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != TOKEN:
            return web.json_response({"ok": False, "error_code": 401,
                                      "description": "Unauthorized"}, status=401)
        method = request.match_info["method"]
        arrived = time.monotonic()
        self.calls += 1
        if request.content_type == "application/json":
            body = await request.json()
            params = {k: v if isinstance(v, str) else json.dumps(v) for k, v in body.items()}
        else:
            params = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
        try:
            result = self.telegram.handle(method, params, {})
        except BotApiError as error:
            return web.json_response(error.payload(), status=error.status)
        if method.lower() in SEND_METHODS:
            self.sends.append((arrived, int(params["chat_id"])))
        self.telegram.calls.clear()  # keep memory flat over thousands of calls
        self.telegram.sent.clear()
        return web.json_response({"ok": True, "result": result})

    async def users(self, request: web.Request) -> web.Response:
        for user_id in (await request.json())["ids"]:
            self.telegram.add_user(user_id, f"U{user_id}", "en")
        return web.json_response({"ok": True})

    def _update(self, spec: dict[str, Any]) -> dict[str, Any]:
        user = spec["user"]
        if spec["kind"] == "callback":
            message = SentMessage(user, next(self.telegram._message_ids), "Quiz", "Quiz",
                                  [[{"text": "option", "callback_data": spec["data"]}]])
            self.telegram._store(message)
            return self.telegram.callback_update(user, message, spec["data"])
        return self.telegram.message_update(user, spec["text"])

    async def drive(self, request: web.Request) -> web.Response:
        """POST the updates to the webhook, `concurrency` at a time, like Telegram does;
        return each update's time until the bot answered the webhook (handled and saved),
        and how many Bot API calls the bot made meanwhile."""
        order = await request.json()
        updates = [self._update(spec) for spec in order["updates"]]
        headers = {"X-Telegram-Bot-Api-Secret-Token": order["secret"]}
        latencies: list[float] = []
        statuses: dict[int, int] = defaultdict(int)
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        for update in updates:
            queue.put_nowait(update)
        calls_before = self.calls
        async with ClientSession(connector=TCPConnector(limit=0),
                                 timeout=ClientTimeout(total=120)) as http:

            async def worker() -> None:
                while not queue.empty():
                    update = queue.get_nowait()
                    start = time.perf_counter()
                    async with http.post(order["url"], json=update, headers=headers) as r:
                        await r.read()
                        statuses[r.status] += 1
                    latencies.append(time.perf_counter() - start)

            began = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(order["concurrency"])))
            elapsed = time.perf_counter() - began
        return web.json_response({"latencies": latencies, "elapsed": elapsed,
                                  "statuses": dict(statuses),
                                  "calls": self.calls - calls_before})

    async def audit(self, request: web.Request) -> web.Response:
        """Sends seen since the last reset, and how many broke each limit (`audit`)."""
        return web.json_response(audit(self.sends, int(request.query.get("overall", 30)),
                                       float(request.query.get("chat_interval", 1.0))))

    async def reset(self, request: web.Request) -> web.Response:
        self.sends.clear()
        return web.json_response({"ok": True})


async def serve() -> None:
    api = BenchApi()
    app = web.Application(client_max_size=10 * 1024 * 1024)
    app.router.add_post("/_bench/users", api.users)
    app.router.add_post("/_bench/drive", api.drive)
    app.router.add_get("/_bench/audit", api.audit)
    app.router.add_post("/_bench/reset", api.reset)
    app.router.add_route("*", "/bot{token}/{method}", api.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    print(f"http://127.0.0.1:{port}", flush=True)
    # Serve until the parent closes our stdin (or dies).
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(serve())
