"""Translator hand-off: `scorebot content export --lang zu` writes the interface strings and every
lesson as one PO file; `import` takes it back after review, checks every entry first, and
changes nothing at all when one is wrong."""

from __future__ import annotations

import io
import shutil
from datetime import date
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po

from bot.cli import main
from bot.content.handoff import HandoffError, export_po, import_po
from bot.content.loader import LESSONS_DIR, load_curriculum
from bot.content.review import catalog_review
from bot.i18n import LOCALES_DIR

PAY = "m4-03-fair-pay-and-payslips"


@pytest.fixture
def content(tmp_path: Path) -> tuple[Path, Path]:
    """Copies of the lessons and catalogs to import into."""
    lessons, locales = tmp_path / "lessons", tmp_path / "locales"
    shutil.copytree(LESSONS_DIR, lessons)
    shutil.copytree(LOCALES_DIR, locales)
    return lessons, locales


def snapshot(*directories: Path) -> dict[str, bytes]:
    return {str(path): path.read_bytes() for directory in directories
            for path in sorted(directory.rglob("*")) if path.is_file()}


def edited(data: bytes, changes: dict[tuple[str, str | None], str]) -> bytes:
    """The exported file with some translations changed: (msgid or context, context) -> text."""
    catalog = read_po(io.BytesIO(data))
    for message in catalog:
        for (key, context), text in changes.items():
            if message.context == context and (context is not None or message.id == key):
                message.string = text
    buffer = io.BytesIO()
    write_po(buffer, catalog, no_location=True)
    return buffer.getvalue()


def test_export_then_import_of_the_same_file_changes_nothing(content):
    lessons, locales = content
    before = snapshot(lessons, locales)
    data = export_po("zu", locales_dir=locales, lessons_dir=lessons)
    catalog = read_po(io.BytesIO(data))
    # Every lesson field is there with its English, its translation, its limit and its terms.
    body = catalog.get(load_curriculum(lessons).get(PAY).text["en"].body, context=f"{PAY}|body")
    assert body is not None and "isitatimende seholo" in body.string
    assert any("at most 900" in comment for comment in body.auto_comments)
    assert any("payslip = isitatimende seholo" in comment for comment in body.auto_comments)
    assert catalog.get("Accidents") is not None  # and the interface strings
    assert catalog.get(load_curriculum(lessons).get(PAY).notes["ZA"].text["en"],
                       context=f"{PAY}|notes.ZA") is not None

    result = import_po(data, locales_dir=locales, lessons_dir=lessons)
    assert result.changed == []
    assert snapshot(lessons, locales) == before


def test_a_broken_placeholder_is_refused_and_nothing_changes(content):
    lessons, locales = content
    before = snapshot(lessons, locales)
    data = export_po("zu", locales_dir=locales, lessons_dir=lessons)
    broken = edited(data, {
        ("Your answer: {answer}", None): "Impendulo yakho: {impendulo}",
        # A good change in the same file is not written either.
        ("Accidents", None): "Izingozi emsebenzini",
    })
    with pytest.raises(HandoffError) as refused:
        import_po(broken, locales_dir=locales, lessons_dir=lessons)
    assert "catalog 'Your answer: {answer}' [zu]: placeholders ['{impendulo}'] should be " \
           "['{answer}']" in str(refused.value)
    assert snapshot(lessons, locales) == before


def test_an_over_long_lesson_is_refused_naming_the_lesson_and_field(content):
    lessons, locales = content
    before = snapshot(lessons, locales)
    data = export_po("zu", locales_dir=locales, lessons_dir=lessons)
    pay = load_curriculum(lessons).get(PAY).text["zu"]
    too_long = edited(data, {
        (f"{PAY}|body", f"{PAY}|body"): pay.body + "\n\n" + pay.body,
        (f"{PAY}|options[0]", f"{PAY}|options[0]"): "x" * 61,
    })
    with pytest.raises(HandoffError) as refused:
        import_po(too_long, locales_dir=locales, lessons_dir=lessons)
    problems = str(refused.value)
    assert f"{PAY} options [zu]:" in problems and "1-60 characters" in problems
    assert snapshot(lessons, locales) == before

    too_long = edited(data, {(f"{PAY}|body", f"{PAY}|body"): pay.body + "\n\n" + pay.body})
    with pytest.raises(HandoffError) as refused:
        import_po(too_long, locales_dir=locales, lessons_dir=lessons)
    assert f"{PAY} body [zu]: the lesson is" in str(refused.value)
    assert "at most 900" in str(refused.value)
    assert snapshot(lessons, locales) == before


def test_a_reviewed_file_comes_back_with_its_reviewer_recorded(content):
    lessons, locales = content
    data = export_po("zu", locales_dir=locales, lessons_dir=lessons)
    new_title = "Iholo Elifanele Nezitatimende Zeholo Ezicacile"
    reviewed = edited(data, {(f"{PAY}|title", f"{PAY}|title"): new_title,
                             ("Accidents", None): "Izingozi emsebenzini"})
    result = import_po(reviewed, reviewer="Thandi Dlamini, SCORE trainer, Durban",
                       native=True, today=date(2026, 12, 2), locales_dir=locales,
                       lessons_dir=lessons)
    catalog_file = locales / "zu" / "LC_MESSAGES" / "messages.po"
    assert set(result.changed) >= {catalog_file, next(lessons.glob(f"{PAY}.toml"))}
    pay = load_curriculum(lessons).get(PAY)
    assert pay.text["zu"].title == new_title
    assert pay.review["zu"].native and pay.review["zu"].reviewed_on == date(2026, 12, 2)
    assert not pay.review["zu"].needs_native_speaker
    review = catalog_review(catalog_file)
    assert review is not None and review.native
    assert review.reviewed_by == "Thandi Dlamini, SCORE trainer, Durban"
    with catalog_file.open("rb") as handle:
        assert read_po(handle).get("Accidents").string == "Izingozi emsebenzini"


def test_the_command_line_exports_and_refuses(tmp_path: Path, capsys):
    output = tmp_path / "zu.po"
    assert main(["content", "export", "--lang", "zu", "-o", str(output)]) == 0
    assert "wrote" in capsys.readouterr().out
    assert main(["content", "import", str(output), "--dry-run"]) == 0
    assert "nothing to change" in capsys.readouterr().out
    output.write_bytes(edited(output.read_bytes(),
                              {("Your answer: {answer}", None): "Impendulo: {nam}"}))
    with pytest.raises(SystemExit) as exit_status:
        main(["content", "import", str(output), "--dry-run"])
    assert exit_status.value.code == 1
    assert "import refused, nothing changed" in capsys.readouterr().err
