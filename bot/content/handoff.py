"""Translator hand-off: one language's interface strings and lessons as a PO file, for a national
SCORE trainer to review in a tool they know (Poedit, Weblate, any PO editor), and back.

    scorebot content export --lang zu -o scorebot-zu.po
    scorebot content import scorebot-zu.po --reviewer "Name, role" [--native]

Interface strings keep their catalog msgid (no context). Lesson fields carry the context
`<lesson id>|<field>` (`m4-03-fair-pay-and-payslips|options[1]`, `...|notes.PE`), the English as
msgid, limits and glossary terms as comments. An import is all or nothing: every entry is checked
first (same English as now, same placeholders, tags and commands, the lesson schema, the length as
sent) and one problem refuses the whole file, naming the lesson and field. Exporting and importing
the same file changes nothing; a reviewer is recorded only when named."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po
from pydantic import ValidationError

from bot.clock import SystemClock
from bot.content.files import read_raw, write_raw
from bot.content.glossary import glossary
from bot.content.loader import LESSONS_DIR, load_curriculum
from bot.content.schema import (
    FEEDBACK_MAX,
    LESSON_MESSAGE_MAX,
    NOTE_MAX,
    OPTION_MAX,
    QUESTION_MAX,
    TASK_MAX,
    TITLE_MAX,
    Lesson,
)
from bot.i18n_check import _marks
from bot.languages import SUPPORTED_LOCALES

LIST_FIELDS = ("options", "feedback")
TEXT_FIELDS = ("title", "body", "key_practice", "question", "task")
LIMITS = {
    "title": f"at most {TITLE_MAX} characters",
    "body": f"title, body and key practice together at most {LESSON_MESSAGE_MAX} characters "
            "as sent",
    "key_practice": "at most 250 characters",
    "question": f"at most {QUESTION_MAX} characters",
    "options": f"a button: at most {OPTION_MAX} characters",
    "feedback": f"at most {FEEDBACK_MAX} characters",
    "task": f"at most {TASK_MAX} characters",
    "notes": f"at most {NOTE_MAX} characters; a law's facts: translate, add nothing",
}
_CONTEXT = re.compile(r"^(m[1-5]-\d{2}-[a-z0-9-]+)\|(?:(title|body|key_practice|question|task)"
                      r"|(options|feedback)\[(\d)\]|notes\.([A-Z]{2}))$")


class HandoffError(Exception):
    """An import refused; the message lists every problem, one per line."""


@dataclass
class ImportResult:
    changed: list[Path] = field(default_factory=list)


def _catalog_path(locales_dir: Path, locale: str) -> Path:
    return locales_dir / locale / "LC_MESSAGES" / "messages.po"


def _read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


def _po_bytes(catalog: Catalog) -> bytes:
    """As `pybabel update` writes it (so an unchanged catalog is written byte for byte)."""
    buffer = io.BytesIO()
    write_po(buffer, catalog, ignore_obsolete=True, include_previous=False, no_location=True,
             sort_output=True)
    return buffer.getvalue()


def _terms_comment(english: str, locale: str) -> list[str]:
    used = [t for t in glossary() if t.en.search(english) and locale in t.renderings]
    if not used:
        return []
    return ["glossary: " + "; ".join(f"{t.key} = {t.renderings[locale].use}" for t in used)]


def _lesson_entries(lesson: Lesson, locale: str) -> list[tuple[str, str, str, list[str]]]:
    """(context, English, translation, comments) for every translatable field of a lesson."""
    english = lesson.text["en"].model_dump()
    current = lesson.text[locale].model_dump() if locale in lesson.text else {}
    entries = []
    for name in ("title", "body", "key_practice", "question", "options", "feedback", "task"):
        values = english[name] if name in LIST_FIELDS else [english[name]]
        for index, value in enumerate(values):
            if name in LIST_FIELDS:
                context = f"{lesson.id}|{name}[{index}]"
                translated = current.get(name, [""] * len(values))[index] if current else ""
            else:
                context = f"{lesson.id}|{name}"
                translated = current.get(name, "")
            entries.append((context, value, translated, [LIMITS[name]]))
    for country, note in sorted(lesson.notes.items()):
        entries.append((f"{lesson.id}|notes.{country}", note.text["en"],
                        note.text.get(locale, ""), [LIMITS["notes"], f"law: {note.source}"]))
    return entries


def export_po(locale: str, *, locales_dir: Path | None = None,
              lessons_dir: Path = LESSONS_DIR) -> bytes:
    """The interface strings and every lesson of `locale`, as one PO file."""
    from bot.i18n import LOCALES_DIR

    if locale not in SUPPORTED_LOCALES or locale == "en":
        raise HandoffError(f"no translation to export for {locale!r}")
    source = _read(_catalog_path(locales_dir or LOCALES_DIR, locale), locale)
    out = Catalog(locale=locale, project="scorebot", version="lessons",
                  creation_date=source.creation_date, revision_date=source.revision_date,
                  fuzzy=False)
    out.header_comment = (f"# scorebot: interface strings and lessons in {locale}, for review.\n"
                          "# Lesson entries have the context <lesson id>|<field>.")
    for message in source:
        if message.id:
            out.add(message.id, message.string, flags=message.flags,
                    auto_comments=message.auto_comments, user_comments=message.user_comments)
    for lesson in load_curriculum(lessons_dir).lessons:
        for context, english, translated, comments in _lesson_entries(lesson, locale):
            out.add(english, translated, context=context,
                    auto_comments=[*comments, *_terms_comment(english, locale)])
    buffer = io.BytesIO()
    write_po(buffer, out, no_location=True, width=76)
    return buffer.getvalue()


def _interface_problems(message: Any, current: Any, label: str) -> list[str]:
    if current is None:
        return [f"{label}: not in the catalog (the English may have changed since export)"]
    sources = [message.id] if isinstance(message.id, str) else list(message.id)
    translations = [message.string] if isinstance(message.string, str) else list(message.string)
    expected = _marks(sources[-1])
    problems = []
    for translation in translations:
        if not translation:
            continue
        placeholders, tags, commands = _marks(translation)
        if set(placeholders) - set(expected[0]) or (len(sources) == 1
                                                    and placeholders != expected[0]):
            problems.append(f"{label}: placeholders {placeholders} should be {expected[0]}")
        if tags != expected[1]:
            problems.append(f"{label}: HTML tags {tags} should be {expected[1]}")
        if commands != expected[2]:
            problems.append(f"{label}: commands {commands} should be {expected[2]}")
    return problems


def _set_lesson_field(raw: dict[str, Any], locale: str, match: re.Match[str], english: str,
                      value: str) -> str | None:
    """Put one imported value into a lesson's data; a problem if its English is not today's."""
    _lesson_id, text_field, list_field, index, country = match.groups()
    if country:
        note = raw.get("notes", {}).get(country)
        if note is None or note["text"]["en"] != english:
            return "the English note has changed since export (or the note is gone)"
        note["text"][locale] = value
        return None
    name = text_field or list_field
    source = raw["text"]["en"][name]
    if list_field:
        position = int(index)
        if position >= len(source) or source[position].strip() != english.strip():
            return "the English has changed since export"
        target = raw["text"].setdefault(locale, {})
        values = list(target.get(name) or [""] * len(source))
        values[position] = value
        target[name] = values
        return None
    if source.strip() != english.strip():
        return "the English has changed since export"
    raw["text"].setdefault(locale, {})[name] = value
    return None


def _lesson_problems(raw: dict[str, Any], locale: str, lesson_id: str, i18n: Any,
                     shipped: tuple[Lesson, ...]) -> list[str]:
    """The schema, and the lesson message's length as sent, for an imported lesson."""
    from bot.content.loader import Curriculum
    from bot.offline.telegram import parse_html, telegram_length
    from bot.presenters.lessons import lesson_text

    try:
        lesson = Lesson.model_validate(raw)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            where = [str(p) for p in item["loc"]]
            if where[:2] == ["text", locale] and len(where) > 2:
                name = where[2] + (f"[{where[3]}]" if len(where) > 3 else "")
                problems.append(f"{lesson_id} {name} [{locale}]: {item['msg']}")
            elif where[:1] == ["notes"] and len(where) > 1:
                problems.append(f"{lesson_id} notes.{where[1]} [{locale}]: {item['msg']}")
            else:
                problems.append(f"{lesson_id} [{locale}]: {'.'.join(where)}: {item['msg']}")
        return problems
    # The lesson's place in its module sets the header ("Module 4 · lesson 3").
    others = [other for other in shipped if other.id != lesson.id]
    curriculum = Curriculum(tuple(sorted([*others, lesson], key=lambda x: (x.module, x.order))))
    with i18n.speaking(locale):
        length = telegram_length(parse_html(lesson_text(lesson, locale, curriculum)))
    if length > LESSON_MESSAGE_MAX:
        return [f"{lesson_id} body [{locale}]: the lesson is {length} characters as sent "
                f"(title, body and key practice), at most {LESSON_MESSAGE_MAX}"]
    return []


def import_po(data: bytes, *, reviewer: str | None = None, native: bool = False,
              today: date | None = None, locales_dir: Path | None = None,
              lessons_dir: Path = LESSONS_DIR, dry_run: bool = False) -> ImportResult:
    """Check every entry of an exported (and edited) PO file, then write the catalog and the
    lesson files that change; nothing at all if any entry is wrong (HandoffError)."""
    from bot.i18n import LOCALES_DIR

    locales_dir = locales_dir or LOCALES_DIR
    incoming = read_po(io.BytesIO(data))
    locale = str(incoming.locale_identifier or "")
    if locale not in SUPPORTED_LOCALES or locale == "en":
        raise HandoffError(f"the file's Language header {locale!r} is not a shipped "
                           "translation (es fr hi id vi zh_Hans zu)")
    catalog_path = _catalog_path(locales_dir, locale)
    catalog = _read(catalog_path, locale)
    catalog_changed = False
    problems: list[str] = []
    lessons: dict[str, tuple[Path, dict[str, Any], str]] = {}
    paths = {path.stem: path for path in lessons_dir.glob("*.toml")}
    for message in incoming:
        if not message.id or message.fuzzy:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not any(strings):
            continue
        if message.context is None:
            key = message.id
            current = catalog.get(key)
            label = f"catalog {key if isinstance(key, str) else key[0]!r} [{locale}]"
            found = _interface_problems(message, current, label)
            problems += found
            if not found and current is not None and current.string != message.string:
                current.string = message.string
                catalog_changed = True
            continue
        match = _CONTEXT.match(message.context)
        if match is None or match.group(1) not in paths:
            problems.append(f"{message.context} [{locale}]: no such lesson field")
            continue
        lesson_id = match.group(1)
        if lesson_id not in lessons:
            raw, comment = read_raw(paths[lesson_id])
            lessons[lesson_id] = (paths[lesson_id], raw, comment)
        wrong = _set_lesson_field(lessons[lesson_id][1], locale, match, str(message.id),
                                  str(message.string).strip())
        if wrong:
            name = message.context.split("|", 1)[1]
            problems.append(f"{lesson_id} {name} [{locale}]: {wrong}")
    if lessons:
        from bot.i18n import build_i18n

        i18n, shipped = build_i18n(), load_curriculum(lessons_dir).lessons
        for lesson_id, (_path, raw, _comment) in lessons.items():
            problems += _lesson_problems(raw, locale, lesson_id, i18n, shipped)
    if problems:
        raise HandoffError("\n".join(problems))

    result = ImportResult()
    reviewed = {"reviewed_by": reviewer, "reviewed_on": today or SystemClock().now().date(),
                "native": native} if reviewer else None
    for _lesson_id, (path, raw, comment) in sorted(lessons.items()):
        before_lesson = Lesson.model_validate(read_raw(path)[0])
        if reviewed:
            record = dict(reviewed)
            if not native and raw.get("review", {}).get(locale, {}).get("needs_native_speaker"):
                record["needs_native_speaker"] = True
            raw.setdefault("review", {})[locale] = record
        if Lesson.model_validate(raw) != before_lesson:
            result.changed.append(path)
            if not dry_run:
                write_raw(path, raw, comment)
    if reviewed:
        _record_catalog_review(catalog, reviewed)
    if catalog_changed or reviewed:
        result.changed.append(catalog_path)
        if not dry_run:
            catalog_path.write_bytes(_po_bytes(catalog))
    return result


def _record_catalog_review(catalog: Catalog, reviewed: dict[str, Any]) -> None:
    """Replace the review lines at the end of the catalog's header comment."""
    lines = catalog.header_comment.splitlines()
    needs = any(line.startswith("# needs_native_speaker: yes") for line in lines)
    first = next((i for i, line in enumerate(lines)
                  if re.match(r"#\s*(reviewed_by|reviewed_on|native_review|"
                              r"needs_native_speaker):", line)), len(lines))
    lines = [*lines[:first], f"# reviewed_by: {reviewed['reviewed_by']}",
             f"# reviewed_on: {reviewed['reviewed_on'].isoformat()}",
             f"# native_review: {'yes' if reviewed['native'] else 'no'}"]
    if needs and not reviewed["native"]:
        lines.append("# needs_native_speaker: yes")
    catalog.header_comment = "\n".join(lines)
