"""The glossary (glossary.toml): one approved rendering per term and language, and a check that
catalogs and lessons use it. See the comment at the top of glossary.toml for the rules."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from babel.messages.pofile import read_po

from bot.content.loader import Curriculum

GLOSSARY_PATH = Path(__file__).parent / "glossary.toml"


@dataclass(frozen=True)
class Rendering:
    use: str
    forms: tuple[re.Pattern[str], ...]
    banned: tuple[re.Pattern[str], ...]


@dataclass(frozen=True)
class Term:
    key: str
    en: re.Pattern[str]
    required: bool
    renderings: dict[str, Rendering]
    scope: str = "all"  # "catalog" or "lessons": checked there only


@dataclass(frozen=True)
class Segment:
    """One English text and its translation: a catalog entry or a lesson field."""

    where: str
    locale: str
    english: str
    translation: str


def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


def load_glossary(path: Path = GLOSSARY_PATH) -> tuple[Term, ...]:
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    terms = []
    for item in raw["term"]:
        renderings = {
            locale: Rendering(
                use=value["use"],
                forms=tuple(_compile(p) for p in value.get("forms") or [re.escape(value["use"])]),
                banned=tuple(_compile(p) for p in value.get("banned", [])),
            )
            for locale, value in item.items()
            if isinstance(value, dict)
        }
        terms.append(Term(item["key"], _compile(item["en"]), item.get("required", True),
                          renderings, item.get("scope", "all")))
    return tuple(terms)


@lru_cache(maxsize=1)
def glossary() -> tuple[Term, ...]:
    return load_glossary()


def catalog_segments(locales: Iterable[str], locales_dir: Path) -> Iterator[Segment]:
    for locale in locales:
        with (locales_dir / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
            catalog = read_po(handle, locale=locale)
        for message in catalog:
            if not message.id:
                continue
            if isinstance(message.id, tuple):
                strings = message.string if isinstance(message.string, tuple) else ()
                if any(strings):
                    yield Segment(f"catalog {message.id[0]!r}", locale, message.id[0],
                                  strings[0])
                    yield Segment(f"catalog {message.id[1]!r}", locale, message.id[1],
                                  strings[-1])
            elif message.string:
                yield Segment(f"catalog {message.id!r}", locale, str(message.id),
                              str(message.string))


def lesson_segments(curriculum: Curriculum) -> Iterator[Segment]:
    for lesson in curriculum.lessons:
        english = lesson.text["en"].model_dump()
        for locale, text in lesson.text.items():
            if locale == "en":
                continue
            translated = text.model_dump()
            for field, value in english.items():
                if isinstance(value, list):
                    for index, item in enumerate(value):
                        yield Segment(f"{lesson.id} {field}[{index}]", locale, item,
                                      translated[field][index])
                else:
                    yield Segment(f"{lesson.id} {field}", locale, value, translated[field])
        for country, notes in lesson.country_notes.items():
            for locale, note in notes.items():
                if locale != "en" and "en" in notes:
                    yield Segment(f"{lesson.id} note {country}", locale, notes["en"], note)


_PLACEHOLDER = re.compile(r"\{[a-z_]+\}|<[^>]*>")


def segment_problems(segment: Segment, terms: Iterable[Term]) -> list[str]:
    """What `segment` gets wrong against the glossary: missing approved renderings and
    banned variants, each naming the term. Placeholders and HTML tags are not words."""
    english = _PLACEHOLDER.sub(" ", segment.english)
    translation = _PLACEHOLDER.sub(" ", segment.translation)
    kind = "catalog" if segment.where.startswith("catalog ") else "lessons"
    used = [t for t in terms if t.scope in ("all", kind) and t.en.search(english)
            and segment.locale in t.renderings]
    problems = []
    rest = translation
    for term in used:
        rendering = term.renderings[segment.locale]
        found = any(form.search(translation) for form in rendering.forms)
        if term.required and not found:
            problems.append(f"{segment.where} [{segment.locale}]: {term.key!r} should be "
                            f"rendered {rendering.use!r}")
        for form in rendering.forms:
            rest = form.sub(" ", rest)
    for term in used:
        for banned in term.renderings[segment.locale].banned:
            hit = banned.search(rest)
            if hit:
                problems.append(f"{segment.where} [{segment.locale}]: {term.key!r} must not be "
                                f"rendered {hit.group(0)!r} (use "
                                f"{term.renderings[segment.locale].use!r})")
    return problems


def glossary_problems(segments: Iterable[Segment],
                      terms: Iterable[Term] | None = None) -> list[str]:
    terms = tuple(glossary() if terms is None else terms)
    return [problem for segment in segments for problem in segment_problems(segment, terms)]
