"""Check lesson files while writing them: schema, and length as sent (approximate frame).
Usage: python tools/check_lessons.py bot/content/lessons/m2-*.toml"""

from __future__ import annotations

import sys
from pathlib import Path

from bot.content.loader import ContentError, load_lesson
from bot.content.schema import LESSON_MESSAGE_MAX

FRAME = 60  # the lesson header and labels the bot adds around title, body and key practice

failed = 0
for name in sys.argv[1:]:
    try:
        lesson = load_lesson(Path(name))
    except ContentError as error:
        print(f"FAIL {error}")
        failed += 1
        continue
    for locale, text in lesson.text.items():
        size = len(text.title) + len(text.body) + len(text.key_practice) + FRAME
        status = "ok  " if size <= LESSON_MESSAGE_MAX else "LONG"
        if status != "ok  ":
            failed += 1
        print(f"{status} {lesson.id} [{locale}] {size}/{LESSON_MESSAGE_MAX} characters")
sys.exit(1 if failed else 0)
