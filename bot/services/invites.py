"""Invites: deep-link tokens that let people join an enterprise with a role.

A token is redeemed at most `remaining_uses` times, never after it expires, and never twice by
the same person. The use count is decremented by a conditional UPDATE, so two people pressing
the last use at the same moment cannot both get in.
"""

from __future__ import annotations

import enum
import io
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import qrcode
import qrcode.constants
from qrcode.image.pure import PyPNGImage
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.clock import Clock
from bot.limits import DEEP_LINK_PAYLOAD_MAX
from bot.services import audit
from bot.services.errors import InvalidValue
from bot.services.people import Identity, ensure_person, load_person
from bot.services.permissions import TEAM_ROLES
from storage.models import Enterprise, Invite, Membership, Person, Role, Team

# Telegram deep-link payloads: 1-64 characters of A-Z, a-z, 0-9, _ and -.
TOKEN_PATTERN = re.compile(rf"^[A-Za-z0-9_-]{{1,{DEEP_LINK_PAYLOAD_MAX}}}$")
MAX_USES = 1000
MAX_DAYS = 365
DEFAULT_DAYS = 14


def new_token() -> str:
    # 16 random bytes: 22 URL-safe characters, unguessable, short enough for a QR code.
    return secrets.token_urlsafe(16)


async def create_invite(
    session: AsyncSession,
    *,
    enterprise: Enterprise,
    team: Team | None,
    role: Role,
    clock: Clock,
    uses: int = 1,
    days: int = DEFAULT_DAYS,
    created_by: Person | None = None,
    actor_label: str = "",
) -> Invite:
    if not 1 <= uses <= MAX_USES:
        raise InvalidValue("uses", f"uses must be between 1 and {MAX_USES}")
    if not 1 <= days <= MAX_DAYS:
        raise InvalidValue("days", f"days must be between 1 and {MAX_DAYS}")
    if role in TEAM_ROLES and team is None:
        raise InvalidValue("team", f"a {role.value} invite needs a team")
    if role not in TEAM_ROLES and team is not None:
        raise InvalidValue("team", f"a {role.value} belongs to the enterprise, not to a team")
    if team is not None and team.enterprise_id != enterprise.id:
        raise InvalidValue("team", f"team {team.name!r} is not part of {enterprise.name}")
    invite = Invite(
        token=new_token(),
        enterprise_id=enterprise.id,
        team_id=team.id if team else None,
        role=role,
        expires_at=clock.now() + timedelta(days=days),
        remaining_uses=uses,
        created_by_id=created_by.id if created_by else None,
    )
    session.add(invite)
    await session.flush()
    audit.record(
        session,
        "invite.create",
        actor_id=created_by.id if created_by else None,
        actor_label=actor_label,
        enterprise_id=enterprise.id,
        subject="invite",
        subject_id=invite.id,
        role=role.value,
        team_id=invite.team_id,
        uses=uses,
        days=days,
    )
    return invite


class Outcome(enum.StrEnum):
    JOINED = "joined"
    ALREADY_MEMBER = "already_member"
    UNKNOWN = "unknown"  # garbled, mistyped or never issued
    EXPIRED = "expired"
    USED_UP = "used_up"


@dataclass(frozen=True, slots=True)
class Redemption:
    outcome: Outcome
    person: Person | None = None
    membership: Membership | None = None
    expired_at: datetime | None = None


async def redeem(
    session: AsyncSession, token: str, identity: Identity, *, clock: Clock
) -> Redemption:
    """Join the invite's enterprise. Writes nothing unless the person joins."""
    if not TOKEN_PATTERN.match(token):
        return Redemption(Outcome.UNKNOWN)
    invite = await session.scalar(
        select(Invite)
        .where(Invite.token == token)
        .options(selectinload(Invite.enterprise), selectinload(Invite.team))
    )
    if invite is None:
        return Redemption(Outcome.UNKNOWN)

    person = await load_person(session, identity.telegram_id)
    existing = person and next(
        (m for m in person.memberships if m.enterprise_id == invite.enterprise_id), None
    )
    if existing:
        # Never change a role through an invite: a manager tapping a worker poster stays manager.
        return Redemption(Outcome.ALREADY_MEMBER, person, existing)
    if invite.expires_at <= clock.now():
        return Redemption(Outcome.EXPIRED, person, expired_at=invite.expires_at)

    claimed = await session.execute(
        update(Invite)
        .where(Invite.id == invite.id, Invite.remaining_uses > 0)
        .values(remaining_uses=Invite.remaining_uses - 1)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]  # an UPDATE's result has it
        return Redemption(Outcome.USED_UP, person)
    person = person or await ensure_person(session, identity)

    membership = Membership(
        person_id=person.id,
        enterprise_id=invite.enterprise_id,
        team_id=invite.team_id,
        role=invite.role,
        enterprise=invite.enterprise,
        team=invite.team,
    )
    session.add(membership)
    person.memberships.append(membership)
    await session.flush()
    audit.record(
        session,
        "membership.join",
        actor_id=person.id,
        enterprise_id=invite.enterprise_id,
        subject="membership",
        subject_id=membership.id,
        invite_id=invite.id,
        role=invite.role.value,
        team_id=invite.team_id,
    )
    return Redemption(Outcome.JOINED, person, membership)


def deep_link(bot_username: str, token: str) -> str:
    return f"https://t.me/{bot_username.lstrip('@')}?start={token}"


def whatsapp_link(number: str, token: str) -> str:
    """The wa.me link that opens a chat with the bot's WhatsApp number, "JOIN <token>" typed."""
    digits = "".join(c for c in number if c.isdigit())
    return f"https://wa.me/{digits}?text=JOIN%20{token}"


def qr_png(link: str) -> bytes:
    """A QR code of the link as PNG bytes, big enough to print on a shop-floor poster."""
    code = qrcode.QRCode(border=4, box_size=12, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(link)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image(image_factory=PyPNGImage).save(buffer)
    return buffer.getvalue()


# A worker invite usually goes on a poster for the whole team; other roles are personal.
USES_BY_ROLE = {Role.WORKER: 50}


async def team_named(session: AsyncSession, membership: Membership,
                     team_id: int) -> Team | None:
    """The team a button names for an invite, if it is in the inviter's enterprise."""
    team = await session.get(Team, team_id)
    return team if team is not None and team.enterprise_id == membership.enterprise_id \
        else None


async def enterprise_by_id(session: AsyncSession, enterprise_id: int) -> Enterprise | None:
    return await session.get(Enterprise, enterprise_id)
