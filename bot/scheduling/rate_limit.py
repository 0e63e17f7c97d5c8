"""Telegram's sending limits for messages the bot sends on its own: about 30 a second
overall, 1 a second to one chat, and 20 a minute to one group. The outbox sender waits here
before each message, so bursts (a lesson wave to a whole enterprise) are spread out instead
of being refused with 429.

With REDIS_URL set, the limits are kept in Redis (`RedisRateLimiter`) and shared by every
process that sends; otherwise in this process (`RateLimiter`). While Redis cannot be reached,
each process falls back to its own limits (`FallbackLimiter`) and goes on sending. All have
the same interface: `wait(chat_id)` before each message, `pause(seconds)` when Telegram answers 429.
Time and sleeping are injectable, so the rules are tested without waiting.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger(__name__)

OVERALL_PER_SECOND = 30
# The overall limit is kept over a window a little longer than a second: Telegram counts
# messages when they arrive, and the time from our count to its arrival varies by a few
# milliseconds, which would otherwise let 31 land within one of Telegram's seconds.
OVERALL_WINDOW = 1.03
CHAT_INTERVAL = 1.0  # seconds between two messages to one chat
GROUP_PER_MINUTE = 20


class Limiter(Protocol):
    async def wait(self, chat_id: int) -> None:
        """Wait until a message to `chat_id` is within every limit, and count it."""

    async def pause(self, seconds: float) -> None:
        """Telegram asked the bot to slow down: nothing is sent for `seconds`."""

    async def close(self) -> None: ...


class RateLimiter:
    def __init__(
        self,
        *,
        overall_per_second: int = OVERALL_PER_SECOND,
        overall_window: float = OVERALL_WINDOW,
        chat_interval: float = CHAT_INTERVAL,
        group_per_minute: int = GROUP_PER_MINUTE,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.overall_per_second = overall_per_second
        self.overall_window = overall_window
        self.chat_interval = chat_interval
        self.group_per_minute = group_per_minute
        self._monotonic = monotonic
        self._sleep = sleep
        self._recent: deque[float] = deque()  # send times within the last window
        self._last_by_chat: dict[int, float] = {}
        self._group_recent: defaultdict[int, deque[float]] = defaultdict(deque)
        self._hold_until = 0.0

    def delay(self, chat_id: int, now: float) -> float:
        """Seconds to wait before a message to `chat_id` may go (0 when it may go now)."""
        while self._recent and self._recent[0] <= now - self.overall_window:
            self._recent.popleft()
        waits = [0.0, self._hold_until - now]
        if len(self._recent) >= self.overall_per_second:
            waits.append(self._recent[0] + self.overall_window - now)
        last = self._last_by_chat.get(chat_id)
        if last is not None:
            waits.append(last + self.chat_interval - now)
        if chat_id < 0:  # groups and channels have negative ids
            window = self._group_recent[chat_id]
            while window and window[0] <= now - 60.0:
                window.popleft()
            if len(window) >= self.group_per_minute:
                waits.append(window[0] + 60.0 - now)
        return max(waits)

    async def wait(self, chat_id: int) -> None:
        """Wait until a message to `chat_id` is within every limit, and count it."""
        while (pause := self.delay(chat_id, self._monotonic())) > 0:
            await self._sleep(pause)
        now = self._monotonic()
        self._recent.append(now)
        self._last_by_chat[chat_id] = now
        if chat_id < 0:
            self._group_recent[chat_id].append(now)

    async def pause(self, seconds: float) -> None:
        self._hold_until = max(self._hold_until, self._monotonic() + seconds)

    async def close(self) -> None:
        pass


# One atomic step in Redis: drop what left the windows, compute the wait, and when there is
# none, count the message. ARGV: overall limit, chat interval, group limit, a unique member,
# "1" for a group, the caller's time or "", the overall window. Times are milliseconds:
# Redis's own clock (shared by every process), or ARGV[6] when the caller brings its own.
_ACQUIRE = """
local now
if ARGV[6] ~= '' then
  now = tonumber(ARGV[6])
else
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
end
local wait = 0
local hold = tonumber(redis.call('GET', KEYS[4]) or '0')
if hold > now then wait = hold - now end
local window = tonumber(ARGV[7])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  wait = math.max(wait, tonumber(oldest[2]) + window - now)
end
local last = redis.call('GET', KEYS[2])
if last then wait = math.max(wait, tonumber(last) + tonumber(ARGV[2]) - now) end
local group = ARGV[5] == '1'
if group then
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - 60000)
  if redis.call('ZCARD', KEYS[3]) >= tonumber(ARGV[3]) then
    local oldest = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
    wait = math.max(wait, tonumber(oldest[2]) + 60000 - now)
  end
end
if wait > 0 then return tostring(wait) end
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('PEXPIRE', KEYS[1], math.ceil(window) + 1000)
redis.call('SET', KEYS[2], tostring(now), 'PX', math.ceil(tonumber(ARGV[2])) + 1000)
if group then
  redis.call('ZADD', KEYS[3], now, ARGV[4])
  redis.call('PEXPIRE', KEYS[3], 61000)
end
return '0'
"""

_HOLD = """
local now
if ARGV[2] ~= '' then
  now = tonumber(ARGV[2])
else
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
end
local until_ = now + tonumber(ARGV[1])
local hold = tonumber(redis.call('GET', KEYS[1]) or '0')
if until_ > hold then
  redis.call('SET', KEYS[1], tostring(until_), 'PX', math.ceil(tonumber(ARGV[1])) + 1000)
end
return 1
"""


class RedisRateLimiter:
    """The same limits, kept in Redis so every process that sends counts against them: a
    sorted set of the last second's sends, the last send per chat, a sorted set per group of
    the last minute's, and a hold after a 429. Each check-and-count is one Lua script, so
    two processes can never both take the last place in a window."""

    def __init__(
        self,
        redis: Redis,
        *,
        prefix: str = "scorebot:limits",
        overall_per_second: int = OVERALL_PER_SECOND,
        overall_window: float = OVERALL_WINDOW,
        chat_interval: float = CHAT_INTERVAL,
        group_per_minute: int = GROUP_PER_MINUTE,
        monotonic: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.redis = redis
        self.prefix = prefix
        self.overall_per_second = overall_per_second
        self.overall_window = overall_window
        self.chat_interval = chat_interval
        self.group_per_minute = group_per_minute
        self._monotonic = monotonic  # None: Redis's clock
        self._sleep = sleep
        self._acquire = redis.register_script(_ACQUIRE)
        self._hold = redis.register_script(_HOLD)
        self._members = (f"{uuid.uuid4().hex}:{n}" for n in itertools.count())

    @classmethod
    def from_url(cls, url: str, **options: object) -> RedisRateLimiter:
        from redis.asyncio import Redis

        # Short socket timeouts: a Redis that hangs must not hold up sending for long.
        redis = Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        return cls(redis, **options)  # type: ignore[arg-type]  # options: the keywords of __init__

    def _now(self) -> str:
        return "" if self._monotonic is None else repr(self._monotonic() * 1000)

    async def try_acquire(self, chat_id: int) -> float:
        """Count a message to `chat_id` and return 0 if it may go now; else the seconds to
        wait before asking again (nothing is counted)."""
        keys = [f"{self.prefix}:all", f"{self.prefix}:chat:{chat_id}",
                f"{self.prefix}:group:{chat_id}", f"{self.prefix}:hold"]
        args: list[str | int | float] = [
            self.overall_per_second, self.chat_interval * 1000, self.group_per_minute,
            next(self._members), "1" if chat_id < 0 else "0", self._now(),
            self.overall_window * 1000]
        return float(await self._acquire(keys=keys, args=args)) / 1000

    async def wait(self, chat_id: int) -> None:
        while (pause := await self.try_acquire(chat_id)) > 0:
            await self._sleep(pause)

    async def pause(self, seconds: float) -> None:
        await self._hold(keys=[f"{self.prefix}:hold"], args=[seconds * 1000, self._now()])

    async def close(self) -> None:
        await self.redis.aclose()


def build_limiter(redis_url: str | None, bot_id: int | None = None) -> Limiter:
    """Shared through Redis when there is one (Telegram counts per bot, so does the key),
    else kept in this process."""
    if redis_url:
        return FallbackLimiter(
            RedisRateLimiter.from_url(redis_url, prefix=f"scorebot:limits:{bot_id}"))
    return RateLimiter()


class VirtualTime:
    """A monotonic clock that sleeping moves forward at once: the limits are applied and
    recorded, but nobody waits (tests, and the offline console)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept = 0.0

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.slept += seconds


def virtual_limiter() -> tuple[RateLimiter, VirtualTime]:
    virtual = VirtualTime()
    return RateLimiter(monotonic=virtual.monotonic, sleep=virtual.sleep), virtual


class FallbackLimiter:
    """The shared limits while Redis answers; this process's own limits while it does not,
    so sending goes on (within Telegram's limits for one process) during a Redis outage.
    Redis is asked again after `retry_seconds`."""

    def __init__(self, shared: Limiter, local: Limiter | None = None, *,
                 retry_seconds: float = 10.0,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.shared = shared
        self.local = local or RateLimiter()
        self.retry_seconds = retry_seconds
        self._monotonic = monotonic
        self._shared_down_until = 0.0

    def _use_shared(self) -> bool:
        return self._monotonic() >= self._shared_down_until

    def _shared_failed(self, error: Exception) -> None:
        if self._use_shared():
            log.warning("the shared rate limits are unreachable (%s); this process keeps its "
                        "own for %ss", error, self.retry_seconds)
        self._shared_down_until = self._monotonic() + self.retry_seconds

    async def wait(self, chat_id: int) -> None:
        if self._use_shared():
            try:
                await self.shared.wait(chat_id)
                return
            except Exception as error:  # Redis down, timing out, restarting
                self._shared_failed(error)
        await self.local.wait(chat_id)

    async def pause(self, seconds: float) -> None:
        await self.local.pause(seconds)
        if self._use_shared():
            try:
                await self.shared.pause(seconds)
            except Exception as error:
                self._shared_failed(error)

    async def close(self) -> None:
        await self.shared.close()
