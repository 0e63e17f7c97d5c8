"""The review record: who reviewed each catalog and each lesson, in which language and when;
`scorebot content check` lists what no native speaker has reviewed yet, and isiZulu and Hindi
are marked as needing one."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

from bot.content.check import check_report
from bot.content.files import read_raw, write_raw
from bot.content.loader import LESSONS_DIR, load_curriculum
from bot.content.review import catalog_review, review_gaps
from bot.i18n_check import LOCALES_DIR
from bot.languages import SUPPORTED_LOCALES

CURRICULUM = load_curriculum()


def test_every_lesson_and_catalog_says_who_reviewed_it_and_when():
    for lesson in CURRICULUM.lessons:
        assert set(lesson.review) == set(SUPPORTED_LOCALES), lesson.id
    for locale in SUPPORTED_LOCALES:
        if locale == "en":
            continue
        review = catalog_review(LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po")
        assert review is not None, locale
        assert review.reviewed_by and review.reviewed_on >= date(2026, 11, 29)


def test_isizulu_and_hindi_need_a_native_speaker_and_nothing_pretends_to_be_native():
    gaps = review_gaps(CURRICULUM, LOCALES_DIR)
    assert gaps.needs_native_speaker == ["hi", "zu"]
    assert "catalog" in gaps.no_native["zu"] and len(gaps.no_native["zu"]) == 31
    report, complete = check_report()
    assert complete
    assert "needs a native speaker before use with workers: hi, zu" in report
    assert "no native review yet [zu]: catalog; 30 lessons" in report


def test_a_native_review_takes_a_lesson_off_the_list(tmp_path: Path):
    lessons = tmp_path / "lessons"
    shutil.copytree(LESSONS_DIR, lessons)
    path = next(lessons.glob("m4-03-*.toml"))
    raw, comment = read_raw(path)
    raw["review"]["es"] = {"reviewed_by": "Rosa Quispe, SCORE trainer, Lima",
                           "reviewed_on": date(2026, 12, 1), "native": True}
    write_raw(path, raw, comment)
    gaps = review_gaps(load_curriculum(lessons), LOCALES_DIR)
    assert "m4-03-fair-pay-and-payslips" not in gaps.no_native["es"]
    assert "m4-03-fair-pay-and-payslips" in gaps.no_native["fr"]


def test_a_catalog_review_line_wrapped_by_babel_is_read_whole(tmp_path: Path):
    po = tmp_path / "messages.po"
    po.write_text(
        "# Zulu translations for scorebot.\n"
        "# reviewed_by: Thandi Dlamini, SCORE trainer, Durban, native speaker of\n"
        "# isiZulu\n"
        "# reviewed_on: 2026-12-02\n"
        "# native_review: yes\n"
        'msgid ""\nmsgstr ""\n', encoding="utf-8")
    review = catalog_review(po)
    assert review is not None and review.native and not review.needs_native_speaker
    assert review.reviewed_by.endswith("native speaker of isiZulu")


def test_the_safety_lessons_say_what_ilo_guidance_says_and_name_their_sources():
    english = {lesson.key: " ".join(str(v) for v in lesson.text["en"].model_dump().values())
               for lesson in CURRICULUM.lessons}
    for needed in ("try to start", "compressed air", "springs", "padlock"):
        assert needed in english["m5-05"], needed
    for key in ("m5-03", "m3-05"):
        assert "respirator" in english[key] and "chemical mask" not in english[key], key
    assert "cartridge" in english["m5-03"]
    for needed in ("flames or sparks", "open doors and windows", "react together", "apart"):
        assert needed in english["m3-05"], needed
    for needed in ("raise the alarm", "never go back in"):
        assert needed in english["m5-04"], needed
    for lesson in CURRICULUM.lessons:
        if lesson.module == 5 or lesson.key in ("m3-05", "m4-03", "m1-02", "m2-01"):
            assert lesson.sources, lesson.id
