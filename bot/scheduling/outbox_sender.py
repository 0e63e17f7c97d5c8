"""Delivers outbox messages to Telegram, whatever Telegram or a proxy in front of it answers.

Every answer is one of three things:

- **the message is done**: sent; refused for good (400: it would never pass, marked failed
  and logged); or the person blocked the bot (403: they are marked, and every message still
  waiting for them is dropped);
- **the message goes elsewhere**: the group became a supergroup (400 with
  `migrate_to_chat_id`): the group and every message waiting for it move to the new chat id,
  and the message is sent again there at once;
- **the whole sender pauses** (a circuit breaker): a 429 for `retry_after` seconds; a 5xx, an
  HTML error page from a proxy, a network error or a request that timed out for a pause that
  doubles while the fault lasts (from `BREAKER_FIRST` up to `OUTBOX_PAUSE_MAX_SECONDS`) and
  ends at the first message that goes through. During an outage the sender tries one message
  per pause, not every message five times, so nothing is given up because Telegram was away.

Anything else (a bug, an unexpected exception) is retried later for that one message. A
message expires only by age: one still not delivered `OUTBOX_MAX_AGE_HOURS` after it was
queued is marked failed and logged.

Each row is updated in its own transaction right after its call. What was claimed and not
sent is given back in a `finally`, at once, whatever happened; if even that fails (the
database is away) it is given back at the next run. A request that breaks after Telegram took
the message (the connection drops, or our timeout fires) cannot be told from one Telegram
never saw: that one message is sent again. This is the only duplicate the outbox allows.

Every request has a short timeout (`TELEGRAM_REQUEST_TIMEOUT`), so a request that hangs holds
up sending for those few seconds only. With `OUTBOX_CONCURRENCY` above 1, several chats are
served at once (each chat's messages still in order) and a hanging request holds up only its
own chat; the price is that a crash may then re-send one message per chat in flight, not one.

Several processes may send at once (PostgreSQL): a sender first claims a batch of rows
(`SELECT ... FOR UPDATE SKIP LOCKED`, then `claimed_until` set in the same transaction), so
two senders never take the same row. A sender that dies leaves its claimed rows to the
others once `claimed_until` has passed; a live sender stops working through its batch well
before then and gives back what is left. With one process (SQLite, which refuses a second
process: `storage.single_process`), claims left by its own crash are released when it starts
again (`release_claims`).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNotFound,
    TelegramRetryAfter,
)
from aiogram.types import InlineKeyboardMarkup, Message
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.whatsapp.ids import is_whatsapp_chat
from bot.clock import Clock
from bot.scheduling.rate_limit import Limiter, RateLimiter, Ticket
from bot.services.groups import follow_migration
from bot.services.outbox import delivered_values, sending_kind
from storage.models import OutboxMessage, OutboxStatus, Person

log = logging.getLogger(__name__)

BATCH = 50
# The place in the limits taken for the message being sent (each chat is served in a task of
# its own), given back as soon as its answer is in.
_slot: contextvars.ContextVar[Ticket | None] = contextvars.ContextVar("outbox_slot",
                                                                      default=None)
# After CLAIM_LEASE a claimed row is free again (OUTBOX_CLAIM_SECONDS); a live sender sends
# nothing from its claim in the second half of the lease, and gives the rest back.
CLAIM_LEASE = timedelta(minutes=2)
MAX_AGE = timedelta(hours=24)  # OUTBOX_MAX_AGE_HOURS
REQUEST_TIMEOUT = 10.0  # seconds, TELEGRAM_REQUEST_TIMEOUT
CONCURRENCY = 1  # chats served at once, OUTBOX_CONCURRENCY
WA_CONCURRENCY = 8  # WhatsApp people served at once (at least OUTBOX_CONCURRENCY)
BREAKER_FIRST = 1.0  # seconds of the first pause after a 5xx or a network error
BREAKER_MAX = 60.0  # OUTBOX_PAUSE_MAX_SECONDS


def backoff(attempts: int) -> timedelta:
    """How long one message waits after its own failed try (an outage pauses everything
    besides, see `OutboxSender`)."""
    return timedelta(seconds=min(5 * 2 ** (attempts - 1), 300))


class _Batch:
    """What one run through a claimed batch did."""

    def __init__(self) -> None:
        self.sent = 0
        self.finished: set[int] = set()  # rows written (sent, failed, retried, moved)
        self.stopped = False  # a pause or the end of the lease: nobody starts a new send
        self.moved = False


class OutboxSender:
    """Sends due outbox rows, several chats at once, pausing everything while Telegram (or
    the way to it) is down or asks the bot to slow down."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        bot: Bot,
        clock: Clock,
        limiter: Limiter | None = None,
        claim_lease: timedelta = CLAIM_LEASE,
        *,
        max_age: timedelta = MAX_AGE,
        request_timeout: float = REQUEST_TIMEOUT,
        concurrency: int = CONCURRENCY,
        whatsapp_concurrency: int = WA_CONCURRENCY,
        breaker_first: float = BREAKER_FIRST,
        breaker_max: float = BREAKER_MAX,
    ) -> None:
        self.session_factory = session_factory
        self.claim_lease = claim_lease
        self.bot = bot
        self.clock = clock
        self.limiter = limiter or RateLimiter()
        self.max_age = max_age
        self.request_timeout = request_timeout
        self.concurrency = max(1, concurrency)
        self.whatsapp_concurrency = max(1, whatsapp_concurrency)
        self.breaker_first = breaker_first
        self.breaker_max = breaker_max
        self.hold_until: datetime | None = None
        self.faults_in_a_row = 0
        self._outage_rows: set[int] = set()  # rows that met the fault while the way was down
        self._not_given_back: list[tuple[list[int], datetime]] = []

    async def send_pending(self) -> int:
        """Send what is due, batch after batch while batches come back full (so a big wave
        goes out at the full rate, not one batch per run); returns how many went out."""
        await self._give_back_leftovers()
        await self._expire(self.clock.now())
        sent, moves = 0, 0
        while True:
            now = self.clock.now()
            if self.hold_until is not None and now < self.hold_until:
                return sent
            lease = now + self.claim_lease
            due = await self._claim(now, lease)
            batch = await self._send_batch(due, lease)
            sent += batch.sent
            moves += batch.moved
            if batch.stopped or (len(due) < BATCH and not (batch.moved and moves <= 3)):
                return sent

    async def _send_batch(self, due: list[OutboxMessage], lease: datetime) -> _Batch:
        batch = _Batch()
        if not due:
            return batch
        by_chat: dict[int, list[OutboxMessage]] = {}
        for message in due:
            by_chat.setdefault(message.chat_id, []).append(message)
        chats = list(by_chat.values())
        chats.reverse()  # popped from the end: the oldest first
        # WhatsApp people are served WA_CONCURRENCY at a time (each request still holds its
        # slot in the limits until its answer); Telegram chats `concurrency` at a time.
        pools = [[c for c in chats if not is_whatsapp_chat(c[0].chat_id)],
                 [c for c in chats if is_whatsapp_chat(c[0].chat_id)]]
        workers = [self.concurrency, max(self.concurrency, self.whatsapp_concurrency)]
        if self.faults_in_a_row:  # after a fault, one message tests the way first
            pools, workers = [chats], [1]

        async def serve(pool: list[list[OutboxMessage]]) -> None:
            while pool and not batch.stopped:
                await self._serve_chat(pool.pop(), lease, batch)

        ahead = getattr(self.bot.session, "ahead", None)  # WhatsApp: contacts read at once
        try:
            async with (ahead([m.chat_id for m in due]) if ahead is not None
                        else contextlib.nullcontext()), asyncio.TaskGroup() as group:
                for pool, count in zip(pools, workers, strict=True):
                    for _ in range(min(count, len(pool))):
                        group.create_task(serve(pool))
        finally:
            await self._release([m.id for m in due if m.id not in batch.finished], lease)
        return batch

    async def _serve_chat(self, messages: list[OutboxMessage], lease: datetime,
                          batch: _Batch) -> None:
        """One chat's messages, in order; the rest of them wait when one does not go."""
        for message in messages:
            if batch.stopped:
                return
            if is_whatsapp_chat(message.chat_id) and not await self._may_open(message):
                batch.finished.add(message.id)
                return  # the chat's later messages wait with it
            ticket = await self.limiter.acquire(message.chat_id)
            try:
                if batch.stopped:
                    return
                if self.clock.now() >= lease - self.claim_lease / 2:
                    batch.stopped = True  # too slow: let other senders have the rest
                    return
                slot = _slot.set(ticket)
                try:
                    outcome = await self._send_one(message)
                finally:
                    _slot.reset(slot)
            finally:
                await self._give_back(ticket)
            batch.finished.add(message.id)
            if outcome == "sent":
                batch.sent += 1
                continue
            if outcome == "blocked":
                batch.finished.update(m.id for m in messages)  # dropped with the chat
            elif outcome == "pause":
                batch.stopped = True
            elif outcome == "moved":
                batch.moved = True  # the chat's messages go out from the new id next round
            return  # failed or retried: later messages to this chat wait for the next run

    async def _give_back(self, ticket: Ticket) -> None:
        """The message's request is answered: its slot in the limits counts from now (at
        once, before the row is written, and once only)."""
        try:
            await self.limiter.release(ticket)
        except Exception as error:  # the slot frees itself when its lease ends
            log.warning("could not give back a sending slot: %s", error)

    async def _may_open(self, message: OutboxMessage) -> bool:
        """A message to a WhatsApp person whose 24-hour window is closed opens a
        business-initiated conversation (a template goes): within the daily tier it is
        counted and goes; beyond it, it waits until the tier has room again (about a day),
        queued again for then: its age (`max_age`) counts from then. The log names the
        outbox row and its kind, never the person."""
        window_closed = getattr(self.bot.session, "window_closed", None)
        if window_closed is None or not await window_closed(message.chat_id):
            return True
        now = self.clock.now()
        wait = await self.limiter.open_conversation(message.chat_id, now)
        if wait <= 0:
            return True
        later = now + timedelta(seconds=wait)
        log.warning("WhatsApp daily tier of new conversations reached: outbox %s (%s) waits "
                    "until %s", message.id, message.kind, later.isoformat(timespec="minutes"))
        async with self.session_factory() as session, session.begin():
            await session.execute(
                update(OutboxMessage).where(OutboxMessage.id == message.id)
                .values(send_after=later, created_at=later, claimed_until=None))
        return False

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

    async def _expire(self, now: datetime) -> None:
        """Messages queued more than `max_age` ago and still not delivered are given up."""
        hours = self.max_age.total_seconds() / 3600
        async with self.session_factory() as session, session.begin():
            result = await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.status == OutboxStatus.PENDING,
                       OutboxMessage.created_at <= now - self.max_age,
                       or_(OutboxMessage.claimed_until.is_(None),
                           OutboxMessage.claimed_until <= now))
                .values(status=OutboxStatus.FAILED, claimed_until=None,
                        last_error=f"expired: not delivered within {hours:g} h")
                .execution_options(synchronize_session=False)
            )
        expired = getattr(result, "rowcount", 0) or 0
        if expired:
            log.error("%s outbox messages expired undelivered after %g h", expired, hours)

    async def release_claims(self) -> None:
        """Free every claim: only for a process that knows it is the only sender (SQLite,
        once it holds the database's lock file)."""
        async with self.session_factory() as session, session.begin():
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.status == OutboxStatus.PENDING,
                       OutboxMessage.claimed_until.is_not(None))
                .values(claimed_until=None))

    async def _release(self, ids: list[int], lease: datetime) -> None:
        """Give back rows claimed until `lease` and not sent; kept for the next run when the
        database cannot be reached now."""
        if not ids:
            return
        try:
            await self._release_now(ids, lease)
        except Exception as error:
            log.warning("could not give back %s outbox messages (%s); will retry", len(ids),
                        error)
            self._not_given_back.append((ids, lease))

    async def _release_now(self, ids: Iterable[int], lease: datetime) -> None:
        async with self.session_factory() as session, session.begin():
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(list(ids)),
                       OutboxMessage.claimed_until == lease)
                .values(claimed_until=None)
            )

    async def _give_back_leftovers(self) -> None:
        while self._not_given_back:
            ids, lease = self._not_given_back[0]
            await self._release_now(ids, lease)  # the database still away: the run stops
            self._not_given_back.pop(0)

    async def _deliver(self, message: OutboxMessage,
                       markup: InlineKeyboardMarkup | None) -> Message:
        caption = message.text or None
        timeout = self.request_timeout
        if message.media_kind == "photo":
            return await self.bot.send_photo(message.chat_id, message.media_file_id or "",
                                             caption=caption, reply_markup=markup,
                                             request_timeout=timeout)  # type: ignore[arg-type]  # aiogram types it int; float works
        if message.media_kind == "voice":
            return await self.bot.send_voice(message.chat_id, message.media_file_id or "",
                                             caption=caption, reply_markup=markup,
                                             request_timeout=timeout)  # type: ignore[arg-type]  # aiogram types it int; float works
        return await self.bot.send_message(message.chat_id, message.text, reply_markup=markup,
                                           request_timeout=timeout)  # type: ignore[arg-type]  # aiogram types it int; float works

    async def _pause(self, seconds: float) -> datetime:
        """Nothing is sent by this process for `seconds`, nor by the others sharing the
        limiter."""
        until = self.clock.now() + timedelta(seconds=seconds)
        self.hold_until = max(until, self.hold_until or until)
        try:
            await self.limiter.pause(seconds)
        except Exception as error:  # the limits' store is away; this process still pauses
            log.warning("could not share the pause: %s", error)
        return self.hold_until

    async def _send_one(self, message: OutboxMessage) -> str:
        markup = (
            InlineKeyboardMarkup.model_validate(message.reply_markup)
            if message.reply_markup
            else None
        )
        values: dict[str, object]
        outcome = "sent"
        kind = sending_kind.set(message.kind)  # a WhatsApp template chosen by kind
        try:
            try:
                result = await self._deliver(message, markup)
            finally:
                sending_kind.reset(kind)
                if (ticket := _slot.get()) is not None:
                    await self._give_back(ticket)  # the answer is in: the slot counts from now
            # Delivered: the words are Telegram's to keep now, not ours. Clearing them means no
            # delivered message in the database names anybody (README "Security and privacy").
            values = {"status": OutboxStatus.SENT, "sent_at": self.clock.now(),
                      "telegram_message_id": result.message_id,
                      **delivered_values(message.kind)}
            await self._way_is_back()
        except TelegramRetryAfter as error:
            values = {"send_after": await self._pause(error.retry_after)}
            outcome = "pause"
            log.warning("Telegram asks to wait %ss (outbox %s)", error.retry_after, message.id)
        except TelegramMigrateToChat as error:
            log.info("chat %s became %s; its messages follow it", message.chat_id,
                     error.migrate_to_chat_id)
            async with self.session_factory() as session, session.begin():
                await follow_migration(session, message.chat_id, error.migrate_to_chat_id)
                await session.execute(
                    update(OutboxMessage).where(OutboxMessage.id == message.id)
                    .values(chat_id=error.migrate_to_chat_id, claimed_until=None,
                            send_after=self.clock.now()))
            return "moved"
        except TelegramForbiddenError:
            await _person_blocked_us(self.session_factory, message)
            return "blocked"
        except (TelegramBadRequest, TelegramNotFound, TelegramEntityTooLarge) as error:
            values = {"status": OutboxStatus.FAILED, "last_error": error.message[:300]}
            outcome = "failed"
            log.error("outbox %s (%s) refused by Telegram: %s", message.id, message.kind,
                      error.message)
        except Exception as error:  # every other answer is retried
            # 5xx, an HTML page from a proxy (ClientDecodeError), a broken connection, a
            # timeout, 401/409 while the token is sorted out: the way to Telegram is down,
            # so the whole sender pauses. Anything else is a fault of ours: logged in full.
            attempts = message.attempts + 1
            values = {"attempts": attempts,
                      "last_error": f"{type(error).__name__}: {_first_line(error)}"[:300],
                      "send_after": self.clock.now() + backoff(attempts)}
            if _is_way_down(error):
                self.faults_in_a_row += 1
                self._outage_rows.add(message.id)
                pause = min(self.breaker_first * 2 ** (self.faults_in_a_row - 1),
                            self.breaker_max)
                await self._pause(pause)
                outcome = "pause"
                log.warning("Telegram unreachable (%s: %s); sending paused %.1fs",
                            type(error).__name__, _first_line(error), pause)
            else:
                outcome = "retry"
                log.exception("outbox %s could not be sent; retried later", message.id)
        values["claimed_until"] = None
        async with self.session_factory() as session, session.begin():
            await session.execute(
                update(OutboxMessage).where(OutboxMessage.id == message.id).values(**values)
            )
        return outcome


    async def _way_is_back(self) -> None:
        """A message went through after faults. After an outage (two faults in a row or
        more), the messages that met it go again at once instead of waiting out their own
        backoff; after a single fault (perhaps that message's own) they keep their backoff."""
        rows, self._outage_rows = self._outage_rows, set()
        outage, self.faults_in_a_row = self.faults_in_a_row >= 2, 0
        if outage and rows:
            log.info("Telegram reachable again; %s messages that met the outage go now",
                     len(rows))
            async with self.session_factory() as session, session.begin():
                await session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id.in_(rows),
                           OutboxMessage.status == OutboxStatus.PENDING)
                    .values(send_after=self.clock.now()))


def _first_line(error: Exception) -> str:
    return (str(error).splitlines() or [""])[0][:200]


def _is_way_down(error: Exception) -> bool:
    from aiogram.exceptions import ClientDecodeError, TelegramAPIError

    return isinstance(error, TelegramAPIError | ClientDecodeError | OSError | TimeoutError)


async def _person_blocked_us(session_factory: async_sessionmaker[AsyncSession],
                            message: OutboxMessage) -> None:
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
