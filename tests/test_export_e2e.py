"""The workbook a consultant gets from /export, read back with openpyxl as a spreadsheet would:
real dates, headings and KPI names in the reader's language, readable columns, escalations
that name their subject, effectiveness per week, and anonymous suggestions that stay anonymous
(an ISO week instead of a time; the team only in teams of five or more). Names set by admins
reach HTML messages escaped."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

from openpyxl import load_workbook

from bot.clock import FakeClock
from storage.models import Role
from tests.factories import enterprise_with_team, invite
from tests.fakes.harness import BotUnderTest

MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
GROUP = -1009876543


async def test_an_enterprise_named_with_html_characters_links_and_exports(database_url):
    name = "R&D <Tools> Ltd"
    async with BotUnderTest(database_url, clock=FakeClock(MONDAY)) as tg:
        enterprise, _team = await enterprise_with_team(tg.app.session_factory, name=name,
                                                      clock=tg.clock)
        esi = tg.person("Esi")
        token = (await invite(tg.app.session_factory, enterprise, None, Role.CONSULTANT,
                              tg.clock)).token
        await tg.send(esi, f"/start {token}")
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
