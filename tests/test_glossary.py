"""One word per term and language, in catalogs and lessons alike (bot/content/glossary.toml):
where the English uses a glossary term, the translation uses the approved rendering and none of
the banned ones. The check knows the errors it was written for: the Indonesian KPI that read as
attendance, the isiZulu PPE that read as machines, and one isiZulu word for hazard and accident."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.content.glossary import (
    Segment,
    catalog_segments,
    glossary,
    glossary_problems,
    lesson_segments,
)
from bot.content.loader import load_curriculum
from bot.languages import SUPPORTED_LOCALES

LOCALES_DIR = Path(__file__).parent.parent / "bot/locales"
TRANSLATED = [locale for locale in SUPPORTED_LOCALES if locale != "en"]
CURRICULUM = load_curriculum()


def test_the_glossary_has_about_sixty_terms_each_in_every_language():
    terms = glossary()
    assert len(terms) >= 55
    keys = {term.key for term in terms}
    for needed in ("worker", "team lead", "consultant", "improvement team", "suggestion",
                   "check-in", "baseline", "target", "defect rate", "absenteeism", "turnover",
                   "overtime", "minimum wage", "piece rate", "grievance", "PPE", "hazard",
                   "risk", "accident", "near miss", "control measure", "lock-out", "5S sort",
                   "5S set in order", "5S shine", "5S standardise", "5S sustain", "PDCA"):
        assert needed in keys, needed
    for term in terms:
        if term.key.startswith("wrong answer"):
            continue
        assert set(term.renderings) == set(TRANSLATED), term.key


@pytest.mark.parametrize("locale", TRANSLATED)
def test_every_catalog_uses_the_glossary(locale):
    problems = glossary_problems(catalog_segments([locale], LOCALES_DIR))
    assert problems == [], "\n".join(problems)


def test_every_lesson_uses_the_glossary():
    problems = glossary_problems(lesson_segments(CURRICULUM))
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize(
    ("segment", "expected"),
    [
        # The KPI "Absenteeism" as it was in Indonesian: everyday Indonesian reads attendance.
        (Segment("catalog 'Absenteeism'", "id", "Absenteeism", "Absensi"),
         ["'absenteeism' should be rendered", "'absenteeism' must not be rendered 'Absensi'"]),
        # PPE rendered as machines in isiZulu.
        (Segment("catalog", "zu",
                 "Workers get the protective equipment they need, free of charge.",
                 "Abasebenzi bathola imishini yokuzivikela abayidingayo mahhala."),
         ["'PPE' should be rendered", "'PPE' must not be rendered 'imishini'"]),
        # Lesson m5-01 as it was: hazard and accident both `ingozi`, near miss left in English.
        (Segment("m5-01 body", "zu",
                 "A near miss today is a warning about an accident tomorrow. Write down every "
                 "hazard you see.",
                 "I-near miss yanamuhla iyisexwayiso sengozi yakusasa. Bhalani yonke ingozi "
                 "eniyibonayo."),
         ["'hazard' should be rendered", "'near miss' must not be rendered 'near miss'"]),
        (Segment("m5-01 key_practice", "zu",
                 "Walk the floor every month and write down every hazard.",
                 "Hamba efekthri njalo ngenyanga, futhi ubhale yonke ingozi."),
         ["'hazard' should be rendered", "'hazard' must not be rendered 'ingozi'"]),
        # Hindi wrong-answer feedback that told the worker they were partly right.
        (Segment("m4-03 feedback[0]", "hi", "Not quite. She already works at normal speed.",
                 "पूरी तरह नहीं। वह पहले से सामान्य रफ्तार से काम करती है।"),
         ["'wrong answer: not quite' should be rendered",
          "'wrong answer: not quite' must not be rendered 'पूरी तरह नहीं'"]),
    ],
)
def test_the_check_refuses_the_errors_it_was_written_for(segment, expected):
    problems = glossary_problems([segment])
    for fragment in expected:
        assert any(fragment in problem for problem in problems), (fragment, problems)


def test_the_approved_renderings_pass_and_one_terms_word_may_hold_anothers():
    """isiZulu: `ingozi` is the approved word for accident; inside the near-miss rendering it
    does not count as a hazard wrongly rendered."""
    fixed = Segment("m5-01 body", "zu",
                    "A near miss today is a warning about an accident tomorrow. Write down every "
                    "hazard you see.",
                    "Ingozi ecishe yenzeka namuhla iyisexwayiso sengozi yakusasa. Bhalani yonke "
                    "into eyingozi eniyibonayo.")
    assert glossary_problems([fixed]) == []
    assert glossary_problems([Segment("catalog", "id", "Absenteeism", "Ketidakhadiran")]) == []


# Country names per language: a translation names a country only where the English does
# (country facts belong in reviewed country notes, not in one language's text).
COUNTRIES = {
    "India": r"\bIndia\b|भारत|\bInde\b|Ấn Độ|印度",
    "Peru": r"\bPer[uú]\b|Pérou|秘鲁",
    "Indonesia": r"Indon[eé]si|印度?尼|इंडोनेशिया",
    "Viet Nam": r"Viet|Việt Nam|越南|वियतनाम",
    "Ghana": r"\bGhana\b|加纳|घाना",
    "South Africa": r"South Africa|Sudáfrica|Afrique du Sud|Nam Phi|南非|Ningizimu Afrika",
}


def test_translated_lessons_state_no_country_facts_the_english_does_not():
    added = []
    for lesson in CURRICULUM.lessons:
        english = " ".join(str(v) for v in lesson.text["en"].model_dump().values())
        for locale, text in lesson.text.items():
            translated = " ".join(str(v) for v in text.model_dump().values())
            for country, pattern in COUNTRIES.items():
                if re.search(pattern, translated) and not re.search(pattern, english):
                    added.append(f"{lesson.id} [{locale}] names {country}")
    assert added == []
