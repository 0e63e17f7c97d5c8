"""Worker suggestions, from submission to implementation, never left in silence.

Lifecycle: new -> under review -> accepted, declined (a reason is required) or duplicate
(linked to the original) -> in progress (an action item with owner and due date) ->
implemented (optional after-photo and measured impact). Callers tell the submitter of every
change (see `submitter_of`).

Anonymity: an anonymous suggestion has no `author_id`, its audit entries carry no actor, and
its log lines name only the suggestion. The submitter is found only through `submitter_of`,
used to relay messages to them. Beside an anonymous suggestion a team is named only when it has
at least `anonymity.K` people (`origin_of`); figures per person count named ideas only, and
a small team's figures leave anonymous ideas out (`stats`, `week_summary`). A voice note is
never sent anonymously: the voice would give the person away (`submit` refuses it).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

from babel.numbers import NumberFormatError, parse_decimal
from rapidfuzz import fuzz, process
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.limits import MESSAGE_TEXT_MAX
from bot.services import actions, anonymity, audit
from bot.services.actions import local_date
from bot.services.errors import InvalidValue
from bot.services.people import team_members
from bot.services.planner import few
from storage.models import (
    ActionItem,
    Enterprise,
    HeldSuggestion,
    Membership,
    Person,
    Role,
    Suggestion,
    SuggestionArea,
    SuggestionMedia,
    SuggestionMessage,
    SuggestionRelay,
    SuggestionStatus,
    Team,
)

TEXT_MAX = 3000
MEDIA_MAX = 10
SIMILARITY_THRESHOLD = 70
OPEN = (SuggestionStatus.NEW, SuggestionStatus.UNDER_REVIEW, SuggestionStatus.ACCEPTED,
        SuggestionStatus.IN_PROGRESS)
# Which status may follow which. Reviewers may skip steps (accept straight from new).
NEXT: dict[SuggestionStatus, frozenset[SuggestionStatus]] = {
    SuggestionStatus.NEW: frozenset({SuggestionStatus.UNDER_REVIEW, SuggestionStatus.ACCEPTED,
                                     SuggestionStatus.DECLINED, SuggestionStatus.DUPLICATE}),
    SuggestionStatus.UNDER_REVIEW: frozenset({SuggestionStatus.ACCEPTED,
                                              SuggestionStatus.DECLINED,
                                              SuggestionStatus.DUPLICATE}),
    SuggestionStatus.ACCEPTED: frozenset({SuggestionStatus.IN_PROGRESS,
                                          SuggestionStatus.IMPLEMENTED,
                                          SuggestionStatus.DECLINED}),
    SuggestionStatus.IN_PROGRESS: frozenset({SuggestionStatus.IMPLEMENTED}),
    SuggestionStatus.DECLINED: frozenset(),
    SuggestionStatus.DUPLICATE: frozenset(),
    SuggestionStatus.IMPLEMENTED: frozenset(),
}
# Public benchmarks shown beside a team's figures (implemented ideas per person per year).
BENCHMARK_TOYOTA = 10
BENCHMARK_WEAK = 2


@dataclass
class Draft:
    """A suggestion being written, kept in the conversation state until it is confirmed."""

    text: str = ""
    media: list[tuple[str, str]] = field(default_factory=list)  # (kind, Telegram file id)
    area: str | None = None
    anonymous: bool = False

    def add_text(self, text: str) -> None:
        text = text.strip()
        if text:
            self.text = f"{self.text}\n{text}".strip() if self.text else text
        if len(self.text) > TEXT_MAX:
            raise InvalidValue("too_long", f"a suggestion has at most {TEXT_MAX} characters")

    def add_media(self, kind: str, file_id: str) -> None:
        if len(self.media) >= MEDIA_MAX:
            raise InvalidValue("too_many_media", f"at most {MEDIA_MAX} photos or voice notes")
        self.media.append((kind, file_id))

    @property
    def empty(self) -> bool:
        return not self.text and not self.media

    @property
    def has_voice(self) -> bool:
        return any(kind == "voice" for kind, _file in self.media)

    @property
    def has_photo(self) -> bool:
        return any(kind == "photo" for kind, _file in self.media)

    def drop_voice(self) -> None:
        self.media = [(kind, file_id) for kind, file_id in self.media if kind != "voice"]

    def as_state(self) -> dict[str, Any]:
        return {"text": self.text, "media": [list(m) for m in self.media], "area": self.area,
                "anonymous": self.anonymous}

    @classmethod
    def from_state(cls, data: dict[str, Any]) -> Draft:
        return cls(data.get("text", ""), [tuple(m) for m in data.get("media", [])],
                   data.get("area"), bool(data.get("anonymous")))


def _check(draft: Draft) -> None:
    if draft.empty:
        raise InvalidValue("empty", "a suggestion needs text, a photo or a voice note")
    if draft.anonymous and draft.has_voice:
        raise InvalidValue("anonymous_voice", "a voice note would give an anonymous sender away")


async def submit(
    session: AsyncSession, *, person: Person, membership: Membership, draft: Draft,
    now: datetime, relay_key: bytes,
) -> Suggestion:
    """A named idea, stored and numbered now (an anonymous one is `hold`'s)."""
    _check(draft)
    if draft.anonymous:
        raise ValueError("an anonymous idea is held until the hour: hold()")
    area = SuggestionArea(draft.area) if draft.area else None
    suggestion = Suggestion(
        enterprise_id=membership.enterprise_id,
        team_id=membership.team_id,
        author_id=person.id,
        anonymous=False,
        text=draft.text,
        area=area,
        created_at=now,
        updated_at=now,
        media=[SuggestionMedia(kind=kind, file_id=file_id) for kind, file_id in draft.media],
    )
    session.add(suggestion)
    await session.flush()
    session.add(SuggestionRelay(suggestion_id=suggestion.id,
                                seal=anonymity.seal(relay_key, suggestion.id, person.id)))
    audit.record(
        session, "suggestion.submit", actor_id=person.id,
        enterprise_id=membership.enterprise_id, subject="suggestion", subject_id=suggestion.id,
    )
    return suggestion


async def hold(
    session: AsyncSession, *, person: Person, membership: Membership, draft: Draft,
    now: datetime, relay_key: bytes,
) -> HeldSuggestion:
    """An anonymous idea, kept until the next full hour (`release_held`); its sender only
    sealed. Nothing about it is audited or numbered before then."""
    _check(draft)
    if not draft.anonymous:
        raise ValueError("a named idea is stored at once: submit()")
    held = HeldSuggestion(
        enterprise_id=membership.enterprise_id,
        team_id=membership.team_id,
        text=draft.text,
        area=SuggestionArea(draft.area) if draft.area else None,
        media=[[kind, file_id] for kind, file_id in draft.media],
        seal="",
        release_at=anonymity.release_hour(now),
    )
    session.add(held)
    await session.flush()
    held.seal = anonymity.seal_held(relay_key, held.id, person.id)
    return held


@dataclass(frozen=True)
class Released:
    """An anonymous idea just released: now a suggestion, with who sent it (to tell them its
    number; None when they left or asked to be forgotten) and its enterprise."""

    suggestion: Suggestion
    submitter: Person | None
    enterprise: Enterprise


async def release_held(session: AsyncSession, now: datetime,
                       relay_key: bytes) -> list[Released]:
    """Every held anonymous idea whose hour has come becomes a suggestion, in the order of
    their seals (an HMAC: no order a reader could trace back to the time of sending), each
    dated at the hour of its release."""
    released: list[Released] = []
    held_ideas = (await session.scalars(
        select(HeldSuggestion).where(HeldSuggestion.release_at <= now)
        .order_by(HeldSuggestion.seal))).all()
    for held in held_ideas:
        enterprise = await session.get(Enterprise, held.enterprise_id)
        submitter = await _member_who_sealed(
            session, held.enterprise_id,
            partial(anonymity.held_by, relay_key, held.id, stored=held.seal))
        suggestion = Suggestion(
            enterprise_id=held.enterprise_id,
            team_id=held.team_id,
            author_id=None,
            anonymous=True,
            text=held.text,
            area=held.area,
            created_at=held.release_at,
            updated_at=held.release_at,
            media=[SuggestionMedia(kind=kind, file_id=file_id) for kind, file_id in held.media],
        )
        session.add(suggestion)
        await session.flush()
        if submitter is not None:
            session.add(SuggestionRelay(
                suggestion_id=suggestion.id,
                seal=anonymity.seal(relay_key, suggestion.id, submitter.id)))
        audit.record(session, "suggestion.submit", actor_label="anonymous",
                     enterprise_id=held.enterprise_id, subject="suggestion",
                     subject_id=suggestion.id)
        await session.delete(held)
        if enterprise is not None:
            released.append(Released(suggestion, submitter, enterprise))
    return released


async def _member_who_sealed(session: AsyncSession, enterprise_id: int,
                             sealed: Callable[[int], bool]) -> Person | None:
    """The member of the enterprise for whom `sealed(person_id)` holds: each is sealed in
    turn. Someone who left the enterprise, or asked to be forgotten, is found by nobody."""
    members = await session.scalars(
        select(Membership.person_id).where(Membership.enterprise_id == enterprise_id)
        .distinct())
    for person_id in members:
        if sealed(person_id):
            return await session.get(Person, person_id)
    return None


async def submitter_of(session: AsyncSession, suggestion_id: int,
                       relay_key: bytes) -> Person | None:
    """The person who sent the suggestion, for relaying messages to them. Never show it.

    The relay holds only a seal (`anonymity.seal`): each member of the suggestion's enterprise
    is sealed in turn until one matches. Someone who has left the enterprise, or asked to be
    forgotten, is found by nobody."""
    row = (await session.execute(
        select(Suggestion.enterprise_id, SuggestionRelay.seal)
        .join(SuggestionRelay, SuggestionRelay.suggestion_id == Suggestion.id)
        .where(Suggestion.id == suggestion_id)
    )).first()
    if row is None:
        return None
    enterprise_id, stored = row
    return await _member_who_sealed(
        session, enterprise_id,
        partial(anonymity.sealed_by, relay_key, suggestion_id, stored=stored))


async def get(session: AsyncSession, suggestion_id: int) -> Suggestion | None:
    return await session.scalar(
        select(Suggestion)
        .where(Suggestion.id == suggestion_id)
        .options(selectinload(Suggestion.media))
    )


@dataclass(frozen=True)
class Origin:
    """Who sent a suggestion and from where, as a reviewer may read it: no author for an
    anonymous one, and its team only when the team is big enough to hide in (k = 5),
    otherwise the enterprise."""

    author_name: str | None
    place: str | None


async def origin_of(session: AsyncSession, suggestion: Suggestion) -> Origin:
    author = (await session.get(Person, suggestion.author_id)
              if suggestion.author_id is not None and not suggestion.anonymous else None)
    team = await session.get(Team, suggestion.team_id) if suggestion.team_id else None
    if suggestion.anonymous and (
        team is None or not anonymity.team_is_shown(
            await anonymity.team_size(session, team.id))
    ):
        enterprise = await session.get(Enterprise, suggestion.enterprise_id)
        return Origin(None, enterprise.name if enterprise else None)
    return Origin(author.display_name if author else None, team.name if team else None)


async def similar_open(
    session: AsyncSession, suggestion: Suggestion, viewer: Membership | None = None,
    limit: int = 3,
) -> list[tuple[Suggestion, float]]:
    """Open suggestions of the same enterprise that read alike (text similarity), only among
    those `viewer` may review (a team lead sees their own team's, never another team's)."""
    if not suggestion.text.strip():
        return []
    candidates = [
        candidate for candidate in await session.scalars(
            select(Suggestion).where(
                Suggestion.enterprise_id == suggestion.enterprise_id,
                Suggestion.status.in_(OPEN),
                Suggestion.id != suggestion.id,
                Suggestion.text != "",
            )
        )
        if viewer is None or may_review(viewer, candidate)
    ]
    choices = {c.id: c.text for c in candidates}
    found = process.extract(suggestion.text, choices, scorer=fuzz.token_set_ratio,
                            score_cutoff=SIMILARITY_THRESHOLD, limit=limit)
    by_id = {c.id: c for c in candidates}
    return [(by_id[key], score) for _text, score, key in found]


async def reviewers_for(session: AsyncSession, suggestion: Suggestion) -> list[Person]:
    """Team leads of the suggestion's team and managers of its enterprise."""
    return [person for person, _membership in await reviewers_with_memberships(session,
                                                                              suggestion)]


async def reviewers_with_memberships(
    session: AsyncSession, suggestion: Suggestion
) -> list[tuple[Person, Membership]]:
    """The reviewers, each with the membership that makes them one (what they may see)."""
    rows = await session.execute(
        select(Person, Membership)
        .join(Membership, Membership.person_id == Person.id)
        .where(
            Membership.enterprise_id == suggestion.enterprise_id,
            (Membership.role == Role.MANAGER)
            | ((Membership.role == Role.TEAM_LEAD) & (Membership.team_id == suggestion.team_id)),
            Person.blocked_bot.is_(False),
        )
        .order_by(Person.id)
    )
    return [(person, membership) for person, membership in rows]


def before_media(suggestion: Suggestion) -> list[tuple[str, str]]:
    """The photos and voice notes sent with the suggestion, as (kind, file id), in order."""
    return [(m.kind, m.file_id) for m in sorted(suggestion.media, key=lambda m: m.id or 0)
            if m.stage == "before"]


def may_review(membership: Membership | None, suggestion: Suggestion) -> bool:
    if membership is None or membership.enterprise_id != suggestion.enterprise_id:
        return False
    if membership.role in (Role.MANAGER, Role.ADMIN):
        return True
    return membership.role == Role.TEAM_LEAD and (
        suggestion.team_id is None or membership.team_id == suggestion.team_id
    )


def _touch(suggestion: Suggestion, now: datetime) -> None:
    suggestion.updated_at = now
    if suggestion.first_response_at is None:
        suggestion.first_response_at = now


async def change_status(
    session: AsyncSession,
    suggestion: Suggestion,
    status: SuggestionStatus,
    *,
    reviewer: Person,
    now: datetime,
    reason: str = "",
    duplicate_of: Suggestion | None = None,
) -> None:
    """Move the suggestion on. Implemented also closes its action item, so nobody is
    reminded of work that is finished."""
    if status not in NEXT[suggestion.status]:
        raise InvalidValue("transition", f"{suggestion.status} cannot become {status}")
    if status is SuggestionStatus.DECLINED:
        reason = " ".join(reason.split())
        if not reason:
            raise InvalidValue("reason", "a declined suggestion needs a reason")
        suggestion.decline_reason = reason[:TEXT_MAX]
    if status is SuggestionStatus.DUPLICATE:
        if duplicate_of is None or duplicate_of.id == suggestion.id or (
            duplicate_of.enterprise_id != suggestion.enterprise_id
        ):
            raise InvalidValue("duplicate_of", "a duplicate needs an original in the enterprise")
        suggestion.duplicate_of_id = duplicate_of.id
    if status is SuggestionStatus.IMPLEMENTED:
        suggestion.implemented_at = now
        item = (await session.get(ActionItem, suggestion.action_item_id)
                if suggestion.action_item_id else None)
        if item is not None and item.status in actions.OPEN_STATUSES:
            actions.close(session, item, reviewer, now)
    suggestion.status = status
    _touch(suggestion, now)
    audit.record(session, f"suggestion.{status.value}", actor_id=reviewer.id,
                 enterprise_id=suggestion.enterprise_id, subject="suggestion",
                 subject_id=suggestion.id)


async def put_in_progress(
    session: AsyncSession,
    suggestion: Suggestion,
    *,
    reviewer: Person,
    owner: Person,
    due_on: date,
    enterprise: Enterprise,
    now: datetime,
) -> ActionItem:
    """Accept (if need be) and turn into an action item with an owner and a due date."""
    if suggestion.status in (SuggestionStatus.NEW, SuggestionStatus.UNDER_REVIEW):
        await change_status(session, suggestion, SuggestionStatus.ACCEPTED, reviewer=reviewer,
                            now=now)
    title = suggestion.text.split("\n", 1)[0][:380] or suggestion.reference
    item = await actions.create(
        session, enterprise_id=suggestion.enterprise_id, team_id=suggestion.team_id,
        title=f"{suggestion.reference}: {title}", owner=owner, created_by=reviewer,
        due_on=due_on, source="suggestion", source_ref=str(suggestion.id), now=now)
    suggestion.action_item_id = item.id
    await change_status(session, suggestion, SuggestionStatus.IN_PROGRESS, reviewer=reviewer,
                        now=now)
    return item


async def implemented_by_action(session: AsyncSession, item: ActionItem, person: Person,
                                now: datetime) -> Suggestion | None:
    """The suggestion an action was made from, moved to implemented now that the action is
    done; None when there is none or it cannot move (declined, implemented already)."""
    suggestion = await session.scalar(
        select(Suggestion).where(Suggestion.action_item_id == item.id)
        .options(selectinload(Suggestion.media)))
    if suggestion is None or SuggestionStatus.IMPLEMENTED not in NEXT[suggestion.status]:
        return None
    await change_status(session, suggestion, SuggestionStatus.IMPLEMENTED, reviewer=person,
                        now=now)
    return suggestion


def record_impact(
    suggestion: Suggestion, *, kind: str, value: float | None = None, note: str = ""
) -> None:
    if kind == "money":
        suggestion.money_saved = value
    elif kind == "hours":
        suggestion.hours_saved = value
    elif kind == "defects":
        suggestion.defects_avoided = value
    elif kind == "safety":
        suggestion.impact_note = note[:TEXT_MAX]
    else:
        raise InvalidValue("impact", f"unknown impact {kind!r}")


def ask(session: AsyncSession, suggestion: Suggestion, reviewer: Person, text: str,
        now: datetime) -> SuggestionMessage:
    text = text.strip()[:MESSAGE_TEXT_MAX]
    if not text:
        raise InvalidValue("empty", "a question needs text")
    _touch(suggestion, now)
    message = SuggestionMessage(suggestion_id=suggestion.id, from_submitter=False,
                                reviewer_id=reviewer.id, text=text, created_at=now)
    session.add(message)
    return message


def answer(session: AsyncSession, suggestion: Suggestion, text: str,
           now: datetime) -> SuggestionMessage:
    text = text.strip()[:MESSAGE_TEXT_MAX]
    if not text:
        raise InvalidValue("empty", "an answer needs text")
    suggestion.updated_at = now
    message = SuggestionMessage(suggestion_id=suggestion.id, from_submitter=True, text=text,
                                created_at=now)
    session.add(message)
    return message


async def last_asker(session: AsyncSession, suggestion_id: int) -> Person | None:
    return await session.scalar(
        select(Person)
        .join(SuggestionMessage, SuggestionMessage.reviewer_id == Person.id)
        .where(SuggestionMessage.suggestion_id == suggestion_id)
        .order_by(SuggestionMessage.id.desc())
        .limit(1)
    )


async def review_queue(
    session: AsyncSession, membership: Membership, limit: int = 10
) -> list[Suggestion]:
    """Open suggestions this reviewer should look at, oldest first."""
    query = (
        select(Suggestion)
        .where(
            Suggestion.enterprise_id == membership.enterprise_id,
            Suggestion.status.in_(OPEN),
        )
        .options(selectinload(Suggestion.media))
        .order_by(Suggestion.created_at, Suggestion.id)
        .limit(limit)
    )
    if membership.role == Role.TEAM_LEAD:
        query = query.where(
            (Suggestion.team_id == membership.team_id) | Suggestion.team_id.is_(None)
        )
    return list(await session.scalars(query))


@dataclass
class QueueCard:
    """One suggestion of a reviewer's /review queue, with what its card shows."""

    suggestion: Suggestion
    origin: Origin
    similar: list[tuple[Suggestion, float]]


async def open_queue(session: AsyncSession, memberships: list[Membership], reviewer: Person,
                     now: datetime) -> tuple[list[QueueCard], list[Suggestion]]:
    """The suggestions a reviewer sees on /review, in every enterprise they review in; the
    new ones among them are moved to under review (returned second, for their submitters)."""
    cards: list[QueueCard] = []
    moved: list[Suggestion] = []
    for membership in memberships:
        for suggestion in await review_queue(session, membership):
            if suggestion.status is SuggestionStatus.NEW:
                await change_status(session, suggestion, SuggestionStatus.UNDER_REVIEW,
                                    reviewer=reviewer, now=now)
                moved.append(suggestion)
            cards.append(QueueCard(suggestion, await origin_of(session, suggestion),
                                   await similar_open(session, suggestion, viewer=membership)))
    return cards, moved


def check_can_become(suggestion: Suggestion, status: SuggestionStatus) -> None:
    """Raise InvalidValue unless the suggestion may move to `status` now (asked before a
    reviewer is asked for a reason or an original)."""
    if status not in NEXT[suggestion.status]:
        raise InvalidValue("transition", f"{suggestion.status} cannot become {status}")


ASSIGNABLE = (SuggestionStatus.NEW, SuggestionStatus.UNDER_REVIEW, SuggestionStatus.ACCEPTED)
OWNER_CHOICES_MAX = 30
ORIGINAL_CHOICES_MAX = 5


async def original_choices(session: AsyncSession, suggestion: Suggestion,
                           membership: Membership) -> list[Suggestion]:
    """The open suggestions this one may be a duplicate of, most similar first."""
    check_can_become(suggestion, SuggestionStatus.DUPLICATE)
    return [s for s, _score in await similar_open(session, suggestion, viewer=membership,
                                                  limit=ORIGINAL_CHOICES_MAX)]


async def owner_choices(session: AsyncSession, suggestion: Suggestion,
                        membership: Membership) -> list[Person]:
    """Who may be given the suggestion to put into practice: its team (or the reviewer's),
    and the reviewer first when not in it."""
    if suggestion.status not in ASSIGNABLE:
        raise InvalidValue("transition", "cannot assign now")
    team_id = suggestion.team_id or membership.team_id
    members = [m.person for m in await team_members(session, team_id)] if team_id else []
    reviewer = await session.get(Person, membership.person_id)
    if reviewer is not None and reviewer not in members:
        members.insert(0, reviewer)
    return members[:OWNER_CHOICES_MAX]


async def possible_owner(session: AsyncSession, suggestion: Suggestion,
                         membership: Membership, person_id: int) -> Person | None:
    """The person a button names as the owner, if they may be: in the suggestion's team (or
    the reviewer's), or the reviewer themself."""
    owner = await session.get(Person, person_id)
    if owner is None:
        return None
    team_id = suggestion.team_id or membership.team_id or 0
    member_ids = {m.person_id for m in await team_members(session, team_id)}
    return owner if owner.id in member_ids or owner.id == membership.person_id else None


IMPACT_MAX = 1e9


def parse_impact(kind: str, text: str, locale: str) -> float | None:
    """The figure a reviewer typed for an impact (None for "safety", which is words);
    InvalidValue("number") when it is not a number from 0 to a billion."""
    if kind == "safety":
        return None
    try:
        value = float(parse_decimal(text.replace(" ", ""), locale=locale))
    except (NumberFormatError, ValueError) as error:
        raise InvalidValue("number", "an impact is a number") from error
    if not 0 <= value <= IMPACT_MAX:
        raise InvalidValue("number", "an impact is between 0 and a billion")
    return value


def add_after_photo(session: AsyncSession, suggestion: Suggestion, file_id: str) -> None:
    session.add(SuggestionMedia(suggestion_id=suggestion.id, kind="photo", file_id=file_id,
                                stage="after"))


MIN_STALL_DAYS = 1  # the least `suggestion_stall_days` may be (bot.services.enterprises)


async def stalled(session: AsyncSession, now: datetime) -> list[Suggestion]:
    """Suggestions nobody has answered within their enterprise's stall days. Read through
    ix_suggestions_unanswered: only those waiting a day or more (no enterprise waits less),
    not every enterprise's."""
    rows = await session.execute(
        select(Suggestion, Enterprise.suggestion_stall_days)
        .join(Enterprise, Enterprise.id == Suggestion.enterprise_id)
        .where(Suggestion.status == SuggestionStatus.NEW,
               Suggestion.first_response_at.is_(None),
               few(session, Suggestion.created_at <= now - timedelta(days=MIN_STALL_DAYS)))
    )
    return [s for s, days in rows if s.created_at <= now - timedelta(days=days)]


@dataclass(frozen=True)
class Stats:
    """A team's or enterprise's figures. Per-person figures and participation count named
    ideas only; the rate and the waiting time count anonymous ones too, except in a group
    under `anonymity.K` people, where one more idea could point at its sender."""

    members: int
    received: int  # named ideas in the last 365 days
    implemented: int  # of those, implemented
    decided: int
    decided_implemented: int
    submitters: int
    median_days_to_answer: float | None

    @property
    def ideas_per_person_year(self) -> float:
        return self.received / self.members if self.members else 0.0

    @property
    def implemented_per_person_year(self) -> float:
        return self.implemented / self.members if self.members else 0.0

    @property
    def participation(self) -> float:
        return self.submitters / self.members if self.members else 0.0

    @property
    def implementation_rate(self) -> float | None:
        return self.decided_implemented / self.decided if self.decided else None


async def stats(
    session: AsyncSession, enterprise_id: int, now: datetime, team_id: int | None = None
) -> Stats:
    """Aggregates only: no figure here can be traced to one anonymous submitter, nor move
    when one more anonymous idea arrives in a small team."""
    since = now - timedelta(days=365)
    members_q = select(func.count()).select_from(Membership).where(
        Membership.enterprise_id == enterprise_id)
    scope = [Suggestion.enterprise_id == enterprise_id, Suggestion.created_at >= since]
    if team_id is not None:
        members_q = members_q.where(Membership.team_id == team_id)
        scope.append(Suggestion.team_id == team_id)
    members = await session.scalar(members_q) or 0
    rows = list(await session.scalars(select(Suggestion).where(*scope)))
    named = [s for s in rows if s.author_id is not None and not s.anonymous]
    counted = rows if members >= anonymity.K else named
    decided = [s for s in counted if s.status not in (SuggestionStatus.NEW,
                                                      SuggestionStatus.UNDER_REVIEW)]
    waits = [(s.first_response_at - s.created_at).total_seconds() / 86400
             for s in counted if s.first_response_at is not None]
    return Stats(
        members=members,
        received=len(named),
        implemented=sum(1 for s in named if s.status is SuggestionStatus.IMPLEMENTED),
        decided=len(decided),
        decided_implemented=sum(1 for s in decided
                                if s.status is SuggestionStatus.IMPLEMENTED),
        submitters=len({s.author_id for s in named}),
        median_days_to_answer=statistics.median(waits) if waits else None,
    )


async def week_summary(
    session: AsyncSession, team_id: int, now: datetime
) -> tuple[int, int, list[str]]:
    """Ideas in and implemented in the past week for a team, and the names of the named
    contributors to thank (anonymous ones never appear). In a team under `anonymity.K`
    people the counts are of named ideas only, so "3 came in, thank you Kwame and Ama" can
    never tell Kwame and Ama that the third was the only other member's."""
    since = now - timedelta(days=7)
    came_in = list(await session.scalars(
        select(Suggestion).where(Suggestion.team_id == team_id, Suggestion.created_at >= since)))
    done = list(await session.scalars(
        select(Suggestion).where(Suggestion.team_id == team_id,
                                 Suggestion.implemented_at >= since)))
    if not anonymity.team_is_shown(await anonymity.team_size(session, team_id)):
        came_in = [s for s in came_in if not s.anonymous]
        done = [s for s in done if not s.anonymous]
    named_ids = {s.author_id for s in came_in + done if s.author_id is not None}
    names = list(await session.scalars(
        select(Person.display_name).where(Person.id.in_(named_ids)).order_by(
            Person.display_name))) if named_ids else []
    return len(came_in), len(done), names


def default_due(enterprise: Enterprise, now: datetime, days: int) -> date:
    return local_date(now, enterprise.timezone) + timedelta(days=days)


DUE_CHOICES = (7, 14, 30)


def due_choices(enterprise: Enterprise, now: datetime) -> list[tuple[int, date]]:
    """The due dates a reviewer is offered when assigning: (days from today, the date)."""
    return [(days, default_due(enterprise, now, days)) for days in DUE_CHOICES]


async def enterprise_of(session: AsyncSession, suggestion: Suggestion) -> Enterprise | None:
    return await session.get(Enterprise, suggestion.enterprise_id)


async def any_team_small(session: AsyncSession, memberships: list[Membership]) -> bool:
    """Whether any team of the writer is too small to be named beside an anonymous idea:
    someone in several teams is warned when any of them is small (when in doubt, warn)."""
    if any(m.team_id is None for m in memberships):
        return True  # no team to hide in
    sizes = await anonymity.team_sizes(session, [m.team_id for m in memberships
                                                 if m.team_id is not None])
    return not all(anonymity.team_is_shown(size) for size in sizes.values())
