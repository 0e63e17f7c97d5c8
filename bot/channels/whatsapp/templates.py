"""The approved templates (templates.json, submitted to Meta by an admin): one per kind of
scheduled message, one per language, and the generic one for every other kind."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

TEMPLATES_FILE = Path(__file__).with_name("templates.json")
WAITING = "score_waiting"  # "Your SCORE coach has a new message for you: {{1}}" [Show it]
LESSON = "score_lesson"  # "You have a new SCORE lesson: {{1}}" [Open the lesson]
REMINDER = "score_reminder"  # "A reminder from SCORE: {{1}}"
CHECKIN = "score_checkin"  # "Time for your weekly SCORE check-in: {{1}}" [Start]
ESCALATION = "score_escalation"  # "Something in SCORE needs your attention: {{1}}"
DIGEST = "score_digest"  # "Your weekly SCORE summary is ready: {{1}}"
HELD_PAYLOAD = "wa:held"  # the quick-reply payload that brings the held messages

# The outbox kinds (bot/scheduling) and their template; a kind named here by its start
# ("checkin_invite", "action_reminder_due") ends with "_".
_BY_KIND = {"lesson": LESSON, "missed_lessons": LESSON,
            "lesson_reminder": REMINDER, "pulse_reminder": REMINDER,
            "action_reminder_": REMINDER,
            "checkin_": CHECKIN,
            "escalation": ESCALATION, "stall_level_": ESCALATION,
            "digest": DIGEST, "suggestions_week": DIGEST}

# Our locale ids -> Meta's template language codes.
META_LANGUAGE = {"zh_Hans": "zh_CN"}


@cache
def templates() -> list[dict[str, Any]]:
    return list(json.loads(TEMPLATES_FILE.read_text(encoding="utf-8"))["templates"])


def template_of(kind: str | None) -> str:
    """The template that announces a message of this outbox kind (None: not from the
    outbox), the generic one when the kind has none."""
    if kind is None:
        return WAITING
    if kind in _BY_KIND:
        return _BY_KIND[kind]
    return next((name for start, name in _BY_KIND.items()
                 if start.endswith("_") and kind.startswith(start)), WAITING)


def language_for(name: str, locale: str) -> str:
    """Meta's code of the template `name` in `locale`, else in English."""
    wanted = META_LANGUAGE.get(locale, locale)
    languages = {t["language"] for t in templates() if t["name"] == name}
    return wanted if wanted in languages else "en"


def choose(kind: str | None, locale: str) -> tuple[str, str]:
    """(template name, Meta language code) for a message of `kind` to a person reading
    `locale`: the kind's template in their language, else the generic one in it, else the
    kind's in English."""
    name = template_of(kind)
    wanted = META_LANGUAGE.get(locale, locale)
    if language_for(name, locale) != wanted and language_for(WAITING, locale) == wanted:
        return WAITING, wanted
    return name, language_for(name, locale)
