"""The database schema as SQLAlchemy 2 typed models.

Every time is stored in UTC and read back timezone-aware (see `UTCDateTime`), on SQLite too.
Changes to this file need an Alembic migration: `scorebot db revision -m "..."`.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Stable constraint names, so migrations can alter them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# A next-due moment not computed yet (a row written without one, or by the migration that
# added them): long past, so the next scan looks at the row and computes it.
LOOK_NOW = datetime(2000, 1, 1, tzinfo=UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime stored as UTC. SQLite keeps no zone, so it is put back on read."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; pass a timezone-aware time")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Role(enum.StrEnum):
    """What a member is in an enterprise. Order matters: later roles outrank earlier ones."""

    WORKER = "worker"
    TEAM_LEAD = "team_lead"
    MANAGER = "manager"
    CONSULTANT = "consultant"
    ADMIN = "admin"


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    # Stored as plain strings (no native PostgreSQL enum), so adding a value needs no DDL.
    return Enum(
        cls,
        name=name,
        native_enum=False,
        length=20,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class Enterprise(Base):
    __tablename__ = "enterprises"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    sector: Mapped[str] = mapped_column(String(80), default="")
    country: Mapped[str] = mapped_column(String(2))  # ISO 3166-1 alpha-2
    timezone: Mapped[str] = mapped_column(String(64))  # IANA, e.g. "Asia/Ho_Chi_Minh"
    default_locale: Mapped[str] = mapped_column(String(16))
    # A lesson not opened within this many hours gets one reminder.
    lesson_reminder_hours: Mapped[int] = mapped_column(Integer, default=24)
    # A suggestion left unreviewed this many days counts as stalled.
    suggestion_stall_days: Mapped[int] = mapped_column(Integer, default=7)
    # An action item is stalled when overdue this many days, or without any update this many.
    action_overdue_stall_days: Mapped[int] = mapped_column(Integer, default=3)
    action_silent_stall_days: Mapped[int] = mapped_column(Integer, default=14)
    # Days a stall waits at one level of the ladder before the next level hears of it.
    escalation_step_days: Mapped[int] = mapped_column(Integer, default=2)
    # The weekly KPI check-in: ISO weekday (5 = Friday) and hour, in the enterprise's timezone.
    checkin_weekday: Mapped[int] = mapped_column(Integer, default=5)
    checkin_hour: Mapped[int] = mapped_column(Integer, default=14)
    # The monthly pulse survey: on the n-th working day of the month (Monday to Saturday) at
    # this hour, every `pulse_every_months` months (0: no pulse survey). The quarterly
    # labour-standards self-check opens on the same day of the quarter's first month.
    pulse_workday: Mapped[int] = mapped_column(Integer, default=1)
    pulse_hour: Mapped[int] = mapped_column(Integer, default=10)
    pulse_every_months: Mapped[int] = mapped_column(Integer, default=1)
    # The worker representative who answers the self-check beside the manager.
    worker_rep_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_utcnow)
    # When the scan next looks at this enterprise's check-in and self-check (UTC; see
    # bot.services.next_due). A new row is due at once (LOOK_NOW), so the first scan computes
    # it; None: never.
    next_checkin_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, default=LOOK_NOW, index=True)
    next_selfcheck_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, default=LOOK_NOW, index=True)

    teams: Mapped[list[Team]] = relationship(back_populates="enterprise", order_by="Team.id")


class Team(Base):
    """An Enterprise Improvement Team (EIT) of managers and workers."""

    __tablename__ = "teams"
    __table_args__ = (UniqueConstraint("enterprise_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("enterprises.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_utcnow)
    # When lessons arrive, in the enterprise's timezone: ISO weekdays (1 = Monday) and a time.
    lesson_weekdays: Mapped[str] = mapped_column(String(20), default="2,4")
    lesson_hour: Mapped[int] = mapped_column(Integer, default=10)
    lesson_minute: Mapped[int] = mapped_column(Integer, default=0)
    # The SCORE module the team is on; new members start there.
    current_module: Mapped[int] = mapped_column(Integer, default=1)
    # The scheduled moment of the last lesson wave sent; the next is due after it.
    lessons_sent_for: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # The week (its Monday) whose suggestion summary the team was last sent.
    suggestions_summary_for: Mapped[date | None] = mapped_column(Date, default=None)
    # When the scan next looks at this team's lesson wave, weekly summary and pulse survey
    # (UTC; see bot.services.next_due). LOOK_NOW for a new row; None: never.
    next_lesson_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, default=LOOK_NOW, index=True)
    next_summary_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, default=LOOK_NOW, index=True)
    next_pulse_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, default=LOOK_NOW, index=True)

    enterprise: Mapped[Enterprise] = relationship(back_populates="teams")

    @property
    def weekdays(self) -> list[int]:
        return sorted({int(d) for d in self.lesson_weekdays.split(",") if d.strip()})


class Person(Base):
    """Someone who has started the bot in a private chat."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    # The language the person chose with /language; None means "follow Telegram's".
    locale: Mapped[str | None] = mapped_column(String(16), default=None)
    # The last language_code Telegram reported, kept so messages sent on a schedule,
    # with no update at hand, still go out in the person's language.
    telegram_language: Mapped[str | None] = mapped_column(String(35), default=None)
    blocked_bot: Mapped[bool] = mapped_column(Boolean, default=False)
    # /pause: no scheduled lessons or reminders until /resume.
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    # /language "voice first": lessons come as their approved voice note, the text underneath.
    voice_first: Mapped[bool] = mapped_column(Boolean, default=False)
    # Set by /forget: the row stays only so anonymous figures (lessons done) still add up.
    forgotten_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_utcnow)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="person", order_by="Membership.id"
    )


class Membership(Base):
    """A person's role in one enterprise (and, for team roles, one team)."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("person_id", "enterprise_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("enterprises.id", ondelete="CASCADE"), index=True
    )
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams.id", ondelete="SET NULL"), index=True, default=None
    )
    role: Mapped[Role] = mapped_column(_enum(Role, "role"))
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_utcnow)

    person: Mapped[Person] = relationship(back_populates="memberships")
    enterprise: Mapped[Enterprise] = relationship()
    team: Mapped[Team | None] = relationship()


class Invite(Base):
    """A deep-link token that lets people join an enterprise (and team) with a given role."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("enterprises.id", ondelete="CASCADE"), index=True
    )
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), default=None
    )
    role: Mapped[Role] = mapped_column(_enum(Role, "role"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    remaining_uses: Mapped[int] = mapped_column(Integer)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_utcnow)

    enterprise: Mapped[Enterprise] = relationship()
    team: Mapped[Team | None] = relationship()


class GroupChat(Base):
    """A Telegram group (usually a consultant's) that follows one or more enterprises."""

    __tablename__ = "group_chats"

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_chat_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    title: Mapped[str] = mapped_column(String(255), default="")
    locale: Mapped[str | None] = mapped_column(String(16), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_utcnow)

    links: Mapped[list[GroupChatLink]] = relationship(
        back_populates="group_chat", cascade="all, delete-orphan"
    )


class GroupChatLink(Base):
    __tablename__ = "group_chat_links"
    __table_args__ = (UniqueConstraint("group_chat_id", "enterprise_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_chat_id: Mapped[int] = mapped_column(
        ForeignKey("group_chats.id", ondelete="CASCADE"), index=True
    )
    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("enterprises.id", ondelete="CASCADE"), index=True
    )
    linked_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), default=None
    )
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_utcnow)
    # The week (its Monday) of the last weekly digest sent for this enterprise to this group.
    last_digest_week: Mapped[date | None] = mapped_column(Date, default=None)
    # When the scan next looks at this link's weekly digest (UTC; bot.services.next_due).
    next_digest_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, default=LOOK_NOW, index=True)

    group_chat: Mapped[GroupChat] = relationship(back_populates="links")
    enterprise: Mapped[Enterprise] = relationship()


class AuditEvent(Base):
    """Who changed what, and when. `actor_id` is None for the command line and the scheduler;
    `actor_label` then says which."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=_utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), default=None
    )
    actor_label: Mapped[str] = mapped_column(String(40), default="")
    enterprise_id: Mapped[int | None] = mapped_column(
        ForeignKey("enterprises.id", ondelete="SET NULL"), index=True, default=None
    )
    action: Mapped[str] = mapped_column(String(60))
    subject: Mapped[str] = mapped_column(String(60), default="")
    subject_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class LessonDelivery(Base):
    """One lesson given to one person, and what became of it: opened, answered, reviewed."""

    __tablename__ = "lesson_deliveries"
    __table_args__ = (
        UniqueConstraint("person_id", "lesson_id"),
        Index("ix_lesson_deliveries_due_reminder", "opened_at", "reminded_at", "sent_at"),
        Index("ix_lesson_deliveries_review_due_at", "review_due_at"),
        # The reminder scan reads only lessons still unopened and unreminded: a few rows
        # among every lesson ever given.
        Index("ix_lesson_deliveries_unopened", "sent_at",
              sqlite_where=text("opened_at IS NULL AND reminded_at IS NULL"),
              postgresql_where=text("opened_at IS NULL AND reminded_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams.id", ondelete="SET NULL"), index=True, default=None
    )
    lesson_id: Mapped[str] = mapped_column(String(64))
    scheduled: Mapped[bool] = mapped_column(Boolean, default=True)  # False: asked for it
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    chosen_option: Mapped[int | None] = mapped_column(Integer, default=None)
    correct: Mapped[bool | None] = mapped_column(Boolean, default=None)
    # A wrong answer brings the question back as a review, twice at most.
    review_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    reviews_sent: Mapped[int] = mapped_column(Integer, default=0)
    review_passed: Mapped[bool | None] = mapped_column(Boolean, default=None)
    # Set when this lesson was part of three missed in a row that the team lead was told of.
    missed_reported: Mapped[bool] = mapped_column(Boolean, default=False)


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # gave up after retries, or Telegram refused the message
    DROPPED = "dropped"  # the person blocked the bot


class OutboxMessage(Base):
    """A message the bot sends on its own (lessons, reminders, nudges), written in the same
    transaction as the change that causes it and delivered by the outbox sender."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_send_after", "status", "send_after"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, index=True)
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), index=True, default=None
    )
    kind: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text)
    reply_markup: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    # A photo or voice note sent with `text` as its caption (Telegram file id).
    media_kind: Mapped[str | None] = mapped_column(String(10), default=None)
    media_file_id: Mapped[str | None] = mapped_column(String(255), default=None)
    status: Mapped[OutboxStatus] = mapped_column(
        _enum(OutboxStatus, "outbox_status"), default=OutboxStatus.PENDING
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_utcnow)
    send_after: Mapped[datetime] = mapped_column(UTCDateTime, default=_utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(String(300), default="")
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    # Set while one sender has claimed the row to send it; another sender may take it only
    # after this time (the first one died). None when nobody is sending it.
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class ActionStatus(enum.StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    DROPPED = "dropped"


class ActionItem(Base):
    """An agreed action with an owner and a date: what turns training into change."""

    __tablename__ = "action_items"
    __table_args__ = (Index("ix_action_items_status_due_on", "status", "due_on"),
                      # The stall scan: open actions without news for a day or more.
                      Index("ix_action_items_status_updated_at", "status", "updated_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("enterprises.id", ondelete="CASCADE"), index=True
    )
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams.id", ondelete="SET NULL"), index=True, default=None
    )
    title: Mapped[str] = mapped_column(String(400))
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True, default=None
    )
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), default=None
    )
    due_on: Mapped[date] = mapped_column(Date)  # a day in the enterprise's timezone
    status: Mapped[ActionStatus] = mapped_column(
        _enum(ActionStatus, "action_status"), default=ActionStatus.OPEN
    )
    # Where it came from: "lesson", "suggestion", "kpi" or "manual", and which one.
    source: Mapped[str] = mapped_column(String(20), default="manual")
    source_ref: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # Reminders sent for the current due date: 0 none, 1 two days before, 2 on the day,
    # 3 overdue. A new date starts again from 0.
    reminder_stage: Mapped[int] = mapped_column(Integer, default=0)

    owner: Mapped[Person | None] = relationship(foreign_keys=[owner_id])
    team: Mapped[Team | None] = relationship()


class SuggestionArea(enum.StrEnum):
    """The SCORE module a suggestion is about."""

    COOPERATION = "cooperation"
    QUALITY = "quality"
    CLEANER_PRODUCTION = "cleaner_production"
    PEOPLE = "people"
    SAFETY = "safety"


class SuggestionStatus(enum.StrEnum):
    NEW = "new"
    UNDER_REVIEW = "under_review"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    DUPLICATE = "duplicate"
    IN_PROGRESS = "in_progress"
    IMPLEMENTED = "implemented"


class Suggestion(Base):
    """A worker's improvement idea.

    Anonymity: `author_id` is set only for named suggestions, and every view and export
    reads the author from it alone. Who sent an anonymous suggestion is kept only sealed, in
    `SuggestionRelay`, which nothing but the relay of messages to the submitter reads.
    """

    __tablename__ = "suggestions"
    __table_args__ = (Index("ix_suggestions_enterprise_id_status", "enterprise_id", "status"),
                      # The stall scan: new suggestions still waiting for a first answer.
                      Index("ix_suggestions_unanswered", "status", "first_response_at",
                            "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id", ondelete="CASCADE"))
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams.id", ondelete="SET NULL"), index=True, default=None
    )
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True, default=None
    )
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    text: Mapped[str] = mapped_column(Text, default="")
    area: Mapped[SuggestionArea | None] = mapped_column(
        _enum(SuggestionArea, "suggestion_area"), default=None
    )
    status: Mapped[SuggestionStatus] = mapped_column(
        _enum(SuggestionStatus, "suggestion_status"), default=SuggestionStatus.NEW
    )
    decline_reason: Mapped[str] = mapped_column(Text, default="")
    duplicate_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("suggestions.id", ondelete="SET NULL"), default=None
    )
    action_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("action_items.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_utcnow)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    implemented_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # Measured impact once implemented (any of them).
    money_saved: Mapped[float | None] = mapped_column(Float, default=None)
    hours_saved: Mapped[float | None] = mapped_column(Float, default=None)
    defects_avoided: Mapped[float | None] = mapped_column(Float, default=None)
    impact_note: Mapped[str] = mapped_column(Text, default="")

    media: Mapped[list[SuggestionMedia]] = relationship(
        order_by="SuggestionMedia.id", cascade="all, delete-orphan"
    )

    @property
    def reference(self) -> str:
        return f"S{self.id}"


class SuggestionRelay(Base):
    """Who sent a suggestion, sealed: an HMAC of the suggestion and its sender under a key kept
    outside the database (bot.services.anonymity.seal), so that the bot can pass messages on
    to the sender while no row names them. Nothing but the relay reads it."""

    __tablename__ = "suggestion_relays"

    suggestion_id: Mapped[int] = mapped_column(
        ForeignKey("suggestions.id", ondelete="CASCADE"), primary_key=True
    )
    seal: Mapped[str] = mapped_column(String(64))


class HeldSuggestion(Base):
    """An anonymous idea waiting for the top of the hour, when every anonymous idea sent in
    that hour goes to the reviewers at once, in no particular order, and only then gets a row
    (and so a number) in `suggestions`. Its time and its number tell nobody when it was sent
    beside the named ideas. The sender is sealed as in `SuggestionRelay`
    (bot.services.anonymity.seal_held); no time of sending is kept."""

    __tablename__ = "held_suggestions"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("enterprises.id", ondelete="CASCADE"), index=True
    )
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams.id", ondelete="SET NULL"), default=None
    )
    text: Mapped[str] = mapped_column(Text, default="")
    area: Mapped[SuggestionArea | None] = mapped_column(
        _enum(SuggestionArea, "suggestion_area"), default=None
    )
    # [[kind, file id], ...]: photos only (a voice note is never sent anonymously).
    media: Mapped[list[list[str]]] = mapped_column(JSON, default=list)
    seal: Mapped[str] = mapped_column(String(64))
    release_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class SuggestionMedia(Base):
    __tablename__ = "suggestion_media"

    id: Mapped[int] = mapped_column(primary_key=True)
    suggestion_id: Mapped[int] = mapped_column(
        ForeignKey("suggestions.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(10))  # "photo" or "voice"
    file_id: Mapped[str] = mapped_column(String(255))
    stage: Mapped[str] = mapped_column(String(10), default="before")  # or "after"


class SuggestionMessage(Base):
    """A question from a reviewer or an answer from the submitter, relayed by the bot.
    `reviewer_id` is set for reviewers' messages; the submitter's side carries no person."""

    __tablename__ = "suggestion_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    suggestion_id: Mapped[int] = mapped_column(
        ForeignKey("suggestions.id", ondelete="CASCADE"), index=True
    )
    from_submitter: Mapped[bool] = mapped_column(Boolean)
    reviewer_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), default=None
    )
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_utcnow)


class EnterpriseKpi(Base):
    """An indicator an enterprise tracks: one from the SCORE catalogue (`key`) or its own
    (`key` "custom-N" with a name per locale), with a baseline, a target and a ProMES
    contingency."""

    __tablename__ = "enterprise_kpis"
    __table_args__ = (UniqueConstraint("enterprise_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("enterprises.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(String(40))
    names: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # custom KPIs only
    unit: Mapped[str] = mapped_column(String(20), default="")
    higher_is_better: Mapped[bool] = mapped_column(Boolean, default=True)
    low: Mapped[float] = mapped_column(Float, default=0.0)  # valid range of a value
    high: Mapped[float] = mapped_column(Float, default=1e9)
    baseline: Mapped[float | None] = mapped_column(Float, default=None)
    baseline_set_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    target: Mapped[float | None] = mapped_column(Float, default=None)
    # ProMES points [[value, effectiveness], ...]; proposed from baseline and target.
    contingency: Mapped[list[list[float]] | None] = mapped_column(JSON, default=None)
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class KpiValue(Base):
    """One KPI's figure for one week (its Monday), or why it was skipped."""

    __tablename__ = "kpi_values"
    __table_args__ = (UniqueConstraint("enterprise_kpi_id", "week"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_kpi_id: Mapped[int] = mapped_column(
        ForeignKey("enterprise_kpis.id", ondelete="CASCADE"), index=True
    )
    week: Mapped[date] = mapped_column(Date)
    value: Mapped[float | None] = mapped_column(Float, default=None)
    skipped_reason: Mapped[str] = mapped_column(Text, default="")
    entered_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), default=None
    )
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_utcnow)


class CheckinRound(Base):
    """One enterprise's weekly check-in: when it was asked for, reminded, nudged and done."""

    __tablename__ = "checkin_rounds"
    __table_args__ = (
        UniqueConstraint("enterprise_id", "week"),
        # The stall scan: rounds whose managers were nudged and that are still not done.
        Index("ix_checkin_rounds_nudged_open", "week",
              sqlite_where=text("nudged_at IS NOT NULL AND completed_at IS NULL"),
              postgresql_where=text("nudged_at IS NOT NULL AND completed_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("enterprises.id", ondelete="CASCADE"), index=True
    )
    week: Mapped[date] = mapped_column(Date)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    nudged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    completed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), default=None
    )


class ActionNote(Base):
    """Progress on an action: a note, and before or after photos (SCORE's favourite evidence)."""

    __tablename__ = "action_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(
        ForeignKey("action_items.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), default=None
    )
    text: Mapped[str] = mapped_column(Text, default="")
    photo_file_id: Mapped[str | None] = mapped_column(String(255), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_utcnow)


class GroupLinkCode(Base):
    """A short-lived code a consultant makes in a direct chat and sends as `/link <code>` in a
    group, to have that group follow an enterprise. Only its maker can use it, once."""

    __tablename__ = "group_link_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id", ondelete="CASCADE"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class StallKind(enum.StrEnum):
    ACTION = "action"  # subject: an action item
    SUGGESTION = "suggestion"  # subject: a suggestion nobody answered
    CHECKIN = "checkin"  # subject: the enterprise, check-ins missed two weeks running


class StallStatus(enum.StrEnum):
    OPEN = "open"  # climbing the ladder
    ACKNOWLEDGED = "acknowledged"  # the consultant has seen it
    CALLING = "calling"  # the consultant will call the team
    SNOOZED = "snoozed"  # the consultant asked to hear again later
    RESOLVED = "resolved"  # no longer stalled


class Stall(Base):
    """One episode of something being stuck, and how far up the ladder it has been told:
    1 the owner, 2 the team lead, 3 the consultant (in a direct message and their groups).
    Each level is told once; a later stall of the same subject is a new row."""

    __tablename__ = "stalls"
    __table_args__ = (Index("ix_stalls_enterprise_id_status", "enterprise_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("enterprises.id", ondelete="CASCADE")
    )
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams.id", ondelete="SET NULL"), default=None
    )
    kind: Mapped[StallKind] = mapped_column(_enum(StallKind, "stall_kind"))
    subject_id: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(20))  # "overdue", "silent", "unreviewed", ...
    # "kind:subject" while the stall is not resolved, then NULL: one open stall per subject.
    open_key: Mapped[str | None] = mapped_column(String(40), unique=True, default=None)
    status: Mapped[StallStatus] = mapped_column(
        _enum(StallStatus, "stall_status"), default=StallStatus.OPEN
    )
    level: Mapped[int] = mapped_column(Integer, default=0)
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    snoozed_until: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    events: Mapped[list[EscalationEvent]] = relationship(
        back_populates="stall", order_by="EscalationEvent.id", cascade="all, delete-orphan"
    )


class EscalationEvent(Base):
    """The history of a stall: detected, told at each level, and what the consultant did."""

    __tablename__ = "escalation_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    stall_id: Mapped[int] = mapped_column(ForeignKey("stalls.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    event: Mapped[str] = mapped_column(String(30))
    level: Mapped[int] = mapped_column(Integer, default=0)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), default=None
    )
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    stall: Mapped[Stall] = relationship(back_populates="events")
class PulseRound(Base):
    """One team's monthly pulse survey (month = its first day): when it opened, was reminded
    and closed, and which statements it asked, in order."""

    __tablename__ = "pulse_rounds"
    __table_args__ = (UniqueConstraint("team_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    month: Mapped[date] = mapped_column(Date)
    statements: Mapped[list[str]] = mapped_column(JSON, default=list)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reminder_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class PulseTally(Base):
    """How many people gave one statement of one round one score (1-5), counted when the
    round closes.

    Anonymity: answers are kept only as these counts, all written in the one transaction that
    closes the round. No row names a person or a time, so no answer can be tied to who gave
    it; who has answered is in `PulseParticipant` alone."""

    __tablename__ = "pulse_tallies"
    __table_args__ = (UniqueConstraint("round_id", "statement", "score"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(
        ForeignKey("pulse_rounds.id", ondelete="CASCADE"), index=True
    )
    statement: Mapped[str] = mapped_column(String(30))
    score: Mapped[int] = mapped_column(Integer)
    count: Mapped[int] = mapped_column(Integer, default=0)


class PulseBallot(Base):
    """One person's answers to an open round, waiting to be counted, with no person, no time
    and no ordered id: a random key, and on SQLite no rowid, so neither a column nor the order
    of rows tells who gave it or when. When the round closes every ballot is added to
    `PulseTally` in one transaction and deleted (see README "How anonymity is kept (pulse
    survey)" for what a database administrator can see before that)."""

    __tablename__ = "pulse_ballots"
    __table_args__ = {"sqlite_with_rowid": False}  # noqa: RUF012 (SQLAlchemy reads it once)

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    round_id: Mapped[int] = mapped_column(
        ForeignKey("pulse_rounds.id", ondelete="CASCADE"), index=True
    )
    # One digit (the score, 1-5) per statement, in the round's order.
    scores: Mapped[str] = mapped_column(String(30))


class PulseParticipant(Base):
    """Who has answered a round (so they are not asked again, nor reminded), and nothing about
    what they answered: no id or time that could be matched with the tallies."""

    __tablename__ = "pulse_participants"

    round_id: Mapped[int] = mapped_column(
        ForeignKey("pulse_rounds.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )


class SelfCheckRound(Base):
    """One enterprise's quarterly labour-standards self-check (quarter = its first day)."""

    __tablename__ = "selfcheck_rounds"
    __table_args__ = (UniqueConstraint("enterprise_id", "quarter"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("enterprises.id", ondelete="CASCADE"), index=True
    )
    quarter: Mapped[date] = mapped_column(Date)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Set when both sides have answered every item and the differences became actions.
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class SelfCheckAnswer(Base):
    """One side's answer ("yes", "no" or "unsure") to one checklist item. The sides are the
    manager and the worker representative; their answers are not anonymous."""

    __tablename__ = "selfcheck_answers"
    __table_args__ = (UniqueConstraint("round_id", "item", "side"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(
        ForeignKey("selfcheck_rounds.id", ondelete="CASCADE"), index=True
    )
    item: Mapped[str] = mapped_column(String(40))
    side: Mapped[str] = mapped_column(String(10))  # "manager" or "worker"
    answer: Mapped[str] = mapped_column(String(10))
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), default=None
    )
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_utcnow)


class LessonRecording(Base):
    """A lesson read aloud by a person (a consultant or an admin) in one language, kept as
    Telegram's file id of the voice note. Workers hear it only once a second person (another
    consultant, or an admin) has approved it; the latest approved one of a lesson, part and
    language is the one played. `part` is "lesson" (the lesson's text) or "quiz" (its quiz
    question and answers)."""

    __tablename__ = "lesson_recordings"
    __table_args__ = (Index("ix_lesson_recordings_lesson_locale", "lesson_id", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[str] = mapped_column(String(64))
    locale: Mapped[str] = mapped_column(String(16))
    file_id: Mapped[str] = mapped_column(String(255))
    part: Mapped[str] = mapped_column(String(16), default="lesson")
    recorded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), default=None
    )
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_utcnow)
    approved_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), default=None
    )
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class LessonPicture(Base):
    """A photo from the factory floor shown with a lesson (a 5S board, a guarded machine),
    kept by Telegram's file id. Attached by a consultant or an admin for the enterprises they
    follow (`LessonPictureEnterprise`, fixed when attached), shown there only once a second
    person of those enterprises has approved it; the latest approved one is shown."""

    __tablename__ = "lesson_pictures"
    __table_args__ = (Index("ix_lesson_pictures_lesson", "lesson_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[str] = mapped_column(String(64))
    file_id: Mapped[str] = mapped_column(String(255))
    attached_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), default=None
    )
    attached_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_utcnow)
    approved_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), default=None
    )
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class LessonPictureEnterprise(Base):
    """An enterprise whose workers see a lesson picture."""

    __tablename__ = "lesson_picture_enterprises"

    picture_id: Mapped[int] = mapped_column(
        ForeignKey("lesson_pictures.id", ondelete="CASCADE"), primary_key=True
    )
    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("enterprises.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class ProcessedUpdate(Base):
    """Telegram updates already handled, recorded in the transaction that handles them, so
    an update delivered twice (a webhook retry, a crash before polling confirmed it) has its
    effects once. Rows older than a few days are pruned."""

    __tablename__ = "processed_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    handled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_utcnow, index=True)


class WhatsAppContact(Base):
    """A person on WhatsApp, as the Cloud API names them (`wa_id`, stored as the webhook gives
    it, never parsed), and the Telegram-compatible chat id the rest of the bot knows them by:
    WA_CHAT_ID_BASE + this row's id (bot/channels/whatsapp/ids.py). Deleted by /forget."""

    __tablename__ = "whatsapp_contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    wa_id: Mapped[str] = mapped_column(String(64), unique=True)
    # The last time the person wrote: the 24-hour customer-service window runs from here.
    last_inbound_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # The choices of the last numbered menu sent (callback data, in order), answered by a
    # number; None when the last message asked for no number.
    choices: Mapped[list[str] | None] = mapped_column(JSON, default=None)
    # The last delivery status Meta reported (sent, delivered, read, failed) and when.
    last_status: Mapped[str] = mapped_column(String(16), default="")
    last_status_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # When the bot last sent them a template (a business-initiated conversation): the daily
    # tier counts the people of the last 24 hours from here after a restart.
    conversation_opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None,
                                                                    index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_utcnow)


class WhatsAppHeld(Base):
    """A message that could not go out because the person's 24-hour window had closed: a
    template went instead, and this follows when the person taps it (or writes)."""

    __tablename__ = "whatsapp_held"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("whatsapp_contacts.id", ondelete="CASCADE"), index=True
    )
    # The Cloud API request bodies, in order, as they would have been sent.
    payloads: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_utcnow)
