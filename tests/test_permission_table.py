"""The README's "Who may do what" table, tried cell by cell through the real bot.

Each role has a member in enterprise A (team roles in team A1). Commands are sent by each;
buttons are forged by each, naming data of their own team (A1), of another team (A2) and of
another enterprise (B), and for action items also one they own. A refusal is the polite
"not allowed" answer. An allowed cell must be really served: an error answer ("something went
wrong"), a traceback or an ERROR log line while trying it is a failure, not "allowed" (the last
test breaks a permitted handler on purpose to show it).
"""

from __future__ import annotations

import logging
import re
from datetime import date
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from bot.keyboards.callbacks import (
    ActionCallback,
    EnterpriseCallback,
    EscalationCallback,
    KpiCallback,
    PlanCallback,
    ScheduleCallback,
    SuggestionCallback,
)
from bot.services import kpis
from bot.services.enterprises import create_enterprise, create_team
from storage.models import (
    ActionItem,
    Membership,
    Person,
    Role,
    Stall,
    StallKind,
    Suggestion,
)
from tests.fakes.harness import BotUnderTest, TgUser

README = Path(__file__).resolve().parent.parent / "README.md"
ROLES = {"worker": Role.WORKER, "team lead": Role.TEAM_LEAD, "manager": Role.MANAGER,
         "consultant": Role.CONSULTANT, "admin": Role.ADMIN}
REFUSALS = ("not valid any more", "does not allow", "not part of an improvement team",
            "answered by managers and the worker representative")
FAILURES = ("went wrong",)
OWN, OWN_TEAM, OTHER_TEAM, OTHER_ENTERPRISE = "own", "own team", "other team", "other enterprise"
ALLOWED = {  # table cell -> the targets it allows
    "yes": {OWN, OWN_TEAM, OTHER_TEAM},
    "own team": {OWN, OWN_TEAM},
    "own": {OWN},
    "—": set(),
}


def permission_table() -> list[tuple[str, dict[Role, str]]]:
    text = README.read_text(encoding="utf-8")
    block = text.split("<!-- permissions:start -->")[1].split("<!-- permissions:end -->")[0]
    rows = [line.strip().strip("|").split("|") for line in block.strip().splitlines()[2:]]
    header = [c.strip() for c in block.strip().splitlines()[0].strip().strip("|").split("|")]
    return [(cells[0].strip(), {ROLES[header[i]]: cells[i].strip() for i in range(1, 6)})
            for cells in rows]


def test_the_table_covers_every_command_with_a_capability():
    from bot.commands import COMMANDS

    listed = {name for action, _cells in permission_table()
              for name in re.findall(r"`/(\w+)`", action)}
    gated = {spec.name for spec in COMMANDS if spec.capability is not None}
    assert gated - listed <= {"pause", "resume"}, gated - listed


async def _world(session: AsyncSession, now, ids: dict[Role, int], others: dict[str, int]):  # type: ignore[no-untyped-def]
    a = await create_enterprise(session, name="Alpha Foods", country="GH",
                                timezone="Africa/Accra", now=now)
    b = await create_enterprise(session, name="Beta Metals", country="GH",
                                timezone="Africa/Accra", now=now)
    a1, a2 = await create_team(session, a, "A1", now=now), await create_team(session, a, "A2",
                                                                              now=now)
    b1 = await create_team(session, b, "B1", now=now)

    async def member(telegram_id: int, name: str, enterprise, role: Role, team):  # type: ignore[no-untyped-def]
        person = Person(telegram_id=telegram_id, display_name=name)
        session.add(person)
        await session.flush()
        session.add(Membership(person_id=person.id, enterprise_id=enterprise.id, role=role,
                               team_id=team.id if team else None))
        return person

    testers = {role: await member(ids[role], role.value, a, role,
                                  a1 if role in (Role.WORKER, Role.TEAM_LEAD) else None)
               for role in ROLES.values()}
    owners = {place: await member(others[place], f"owner {place}", enterprise, Role.WORKER, team)
              for place, enterprise, team in (("a1", a, a1), ("a2", a, a2), ("b1", b, b1))}
    teams = {"a1": a1, "a2": a2, "b1": b1}

    def item(team, owner) -> ActionItem:  # type: ignore[no-untyped-def]
        row = ActionItem(enterprise_id=team.enterprise_id, team_id=team.id, title="Fix it",
                         owner_id=owner.id, due_on=date(2026, 4, 1), created_at=now,
                         updated_at=now)
        session.add(row)
        return row

    items = {place: item(teams[place], owners[place]) for place in teams}
    own_items = {role: item(a1, person) for role, person in testers.items()}
    suggestions = {place: Suggestion(enterprise_id=team.enterprise_id, team_id=team.id,
                                     text="More light", created_at=now, updated_at=now)
                   for place, team in teams.items()}
    session.add_all(suggestions.values())
    await session.flush()
    stalls = {place: Stall(enterprise_id=teams[place].enterprise_id, team_id=teams[place].id,
                           kind=StallKind.ACTION, subject_id=items[place].id, reason="overdue",
                           level=3, detected_at=now, open_key=f"action:{items[place].id}")
              for place in teams}
    session.add_all(stalls.values())
    kpi_a = await kpis.enable_kpi(session, a, "defect_rate", baseline=5, target=2, now=now)
    kpi_b = await kpis.enable_kpi(session, b, "defect_rate", baseline=5, target=2, now=now)
    await session.flush()
    places = {OWN_TEAM: "a1", OTHER_TEAM: "a2", OTHER_ENTERPRISE: "b1"}

    def per_place(make) -> dict[str, str]:  # type: ignore[no-untyped-def]
        return {target: make(place) for target, place in places.items()}

    enterprise_of = {"a1": a.id, "a2": a.id, "b1": b.id}
    kpi_of = {"a1": kpi_a.id, "a2": kpi_a.id, "b1": kpi_b.id}
    return {
        "review a suggestion (button)": lambda role: per_place(
            lambda p: SuggestionCallback(id=suggestions[p].id, action="ask").pack()),
        "update an action item (button)": lambda role: {
            OWN: ActionCallback(id=own_items[role].id, action="date").pack(),
            **per_place(lambda p: ActionCallback(id=items[p].id, action="date").pack())},
        "change a team's lesson schedule (button)": lambda role: per_place(
            lambda p: ScheduleCallback(team_id=teams[p].id, action="show").pack()),
        "plan an action for a team (button)": lambda role: per_place(
            lambda p: PlanCallback(step="team", value=teams[p].id).pack()),
        "correct a KPI's baseline (button)": lambda role: per_place(
            lambda p: KpiCallback(action="baseline", kpi_id=kpi_of[p]).pack()),
        "answer an escalation (button)": lambda role: per_place(
            lambda p: EscalationCallback(id=stalls[p].id, action="owner").pack()),
        "open an enterprise's health (button)": lambda role: per_place(
            lambda p: EnterpriseCallback(action="health", id=enterprise_of[p]).pack()),
    }


def _refused(texts: list[str]) -> bool:
    return any(refusal in text for text in texts for refusal in REFUSALS)


def _failed(texts: list[str]) -> bool:
    return any(failure in text for text in texts for failure in FAILURES)


async def _wrong_cells(tg: BotUnderTest, caplog, only: str = "") -> list[str]:  # type: ignore[no-untyped-def]
    """Every cell of the table (or of the rows whose action contains `only`) that the bot
    does not serve as the table says."""
    users: dict[Role, TgUser] = {role: tg.person(name) for name, role in ROLES.items()}
    others = {place: tg.person(f"owner {place}").id for place in ("a1", "a2", "b1")}
    async with tg.app.session_factory() as session, session.begin():
        buttons = await _world(session, tg.clock.now(),
                               {role: user.id for role, user in users.items()}, others)
    anchors = {role: (await tg.send(user, "/help"))[-1] for role, user in users.items()}

    wrong: list[str] = []
    for action, cells in permission_table():
        if only not in action:
            continue
        commands = re.findall(r"`(/\w+)`", action)
        for role, cell in cells.items():
            user = users[role]
            if commands:
                for command in commands:
                    caplog.clear()
                    texts = [m.text for m in await tg.send(user, command)]
                    if _failed(texts) or _errors(caplog):
                        wrong.append(f"{command} by {role.value} failed: {_errors(caplog)}")
                    elif _refused(texts) != (cell == "—"):
                        wrong.append(f"{command} by {role.value}: table says {cell}")
                continue
            for target, data in buttons[action](role).items():
                caplog.clear()
                await tg.press_data(user, anchors[role], data)
                answer = tg.callback_answers()[-1].get("text") or ""
                if _failed([answer]) or _errors(caplog):
                    wrong.append(f"{action} by {role.value} on {target} failed: "
                                 f"{_errors(caplog)}")
                elif _refused([answer]) == (target in ALLOWED[cell]):
                    wrong.append(f"{action} by {role.value} on {target}: table says {cell},"
                                 f" bot answered {answer!r}")
    return wrong


def _errors(caplog) -> list[str]:  # type: ignore[no-untyped-def]
    return [record.getMessage().splitlines()[0] for record in caplog.records
            if record.levelno >= logging.ERROR or record.exc_info]


async def test_every_cell_of_the_permission_table(database_url, caplog):
    caplog.set_level(logging.WARNING)
    async with BotUnderTest(database_url) as tg:
        wrong = await _wrong_cells(tg, caplog)
    assert wrong == [], "\n".join(wrong)


async def test_a_permitted_handler_that_fails_is_a_wrong_cell(database_url, caplog, monkeypatch):
    """The check above cannot mistake a crash for "allowed": with /stats broken on purpose,
    every role the table allows it to is reported."""
    from bot.handlers import suggestions as handlers

    async def broken_stats(*args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        raise RuntimeError("a deliberately broken handler")

    monkeypatch.setattr(handlers, "show_stats", broken_stats)
    caplog.set_level(logging.WARNING)
    async with BotUnderTest(database_url) as tg:
        wrong = await _wrong_cells(tg, caplog, only="/stats")
    stats_failures = [line for line in wrong if line.startswith("/stats by")]
    assert len(stats_failures) == len(ROLES), wrong
