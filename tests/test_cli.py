"""The `scorebot` command: clear one-line failures with exit status 2, and the admin flow."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from storage.migrate import head_revision
from tests.conftest import POSTGRES_URL


def scorebot(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items()
             if k not in {"BOT_TOKEN", "DATABASE_URL", "REDIS_URL", "BOT_USERNAME"}}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd, env={**clean, **env}, capture_output=True, text=True, timeout=60,
        stdin=subprocess.DEVNULL,
    )


def assert_one_line_failure(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in lines[0]


def test_run_without_token_ends_with_one_clear_line(tmp_path):
    result = scorebot("run", cwd=tmp_path)
    assert_one_line_failure(result, "BOT_TOKEN is not set")


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("not a url", ("DATABASE_URL", "not a database URL")),
        ("mysql://root@localhost/x", ("DATABASE_URL", "unsupported database")),
        ("postgresql+asyncpg://nobody:secret@127.0.0.1:1/none", ("cannot open the database",)),
    ],
)
def test_bad_database_url_ends_with_one_clear_line(tmp_path, url, words):
    result = scorebot("run", cwd=tmp_path, BOT_TOKEN="1:x", DATABASE_URL=url)
    assert_one_line_failure(result, *words)
    assert "secret" not in result.stderr  # passwords are masked


class InProcess:
    """Runs `scorebot` in this process (starting Python and aiogram costs seconds a run)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                 cwd: Path, **env: str) -> None:
        self.capsys = capsys
        monkeypatch.chdir(cwd)
        for name, value in env.items():
            monkeypatch.setenv(name, value)

    def __call__(self, *args: str) -> subprocess.CompletedProcess[str]:
        self.capsys.readouterr()
        code = main(list(args))
        out, err = self.capsys.readouterr()
        return subprocess.CompletedProcess(list(args), code, out, err)


@pytest.mark.parametrize(
    ("env", "args", "word"),
    [
        ({"ADMIN_IDS": "12,abc"}, ("run",), "ADMIN_IDS"),
        ({"DEFAULT_LOCALE": "xx"}, ("run",), "DEFAULT_LOCALE"),
        ({"WEBHOOK_PORT": "99999"}, ("run",), "WEBHOOK_PORT"),
        ({"REDIS_URL": "localhost:6379"}, ("run",), "REDIS_URL"),
        ({}, ("run", "--webhook"), "WEBHOOK_BASE_URL"),
        ({"WEBHOOK_BASE_URL": "https://bot.example.org"}, ("run", "--webhook"),
         "WEBHOOK_SECRET"),
    ],
)
def test_other_bad_settings_name_the_variable(tmp_path, monkeypatch, capsys, env, args, word):
    run = InProcess(monkeypatch, capsys, tmp_path, BOT_TOKEN="1:x", **env)
    assert_one_line_failure(run(*args), word)


def test_admin_sets_up_an_enterprise_and_prints_an_invite_with_a_qr_code(
    tmp_path, monkeypatch, capsys
):
    db = f"sqlite+aiosqlite:///{tmp_path / 'admin.db'}"
    run = InProcess(monkeypatch, capsys, tmp_path, DATABASE_URL=db,
                    BOT_USERNAME="score_coach_bot")
    result = run("admin", "enterprise", "create", "--name", "Tema Plastics", "--country", "gh",
                 "--timezone", "Africa/Accra", "--sector", "Plastics")
    assert result.returncode == 0, result.stderr
    assert "created enterprise 1: Tema Plastics" in result.stdout
    assert run("admin", "team", "create", "--enterprise", "tema plastics",
               "--name", "Moulding").returncode == 0

    result = run("admin", "invite", "--enterprise", "1", "--team", "Moulding", "--role",
                 "worker", "--uses", "30", "--qr", "poster.png")
    assert result.returncode == 0, result.stderr
    assert "link: https://t.me/score_coach_bot?start=" in result.stdout
    assert (tmp_path / "poster.png").read_bytes().startswith(b"\x89PNG")

    listing = run("admin", "enterprise", "list").stdout
    assert "Tema Plastics" in listing and "Moulding" in listing

    # Mistakes get one clear line each.
    assert_one_line_failure(run("admin", "invite", "--enterprise", "1", "--role", "worker"),
                            "needs a team")
    assert_one_line_failure(run("admin", "team", "create", "--enterprise", "Nowhere",
                                "--name", "X"), "no enterprise")
    assert_one_line_failure(run("admin", "enterprise", "create", "--name", "B", "--country",
                                "GH", "--timezone", "Mars/Olympus"), "unknown timezone")
    assert_one_line_failure(run("admin", "invite", "--enterprise", "1", "--team", "Moulding",
                                "--role", "worker", "--uses", "0"), "uses must be")


def test_db_upgrade_reports_the_revision(tmp_path, monkeypatch, capsys):
    db = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    result = InProcess(monkeypatch, capsys, tmp_path, DATABASE_URL=db)("db", "upgrade")
    assert result.returncode == 0, result.stderr
    head = head_revision()
    assert f"database at revision {head} (latest: {head})" in result.stdout


@pytest.mark.skipif(not POSTGRES_URL, reason="TEST_DATABASE_URL is not set")
def test_plain_postgresql_urls_are_upgraded_to_the_async_driver(tmp_path, monkeypatch, capsys):
    url = (POSTGRES_URL or "").replace("+asyncpg", "")
    result = InProcess(monkeypatch, capsys, tmp_path, DATABASE_URL=url)("db", "current")
    assert result.returncode == 0, result.stderr


def test_demo_console_runs_from_piped_input(tmp_path):
    script = "\n".join([":new vi", "/start demo-join-cutting", "/help",
                        ":as 1", "/invite", ":quit"]) + "\n"  # a worker may not invite
    result = subprocess.run(
        [sys.executable, "-m", "bot", "demo"], cwd=tmp_path, input=script, text=True,
        capture_output=True, timeout=60,
        env={k: v for k, v in os.environ.items() if k != "BOT_TOKEN"},
    )
    assert result.returncode == 0, result.stderr
    assert "Cutting room" in result.stdout
    assert "/team" in result.stdout
    assert "scorebot-demo-files/" in result.stdout
    # The refusal is logged to the file, not printed into the chat.
    assert "refused" not in result.stdout + result.stderr
    assert "refused: capability=" in (tmp_path / "scorebot-demo-files" / "scorebot.log").read_text()


def test_demo_tour_plays_a_script_on_a_fresh_database(tmp_path):
    tour = tmp_path / "short.txt"
    tour.write_text("start 2026-11-30 07:00\n## A short tour\n:as 1\n/help\nexpect /suggest\n"
                    ":at tuesday 10:30\nexpect New lesson\n")
    run = [sys.executable, "-m", "bot", "demo", "--tour", "--script", str(tour)]
    env = {k: v for k, v in os.environ.items() if k != "BOT_TOKEN"}
    for _ in range(2):  # the same story each time
        result = subprocess.run(run, cwd=tmp_path, text=True, capture_output=True, timeout=120,
                                env=env)
        assert result.returncode == 0, result.stderr
        assert "=== A short tour" in result.stdout
        assert "(Tue 01 Dec 10:00 Accra)> New lesson" in result.stdout
        assert "scorebot-tour.db" in result.stdout
    tour.write_text("## Wrong\n:as 1\n/help\nexpect nothing of the kind\n")
    result = subprocess.run(run, cwd=tmp_path, text=True, capture_output=True, timeout=120,
                            env=env)
    assert result.returncode == 2
    assert "the tour stopped: short.txt line 4" in result.stderr


def test_the_command_lines_copies_of_roles_and_rules_match_the_models():
    from bot.cli import ROLES, RULES
    from bot.services import enterprises
    from storage.models import Role

    assert tuple(role.value for role in Role) == ROLES
    assert RULES == enterprises.RULES


def test_admin_chooses_kpis_their_contingency_and_an_own_kpi(tmp_path, monkeypatch, capsys):
    db = f"sqlite+aiosqlite:///{tmp_path / 'kpi.db'}"
    run = InProcess(monkeypatch, capsys, tmp_path, DATABASE_URL=db)
    assert run("admin", "enterprise", "create", "--name", "Lima Foods", "--country", "PE",
               "--timezone", "America/Lima", "--locale", "es").returncode == 0
    result = run("admin", "kpi", "--enterprise", "Lima Foods", "--kpi", "defect_rate",
                 "--baseline", "4", "--target", "1")
    assert result.returncode == 0, result.stderr
    assert "contingency [[7.0, -100.0], [4.0, 0.0], [1.0, 100.0]]" in result.stdout
    result = run("admin", "kpi", "--enterprise", "Lima Foods", "--kpi", "defect_rate",
                 "--points", "8:-60, 4:0, 1:80")
    assert "[[1.0, 80.0], [4.0, 0.0], [8.0, -60.0]]" in result.stdout
    assert_one_line_failure(run("admin", "kpi", "--enterprise", "Lima Foods", "--kpi",
                                "defect_rate", "--points", "8:-60"), "at least two points")
    assert_one_line_failure(run("admin", "kpi", "--enterprise", "Lima Foods", "--kpi",
                                "happiness"), "unknown KPI")
    assert_one_line_failure(run("admin", "kpi", "--enterprise", "Lima Foods", "--kpi",
                                "defect_rate", "--baseline", "120"), "outside")

    names = ["en=Boxes packed per hour", "es=Cajas por hora", "fr=Cartons par heure",
             "vi=Thùng mỗi giờ", "id=Kardus per jam", "zh_Hans=每小时装箱数",
             "hi=प्रति घंटा पैक बक्से"]
    args = ["admin", "kpi-custom", "--enterprise", "Lima Foods", "--unit", "boxes",
            "--high", "1000"]
    for name in names:
        args += ["--name", name]
    assert_one_line_failure(run(*args), "needs a name in zu")
    result = run(*args, "--name", "zu=Amabhokisi ngehora", "--baseline", "40", "--target",
                 "60")
    assert result.returncode == 0 and "custom-1" in result.stdout


def test_admin_kpi_targets_must_improve_on_the_baseline_and_keep_custom_points(
    tmp_path, monkeypatch, capsys
):
    db = f"sqlite+aiosqlite:///{tmp_path / 'levels.db'}"
    run = InProcess(monkeypatch, capsys, tmp_path, DATABASE_URL=db)
    assert run("admin", "enterprise", "create", "--name", "Lima Foods", "--country", "PE",
               "--timezone", "America/Lima").returncode == 0
    kpi = ("admin", "kpi", "--enterprise", "Lima Foods", "--kpi", "defect_rate")
    # More defects must never score higher: a target above the baseline is refused.
    assert_one_line_failure(run(*kpi, "--baseline", "2", "--target", "6"),
                            "lower is better", "below the baseline")
    assert_one_line_failure(run(*kpi, "--baseline", "2", "--target", "2"),
                            "equals the baseline")
    result = run(*kpi, "--baseline", "4", "--target", "1", "--points", "8:-60, 4:0, 1:80")
    assert result.returncode == 0, result.stderr
    # A new target alone keeps the team's own points.
    result = run(*kpi, "--target", "2")
    assert result.returncode == 0, result.stderr
    assert "target 2.0, contingency [[1.0, 80.0], [4.0, 0.0], [8.0, -60.0]]" in result.stdout
    assert_one_line_failure(run(*kpi, "--target", "5"), "below the baseline (4)")


def test_the_check_in_hour_must_be_daytime(tmp_path, monkeypatch, capsys):
    db = f"sqlite+aiosqlite:///{tmp_path / 'hour.db'}"
    run = InProcess(monkeypatch, capsys, tmp_path, DATABASE_URL=db)
    assert run("admin", "enterprise", "create", "--name", "Lima Foods", "--country", "PE",
               "--timezone", "America/Lima").returncode == 0
    for night in ("3", "0", "22"):
        assert_one_line_failure(run("admin", "enterprise", "set", "--enterprise", "1",
                                    "--checkin-hour", night),
                                "checkin_hour must be between 6 and 20", "daytime")
    result = run("admin", "enterprise", "set", "--enterprise", "1", "--checkin-hour", "7")
    assert result.returncode == 0 and "checkin-hour: 7" in result.stdout


def test_admin_changes_an_enterprise_rules_and_exports_a_workbook(tmp_path, monkeypatch, capsys):
    from openpyxl import load_workbook

    db = f"sqlite+aiosqlite:///{tmp_path / 'rules.db'}"
    run = InProcess(monkeypatch, capsys, tmp_path, DATABASE_URL=db)
    assert run("admin", "enterprise", "create", "--name", "Hanoi Garments", "--country", "VN",
               "--timezone", "Asia/Ho_Chi_Minh").returncode == 0
    result = run("admin", "enterprise", "set", "--enterprise", "Hanoi Garments",
                 "--escalation-step-days", "3", "--action-overdue-stall-days", "5")
    assert result.returncode == 0, result.stderr
    assert "escalation-step-days: 3" in result.stdout
    assert "action-overdue-stall-days: 5" in result.stdout
    # One value out of range changes nothing at all.
    assert_one_line_failure(run("admin", "enterprise", "set", "--enterprise", "1",
                                "--escalation-step-days", "4", "--checkin-hour", "24"),
                            "checkin_hour must be between 6 and 20")
    assert "escalation-step-days: 3" in run("admin", "enterprise", "set", "--enterprise",
                                            "1").stdout

    result = run("export", "--enterprise", "1", "--output", "out")
    assert result.returncode == 0, result.stderr
    workbook = load_workbook(tmp_path / "out" / "enterprise-1.xlsx")
    assert workbook.sheetnames == ["KPIs", "Effectiveness per week", "Suggestions", "Actions",
                                   "Lessons", "Escalations"]
    assert [c.value for c in workbook["Suggestions"][1]][:3] == ["Reference", "Team", "Author"]
    result = run("export", "--enterprise", "1", "--output", "es", "--lang", "es")
    assert result.returncode == 0, result.stderr
    assert load_workbook(tmp_path / "es" / "enterprise-1.xlsx").sheetnames[2] == "Sugerencias"
    assert run("export", "--enterprise", "1", "--format", "csv", "--output",
               "csv").returncode == 0
    assert sorted(p.name for p in (tmp_path / "csv").iterdir()) == [
        f"enterprise-1-{name}.csv" for name in
        ("actions", "effectiveness", "escalations", "kpis", "lessons", "suggestions")]


def test_admin_is_refused_unknown_countries_and_empty_sectors_and_renames_an_enterprise(
    tmp_path, monkeypatch, capsys
):
    db = f"sqlite+aiosqlite:///{tmp_path / 'set.db'}"
    run = InProcess(monkeypatch, capsys, tmp_path, DATABASE_URL=db)
    create = ("admin", "enterprise", "create", "--name", "Accra Foods", "--timezone",
              "Africa/Accra")
    # ZZ is Babel's "Unknown Region", not an ISO 3166 country; a sector may not be blank.
    assert_one_line_failure(run(*create, "--country", "ZZ"), "unknown country 'ZZ'")
    assert_one_line_failure(run(*create, "--country", "GH", "--sector", "  "),
                            "sector must have 1 to 80 characters")
    assert "no enterprises yet" in run("admin", "enterprise", "list").stdout
    assert run(*create, "--country", "GH", "--sector", "Food").returncode == 0
    assert run("admin", "enterprise", "create", "--name", "Hanoi Garments", "--country",
               "VN", "--timezone", "Asia/Ho_Chi_Minh").returncode == 0

    result = run("admin", "enterprise", "set", "--enterprise", "Accra Foods", "--name",
                 "Lomé Foods", "--timezone", "Africa/Lome", "--locale", "fr",
                 "--country", "TG")
    assert result.returncode == 0, result.stderr
    assert ("Lomé Foods: timezone Africa/Lome, language fr, sector 'Food', country TG"
            in result.stdout)
    # Each bad value is one clear line, and changes nothing.
    for option, value, words in (
        ("--timezone", "Africa/Atlantis", "unknown timezone"),
        ("--locale", "de", "unsupported language 'de'"),
        ("--name", "hanoi garments", "exists already"),
        ("--name", " ", "1 to 120 characters"),
        ("--country", "ZZ", "unknown country"),
        ("--sector", "", "sector must have"),
    ):
        assert_one_line_failure(run("admin", "enterprise", "set", "--enterprise", "1",
                                    "--sector", "Bakery", option, value), *words)
    listing = run("admin", "enterprise", "list").stdout
    assert "Lomé Foods\tTG\tAfrica/Lome\tfr\tFood" in listing


def _invites(tmp_path: Path, name: str) -> int:
    import sqlite3

    with sqlite3.connect(tmp_path / name) as db:
        return db.execute("SELECT count(*) FROM invites").fetchone()[0]


def _qr_modules(page) -> list[list[bool]]:  # type: ignore[no-untyped-def]
    """The dark and light modules of the QR code printed in the middle of a poster page."""
    width, height = page.size
    dark = [(x, y) for y in range(height // 5, height * 7 // 10, 2)
            for x in range(width // 8, width * 7 // 8, 2) if page.getpixel((x, y)) < 128]
    left, right = min(x for x, _ in dark), max(x for x, _ in dark)
    top, bottom = min(y for _, y in dark), max(y for _, y in dark)
    # The finder pattern in the top-left corner is 7 modules wide: that gives the module size.
    run = next(x for x in range(left, right) if page.getpixel((x, top + 2)) >= 128) - left
    module = run / 7
    count = round((right - left) / module)
    return [[page.getpixel((round(left + (i + 0.5) * module), round(top + (j + 0.5) * module)))
             < 128 for i in range(count)] for j in range(round((bottom - top) / module))]


def test_invite_posters_with_and_without_the_bots_name_and_bad_paths(
    tmp_path, monkeypatch, capsys
):
    from PIL import Image

    import bot.poster

    drawn: list[dict[str, object]] = []
    real_poster = bot.poster.invite_poster

    def spy(**parts: object) -> bytes:
        drawn.append(parts)
        return real_poster(**parts)

    monkeypatch.setattr(bot.poster, "invite_poster", spy)
    db = f"sqlite+aiosqlite:///{tmp_path / 'poster.db'}"
    run = InProcess(monkeypatch, capsys, tmp_path, DATABASE_URL=db)
    assert run("admin", "enterprise", "create", "--name", "Lyon Textiles", "--country", "FR",
               "--timezone", "Europe/Paris", "--locale", "fr").returncode == 0
    assert run("admin", "team", "create", "--enterprise", "1", "--name",
               "Atelier coupe").returncode == 0
    invite = ("admin", "invite", "--enterprise", "1", "--team", "Atelier coupe", "--role",
              "worker", "--uses", "20", "--qr")

    # Without the bot's name: a poster all the same (the message to send, no QR code), and a
    # line saying what to set.
    result = run(*invite, "sans-nom.png")
    assert result.returncode == 0, result.stderr
    assert "the bot's name is unknown" in result.stdout and "BOT_USERNAME" in result.stdout
    assert "poster: sans-nom.png (no QR code" in result.stdout
    with Image.open(tmp_path / "sans-nom.png") as page:
        assert page.size in ((1240, 1753), (1240, 1754))  # A4 at 150 dpi
    assert drawn[-1]["link"] is None and str(drawn[-1]["command"]).startswith("/start ")
    assert str(drawn[-1]["instruction"]).startswith("Pour nous rejoindre")

    # With it: the QR code of the link, the names, one line in French.
    monkeypatch.setenv("BOT_USERNAME", "score_coach_bot")
    result = run(*invite, "affiche.png")
    assert result.returncode == 0, result.stderr
    assert "poster: affiche.png\n" in result.stdout
    link = drawn[-1]["link"]
    assert str(link).startswith("https://t.me/score_coach_bot?start=") and link in result.stdout
    assert drawn[-1]["enterprise"] == "Lyon Textiles" and drawn[-1]["team"] == "Atelier coupe"
    assert str(drawn[-1]["instruction"]).startswith("Scannez ce code")
    with Image.open(tmp_path / "affiche.png") as page:
        poster = page.convert("L")
    assert poster.size in ((1240, 1753), (1240, 1754))
    assert _qr_modules(poster) == [row[4:-4] for row in bot.poster.qr_matrix(str(link))[4:-4]]
    assert _invites(tmp_path, "poster.db") == 2

    # A path that cannot be written: one line, exit 2, and no invite made.
    (tmp_path / "dossier.png").mkdir()
    for bad, words in (("nulle-part/affiche.png", "there is no folder nulle-part"),
                       ("dossier.png", "it is a folder"),
                       ("affiche.pdf", "must end in .png")):
        assert_one_line_failure(run(*invite, bad), "cannot write the poster", words)
    assert _invites(tmp_path, "poster.db") == 2

    # A disk that fills up while writing: the invite is not kept either.
    def full(self: Path, data: bytes) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_bytes", full)
    assert_one_line_failure(run(*invite, "pleine.png"), "No space left on device")
    assert _invites(tmp_path, "poster.db") == 2
