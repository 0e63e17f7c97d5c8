"""The sending limits of both channels, from bot/limits.py, for messages the bot sends on its
own. Telegram: about 30 a second overall, 1 a second to one chat, 20 a minute to one group.
WhatsApp (a chat id `is_whatsapp_chat`): 80 a second for the business number (130429), one
message every 6 s to one person (131056), and the daily tier of business-initiated
conversations (`open_conversation`). The outbox sender takes a slot before each message, so
bursts (a lesson wave to a whole enterprise) are spread out instead of being refused.

**A slot lasts from before the request until its answer.** The platforms count a message when
it arrives, somewhere between the moment we ask for the slot and the moment the answer comes
back; the time in between varies (a busy event loop, the network). So a message occupies its
place in the limits from `acquire` until `release` (after the answer), and frees it only one
window after the release: for any two messages the second is acquired at least a window after
the first was answered, hence arrives at least a window after the first arrived, whatever the
delays. 31 messages can never arrive within one second, nor two to one chat within a second,
by construction and not by a margin.

With REDIS_URL set, the limits are kept in Redis (`RedisRateLimiter`, one atomic Lua script
to take a slot and one to release it, on Redis's clock) and shared by every process that
sends; otherwise in this process (`RateLimiter`). While Redis cannot be reached, each process
falls back to its own limits (`FallbackLimiter`) and goes on sending. All have the same
interface: `async with limiter.slot(chat_id):` around each message, `pause(seconds)` when the
platform asks to slow down. Time and sleeping are injectable, so the rules are tested without
waiting.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
import uuid
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from bot.channels.whatsapp.ids import is_whatsapp_chat
from bot.limits import (
    TG_CHAT_INTERVAL_SECONDS,
    TG_GROUP_PER_MINUTE,
    TG_MESSAGES_PER_SECOND,
    WA_DAILY_TIER,
    WA_MESSAGES_PER_SECOND,
    WA_PAIR_INTERVAL_SECONDS,
)

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger(__name__)

OVERALL_PER_SECOND = TG_MESSAGES_PER_SECOND
OVERALL_WINDOW = 1.0  # exact: a slot is freed a window after its answer, not after its start
CHAT_INTERVAL = TG_CHAT_INTERVAL_SECONDS
GROUP_PER_MINUTE = TG_GROUP_PER_MINUTE
# A slot whose answer never comes back (the process died mid-request) is freed after this.
FLIGHT_LEASE = 60.0
DAY = 24 * 3600.0


# The conversations opened since a moment, by chat (epoch seconds): the daily tier counted
# before this process started (bot.channels.whatsapp.contacts.conversations_since).
Recall = Callable[[datetime], Awaitable[dict[int, float]]]


@dataclass(frozen=True)
class Channel:
    """One platform's limits: `per_second` messages in any `window` seconds overall, one
    message per `chat_interval` to one chat, `group_per_minute` to one group."""

    name: str
    per_second: int
    chat_interval: float
    group_per_minute: int
    window: float = OVERALL_WINDOW


def telegram(per_second: int = OVERALL_PER_SECOND, chat_interval: float = CHAT_INTERVAL,
             group_per_minute: int = GROUP_PER_MINUTE,
             window: float = OVERALL_WINDOW) -> Channel:
    return Channel("tg", per_second, chat_interval, group_per_minute, window)


WHATSAPP = Channel("wa", WA_MESSAGES_PER_SECOND, float(WA_PAIR_INTERVAL_SECONDS), 0)


@dataclass(frozen=True)
class Ticket:
    """A slot taken for one message to `chat_id`: given back with `release`."""

    chat_id: int
    member: str
    channel: Channel
    owner: object = None  # the limiter that issued it (FallbackLimiter)


class Limiter(Protocol):
    async def acquire(self, chat_id: int) -> Ticket:
        """Wait until a message to `chat_id` is within every limit, and take its slot."""

    async def release(self, ticket: Ticket) -> None:
        """The message's request is answered (or failed): its slot counts from now."""

    def slot(self, chat_id: int) -> AbstractAsyncContextManager[Ticket]:
        """`acquire` before the message, `release` after its answer, whatever happened."""

    async def open_conversation(self, chat_id: int, now: datetime) -> float:
        """A business-initiated WhatsApp conversation with `chat_id` is about to open: 0 and
        counted when the daily tier allows it, else the seconds until it does."""

    async def pause(self, seconds: float) -> None:
        """The platform asked the bot to slow down: nothing is sent for `seconds`."""

    async def close(self) -> None: ...



class _Slots:
    """`slot()` and `wait()` on top of `acquire()` and `release()`."""

    async def acquire(self, chat_id: int) -> Ticket:
        raise NotImplementedError

    async def release(self, ticket: Ticket) -> None:
        raise NotImplementedError

    @asynccontextmanager
    async def slot(self, chat_id: int) -> AsyncIterator[Ticket]:
        ticket = await self.acquire(chat_id)
        try:
            yield ticket
        finally:
            await self.release(ticket)

    async def wait(self, chat_id: int) -> None:
        """Take a slot and give it back at once (a message that takes no time)."""
        await self.release(await self.acquire(chat_id))


class RateLimiter(_Slots):
    def __init__(
        self,
        *,
        overall_per_second: int = OVERALL_PER_SECOND,
        overall_window: float = OVERALL_WINDOW,
        chat_interval: float = CHAT_INTERVAL,
        group_per_minute: int = GROUP_PER_MINUTE,
        whatsapp: Channel = WHATSAPP,
        daily_conversations: int = WA_DAILY_TIER,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        recall: Recall | None = None,
    ) -> None:
        self.telegram = telegram(overall_per_second, chat_interval, group_per_minute,
                                 overall_window)
        self.whatsapp = whatsapp
        self.daily_conversations = daily_conversations
        self._monotonic = monotonic
        self._sleep = sleep
        self._done: defaultdict[str, deque[float]] = defaultdict(deque)  # answers, by channel
        self._flying: defaultdict[str, dict[str, float]] = defaultdict(dict)  # member: start
        self._chat_last: dict[int, float] = {}  # the answer of the last message to a chat
        self._chat_flying: set[int] = set()
        self._group_recent: defaultdict[int, deque[float]] = defaultdict(deque)
        self._conversations: dict[int, float] = {}  # chat: when last opened (epoch seconds)
        self._recall = recall  # what the tier counted before this process started
        self._hold_until = 0.0
        self._members = (str(n) for n in itertools.count())

    def channel_of(self, chat_id: int) -> Channel:
        return self.whatsapp if is_whatsapp_chat(chat_id) else self.telegram

    def delay(self, chat_id: int, now: float) -> float:
        """Seconds to wait before a message to `chat_id` may go (0 when it may go now)."""
        channel = self.channel_of(chat_id)
        done = self._done[channel.name]
        while done and done[0] <= now - channel.window:
            done.popleft()
        waits = [0.0, self._hold_until - now]
        if len(done) + len(self._flying[channel.name]) >= channel.per_second:
            # A slot in flight frees a window after its answer: not before a window from now.
            waits.append(done[0] + channel.window - now if done else channel.window)
        if chat_id in self._chat_flying:
            waits.append(channel.chat_interval)
        elif (last := self._chat_last.get(chat_id)) is not None:
            waits.append(last + channel.chat_interval - now)
        if chat_id < 0 and channel.group_per_minute:  # groups have negative ids
            window = self._group_recent[chat_id]
            while window and window[0] <= now - 60.0:
                window.popleft()
            if len(window) >= channel.group_per_minute:
                waits.append(window[0] + 60.0 - now)
        return max(waits)

    async def acquire(self, chat_id: int) -> Ticket:
        while (pause := self.delay(chat_id, self._monotonic())) > 0:
            await self._sleep(pause)
        channel = self.channel_of(chat_id)
        member = next(self._members)
        self._flying[channel.name][member] = self._monotonic()
        self._chat_flying.add(chat_id)
        return Ticket(chat_id, member, channel, self)

    async def release(self, ticket: Ticket) -> None:
        now = self._monotonic()
        if self._flying[ticket.channel.name].pop(ticket.member, None) is None:
            return  # given back already
        self._chat_flying.discard(ticket.chat_id)
        self._done[ticket.channel.name].append(now)
        self._chat_last[ticket.chat_id] = now
        if ticket.chat_id < 0:
            self._group_recent[ticket.chat_id].append(now)

    async def open_conversation(self, chat_id: int, now: datetime) -> float:
        at = now.timestamp()
        if self._recall is not None:  # once, on the first new conversation
            recalled, self._recall = await self._recall(now - timedelta(seconds=DAY)), None
            for chat, opened in recalled.items():
                self._conversations[chat] = max(opened, self._conversations.get(chat, 0.0))
        for chat, opened in list(self._conversations.items()):
            if opened <= at - DAY:
                del self._conversations[chat]
        if chat_id not in self._conversations and (
                len(self._conversations) >= self.daily_conversations):
            return min(self._conversations.values()) + DAY - at
        self._conversations[chat_id] = at
        return 0.0

    async def pause(self, seconds: float) -> None:
        self._hold_until = max(self._hold_until, self._monotonic() + seconds)

    async def close(self) -> None:
        pass


# Take a slot, in one atomic step: drop what left the windows, compute the wait, and when there
# is none, put the message in flight. KEYS: answered (sorted set), in flight (sorted set, scored
# by the lease's end), the chat's last ("f<lease end>" while in flight, else its answer time),
# the group's answered (sorted set), the hold. ARGV: overall limit, chat interval, group limit
# (0: none), member, "1" for a group, the caller's time or "", the window, the flight lease.
# Times are milliseconds: Redis's own clock (shared by every process), or ARGV[6].
_NOW = """
local now
if ARGV[6] ~= '' then
  now = tonumber(ARGV[6])
else
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
end
"""

_ACQUIRE = _NOW + """
local wait = 0
local hold = tonumber(redis.call('GET', KEYS[5]) or '0')
if hold > now then wait = hold - now end
local window = tonumber(ARGV[7])
local lease = tonumber(ARGV[8])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
-- a slot whose answer never came is freed a window after its lease ends
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) + redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[1]) then
  local free = now + window
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  if oldest[2] then free = math.min(free, tonumber(oldest[2]) + window) end
  local lost = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  if lost[2] and tonumber(lost[2]) < now then
    free = math.min(free, tonumber(lost[2]) + window)
  end
  wait = math.max(wait, free - now)
end
local interval = tonumber(ARGV[2])
local last = redis.call('GET', KEYS[3])
if last then
  if string.sub(last, 1, 1) == 'f' then
    local ends = tonumber(string.sub(last, 2))
    if ends > now then wait = math.max(wait, interval)
    else wait = math.max(wait, ends + interval - now) end
  else
    wait = math.max(wait, tonumber(last) + interval - now)
  end
end
local group = ARGV[5] == '1' and tonumber(ARGV[3]) > 0
if group then
  redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now - 60000)
  if redis.call('ZCARD', KEYS[4]) >= tonumber(ARGV[3]) then
    local oldest = redis.call('ZRANGE', KEYS[4], 0, 0, 'WITHSCORES')
    wait = math.max(wait, tonumber(oldest[2]) + 60000 - now)
  end
end
if wait > 0 then return tostring(wait) end
redis.call('ZADD', KEYS[2], now + lease, ARGV[4])
redis.call('PEXPIRE', KEYS[2], math.ceil(lease + window) + 1000)
redis.call('SET', KEYS[3], 'f' .. tostring(now + lease), 'PX',
           math.ceil(lease + interval) + 1000)
return '0'
"""

# Give a slot back: its message was answered now. KEYS as for _ACQUIRE; ARGV: -, chat
# interval, -, member, "1" for a group, the caller's time or "", the window.
_RELEASE = _NOW + """
if redis.call('ZREM', KEYS[2], ARGV[4]) == 0 then return 0 end
local window = tonumber(ARGV[7])
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('PEXPIRE', KEYS[1], math.ceil(window) + 1000)
redis.call('SET', KEYS[3], tostring(now), 'PX', math.ceil(tonumber(ARGV[2])) + 1000)
if ARGV[5] == '1' then
  redis.call('ZADD', KEYS[4], now, ARGV[4])
  redis.call('PEXPIRE', KEYS[4], 61000)
end
return 1
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

# The daily tier: people with a business-initiated conversation opened in the last 24 hours
# (a sorted set, member the chat id, score when last opened, seconds). ARGV: chat, now, tier.
_CONVERSATION = """
local now = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - 86400)
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) and
    redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return tostring(tonumber(oldest[2]) + 86400 - now)
end
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('EXPIRE', KEYS[1], 86400 + 60)
return '0'
"""


class RedisRateLimiter(_Slots):
    """The same limits, kept in Redis so every process that sends counts against them: per
    channel a sorted set of the last window's answered messages and one of those in flight,
    the last message per chat, a sorted set per group of the last minute's, a hold after a
    429, and the people reached by a new WhatsApp conversation in the last 24 hours. Taking
    and giving back a slot are each one Lua script, so two processes can never both take the
    last place in a window."""

    def __init__(
        self,
        redis: Redis,
        *,
        prefix: str = "scorebot:limits",
        overall_per_second: int = OVERALL_PER_SECOND,
        overall_window: float = OVERALL_WINDOW,
        chat_interval: float = CHAT_INTERVAL,
        group_per_minute: int = GROUP_PER_MINUTE,
        whatsapp: Channel = WHATSAPP,
        daily_conversations: int = WA_DAILY_TIER,
        flight_lease: float = FLIGHT_LEASE,
        monotonic: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.redis = redis
        self.prefix = prefix
        self.telegram = telegram(overall_per_second, chat_interval, group_per_minute,
                                 overall_window)
        self.whatsapp = whatsapp
        self.daily_conversations = daily_conversations
        self.flight_lease = flight_lease
        self._monotonic = monotonic  # None: Redis's clock
        self._sleep = sleep
        self._acquire = redis.register_script(_ACQUIRE)
        self._release = redis.register_script(_RELEASE)
        self._hold = redis.register_script(_HOLD)
        self._conversation = redis.register_script(_CONVERSATION)
        self._members = (f"{uuid.uuid4().hex}:{n}" for n in itertools.count())

    @classmethod
    def from_url(cls, url: str, **options: object) -> RedisRateLimiter:
        from redis.asyncio import Redis

        # Short socket timeouts: a Redis that hangs must not hold up sending for long.
        redis = Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        return cls(redis, **options)  # type: ignore[arg-type]  # options: the keywords of __init__

    def _now(self) -> str:
        return "" if self._monotonic is None else repr(self._monotonic() * 1000)

    def _keys(self, chat_id: int, channel: Channel) -> list[str]:
        base = self.prefix if channel.name == "tg" else f"{self.prefix}:{channel.name}"
        return [f"{base}:all", f"{base}:flight", f"{self.prefix}:chat:{chat_id}",
                f"{self.prefix}:group:{chat_id}", f"{self.prefix}:hold"]

    def _args(self, ticket: Ticket) -> list[str | int | float]:
        channel = ticket.channel
        return [channel.per_second, channel.chat_interval * 1000, channel.group_per_minute,
                ticket.member, "1" if ticket.chat_id < 0 else "0", self._now(),
                channel.window * 1000, self.flight_lease * 1000]

    async def try_acquire(self, chat_id: int) -> tuple[float, Ticket]:
        """Put a message to `chat_id` in flight and return (0, its ticket) if it may go now;
        else the seconds to wait before asking again (nothing is taken)."""
        channel = self.whatsapp if is_whatsapp_chat(chat_id) else self.telegram
        ticket = Ticket(chat_id, next(self._members), channel, self)
        wait = await self._acquire(keys=self._keys(chat_id, channel), args=self._args(ticket))
        return float(wait) / 1000, ticket

    async def acquire(self, chat_id: int) -> Ticket:
        while True:
            pause, ticket = await self.try_acquire(chat_id)
            if pause <= 0:
                return ticket
            await self._sleep(pause)

    async def release(self, ticket: Ticket) -> None:
        await self._release(keys=self._keys(ticket.chat_id, ticket.channel),
                            args=self._args(ticket))

    async def open_conversation(self, chat_id: int, now: datetime) -> float:
        wait = await self._conversation(
            keys=[f"{self.prefix}:wa:conversations"],
            args=[chat_id, repr(now.timestamp()), self.daily_conversations])
        return float(wait)

    async def pause(self, seconds: float) -> None:
        await self._hold(keys=[f"{self.prefix}:hold"], args=[seconds * 1000, self._now()])

    async def close(self) -> None:
        await self.redis.aclose()


def build_limiter(redis_url: str | None, bot_id: int | None = None, *,
                  daily_conversations: int = WA_DAILY_TIER,
                  recall: Recall | None = None) -> Limiter:
    """Shared through Redis when there is one (Telegram counts per bot, so does the key),
    else kept in this process, the daily tier's count recalled from the database (`recall`)
    when it starts."""
    if redis_url:
        return FallbackLimiter(
            RedisRateLimiter.from_url(redis_url, prefix=f"scorebot:limits:{bot_id}",
                                      daily_conversations=daily_conversations),
            RateLimiter(daily_conversations=daily_conversations, recall=recall))
    return RateLimiter(daily_conversations=daily_conversations, recall=recall)


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


def virtual_limiter(**options: Any) -> tuple[RateLimiter, VirtualTime]:
    """Limits on a virtual clock; `options`: the keywords of RateLimiter."""
    virtual = VirtualTime()
    return RateLimiter(monotonic=virtual.monotonic, sleep=virtual.sleep, **options), virtual


class FallbackLimiter(_Slots):
    """The shared limits while Redis answers; this process's own limits while it does not,
    so sending goes on (within the limits for one process) during a Redis outage. Redis is
    asked again after `retry_seconds`."""

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

    async def acquire(self, chat_id: int) -> Ticket:
        if self._use_shared():
            try:
                return await self.shared.acquire(chat_id)
            except Exception as error:  # Redis down, timing out, restarting
                self._shared_failed(error)
        return await self.local.acquire(chat_id)

    async def release(self, ticket: Ticket) -> None:
        if ticket.owner is self.local:
            await self.local.release(ticket)
            return
        try:
            await self.shared.release(ticket)
        except Exception as error:  # the slot frees itself when its lease ends
            self._shared_failed(error)

    async def open_conversation(self, chat_id: int, now: datetime) -> float:
        if self._use_shared():
            try:
                return await self.shared.open_conversation(chat_id, now)
            except Exception as error:
                self._shared_failed(error)
        return await self.local.open_conversation(chat_id, now)

    async def pause(self, seconds: float) -> None:
        await self.local.pause(seconds)
        if self._use_shared():
            try:
                await self.shared.pause(seconds)
            except Exception as error:
                self._shared_failed(error)

    async def close(self) -> None:
        await self.shared.close()
