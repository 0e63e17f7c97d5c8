"""A person's own data: all of it for /mydata, and /forget to remove who they are.

/forget keeps the person's row as a nameless tombstone (no Telegram id, no name, no
language), so anonymous figures still add up (lessons done per team), and their suggestions'
content stays for the team, without an author. Everything that is theirs to say (notes,
answers, messages queued to them) is deleted; every other reference to them is cleared.
Each reference to a person in the schema has a rule below; a test checks none is missed.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import Executable, Table, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import anonymity, audit
from storage.models import (
    ActionItem,
    ActionNote,
    AuditEvent,
    Base,
    Enterprise,
    HeldSuggestion,
    KpiValue,
    LessonDelivery,
    LessonPicture,
    LessonRecording,
    Membership,
    OutboxMessage,
    Person,
    PulseParticipant,
    PulseRound,
    Suggestion,
    SuggestionMessage,
    SuggestionRelay,
    Team,
)

DELETE, KEEP = "delete", "keep"
# What stands in a message for a person who asked to be forgotten.
FORGOTTEN = "…"
# (table, column) -> what /forget does with rows that point at the person. Columns that are
# not listed and may be empty are set to NULL.
FORGET_RULES: dict[tuple[str, str], str] = {
    ("outbox", "person_id"): DELETE,  # messages queued to them
    ("action_notes", "author_id"): DELETE,  # their notes and photos
    ("suggestion_messages", "reviewer_id"): DELETE,  # their questions as a reviewer
    ("memberships", "person_id"): DELETE,
    ("pulse_participants", "person_id"): DELETE,
    ("group_link_codes", "created_by_id"): DELETE,
    ("lesson_deliveries", "person_id"): KEEP,  # anonymous now: the tombstone has no identity
    # Their voice is them: lessons they read aloud go (workers fall back to the text). Pictures
    # they attached stay for the enterprise's workers, tied to no one; approvals they gave
    # stay approved, by no one.
    ("lesson_recordings", "recorded_by_id"): DELETE,
}


def person_references() -> list[tuple[Table, str, bool]]:
    """Every column in the schema that points at a person: (table, column, nullable)."""
    found = []
    for table in Base.metadata.sorted_tables:
        for key in table.foreign_keys:
            if key.column.table.name == Person.__tablename__:
                found.append((table, key.parent.name, bool(key.parent.nullable)))
    return found


async def sent_by(session: AsyncSession, person_id: int, relay_key: bytes) -> list[int]:
    """The suggestions the person sent, named or not, found through their seals only (one
    HMAC per suggestion ever sent: /mydata and /forget are rare)."""
    relays = await session.execute(select(SuggestionRelay.suggestion_id, SuggestionRelay.seal))
    return [suggestion_id for suggestion_id, stored in relays
            if anonymity.sealed_by(relay_key, suggestion_id, person_id, stored)]


async def recordings_made(session: AsyncSession, person_id: int) -> int:
    """How many lesson recordings the person made (/forget deletes them: a voice identifies)."""
    return await session.scalar(select(func.count()).select_from(LessonRecording).where(
        LessonRecording.recorded_by_id == person_id)) or 0


async def held_by(session: AsyncSession, person_id: int,
                  relay_key: bytes) -> list[HeldSuggestion]:
    """The anonymous ideas the person sent that still wait for their hour."""
    enterprises = select(Membership.enterprise_id).where(Membership.person_id == person_id)
    return [held for held in await session.scalars(
        select(HeldSuggestion).where(HeldSuggestion.enterprise_id.in_(enterprises)))
        if anonymity.held_by(relay_key, held.id, person_id, held.seal)]


async def forget(session: AsyncSession, person: Person, now: datetime,
                 relay_key: bytes) -> None:
    relayed = await sent_by(session, person.id, relay_key)
    # Their answers to reviewers carry no person; they are found through the relay, and the
    # relay itself goes: nobody can reach them through what they sent any more.
    await session.execute(delete(SuggestionMessage).where(
        SuggestionMessage.from_submitter.is_(True),
        SuggestionMessage.suggestion_id.in_(relayed)))
    await session.execute(delete(SuggestionRelay).where(
        SuggestionRelay.suggestion_id.in_(relayed)))
    # An anonymous idea still held for its hour goes to the reviewers all the same, sealed by
    # nobody (no person has id 0).
    for held in await held_by(session, person.id, relay_key):
        held.seal = anonymity.seal_held(relay_key, held.id, 0)
    # Named suggestions keep their content and lose their author.
    await session.execute(update(Suggestion).where(Suggestion.author_id == person.id)
                          .values(anonymous=True))
    await _unname_outbox(session, person.display_name)
    # Messages to their chat queued without a person (a confirmation Telegram did not take).
    await session.execute(delete(OutboxMessage).where(
        OutboxMessage.chat_id == person.telegram_id))
    for table, column, nullable in person_references():
        rule = FORGET_RULES.get((table.name, column))
        where = table.c[column] == person.id
        if rule == DELETE:
            await session.execute(delete(table).where(where))
        elif rule is None:
            assert nullable, f"{table.name}.{column} needs a /forget rule"
            await session.execute(update(table).where(where).values({column: None}))
    person.telegram_id = -person.id  # frees their Telegram id; real ones are positive
    person.display_name, person.locale, person.telegram_language = "", None, None
    person.blocked_bot, person.paused, person.forgotten_at = True, True, now
    person.voice_first = False
    audit.record(session, "person.forget", actor_label="the person",
                 subject="person", subject_id=person.id)


async def _unname_outbox(session: AsyncSession, name: str) -> None:
    """Messages not yet delivered to other people that name the person ("From: Kwame
    Mensah", "Thank you, Kwame Mensah!") lose the name. Delivered ones hold no text already
    (the sender clears it); those queued to the person are deleted with the rules below."""
    if len(name.strip()) < 2:
        return
    pattern = re.compile(rf"(?<!\w){re.escape(name)}(?!\w)")
    rows = await session.execute(
        select(OutboxMessage.id, OutboxMessage.text)
        .where(OutboxMessage.text.contains(name, autoescape=True))
    )
    for message_id, text in rows:
        await session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id)
                              .values(text=pattern.sub(FORGOTTEN, text)))


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


async def my_data(session: AsyncSession, person: Person, relay_key: bytes) -> dict[str, Any]:
    """Everything stored about the person, as plain values."""
    pid = person.id

    async def rows(query: Executable) -> list[Any]:
        return list((await session.execute(query)).all())

    memberships = await rows(
        select(Enterprise.name, Team.name, Membership.role, Membership.joined_at)
        .join(Enterprise, Enterprise.id == Membership.enterprise_id)
        .outerjoin(Team, Team.id == Membership.team_id).where(Membership.person_id == pid))
    lessons = await rows(
        select(LessonDelivery.lesson_id, LessonDelivery.sent_at, LessonDelivery.opened_at,
               LessonDelivery.answered_at, LessonDelivery.correct)
        .where(LessonDelivery.person_id == pid).order_by(LessonDelivery.sent_at))
    sent = await sent_by(session, pid, relay_key)
    suggestions = await rows(
        select(Suggestion.id, Suggestion.created_at, Suggestion.anonymous, Suggestion.status,
               Suggestion.text)
        .where((Suggestion.author_id == pid) | Suggestion.id.in_(sent))
        .order_by(Suggestion.id))
    waiting = await held_by(session, pid, relay_key)
    actions = await rows(
        select(ActionItem.id, ActionItem.title, ActionItem.status, ActionItem.due_on)
        .where(ActionItem.owner_id == pid).order_by(ActionItem.id))
    notes = await rows(select(ActionNote.action_id, ActionNote.created_at, ActionNote.text)
                       .where(ActionNote.author_id == pid).order_by(ActionNote.id))
    figures = await rows(select(KpiValue.enterprise_kpi_id, KpiValue.week, KpiValue.value)
                         .where(KpiValue.entered_by_id == pid).order_by(KpiValue.week))
    surveys = await rows(select(PulseRound.month)
                         .join(PulseParticipant, PulseParticipant.round_id == PulseRound.id)
                         .where(PulseParticipant.person_id == pid))
    recorded = await rows(
        select(LessonRecording.lesson_id, LessonRecording.part, LessonRecording.locale,
               LessonRecording.recorded_by_id, LessonRecording.recorded_at,
               LessonRecording.approved_at)
        .where((LessonRecording.recorded_by_id == pid) | (LessonRecording.approved_by_id == pid))
        .order_by(LessonRecording.recorded_at, LessonRecording.id))
    pictured = await rows(
        select(LessonPicture.lesson_id, LessonPicture.attached_by_id, LessonPicture.attached_at,
               LessonPicture.approved_at)
        .where((LessonPicture.attached_by_id == pid) | (LessonPicture.approved_by_id == pid))
        .order_by(LessonPicture.attached_at, LessonPicture.id))
    history = await rows(select(AuditEvent.at, AuditEvent.action, AuditEvent.subject)
                         .where(AuditEvent.actor_id == pid).order_by(AuditEvent.at))
    return {
        "person": {"telegram_id": person.telegram_id, "name": person.display_name,
                   "language": person.locale or person.telegram_language,
                   "paused": person.paused, "voice_first": person.voice_first,
                   "since": _iso(person.created_at)},
        "memberships": [{"enterprise": e, "team": t, "role": r.value, "joined": _iso(j)}
                        for e, t, r, j in memberships],
        "lessons": [{"lesson": lesson, "sent": _iso(s), "opened": _iso(o), "answered": _iso(a),
                     "correct": c} for lesson, s, o, a, c in lessons],
        "suggestions": [{"reference": f"S{i}", "sent": _iso(c), "anonymous": anon,
                         "status": st.value, "text": text}
                        for i, c, anon, st, text in suggestions]
                       + [{"reference": None, "sent": None, "anonymous": True,
                           "status": "held until the hour", "text": held.text}
                          for held in waiting],
        "actions_owned": [{"id": i, "title": title, "status": st.value, "due": _iso(d)}
                          for i, title, st, d in actions],
        "action_notes": [{"action": a, "at": _iso(at), "text": text} for a, at, text in notes],
        "kpi_figures_entered": [{"kpi": k, "week": _iso(w), "value": v} for k, w, v in figures],
        "pulse_surveys_answered": [_iso(month) for (month,) in surveys],
        "lesson_recordings": [{"lesson": lesson, "part": part, "language": language,
                               "you": "recorded" if by == pid else "approved",
                               "recorded": _iso(at), "approved": _iso(approved)}
                              for lesson, part, language, by, at, approved in recorded],
        "lesson_pictures": [{"lesson": lesson, "you": "attached" if by == pid else "approved",
                             "attached": _iso(at), "approved": _iso(approved)}
                            for lesson, by, at, approved in pictured],
        "what_you_did": [{"at": _iso(at), "action": action, "on": subject}
                         for at, action, subject in history],
        "note": "Pulse survey answers are stored only as counts: nobody, not even you, "
                "can see which answers were yours.",
    }
