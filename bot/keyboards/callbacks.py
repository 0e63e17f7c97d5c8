"""Every button's data, as aiogram CallbackData factories.

Button data comes back from the phone and can be forged, so handlers re-check everything a
button names (an enterprise, a team, a role) against the person's memberships. Each factory
stays within Telegram's 64-byte limit even with the largest ids; a test checks it.
"""

from __future__ import annotations

from typing import Annotated, Literal

from aiogram.filters.callback_data import CallbackData
from pydantic import Field

from storage.models import Role, SuggestionArea

# Ids as the database stores them (32-bit integers). Anything else in a button is forged:
# it does not unpack, the button matches no handler, and gets the polite refusal.
DbId = Annotated[int, Field(ge=0, le=2**31 - 1)]
SmallNumber = Annotated[int, Field(ge=-1, le=366)]
# A language code as bot.languages lists them ("en", "zh_Hans").
LanguageCode = Annotated[str, Field(pattern=r"^[a-z]{2,3}(_[A-Za-z]{2,4})?$")]
# A lesson's short key ("m2-03", see bot.content.schema.Lesson.key).
LessonKey = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,16}$")]

# What each button does: one handler each, chosen by a magic filter (F.action == "accept").
# A value outside these does not unpack: the button matches no handler and is refused.
ScheduleAction = Literal["day", "hour", "done", "show"]
SuggestStep = Literal["cancel", "start_with_media", "area", "retype", "anonymous"]
ReviewAction = Literal["accept", "decline", "ask", "duplicate", "assign", "implemented",
                       "impact_menu"]
ImpactKind = Literal["money", "hours", "defects", "safety", "skip"]
PickKind = Literal["dup", "owner", "due"]
CheckinAction = Literal["start", "redo", "correct", "keep", "skip", "save", "restart",
                        "cancel"]
KpiAction = Literal["chart", "baseline", "points"]
ActionAnswer = Literal["done", "progress", "help", "date", "move", "skip"]
PlanStep = Literal["team", "owner", "kpi", "due", "cancel"]
EscalationAction = Literal["ack", "call", "owner", "date", "snooze", "pick_owner", "pick_date"]
EnterpriseAction = Literal["suggest", "stats", "checkin", "kpi", "baseline", "points",
                           "health", "teams", "export"]
HealthItemKind = Literal["stall", "action"]
SelfCheckAction = Literal["start", "answer", "rep", "setrep", "take", "drop"]
PrivacyAction = Literal["forget", "keep"]


class LanguageCallback(CallbackData, prefix="lang"):
    code: LanguageCode


class GroupLanguageCallback(CallbackData, prefix="gl"):
    """The language of a linked group chat, chosen by a consultant or admin who follows it."""

    code: LanguageCode


class InviteCallback(CallbackData, prefix="inv"):
    """Steps of /invite: pick the enterprise, then the role, then the team (team roles)."""

    enterprise_id: DbId
    role: Role | None = None
    team_id: DbId = 0


class LessonCallback(CallbackData, prefix="ls"):
    """Open a lesson the bot announced. `key` is the lesson's short key, e.g. "m2-03"."""

    key: LessonKey


class QuizCallback(CallbackData, prefix="qz"):
    key: LessonKey
    option: SmallNumber


class ReviewCallback(CallbackData, prefix="rv"):
    key: LessonKey
    option: SmallNumber


class LessonActionCallback(CallbackData, prefix="la"):
    """A team lead turns a lesson's "apply it this week" task into a team action."""

    key: LessonKey


class ScheduleCallback(CallbackData, prefix="sc"):
    """Change a team's lesson schedule: toggle a weekday (1-7), move the hour, or finish."""

    team_id: DbId
    action: ScheduleAction
    value: SmallNumber = 0


class SuggestCallback(CallbackData, prefix="sg"):
    """Steps of writing a suggestion: its area, anonymity, cancel, or start from a photo."""

    step: SuggestStep
    value: SuggestionArea | Literal["", "none", "yes", "no"] = ""


class SuggestionCallback(CallbackData, prefix="sr"):
    """A reviewer's action on a suggestion (accept, decline, ...). Reviewers only: the
    submitter's answer has its own factory, `SubmitterAnswerCallback`."""

    id: DbId
    action: ReviewAction


class ImpactCallback(CallbackData, prefix="si"):
    """What an implemented suggestion brought, picked by its reviewer (or Skip)."""

    id: DbId
    kind: ImpactKind


class SubmitterAnswerCallback(CallbackData, prefix="sa"):
    """The submitter answers a reviewer's question (a private flow: see
    bot.middlewares.private_flow)."""

    id: DbId


class LegacySubmitterAnswerCallback(CallbackData, prefix="sr"):
    """"sr:<id>:answer": the submitter's Answer button as sent before it had its own factory;
    still in people's chats, so still answered."""

    id: DbId
    action: Literal["answer"]


class SuggestionPickCallback(CallbackData, prefix="sp"):
    """A reviewer picks the original of a duplicate, an owner, or a due date (days)."""

    id: DbId
    kind: PickKind
    value: DbId  # an id for "dup" and "owner", days for "due"


class CheckinCallback(CallbackData, prefix="ck"):
    """The weekly KPI check-in: start, correct this week ("redo") or last week ("correct"),
    leave the figures as they are ("keep"), skip a KPI, save, restart, cancel. The enterprise
    is named when the person reports for several (0: the only one, or the one under way)."""

    action: CheckinAction
    kpi_id: DbId = 0
    enterprise_id: DbId = 0


class KpiCallback(CallbackData, prefix="kp"):
    """Pick a KPI: "chart" for its own chart, "baseline" to correct its baseline."""

    action: KpiAction
    kpi_id: DbId


class ActionCallback(CallbackData, prefix="ac"):
    """One-tap answers to an action reminder: done, in progress, need help, new date."""

    id: DbId
    action: ActionAnswer
    value: SmallNumber = 0


class PlanCallback(CallbackData, prefix="pa"):
    """Steps of /action: pick the team, the owner, the due date (days), or cancel."""

    step: PlanStep
    value: DbId = 0


class EscalationCallback(CallbackData, prefix="es"):
    """A consultant's answer to a stall: acknowledge, will call, reassign (then pick the new
    owner), new date (then pick the days), snooze."""

    id: DbId
    action: EscalationAction
    value: DbId = 0


class EnterpriseCallback(CallbackData, prefix="en"):
    """Open one enterprise's details (/teams), or pick it for an export or a group link."""

    action: EnterpriseAction
    id: DbId


class HealthItemCallback(CallbackData, prefix="hi"):
    """From an enterprise's health card to one item on it: a stall or an overdue action."""

    kind: HealthItemKind
    id: DbId


# A pulse survey's answers so far: one digit 1-5 per statement answered, in order.
PulseAnswers = Annotated[str, Field(pattern=r"^[1-5]{0,8}$")]
Score = Annotated[int, Field(ge=1, le=5)]


class PulseCallback(CallbackData, prefix="pu"):
    """One answer of the anonymous pulse survey. The answers given so far travel in the button
    (in the person's own chat) and are counted only when the last statement is answered, so
    no half-answered survey is stored and nothing ties a person to their answers."""

    round_id: DbId
    given: PulseAnswers
    score: Score


class SelfCheckCallback(CallbackData, prefix="lc"):
    """The labour-standards self-check: answer an item ("yes", "no", "unsure"), start, choose
    the worker representative, or take on or drop a proposed action."""

    action: SelfCheckAction
    id: DbId = 0  # a round, a person or an action, depending on the action
    item: SmallNumber = 0
    # An answer ("yes", "no", "unsure"), or the enterprise's id when choosing its representative.
    value: Annotated[str, Field(pattern=r"^(|yes|no|unsure|[0-9]{1,10})$")] = ""


class PrivacyCallback(CallbackData, prefix="pv"):
    """/forget: "forget" to go ahead, "keep" to change nothing."""

    action: PrivacyAction


ALL_FACTORIES: tuple[type[CallbackData], ...] = (
    LanguageCallback,
    GroupLanguageCallback,
    InviteCallback,
    LessonCallback,
    QuizCallback,
    ReviewCallback,
    ScheduleCallback,
    LessonActionCallback,
    SuggestCallback,
    SuggestionCallback,
    ImpactCallback,
    SubmitterAnswerCallback,
    LegacySubmitterAnswerCallback,
    SuggestionPickCallback,
    CheckinCallback,
    KpiCallback,
    ActionCallback,
    PlanCallback,
    EscalationCallback,
    EnterpriseCallback,
    HealthItemCallback,
    PulseCallback,
    SelfCheckCallback,
    PrivacyCallback,
)
