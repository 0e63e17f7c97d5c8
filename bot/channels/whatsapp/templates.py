"""The approved templates (templates.json, submitted to Meta by an admin), one per language."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

TEMPLATES_FILE = Path(__file__).with_name("templates.json")
WAITING = "score_waiting"  # "Your SCORE coach has a new message for you: {{1}}" [Show it]
HELD_PAYLOAD = "wa:held"  # the quick-reply payload that brings the held messages

# Our locale ids -> Meta's template language codes.
META_LANGUAGE = {"zh_Hans": "zh_CN"}


@cache
def templates() -> list[dict[str, Any]]:
    return list(json.loads(TEMPLATES_FILE.read_text(encoding="utf-8"))["templates"])


def language_for(name: str, locale: str) -> str:
    """Meta's code of the template `name` in `locale`, else in English."""
    wanted = META_LANGUAGE.get(locale, locale)
    languages = {t["language"] for t in templates() if t["name"] == name}
    return wanted if wanted in languages else "en"
