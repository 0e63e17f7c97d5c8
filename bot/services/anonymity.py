"""The one rule that keeps an anonymous worker from being narrowed down: k-anonymity, k = 5.

A group smaller than `K` people is never named next to an anonymous act, and no figure about
anonymous acts is shown for it: with four people or fewer in a team, "anonymous · Boiler room"
or "participation went from 50 % to 100 %" is as good as a name. Every place that shows who
might have done something anonymous asks this module:

- `team_size` / `team_sizes`: how many people a team has (its members, whatever their role);
- `team_is_shown(size)`: whether a team may be named beside an anonymous suggestion;
- `iso_week(moment, timezone)`: the only time shown for an anonymous suggestion outside the
  conversation itself (exports, lists), so the minute it was sent cannot be matched with who
  was on shift or who used their phone;
- `seal` / `sealed_by`: the only stored trace of who sent a suggestion. The bot must pass
  questions and news on to the sender, so it keeps, per suggestion, an HMAC of the suggestion
  and the person under a key that lives outside the database (`Settings.relay_secret`). A row
  names nobody: whoever reads the database, a backup or an export cannot tell who sent what;
  the bot, holding the key, finds the sender by sealing each member of the enterprise in turn.
- `release_hour(now)`: an anonymous idea is held until the next full hour and reaches the
  reviewers then, with every other anonymous idea of that hour, in no particular order; only
  then does it get its number. Neither its number nor its time places it between named ideas
  (`seal_held` / `held_by` seal its sender meanwhile).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Membership

K = 5
"""The smallest group that may be named beside an anonymous act, or counted apart."""


def team_is_shown(size: int) -> bool:
    """Whether a team of `size` people may be named beside an anonymous act."""
    return size >= K


async def team_size(session: AsyncSession, team_id: int | None) -> int:
    """People in the team (0 for no team)."""
    if team_id is None:
        return 0
    return await session.scalar(
        select(func.count()).select_from(Membership).where(Membership.team_id == team_id)
    ) or 0


async def team_sizes(session: AsyncSession, team_ids: Iterable[int]) -> dict[int, int]:
    """People per team, for many teams in one query (teams with nobody are 0)."""
    ids = set(team_ids)
    if not ids:
        return {}
    rows = await session.execute(
        select(Membership.team_id, func.count())
        .where(Membership.team_id.in_(ids))
        .group_by(Membership.team_id)
    )
    sizes = dict.fromkeys(ids, 0)
    sizes.update({team_id: count for team_id, count in rows if team_id is not None})
    return sizes


def iso_week(moment: datetime, timezone: str) -> str:
    """The ISO week of `moment` in `timezone`, e.g. "2026-W48"."""
    year, week, _day = moment.astimezone(ZoneInfo(timezone)).isocalendar()
    return f"{year}-W{week:02d}"


def seal(key: bytes, suggestion_id: int, person_id: int) -> str:
    """The sender's seal on a suggestion (64 hex digits); see the module's docstring. The
    message format is frozen: migration 0017 seals the rows it finds the same way."""
    return _mac(key, f"suggestion {suggestion_id} sent by person {person_id}")


def sealed_by(key: bytes, suggestion_id: int, person_id: int, stored: str) -> bool:
    """Whether `person_id` is the one who sealed `stored` on the suggestion."""
    return hmac.compare_digest(seal(key, suggestion_id, person_id), stored)


def seal_held(key: bytes, held_id: int, person_id: int) -> str:
    """The sender's seal on an anonymous idea still held (`HeldSuggestion`)."""
    return _mac(key, f"held suggestion {held_id} sent by person {person_id}")


def _mac(key: bytes, message: str) -> str:
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def held_by(key: bytes, held_id: int, person_id: int, stored: str) -> bool:
    return hmac.compare_digest(seal_held(key, held_id, person_id), stored)


def release_hour(now: datetime) -> datetime:
    """When an anonymous idea sent at `now` reaches the reviewers: the next full hour (UTC),
    with every other anonymous idea sent in that hour."""
    return now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
