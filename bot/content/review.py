"""Who reviewed what: each lesson file has a [review.<locale>] table per language, each catalog
a few lines in its header comment:

    # reviewed_by: Ana Pérez, SCORE trainer, Lima
    # reviewed_on: 2026-12-03
    # native_review: yes
    # needs_native_speaker: no

`scorebot content check` lists every text without a native speaker's review, and the languages
that must not reach workers before one has read them. Machine or non-native work is recorded
as such (native_review: no), never as a native review."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bot.content.loader import Curriculum
from bot.content.schema import Review
from bot.languages import SUPPORTED_LOCALES

_LINE = re.compile(r"^#\s*(reviewed_by|reviewed_on|native_review|needs_native_speaker):\s*(.*)$")


@dataclass(frozen=True)
class ReviewGaps:
    """Texts with no native review, per locale, and the locales that need a native speaker."""

    no_native: dict[str, list[str]]
    needs_native_speaker: list[str]
    missing_record: list[str]

    def lines(self) -> list[str]:
        lines = []
        for locale, items in self.no_native.items():
            if items:
                lines.append(f"no native review yet [{locale}]: {_summary(items)}")
        if self.needs_native_speaker:
            lines.append("needs a native speaker before use with workers: "
                         + ", ".join(self.needs_native_speaker))
        lines += [f"no review record: {item}" for item in self.missing_record]
        return lines


def _summary(items: list[str]) -> str:
    lessons = [item for item in items if item != "catalog"]
    parts = ["catalog"] if "catalog" in items else []
    if lessons:
        parts.append(f"{len(lessons)} lessons" if len(lessons) > 3 else ", ".join(lessons))
    return "; ".join(parts)


def _yes(value: str) -> bool:
    return value.strip().lower() in ("yes", "true", "1")


def catalog_review(path: Path) -> Review | None:
    """The review record in a catalog's header comment; None if it has none."""
    fields: dict[str, str] = {}
    key = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        match = _LINE.match(line)
        if match:
            key = match.group(1)
            fields[key] = match.group(2).strip()
        elif key and line.strip() not in ("#", ""):
            fields[key] += " " + line.lstrip("# ").strip()  # a line Babel wrapped
    if "reviewed_by" not in fields or "reviewed_on" not in fields:
        return None
    return Review(
        reviewed_by=fields["reviewed_by"],
        reviewed_on=date.fromisoformat(fields["reviewed_on"]),
        native=_yes(fields.get("native_review", "no")),
        needs_native_speaker=_yes(fields.get("needs_native_speaker", "no")),
    )


def review_gaps(curriculum: Curriculum, locales_dir: Path) -> ReviewGaps:
    no_native: dict[str, list[str]] = {}
    needs: set[str] = set()
    missing: list[str] = []
    for locale in SUPPORTED_LOCALES:
        items = no_native.setdefault(locale, [])
        if locale != "en":
            review = catalog_review(locales_dir / locale / "LC_MESSAGES" / "messages.po")
            if review is None:
                missing.append(f"catalog [{locale}]")
                items.append("catalog")
            else:
                if not review.native:
                    items.append("catalog")
                if review.needs_native_speaker:
                    needs.add(locale)
        for lesson in curriculum.lessons:
            if locale not in lesson.text:
                continue
            lesson_review = lesson.review.get(locale)
            if lesson_review is None:
                missing.append(f"{lesson.id} [{locale}]")
                items.append(lesson.id)
                continue
            if not lesson_review.native:
                items.append(lesson.id)
            if lesson_review.needs_native_speaker:
                needs.add(locale)
    return ReviewGaps(no_native, sorted(needs), missing)
