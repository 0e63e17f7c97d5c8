"""Telegram's sending limits for messages the bot sends on its own: about 30 a second
overall, 1 a second to one chat, and 20 a minute to one group. The outbox sender waits here
before each message, so bursts (a lesson wave to a whole enterprise) are spread out instead
of being refused with 429.

The limits are kept in this process; several processes share them through Redis (issue 7).
Time and sleeping are injectable, so the rules are tested without waiting.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable

OVERALL_PER_SECOND = 30
CHAT_INTERVAL = 1.0  # seconds between two messages to one chat
GROUP_PER_MINUTE = 20


class RateLimiter:
    def __init__(
        self,
        *,
        overall_per_second: int = OVERALL_PER_SECOND,
        chat_interval: float = CHAT_INTERVAL,
        group_per_minute: int = GROUP_PER_MINUTE,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.overall_per_second = overall_per_second
        self.chat_interval = chat_interval
        self.group_per_minute = group_per_minute
        self._monotonic = monotonic
        self._sleep = sleep
        self._recent: deque[float] = deque()  # send times within the last second
        self._last_by_chat: dict[int, float] = {}
        self._group_recent: defaultdict[int, deque[float]] = defaultdict(deque)

    def delay(self, chat_id: int, now: float) -> float:
        """Seconds to wait before a message to `chat_id` may go (0 when it may go now)."""
        while self._recent and self._recent[0] <= now - 1.0:
            self._recent.popleft()
        waits = [0.0]
        if len(self._recent) >= self.overall_per_second:
            waits.append(self._recent[0] + 1.0 - now)
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
