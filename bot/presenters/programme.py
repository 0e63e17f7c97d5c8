"""Programme figures as people read them: the table's headings, a message per group, and the
chart. Called inside the reader's locale (an update, or `i18n.speaking` on the command line)."""

from __future__ import annotations

from decimal import Decimal

from aiogram import html

from bot import formatting as fmt
from bot.charts import bar_panels
from bot.i18n import _
from bot.presenters.kpis import kpi_name
from bot.services.programme import MIN_ENTERPRISES, Labels, ProgrammeReport, table
from storage.models import EnterpriseKpi


def _kpi(key: str) -> str:
    return kpi_name(EnterpriseKpi(key=key, names={}), "en")


def labels() -> Labels:
    return Labels(
        group=_("Group"),
        enterprises=_("Enterprises"),
        every_sector=_("all sectors"),
        every_country=_("all countries"),
        kpi=lambda key: _("{kpi}: % better than baseline").format(kpi=_kpi(key)),
        figures={
            "suggestions": _("Implemented ideas per worker a year"),
            "lessons": _("Lessons completed, %"),
            "climate": _("Working Climate Index"),
            "selfcheck": _("Self-check items in order, %"),
        },
    )


def heading(report: ProgrammeReport) -> str:
    return _("<b>Programme figures</b> (enterprises: {count}). Medians; groups and figures "
             "with fewer than {minimum} enterprises are not shown.").format(
        count=report.enterprises, minimum=MIN_ENTERPRISES)


def nothing_to_show() -> str:
    return _("No group has {minimum} enterprises with figures yet, so there is nothing to "
             "show.").format(minimum=MIN_ENTERPRISES)


def _number(value: object, locale: str) -> str:
    if value is None:
        return "–"
    assert isinstance(value, int | float | Decimal), value
    return fmt.number(value, locale)


def messages(report: ProgrammeReport, locale: str) -> list[str]:
    """The heading, then one block per group: each figure on its own line."""
    headings, rows = table(report, labels())
    lines = [heading(report)]
    for row in rows:
        lines.append("")
        lines.append(f"<b>{html.quote(str(row[0]))}</b> · {headings[1]}: {row[1]}")
        lines += [f"• {html.quote(name)}: {_number(value, locale)}"
                  for name, value in zip(headings[2:], row[2:], strict=True)]
    if not rows:
        lines += ["", nothing_to_show()]
    return lines


def chart(report: ProgrammeReport, locale: str) -> bytes:
    """A panel per figure with a bar per group (only the figures that can be shown)."""
    names = labels()
    headings, rows = table(report, names)
    panels = []
    for column, title in enumerate(headings[2:], start=2):
        bars = [(str(row[0]), float(value)) for row in rows
                if isinstance(value := row[column], int | float)]
        if bars:
            panels.append((title, bars))
    return bar_panels(panels, heading=_("Programme figures by group (medians)"), locale=locale,
                      number_label=lambda value: fmt.number(value, locale, digits=1))

