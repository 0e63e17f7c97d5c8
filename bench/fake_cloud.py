"""The fake WhatsApp Cloud API for the benchmarks, run in a process of its own:
`python -m bench.fake_cloud` prints its base URL and serves until stdin closes.

It is the tests' fake (tests/fakes/whatsapp_cloud.py: it checks every message as Meta does,
and refuses a free-form message outside the person's 24-hour window), served alone, with
each message's arrival timed; its own sending limits are off, so that what arrives is
audited here instead, counted on arrival: more than 80 messages in any second, two messages
to one person less than 6 s apart, more new conversations (templates to different people)
than the daily tier. Control endpoints are under /_bench/.
"""

from __future__ import annotations

import asyncio
import sys
import time

from aiohttp import web

from bench.fake_api import audit
from bot.clock import SystemClock
from bot.limits import WA_MESSAGES_PER_SECOND, WA_PAIR_INTERVAL_SECONDS
from tests.fakes.whatsapp_cloud import FakeWhatsApp


class BenchCloud(FakeWhatsApp):
    """The fake Cloud API, timing each message's arrival."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.arrivals: list[tuple[float, str, bool]] = []  # (arrival, to, a template?)
        self.refusals: list[int] = []  # the codes of the messages refused

    def add_routes(self, app: web.Application) -> None:
        super().add_routes(app)
        app.router.add_post("/_bench/windows", self.windows)
        app.router.add_post("/_bench/reset", self.reset)
        app.router.add_get("/_bench/audit", self.audit)

    async def _messages(self, request: web.Request) -> web.Response:
        arrived = time.monotonic()
        response = await super()._messages(request)
        record = self.requests[-1]
        body = record.body if isinstance(record.body, dict) else {}
        self.arrivals.append((arrived, str(body.get("to")), body.get("type") == "template"))
        self.requests.clear()  # keep memory flat: what counts is `arrivals`, `refusals`
        self.sent.clear()
        if record.refused is not None:
            self.refusals.append(record.refused.code)
        return response

    async def windows(self, request: web.Request) -> web.Response:
        """These people wrote just now: their 24-hour windows are open."""
        now = self.clock.now()
        for wa_id in (await request.json())["open"]:
            self.last_inbound[str(wa_id)] = now
        return web.json_response({"ok": True})

    async def reset(self, request: web.Request) -> web.Response:
        self.arrivals.clear()
        self.refusals.clear()
        self.last_inbound.clear()
        return web.json_response({"ok": True})

    async def audit(self, request: web.Request) -> web.Response:
        tier = int(request.query["tier"])
        people = {who: n for n, who in enumerate(sorted({to for _at, to, _t in self.arrivals}))}
        found = audit([(at, people[to]) for at, to, _t in self.arrivals],
                      WA_MESSAGES_PER_SECOND, float(WA_PAIR_INTERVAL_SECONDS))
        conversations = len({to for _at, to, template in self.arrivals if template})
        return web.json_response({**found, "templates": conversations,
                                  "tier": max(0, conversations - tier),
                                  "refusals": list(self.refusals)})


async def serve() -> None:
    cloud = BenchCloud(SystemClock(), daily_tier=10**9)  # the tier is audited, not refused
    await cloud.start()
    print(cloud.base_url, flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await cloud.stop()


if __name__ == "__main__":
    asyncio.run(serve())
