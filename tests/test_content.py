"""The curriculum: complete in every shipped language, within the limits, and checked on load."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.content.check import check_report, lesson_gaps, preview, rendered_lesson
from bot.content.loader import ContentError, load_curriculum, load_lesson
from bot.content.schema import LESSON_MESSAGE_MAX, OPTION_MAX, Lesson
from bot.i18n import build_i18n
from bot.languages import SUPPORTED_LOCALES
from bot.offline.telegram import parse_html, telegram_length

CURRICULUM = load_curriculum()
EXAMPLE = Path(__file__).parent.parent / "bot/content/lessons/m1-01-improvement-team.toml"


def test_thirty_lessons_across_the_five_modules():
    assert len(CURRICULUM) >= 30
    for module in range(1, 6):
        assert len(CURRICULUM.module_lessons(module)) >= 6, module
    keys = [lesson.key for lesson in CURRICULUM.lessons]
    assert len(set(keys)) == len(keys)


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_every_lesson_is_in_every_language_and_fits_one_screen(locale):
    i18n = build_i18n()
    for lesson in CURRICULUM.lessons:
        assert locale in lesson.text, f"{lesson.id} lacks {locale}"
        shown = parse_html(rendered_lesson(i18n, CURRICULUM, lesson.id, locale))
        assert telegram_length(shown) <= LESSON_MESSAGE_MAX, (lesson.id, locale)
        text = lesson.text[locale]
        assert all(len(option) <= OPTION_MAX for option in text.options)
        assert len(text.options) == len(lesson.text["en"].options)


def test_the_content_check_is_complete():
    report, complete = check_report()
    assert complete, report
    assert lesson_gaps(build_i18n(), CURRICULUM) == {}


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_preview_shows_the_lesson_as_sent(locale):
    lesson = CURRICULUM.lessons[7]
    shown = preview(lesson.key, locale)
    text = lesson.text[locale]
    assert text.title in shown and text.task in shown and text.options[-1] in shown


def with_changes(**changes: object) -> dict:
    raw = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    english = raw["text"]["en"]
    for key, value in changes.items():
        (english if key in english else raw)[key] = value
    return raw


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"module": 6}, "module must be 1 to 5"),
        ({"answer": 3}, "answer points past"),
        ({"feedback": ["a long enough one", "and another one"]}, "one feedback per option"),
        ({"options": ["Same", "same", "other"]}, "options must differ"),
        ({"options": ["x" * 61, "b", "c"]}, "each option needs"),
        ({"title": "x" * 81}, "title"),
        ({"body": "Use <b>bold</b> here and it is refused because lessons are plain text."},
         "plain text only"),
        ({"id": "lesson-one"}, "id must look like"),
        ({"surprise": 1}, "Extra inputs"),
    ],
)
def test_the_schema_refuses_broken_lessons(changes, problem):
    with pytest.raises(ValidationError, match=problem):
        Lesson.model_validate(with_changes(**changes))
    assert Lesson.model_validate(with_changes()).id == "m1-01-improvement-team"


def test_a_broken_file_is_named_in_the_error(tmp_path):
    path = tmp_path / "m9-broken.toml"
    path.write_text(EXAMPLE.read_text(encoding="utf-8").replace("module = 1", "module = 6"),
                    encoding="utf-8")
    with pytest.raises(ContentError, match=r"m9-broken\.toml: module"):
        load_lesson(path)
    path.write_text("id = ", encoding="utf-8")
    with pytest.raises(ContentError, match=r"m9-broken\.toml: not valid TOML"):
        load_lesson(path)
