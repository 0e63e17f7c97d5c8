"""Writing lesson files back: the same layout a person writes by hand (one table per locale,
the body as a multi-line string), so an import or a scripted change leaves a readable diff."""

from __future__ import annotations

import json
import tomllib
from datetime import date
from pathlib import Path
from typing import Any

from bot.content.loader import load_lesson

LOCALE_ORDER = ("en", "es", "fr", "vi", "id", "zh_Hans", "hi", "zu")
FIELDS = ("title", "body", "key_practice", "question", "options", "feedback", "task")


def _string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def _multiline(value: str) -> str:
    if "\\" in value or '"""' in value or value.endswith('"'):
        return _string(value)
    return f'"""\n{value.strip()}\n"""'


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return _string(str(value))


def _ordered(keys: Any) -> list[str]:
    return sorted(keys, key=lambda k: (LOCALE_ORDER.index(k) if k in LOCALE_ORDER else 99, k))


def dump_lesson(raw: dict[str, Any], comment: str = "") -> str:
    """A lesson (as loaded from TOML) in the hand-written layout."""
    lines = [comment] if comment else []
    for key in ("id", "module", "order", "answer", "image"):
        if key in raw and (key != "image" or raw[key]):
            lines.append(f"{key} = {_value(raw[key])}")
    if raw.get("sources"):
        lines.append("sources = [")
        lines += [f"    {_string(source)}," for source in raw["sources"]]
        lines.append("]")
    for locale in _ordered(raw["text"]):
        text = raw["text"][locale]
        lines += ["", f"[text.{locale}]"]
        for field in FIELDS:
            if field not in text:
                continue
            value = text[field]
            if field == "body":
                lines.append(f"body = {_multiline(value)}")
            elif field == "feedback":
                lines.append("feedback = [")
                lines += [f"    {_string(item)}," for item in value]
                lines.append("]")
            else:
                lines.append(f"{field} = {_value(value)}")
    for locale in _ordered(raw.get("review", {})):
        lines += ["", f"[review.{locale}]"]
        lines += [f"{k} = {_value(v)}" for k, v in raw["review"][locale].items()]
    for country in sorted(raw.get("notes", {})):
        note = raw["notes"][country]
        lines += ["", f"[notes.{country}]", f"source = {_string(note['source'])}"]
        lines += [f"text.{locale} = {_string(note['text'][locale])}"
                  for locale in _ordered(note["text"])]
    return "\n".join(lines) + "\n"


def read_raw(path: Path) -> tuple[dict[str, Any], str]:
    """A lesson file as plain data, and its leading comment line(s)."""
    text = path.read_text(encoding="utf-8")
    comment = "\n".join(line for line in text.splitlines()[:3] if line.startswith("#"))
    return tomllib.loads(text), comment


def write_raw(path: Path, raw: dict[str, Any], comment: str = "") -> None:
    """Write a lesson, and refuse (leaving the file as it was) if the result does not load."""
    previous = path.read_text(encoding="utf-8") if path.exists() else None
    path.write_text(dump_lesson(raw, comment), encoding="utf-8")
    try:
        load_lesson(path)
    except Exception:
        if previous is None:
            path.unlink()
        else:
            path.write_text(previous, encoding="utf-8")
        raise
