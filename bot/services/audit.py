"""The audit log: who changed what. Written in the same transaction as the change."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEvent


def record(
    session: AsyncSession,
    action: str,
    *,
    actor_id: int | None = None,
    actor_label: str = "",
    enterprise_id: int | None = None,
    subject: str = "",
    subject_id: int | None = None,
    **details: Any,
) -> AuditEvent:
    event = AuditEvent(
        action=action,
        actor_id=actor_id,
        actor_label=actor_label,
        enterprise_id=enterprise_id,
        subject=subject,
        subject_id=subject_id,
        details=details,
    )
    session.add(event)
    return event
