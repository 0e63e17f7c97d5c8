"""The workbook a consultant gets from /export, read back with openpyxl as a spreadsheet would:
real dates, headings and KPI names in the reader's language, readable columns, escalations
that name their subject, effectiveness per week, and anonymous suggestions that stay anonymous
(an ISO week instead of a time; the team only in teams of five or more). Names set by admins
reach HTML messages escaped."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime

from openpyxl import load_workbook
from sqlalchemy import select

from bot.clock import FakeClock
from bot.services.enterprises import create_enterprise, create_team
from bot.services.kpis import enable_kpi
from storage.models import (
    ActionItem,
    EscalationEvent,
    KpiValue,
    Membership,
    Person,
    Role,
    Stall,
    StallKind,
    Suggestion,
    SuggestionArea,
)
from tests.factories import enterprise_with_team
from tests.fakes.harness import BotUnderTest

MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
GROUP = -1009876543


def wall_clock(*parts: int) -> datetime:
    """A time as a spreadsheet holds it: the enterprise's local time, no timezone."""
    return datetime(*parts, tzinfo=UTC).replace(tzinfo=None)


async def test_an_enterprise_named_with_html_characters_links_and_exports(database_url):
    name = "R&D <Tools> Ltd"
    async with BotUnderTest(database_url, clock=FakeClock(MONDAY)) as tg:
        enterprise, _team = await enterprise_with_team(tg.app.session_factory, name=name,
                                                      clock=tg.clock)
        esi = await tg.join("Esi", Role.CONSULTANT, enterprise=enterprise)
        tg.telegram.add_group(GROUP, "Coaching")

        (codes,) = await tg.send(esi, "/link")
        assert f"{name}: /link" in codes.text
        code = re.search(r"/link ([A-Z0-9]{8})", codes.text).group(1)
        (linked,) = await tg.send_in_group(esi, GROUP, f"/link {code}")
        assert f"now follows {name}" in linked.text
        (unlinked,) = await tg.send_in_group(esi, GROUP, "/unlink")
        assert name in unlinked.text

        (document,) = await tg.send(esi, "/export")
        assert document.text.startswith(f"{name}: KPIs")
        assert load_workbook(io.BytesIO(document.document)).sheetnames


async def _factory_with_two_teams(tg: BotUnderTest):  # type: ignore[no-untyped-def]
    """Lyon Textiles: a team of 2 (Coupe) and a team of 6 (Couture), each with an anonymous
    suggestion; a named one; a KPI over two weeks; an action that stalled."""
    async with tg.app.session_factory() as session, session.begin():
        enterprise = await create_enterprise(session, name="Lyon Textiles", country="FR",
                                             timezone="Europe/Paris", default_locale="fr",
                                             now=MONDAY)
        small = await create_team(session, enterprise, "Coupe", now=MONDAY)
        large = await create_team(session, enterprise, "Couture", now=MONDAY)
        people = []
        for n, team in enumerate([small] * 2 + [large] * 6):
            person = Person(telegram_id=900 + n, display_name=f"Ouvrier {n}")
            session.add(person)
            await session.flush()
            session.add(Membership(person_id=person.id, enterprise_id=enterprise.id,
                                   team_id=team.id, role=Role.WORKER))
            people.append(person)
        sent = datetime(2026, 3, 3, 13, 47, tzinfo=UTC)  # Tuesday 14:47 in Lyon, week 10
        for team, author, anonymous, text in (
            (small, None, True, "Moins de bruit près de la presse"),
            (large, None, True, "Des gants à notre taille"),
            (large, people[3], False, "=HYPERLINK(\"http://x\")"),
        ):
            session.add(Suggestion(enterprise_id=enterprise.id, team_id=team.id,
                                   author_id=author.id if author else None,
                                   anonymous=anonymous, text=text, area=SuggestionArea.SAFETY,
                                   created_at=sent, updated_at=sent))
        kpi = await enable_kpi(session, enterprise, "defect_rate", baseline=4, target=1,
                               now=MONDAY)
        session.add_all([KpiValue(enterprise_kpi_id=kpi.id, week=date(2026, 2, 23), value=4.0),
                         KpiValue(enterprise_kpi_id=kpi.id, week=date(2026, 3, 2), value=2.5)])
        item = ActionItem(enterprise_id=enterprise.id, team_id=large.id,
                          title="Baliser les allées", owner_id=people[4].id,
                          due_on=date(2026, 3, 4), created_at=MONDAY, updated_at=MONDAY)
        session.add(item)
        await session.flush()
        anonymous_small = await session.scalar(
            select(Suggestion.id).where(Suggestion.team_id == small.id))
        for kind, subject, reason in ((StallKind.ACTION, item.id, "overdue"),
                                      (StallKind.SUGGESTION, anonymous_small, "unreviewed")):
            stall = Stall(enterprise_id=enterprise.id, team_id=small.id, kind=kind,
                          subject_id=subject, reason=reason,
                          detected_at=datetime(2026, 3, 10, 13, 48, tzinfo=UTC))
            session.add(stall)
            await session.flush()
            session.add(EscalationEvent(stall_id=stall.id, at=stall.detected_at,
                                        event="detected", level=1))
    return enterprise, item, anonymous_small


async def test_a_french_consultant_exports_a_workbook_they_can_read(database_url):
    async with BotUnderTest(database_url, clock=FakeClock(MONDAY)) as tg:
        enterprise, _item, anonymous_small = await _factory_with_two_teams(tg)
        claire = await tg.join("Claire", Role.CONSULTANT, language="fr", enterprise=enterprise)

        (document,) = await tg.send(claire, "/export")
        book = load_workbook(io.BytesIO(document.document))
        assert book.sheetnames == ["KPI", "Efficacité par semaine", "Suggestions",
                                   "Actions", "Leçons", "Escalades"]
        for sheet in book.worksheets:  # bold headings that stay in view, readable widths
            assert sheet.freeze_panes == "A2"
            assert all(cell.font.b for cell in sheet[1])
            assert sheet.column_dimensions["A"].width >= 8

        kpis = book["KPI"]
        assert [c.value for c in kpis[1]][:4] == ["Semaine", "KPI", "Unité", "Valeur"]
        assert [c.value for c in kpis[2]][1] == "Taux de défauts"  # not "defect_rate"
        week = kpis["A2"]
        assert week.is_date and week.value == wall_clock(2026, 2, 23)
        assert week.number_format == "yyyy-mm-dd"
        assert kpis["D2"].value == 4.0 and kpis["D2"].data_type == "n"

        effectiveness = book["Efficacité par semaine"]
        assert [c.value for c in effectiveness[1]] == [
            "Entreprise", "Semaine ISO", "Efficacité", "Pourcentage du maximum"]
        rows = [[c.value for c in row] for row in effectiveness.iter_rows(min_row=2)]
        assert rows == [["Lyon Textiles", "2026-W09", 0.0, 0.0],
                        ["Lyon Textiles", "2026-W10", 50.0, 50.0]]

        suggestions = book["Suggestions"]
        heading = [c.value for c in suggestions[1]]
        column = {name: index for index, name in enumerate(heading)}
        assert {"Équipe", "Auteur", "Anonyme", "Créée", "Statut"} <= set(heading)
        small, large, named = ([c.value for c in row]
                               for row in suggestions.iter_rows(min_row=2))
        # Anonymous in a team of 2: neither the team nor a time. In a team of 6: the team,
        # and the week only. Never an author.
        assert small[column["Équipe"]] is None and small[column["Auteur"]] is None
        assert small[column["Créée"]] == "2026-W10"
        assert large[column["Équipe"]] == "Couture" and large[column["Auteur"]] is None
        assert large[column["Créée"]] == "2026-W10"
        assert small[column["Anonyme"]] == "oui" and small[column["Statut"]] == "nouvelle"
        # A named one: its author, its team, and its local time as a real date cell.
        assert named[column["Auteur"]] == "Ouvrier 3"
        created = suggestions.cell(row=4, column=column["Créée"] + 1)
        assert created.is_date and created.value == wall_clock(2026, 3, 3, 14, 47)
        assert created.number_format == "yyyy-mm-dd hh:mm"
        assert named[column["Texte"]].startswith("'=")  # never run as a formula

        escalations = book["Escalades"]
        heading = [c.value for c in escalations[1]]
        action, suggestion = ([c.value for c in row]
                              for row in escalations.iter_rows(min_row=2))
        assert action[heading.index("Sujet")] == "Baliser les allées"
        assert action[heading.index("Détectée")] == wall_clock(2026, 3, 10, 14, 48)
        assert suggestion[heading.index("Sujet")] == f"S{anonymous_small}"
        # Detected a fixed time after it was sent: a time would tell when it was sent.
        assert suggestion[heading.index("Détectée")] == "2026-W11"
        assert "Coupe" not in suggestion
