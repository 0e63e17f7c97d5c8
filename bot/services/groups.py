"""Consultants' group chats: linking a group to enterprises with a one-time code, unlinking,
and which weekly digests are due.

A code is made in a direct chat by someone who follows the enterprise (a consultant or an
admin), is valid for a day, and works once, only for the person who made it: a code seen by
someone else over a shoulder is useless to them.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import audit
from bot.services.daytime import may_go_now
from bot.services.errors import InvalidValue
from bot.services.kpis import week_of
from bot.services.local_time import local_moment
from storage.models import Enterprise, GroupChat, GroupChatLink, GroupLinkCode, Person

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread
CODE_LENGTH = 8
CODE_VALID = timedelta(hours=24)
DIGEST_WEEKDAY = 1  # Monday
DIGEST_AT = time(8, 0)


async def make_code(session: AsyncSession, enterprise: Enterprise, person: Person,
                    now: datetime) -> GroupLinkCode:
    code = GroupLinkCode(
        code="".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH)),
        enterprise_id=enterprise.id, created_by_id=person.id, created_at=now,
        expires_at=now + CODE_VALID,
    )
    session.add(code)
    await session.flush()
    return code


def normalize_code(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch.isalnum())[:CODE_LENGTH * 2]


async def link(session: AsyncSession, *, code_text: str, person: Person | None, chat_id: int,
               title: str, locale: str, now: datetime) -> Enterprise:
    """Make the group follow the code's enterprise. Raises InvalidValue with code "code"
    (unknown, used, expired or someone else's) or "linked" (already following it)."""
    code = await session.scalar(
        select(GroupLinkCode).where(GroupLinkCode.code == normalize_code(code_text))
        .with_for_update())
    if (code is None or person is None or code.created_by_id != person.id
            or code.used_at is not None or code.expires_at <= now):
        raise InvalidValue("code", "unknown, used, expired or someone else's link code")
    enterprise = await session.get(Enterprise, code.enterprise_id)
    assert enterprise is not None
    group = await session.scalar(select(GroupChat).where(GroupChat.telegram_chat_id == chat_id))
    if group is None:
        # The group's one language: the enterprise's until someone chooses (at /link).
        group = GroupChat(telegram_chat_id=chat_id, title=title[:255],
                          locale=enterprise.default_locale or locale, created_at=now)
        session.add(group)
        await session.flush()
    already = await session.scalar(select(GroupChatLink).where(
        GroupChatLink.group_chat_id == group.id, GroupChatLink.enterprise_id == code.enterprise_id))
    if already is not None:
        raise InvalidValue("linked", "the group already follows this enterprise")
    code.used_at = now
    # The first digest comes next Monday; /status gives the picture now.
    from bot.services.next_due import next_digest_at  # it reads this module's rules

    new = GroupChatLink(group_chat_id=group.id, enterprise_id=enterprise.id,
                        linked_by_id=person.id, linked_at=now,
                        last_digest_week=digest_week_due(enterprise, now))
    new.next_digest_at = next_digest_at(new, enterprise, now)
    session.add(new)
    audit.record(session, "group.link", actor_id=person.id, enterprise_id=enterprise.id,
                 subject="group_chat", subject_id=chat_id)
    return enterprise


async def linked_enterprises(session: AsyncSession, chat_id: int) -> list[Enterprise]:
    return list(await session.scalars(
        select(Enterprise)
        .join(GroupChatLink, GroupChatLink.enterprise_id == Enterprise.id)
        .join(GroupChat, GroupChat.id == GroupChatLink.group_chat_id)
        .where(GroupChat.telegram_chat_id == chat_id)
        .order_by(Enterprise.name)))


async def unlink(session: AsyncSession, chat_id: int, enterprise_ids: set[int],
                 person: Person) -> list[Enterprise]:
    """Stop the group following those of `enterprise_ids` it follows; returns them."""
    gone = [e for e in await linked_enterprises(session, chat_id) if e.id in enterprise_ids]
    if gone:
        group_id = select(GroupChat.id).where(GroupChat.telegram_chat_id == chat_id)
        await session.execute(delete(GroupChatLink).where(
            GroupChatLink.group_chat_id.in_(group_id.scalar_subquery()),
            GroupChatLink.enterprise_id.in_([e.id for e in gone])))
        for enterprise in gone:
            audit.record(session, "group.unlink", actor_id=person.id,
                         enterprise_id=enterprise.id, subject="group_chat", subject_id=chat_id)
    return gone


async def forget_group(session: AsyncSession, chat_id: int) -> None:
    """The bot left or was removed from the group: it follows nothing any more."""
    await session.execute(delete(GroupChat).where(GroupChat.telegram_chat_id == chat_id))


async def set_group_locale(session: AsyncSession, chat_id: int, locale: str, *,
                           actor_id: int | None = None) -> None:
    """The language the bot speaks in a group, for everyone there (replies and digests)."""
    from bot.languages import validate_locale_id

    await session.execute(update(GroupChat).where(GroupChat.telegram_chat_id == chat_id)
                          .values(locale=validate_locale_id(locale)))
    audit.record(session, "group.language", actor_id=actor_id, subject="group_chat",
                 subject_id=chat_id, locale=locale)


async def group_locale(session: AsyncSession, chat_id: int) -> str | None:
    """The language chosen for a linked group, or None for a group the bot does not know."""
    return await session.scalar(select(GroupChat.locale).where(
        GroupChat.telegram_chat_id == chat_id))


async def may_manage_group(session: AsyncSession, chat_id: int,
                           followed: set[int]) -> bool:
    """Whether someone who follows `followed` enterprises may change this group's settings:
    the group must follow one of them."""
    return any(e.id in followed for e in await linked_enterprises(session, chat_id))


def digest_week_due(enterprise: Enterprise, now: datetime) -> date | None:
    """The week (its Monday) whose digest is due: from Monday 08:00 local time on, covering
    the seven days before."""
    monday = week_of(now.astimezone(ZoneInfo(enterprise.timezone)).date())
    starts = digest_starts(enterprise, monday)
    if now < starts:
        return None
    # Late (the bot was down), it waits for working daytime.
    return monday if may_go_now(starts, now, enterprise.timezone) else None


def digest_starts(enterprise: Enterprise, monday: date) -> datetime:
    """When a week's digest is due (UTC)."""
    return local_moment(monday, DIGEST_AT, enterprise.timezone)


async def links_due(session: AsyncSession, now: datetime) -> list[
    tuple[GroupChatLink, GroupChat, Enterprise]
]:
    """The links whose next digest moment has come (`next_digest_at`, indexed), locked until
    the scan commits."""
    from bot.services.next_due import due  # it reads this module's rules

    rows = await session.execute(
        select(GroupChatLink, GroupChat, Enterprise)
        .join(GroupChat, GroupChat.id == GroupChatLink.group_chat_id)
        .join(Enterprise, Enterprise.id == GroupChatLink.enterprise_id)
        .where(due(session, GroupChatLink.next_digest_at, now))
        .order_by(GroupChatLink.id).with_for_update(of=GroupChatLink))
    return [(link_row, group, enterprise) for link_row, group, enterprise in rows]


def digest_due(link_row: GroupChatLink, enterprise: Enterprise, now: datetime) -> date | None:
    """The week whose digest this link should get now, or None."""
    week = digest_week_due(enterprise, now)
    if week is not None and (link_row.last_digest_week is None
                             or link_row.last_digest_week < week):
        return week
    return None


async def follow_migration(session: AsyncSession, old_chat_id: int, new_chat_id: int) -> None:
    """The group became a supergroup with a new chat id: it keeps its links, and whatever
    is still waiting in the outbox for it goes to the new chat."""
    from bot.services.outbox import move_chat  # the outbox knows nothing of groups

    existing = await session.scalar(
        select(GroupChat).where(GroupChat.telegram_chat_id == new_chat_id))
    if existing is None:
        await session.execute(update(GroupChat).where(GroupChat.telegram_chat_id == old_chat_id)
                              .values(telegram_chat_id=new_chat_id))
    else:  # both ids known (the service message and a refused send raced): keep the new one
        old = await session.scalar(
            select(GroupChat).where(GroupChat.telegram_chat_id == old_chat_id))
        if old is not None:
            kept = set(await session.scalars(select(GroupChatLink.enterprise_id).where(
                GroupChatLink.group_chat_id == existing.id)))
            await session.execute(
                update(GroupChatLink)
                .where(GroupChatLink.group_chat_id == old.id,
                       GroupChatLink.enterprise_id.not_in(kept))
                .values(group_chat_id=existing.id))
            await session.execute(delete(GroupChat).where(GroupChat.id == old.id))
    await move_chat(session, old_chat_id, new_chat_id)
