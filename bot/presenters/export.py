"""The export workbook in the reader's language: its sheet names, column headings, KPI names
and coded values (statuses, areas, yes/no). Call inside the reader's locale."""

from __future__ import annotations

from functools import partial

from bot.i18n import _
from bot.presenters.kpis import kpi_name
from bot.presenters.suggestions import area_name, status_name
from bot.services.export import Words
from storage.models import ActionStatus, StallKind, StallStatus, SuggestionArea, SuggestionStatus


def words(locale: str) -> Words:
    return Words(
        headings=headings(),
        titles={
            "kpis": _("KPIs"),
            "effectiveness": _("Effectiveness per week"),
            "suggestions": _("Suggestions"),
            "actions": _("Actions"),
            "lessons": _("Lessons"),
            "escalations": _("Escalations"),
        },
        kpi_name=partial(kpi_name, locale=locale),
        values={
            "anonymous": {"yes": _("yes"), "no": _("no")},
            "area": {area.value: area_name(area) for area in SuggestionArea},
            "status": {status.value: status_name(status) for status in SuggestionStatus},
            "action_status": {
                ActionStatus.OPEN.value: _("open"),
                ActionStatus.IN_PROGRESS.value: _("in progress"),
                ActionStatus.DONE.value: _("done"),
                ActionStatus.DROPPED.value: _("dropped"),
            },
            "kind": {
                StallKind.ACTION.value: _("action"),
                StallKind.SUGGESTION.value: _("suggestion"),
                StallKind.CHECKIN.value: _("check-in"),
            },
            "stall_status": {
                StallStatus.OPEN.value: _("open"),
                StallStatus.ACKNOWLEDGED.value: _("seen"),
                StallStatus.CALLING.value: _("will call"),
                StallStatus.SNOOZED.value: _("snoozed"),
                StallStatus.RESOLVED.value: _("resolved"),
            },
        },
    )


def headings() -> dict[str, str]:
    return {
        # KPIs
        "week": _("Week"),
        "kpi": _("KPI"),
        "unit": _("Unit"),
        "value": _("Value"),
        "skipped_reason": _("Why skipped"),
        "baseline": _("Baseline"),
        "target": _("Target"),
        "key": _("KPI code"),
        # Effectiveness per week
        "enterprise": _("Enterprise"),
        "iso_week": _("ISO week"),
        "effectiveness": _("Effectiveness"),
        "percent_of_maximum": _("Percent of maximum"),
        # Suggestions
        "reference": _("Reference"),
        "team": _("Team"),
        "author": _("Author"),
        "anonymous": _("Anonymous"),
        "area": _("Area"),
        "status": _("Status"),
        "created_at": _("Created"),
        "first_response_at": _("First answer"),
        "implemented_at": _("Implemented"),
        "money_saved": _("Money saved"),
        "hours_saved": _("Hours saved"),
        "defects_avoided": _("Defects avoided"),
        "impact_note": _("Impact note"),
        "decline_reason": _("Why declined"),
        "duplicate_of": _("Duplicate of"),
        "text": _("Text"),
        # Actions
        "id": _("Number"),
        "title": _("Title"),
        "owner": _("Owner"),
        "source": _("Source"),
        "source_ref": _("Comes from"),
        "due_on": _("Due"),
        "done_at": _("Done"),
        "notes": _("Progress notes"),
        "photos": _("Photos"),
        # Lessons
        "lesson": _("Lesson"),
        "delivered": _("Delivered"),
        "opened": _("Opened"),
        "answered": _("Answered"),
        "correct_first_time": _("Correct first time"),
        # Escalations
        "stall": _("Stall"),
        "kind": _("Kind"),
        "subject": _("Subject"),
        "reason": _("Reason"),
        "detected_at": _("Detected"),
        "resolved_at": _("Resolved"),
        "event": _("Event"),
        "event_at": _("Event time"),
        "level": _("Level"),
        "by": _("By"),
    }
