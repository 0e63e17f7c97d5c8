"""The approved WhatsApp templates (bot/channels/whatsapp/templates.json): one per kind of
scheduled message and the generic one, each in every shipped language, worded with the
glossary's terms; an outbox kind finds its template, or the generic one."""

from __future__ import annotations

import pytest

from bot.channels.whatsapp.templates import (
    META_LANGUAGE,
    WAITING,
    choose,
    template_of,
    templates,
)
from bot.content.glossary import Segment, glossary_problems
from bot.languages import SUPPORTED_LOCALES
from bot.limits import WA_BUTTON_TITLE_MAX

NAMES = {"score_waiting", "score_lesson", "score_reminder", "score_checkin",
         "score_escalation", "score_digest"}


def test_each_template_in_every_shipped_language():
    languages = {META_LANGUAGE.get(locale, locale) for locale in SUPPORTED_LOCALES}
    assert len(languages) == 8
    found = {(t["name"], t["language"]) for t in templates()}
    assert found == {(name, language) for name in NAMES for language in languages}
    for template in templates():
        assert template["body"].count("{{1}}") == 1, template
        assert 0 < len(template["button"]) <= WA_BUTTON_TITLE_MAX, template


def test_the_templates_use_the_glossary():
    english = {t["name"]: t["body"] for t in templates() if t["language"] == "en"}
    ours = {language: locale for locale, language in META_LANGUAGE.items()}
    segments = [Segment(f"catalog template {t['name']}", ours.get(t["language"], t["language"]),
                        english[t["name"]], t["body"])
                for t in templates() if t["language"] != "en"]
    assert glossary_problems(segments) == []


@pytest.mark.parametrize(("kind", "name"), [
    ("lesson", "score_lesson"), ("missed_lessons", "score_lesson"),
    ("lesson_reminder", "score_reminder"), ("action_reminder_due", "score_reminder"),
    ("checkin_invite", "score_checkin"), ("checkin_remind", "score_checkin"),
    ("escalation", "score_escalation"), ("stall_level_2", "score_escalation"),
    ("digest", "score_digest"), ("suggestion_answer", WAITING), (None, WAITING),
])
def test_an_outbox_kind_finds_its_template(kind, name):
    assert template_of(kind) == name
    assert choose(kind, "zh_Hans") == (name, "zh_CN")
    assert choose(kind, "xx") == (name, "en")
