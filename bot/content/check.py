"""`scorebot content check` and `preview`: is every lesson and every interface string there,
in every shipped locale, within Telegram's and our limits?"""

from __future__ import annotations

from babel.messages.pofile import read_po

from bot.content.glossary import catalog_segments, glossary_problems, lesson_segments
from bot.content.loader import ContentError, Curriculum, load_curriculum
from bot.content.review import review_gaps
from bot.content.schema import LESSON_MESSAGE_MAX
from bot.i18n import LOCALES_DIR, CatalogI18n, build_i18n
from bot.i18n_check import catalog_path, catalog_problems
from bot.languages import SUPPORTED_LOCALES
from bot.offline.telegram import parse_html, telegram_length


def rendered_lesson(i18n: CatalogI18n, curriculum: Curriculum, lesson_id: str,
                    locale: str) -> str:
    """The lesson message exactly as the bot sends it (HTML)."""
    from bot.presenters.lessons import lesson_text

    lesson = curriculum.get(lesson_id)
    assert lesson is not None
    with i18n.speaking(locale):
        return lesson_text(lesson, locale, curriculum)


def lesson_gaps(i18n: CatalogI18n, curriculum: Curriculum) -> dict[tuple[str, str], str]:
    """(lesson id, locale) -> what is wrong; empty when all is well."""
    gaps: dict[tuple[str, str], str] = {}
    for lesson in curriculum.lessons:
        for locale in SUPPORTED_LOCALES:
            if locale not in lesson.text:
                gaps[(lesson.id, locale)] = "missing"
                continue
            shown = parse_html(rendered_lesson(i18n, curriculum, lesson.id, locale))
            if telegram_length(shown) > LESSON_MESSAGE_MAX:
                gaps[(lesson.id, locale)] = f"{telegram_length(shown)} chars"
    return gaps


def catalog_coverage() -> dict[str, float]:
    coverage = {"en": 1.0}
    for locale in SUPPORTED_LOCALES:
        if locale == "en":
            continue
        with catalog_path(locale).open("rb") as handle:
            catalog = read_po(handle, locale=locale)
        entries = [m for m in catalog if m.id]
        done = [
            m for m in entries
            if not m.fuzzy and (all(m.string) if isinstance(m.string, tuple) else m.string)
        ]
        coverage[locale] = len(done) / len(entries) if entries else 1.0
    return coverage


def check_report() -> tuple[str, bool]:
    """The coverage table, and whether everything is complete."""
    try:
        curriculum = load_curriculum()
    except ContentError as error:
        return f"lesson content cannot be loaded: {error}", False
    i18n = build_i18n()
    gaps = lesson_gaps(i18n, curriculum)
    coverage = catalog_coverage()
    problems = catalog_problems()
    width = max(len(lesson.id) for lesson in curriculum.lessons)
    header = "lesson".ljust(width) + "  " + "  ".join(f"{loc:>7}" for loc in SUPPORTED_LOCALES)
    lines = [header, "-" * len(header)]
    for lesson in curriculum.lessons:
        cells = [f"{gaps.get((lesson.id, loc), 'ok'):>7}" for loc in SUPPORTED_LOCALES]
        lines.append(lesson.id.ljust(width) + "  " + "  ".join(cells))
    lines.append("-" * len(header))
    lines.append("catalog".ljust(width) + "  " + "  ".join(
        f"{coverage[loc]:>7.0%}" for loc in SUPPORTED_LOCALES))
    modules = ", ".join(
        f"module {m}: {len(curriculum.module_lessons(m))}" for m in range(1, 6)
    )
    lines.append(f"{len(curriculum)} lessons ({modules})")
    lines += [f"catalog problem: {problem}" for problem in problems]
    translated = [locale for locale in SUPPORTED_LOCALES if locale != "en"]
    locales_dir = LOCALES_DIR
    wrong_terms = glossary_problems([*catalog_segments(translated, locales_dir),
                                     *lesson_segments(curriculum)])
    lines += [f"glossary: {problem}" for problem in wrong_terms]
    lines += review_gaps(curriculum, locales_dir).lines()
    ok = (not gaps and not problems and not wrong_terms
          and all(v == 1.0 for v in coverage.values()))
    lines.append("complete" if ok else f"gaps: {len(gaps)} lesson cells, "
                                        f"{len(problems)} catalog problems, "
                                        f"{len(wrong_terms)} glossary problems")
    return "\n".join(lines), ok


def preview(lesson_ref: str, locale: str, country: str | None = None) -> str:
    """A lesson as the person sees it: the announcement, the lesson (with the note for
    `country`, if it has one), the quiz, the task."""
    from bot.presenters import lessons as ui

    curriculum = load_curriculum()
    lesson = curriculum.get(lesson_ref) or curriculum.by_key(lesson_ref)
    if lesson is None:
        raise ContentError(f"no lesson {lesson_ref!r}; ids look like {curriculum.lessons[0].id}")
    i18n = build_i18n()
    with i18n.speaking(locale):
        teaser, _markup = ui.teaser(lesson, locale)
        quiz, _markup = ui.quiz(lesson, locale)
        parts = [
            parse_html(teaser),
            parse_html(ui.lesson_text(lesson, locale, curriculum)),
            *[parse_html(note) for note in
              ui.country_notes(lesson, locale, [country.upper()] if country else [])],
            parse_html(quiz),
            "\n".join(f"  [{i + 1}] {option}" for i, option in
                      enumerate(lesson.in_locale(locale).options)),
            parse_html(ui.answered(lesson, locale, lesson.answer, True)),
            parse_html(ui.task(lesson, locale)[0]),
        ]
    return "\n\n-----\n\n".join(parts)
