"""Shared pieces: the fake Bot API process, bots served behind a webhook, statistics."""

from __future__ import annotations

import asyncio
import logging
import statistics
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

from aiogram import Bot, Dispatcher
from aiohttp import ClientSession, ClientTimeout, web

from bench.fake_api import TOKEN

SECRET = "bench-secret"
WEBHOOK_PATH = "/telegram/webhook"


class FakeApiProcess:
    """bench.fake_api (or another fake: bench.fake_cloud) in a process of its own."""

    def __init__(self, module: str = "bench.fake_api") -> None:
        self.module = module
        self.process: subprocess.Popen[str] | None = None
        self.url = ""
        self.http: ClientSession | None = None

    async def __aenter__(self) -> FakeApiProcess:
        self.process = subprocess.Popen(  # noqa: ASYNC220 (started once, before timing)
            [sys.executable, "-m", self.module], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        self.url = (await asyncio.to_thread(self.process.stdout.readline)).strip()
        self.http = ClientSession(timeout=ClientTimeout(total=900))
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self.http is not None:
            await self.http.close()
        if self.process is not None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()

    async def call(self, path: str, payload: Any = None, method: str = "POST",
                   **query: Any) -> Any:
        assert self.http is not None
        async with self.http.request(method, f"{self.url}/_bench/{path}", json=payload,
                                     params={k: str(v) for k, v in query.items()}) as r:
            r.raise_for_status()
            return await r.json()

    async def add_users(self, ids: list[int]) -> None:
        for start in range(0, len(ids), 20_000):
            await self.call("users", {"ids": ids[start:start + 20_000]})


class WebhookServer:
    """A dispatcher served behind a webhook on loopback, answering once the update is
    handled (as `scorebot run --webhook` does)."""

    def __init__(self, dispatcher: Dispatcher, bot: Bot) -> None:
        from aiogram.webhook.aiohttp_server import SimpleRequestHandler

        self.app = web.Application()
        SimpleRequestHandler(dispatcher=dispatcher, bot=bot, secret_token=SECRET,
                             handle_in_background=False).register(self.app, path=WEBHOOK_PATH)
        self.runner = web.AppRunner(self.app, access_log=None)
        self.url = ""

    async def __aenter__(self) -> WebhookServer:
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}{WEBHOOK_PATH}"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.runner.cleanup()


@dataclass
class Run:
    updates: int
    elapsed: float
    latencies: list[float]
    statuses: dict[str, int]
    calls: int = 0  # Bot API calls the bot made while handling them

    @property
    def calls_per_update(self) -> float:
        return self.calls / self.updates

    @property
    def rate(self) -> float:
        return self.updates / self.elapsed

    def percentile(self, p: float) -> float:
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[int(p) - 1]


async def drive(api: FakeApiProcess, server: WebhookServer, specs: list[dict[str, Any]],
                concurrency: int) -> Run:
    answer = await api.call("drive", {"url": server.url, "secret": SECRET, "updates": specs,
                                      "concurrency": concurrency})
    return Run(len(specs), answer["elapsed"], answer["latencies"], answer["statuses"],
               answer.get("calls", 0))


class ErrorCount(logging.Handler):
    """Counts errors logged while handling: a benchmark of failing handlers means nothing."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0
        self.first: str | None = None

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        self.first = self.first or record.getMessage()

    def __enter__(self) -> ErrorCount:
        logging.getLogger().addHandler(self)
        return self

    def __exit__(self, *exc_info: object) -> None:
        logging.getLogger().removeHandler(self)


def bot_token() -> str:
    return TOKEN


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def table(title: str, header: list[str], rows: list[list[Any]], notes: list[str]) -> str:
    cells = [header] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    line = "  ".join("-" * w for w in widths)
    out = [title, line]
    for n, row in enumerate(cells):
        out.append("  ".join(c.rjust(w) if n and i else c.ljust(w)
                             for i, (c, w) in enumerate(zip(row, widths, strict=True))))
        if n == 0:
            out.append(line)
    out.append(line)
    out.extend(f"  {note}" for note in notes)
    return "\n".join(out) + "\n"
