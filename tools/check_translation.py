"""Check translated lesson sections before they are merged into the lesson files.
Usage: python tools/check_translation.py LOCALE DIR
DIR holds one file per lesson, named <lesson id>.toml, containing only [text.LOCALE]."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

from pydantic import ValidationError

from bot.content.loader import LESSONS_DIR, load_lesson
from bot.content.schema import LESSON_MESSAGE_MAX, Lesson

FRAME = 60

locale, directory = sys.argv[1], Path(sys.argv[2])
problems = 0
for path in sorted(LESSONS_DIR.glob("*.toml")):
    lesson = load_lesson(path)
    staged = directory / f"{lesson.id}.toml"
    if not staged.exists():
        print(f"MISSING {staged}")
        problems += 1
        continue
    try:
        section = tomllib.loads(staged.read_text(encoding="utf-8"))
        text = section["text"][locale]
        data = lesson.model_dump()
        data["text"][locale] = text
        merged = Lesson.model_validate(data)
    except (tomllib.TOMLDecodeError, KeyError, ValidationError) as error:
        print(f"FAIL {staged.name}: {error}")
        problems += 1
        continue
    t = merged.text[locale]
    size = len(t.title) + len(t.body) + len(t.key_practice) + FRAME
    if size > LESSON_MESSAGE_MAX:
        print(f"LONG {lesson.id} [{locale}] {size}/{LESSON_MESSAGE_MAX}")
        problems += 1
    else:
        print(f"ok   {lesson.id} [{locale}] {size}/{LESSON_MESSAGE_MAX}")
print(f"{problems} problem(s)")
sys.exit(1 if problems else 0)
