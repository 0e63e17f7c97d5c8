"""Programme figures: `scorebot report` on the demo data prints the table and writes the chart,
CSV and XLSX; /report gives programme administrators the same in the bot; groups and figures
of fewer than five enterprises are never shown."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from bot.app import build_application
from bot.config import Settings
from bot.offline.demo import seed_demo
from bot.services.programme import EnterpriseFigures, group
from storage.models import Enterprise, Role
from tests.factories import invite
from tests.fakes.harness import BotUnderTest
from tests.test_cli import InProcess

PNG = b"\x89PNG"


async def _seeded(url: str) -> None:
    app = await build_application(Settings(database_url=url))
    async with app.session_factory() as session, session.begin():
        await seed_demo(session, app.clock)
    await app.close()


async def test_report_on_the_demo_data_prints_the_table_and_writes_the_chart(
        tmp_path, monkeypatch, capsys):
    url = f"sqlite+aiosqlite:///{tmp_path}/demo.db"
    await _seeded(url)
    scorebot = InProcess(monkeypatch, capsys, tmp_path, DATABASE_URL=url)
    result = await _run(scorebot, "report", "--output", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    header = next(line for line in lines if line.startswith("Group"))
    assert "Defect rate: % better than baseline" in header
    assert "Working Climate Index" in header
    garments = next(line for line in lines if line.startswith("Garments, GH"))
    assert garments.split()[2] == "6"  # Accra and its five peers
    assert not any(line.startswith("Auto parts") for line in lines)  # one enterprise only
    assert "–" not in garments  # every figure has five enterprises or more
    out = tmp_path / "out"
    assert (out / "programme-report.png").read_bytes().startswith(PNG)
    rows = list(csv.reader(io.StringIO((out / "programme-report.csv").read_text("utf-8"))))
    assert rows[0][0] == "Group" and rows[1][0] == "Garments, GH"
    sheet = load_workbook(out / "programme-report.xlsx").active
    assert sheet.cell(2, 1).value == "Garments, GH" and sheet.cell(2, 2).value == 6


async def _run(scorebot, *args):  # type: ignore[no-untyped-def]
    import asyncio

    # main() runs its own event loop: give it a thread of its own.
    return await asyncio.to_thread(scorebot, *args)


def _figures(number: int, sector: str, country: str, defects: float | None,
             climate: float | None = 70.0) -> EnterpriseFigures:
    enterprise = Enterprise(id=number, name=f"E{number}", sector=sector, country=country)
    return EnterpriseFigures(enterprise, {"defect_rate": defects} if defects is not None
                             else {}, {"climate": climate} if climate is not None else {})


def test_groups_and_figures_of_fewer_than_five_are_not_shown():
    figures = [_figures(n, "Garments", "GH", float(10 * n)) for n in range(1, 6)]
    figures.append(_figures(6, "Auto parts", "VN", None, None))
    report = group(figures)
    names = [(row.sector, row.country, row.enterprises) for row in report.rows]
    # Garments/GH, Garments and GH have the same five: listed once; the whole programme has six.
    assert names == [("Garments", "GH", 5), ("", "", 6)]
    assert report.rows[0].kpis["defect_rate"] == 30.0
    assert report.rows[0].figures["climate"] == 70.0
    assert report.rows[0].figures["lessons"] is None
    assert report.hidden_groups == 1
    four = group([_figures(n, "Garments", "GH", float(n) if n < 5 else None) for n in
                  range(1, 6)])
    assert four.rows[0].kpis["defect_rate"] is None  # only four have it


async def test_report_in_the_bot_for_programme_admins_only(database_url):
    async with BotUnderTest(database_url, admin_ids=[9001]) as tg:
        async with tg.app.session_factory() as session, session.begin():
            await seed_demo(session, tg.clock)
        admin = tg.person("Programme", "es", user_id=9001)
        replies = await tg.send(admin, "/report")
        texts = [m.text for m in replies if m.photo is None and m.document is None]
        assert any("Garments, GH" in text and "Índice de Clima Laboral" in text
                   for text in texts)
        assert [m.photo[:4] for m in replies if m.photo is not None] == [PNG]
        documents = [m.document for m in replies if m.document is not None]
        assert len(documents) == 2 and documents[1][:2] == b"PK"  # the XLSX is a zip

        async with tg.app.session_factory() as session:
            enterprise = await session.get(Enterprise, 1)
        token = (await invite(tg.app.session_factory, enterprise, None, Role.MANAGER,
                              tg.clock)).token
        manager = tg.person("Manager")
        await tg.send(manager, f"/start {token}")
        (refused,) = await tg.send(manager, "/report")
        assert "does not allow" in refused.text


async def test_admin_sets_sector_country_and_pulse_timing(tmp_path, monkeypatch, capsys):
    url = f"sqlite+aiosqlite:///{tmp_path}/admin.db"
    scorebot = InProcess(monkeypatch, capsys, tmp_path, DATABASE_URL=url)
    created = await _run(scorebot, "admin", "enterprise", "create", "--name", "Tema Plastics",
                         "--country", "GH", "--timezone", "Africa/Accra")
    assert created.returncode == 0, created.stderr
    result = await _run(scorebot, "admin", "enterprise", "set", "--enterprise",
                        "Tema Plastics", "--sector", "Plastics", "--country", "tg",
                        "--pulse-day", "2", "--pulse-hour", "9", "--pulse-every", "3")
    assert result.returncode == 0, result.stderr
    assert "sector 'Plastics', country TG, pulse survey on working day 2 at 9:00 every 3" in (
        result.stdout)
    refused = await _run(scorebot, "admin", "enterprise", "set", "--enterprise",
                         "Tema Plastics", "--pulse-hour", "23")
    assert refused.returncode == 2 and "daytime" in refused.stderr
