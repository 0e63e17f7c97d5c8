"""Delivers outbox messages to Telegram.

- A 429 answer: the message waits `retry_after` seconds, and the batch stops (Telegram asks
  the whole bot to slow down).
- A 403 answer: the person blocked the bot; they are marked, and nothing more is sent to them.
- Telegram refusing the message itself (400): marked failed and logged; it would never pass.
- Network and server errors: retried with growing pauses, then marked failed.
Each row is updated in its own transaction right after its call, so a crash re-sends at most
the one message that was in flight.

Several processes may send at once (PostgreSQL): a sender first claims a batch of rows
(`SELECT ... FOR UPDATE SKIP LOCKED`, then `claimed_until` set in the same transaction), so
two senders never take the same row. A sender that dies leaves its claimed rows to the
others once `claimed_until` has passed; a live sender stops working through its batch well
before then and gives back what is left. With one process (SQLite), claims left by a crash
are released when the process starts again (`release_claims`).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import InlineKeyboardMarkup
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.scheduling.rate_limit import Limiter, RateLimiter
from storage.models import OutboxMessage, OutboxStatus, Person

log = logging.getLogger(__name__)

# What a delivered row keeps of its message: nothing a person could be read from. An alert to
# consultants keeps its buttons (their data names the stall, their labels are fixed words), so
# an answer given in one chat can take the buttons off the other copies.
DELIVERED_CLEARED: dict[str, object] = {"text": "", "reply_markup": None, "media_file_id": None}
KEEPS_BUTTONS = frozenset({"escalation"})

MAX_ATTEMPTS = 5
BATCH = 50
# After CLAIM_LEASE a claimed row is free again (OUTBOX_CLAIM_SECONDS); a live sender sends
# nothing from its claim in the second half of the lease, and gives the rest back.
CLAIM_LEASE = timedelta(minutes=2)


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(5 * 2 ** (attempts - 1), 600))


class OutboxSender:
    """Sends due outbox rows. When Telegram answers 429, every send waits `retry_after`:
    flood control applies to the whole bot, not to one message."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        bot: Bot,
        clock: Clock,
        limiter: Limiter | None = None,
        claim_lease: timedelta = CLAIM_LEASE,
    ) -> None:
        self.session_factory = session_factory
        self.claim_lease = claim_lease
        self.bot = bot
        self.clock = clock
        self.limiter = limiter or RateLimiter()
        self.hold_until: datetime | None = None

    async def send_pending(self) -> int:
        """Send what is due, batch after batch while batches come back full (so a big wave
        goes out at the full rate, not one batch per run); returns how many went out."""
        sent = 0
        while True:
            now = self.clock.now()
            if self.hold_until is not None and now < self.hold_until:
                return sent
            lease = now + self.claim_lease
            due = await self._claim(now, lease)
            count, finished = await self._send_batch(due, lease)
            sent += count
            if not finished or len(due) < BATCH:
                return sent

    async def _send_batch(self, due: list[OutboxMessage], lease: datetime) -> tuple[int, bool]:
        """Send claimed rows; returns how many went out and whether the batch was finished
        (not cut short by a 429 or by the end of the lease)."""
        sent = 0
        blocked: set[int] = set()
        for position, message in enumerate(due):
            if message.chat_id in blocked:
                continue  # already dropped with the rest of that chat's messages
            await self.limiter.wait(message.chat_id)
            if self.clock.now() >= lease - self.claim_lease / 2:
                await self._release(due[position:], lease)  # too slow: let others have them
                return sent, False
            outcome = await self._send_one(message)
            if outcome == "slow down":
                await self._release(due[position + 1:], lease)
                return sent, False
            if outcome == "blocked":
                blocked.add(message.chat_id)
            sent += outcome == "sent"
        return sent, True

    async def _claim(self, now: datetime, lease: datetime) -> list[OutboxMessage]:
        """Take up to BATCH due rows that no other sender holds, until `lease`."""
        async with self.session_factory() as session, session.begin():
            due = list(
                await session.scalars(
                    select(OutboxMessage)
                    .where(OutboxMessage.status == OutboxStatus.PENDING,
                           OutboxMessage.send_after <= now,
                           or_(OutboxMessage.claimed_until.is_(None),
                               OutboxMessage.claimed_until <= now))
                    .order_by(OutboxMessage.id)
                    .limit(BATCH)
                    .with_for_update(skip_locked=True)
                )
            )
            if due:
                await session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id.in_([m.id for m in due]))
                    .values(claimed_until=lease)
                )
        return due

    async def release_claims(self) -> None:
        """Free every claim: only for a process that knows it is the only sender."""
        async with self.session_factory() as session, session.begin():
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.status == OutboxStatus.PENDING,
                       OutboxMessage.claimed_until.is_not(None))
                .values(claimed_until=None))

    async def _release(self, messages: list[OutboxMessage], lease: datetime) -> None:
        if not messages:
            return
        async with self.session_factory() as session, session.begin():
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_([m.id for m in messages]),
                       OutboxMessage.claimed_until == lease)
                .values(claimed_until=None)
            )

    async def _deliver(self, message: OutboxMessage, markup: InlineKeyboardMarkup | None):  # type: ignore[no-untyped-def]
        caption = message.text or None
        if message.media_kind == "photo":
            return await self.bot.send_photo(message.chat_id, message.media_file_id or "",
                                             caption=caption, reply_markup=markup)
        if message.media_kind == "voice":
            return await self.bot.send_voice(message.chat_id, message.media_file_id or "",
                                             caption=caption, reply_markup=markup)
        return await self.bot.send_message(message.chat_id, message.text, reply_markup=markup)

    async def _send_one(self, message: OutboxMessage) -> str:
        markup = (
            InlineKeyboardMarkup.model_validate(message.reply_markup)
            if message.reply_markup
            else None
        )
        values: dict[str, object]
        outcome = "sent"
        try:
            result = await self._deliver(message, markup)
            # Delivered: the words are Telegram's to keep now, not ours. Clearing them means no
            # delivered message in the database names anybody (README "Security and privacy").
            values = {"status": OutboxStatus.SENT, "sent_at": self.clock.now(),
                      "telegram_message_id": result.message_id, **DELIVERED_CLEARED}
            if message.kind in KEEPS_BUTTONS:
                values.pop("reply_markup")
        except TelegramRetryAfter as error:
            self.hold_until = self.clock.now() + timedelta(seconds=error.retry_after)
            await self.limiter.pause(error.retry_after)  # every process slows down
            values = {"send_after": self.hold_until}
            outcome = "slow down"
            log.warning("Telegram asks to wait %ss (outbox %s)", error.retry_after, message.id)
        except TelegramForbiddenError:
            await _person_blocked_us(self.session_factory, message)
            return "blocked"
        except TelegramBadRequest as error:
            values = {"status": OutboxStatus.FAILED, "last_error": error.message[:300]}
            outcome = "failed"
            log.error("outbox %s (%s) refused by Telegram: %s", message.id, message.kind,
                      error.message)
        except (TelegramNetworkError, TelegramServerError) as error:
            attempts = message.attempts + 1
            outcome = "retry"
            values = {"attempts": attempts, "last_error": str(error)[:300]}
            if attempts >= MAX_ATTEMPTS:
                values["status"] = OutboxStatus.FAILED
                log.error("outbox %s failed after %s attempts: %s", message.id, attempts, error)
            else:
                values["send_after"] = self.clock.now() + backoff(attempts)
        values["claimed_until"] = None
        async with self.session_factory() as session, session.begin():
            await session.execute(
                update(OutboxMessage).where(OutboxMessage.id == message.id).values(**values)
            )
        return outcome


async def _person_blocked_us(session_factory, message: OutboxMessage) -> None:  # type: ignore[no-untyped-def]
    log.info("chat %s blocked the bot; dropping its messages", message.chat_id)
    async with session_factory() as session, session.begin():
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.chat_id == message.chat_id,
                   OutboxMessage.status == OutboxStatus.PENDING)
            .values(status=OutboxStatus.DROPPED, last_error="blocked by the person")
        )
        if message.person_id is not None:
            await session.execute(
                update(Person).where(Person.id == message.person_id).values(blocked_bot=True)
            )
