"""Hints for SQLite's query planner, which keeps no histogram of a column's values."""

from __future__ import annotations

from typing import cast

from sqlalchemy import ColumnElement, func, literal_column
from sqlalchemy.ext.asyncio import AsyncSession


def few(session: AsyncSession, condition: ColumnElement[bool]) -> ColumnElement[bool]:
    """`condition`, marked for SQLite's planner as matching few rows (`likelihood`), so that
    it reads them through the condition's index rather than another table whole: without a
    histogram it guesses that a range holds a quarter of a table, and an IN list of
    thousands most of it. PostgreSQL's statistics know better: it gets `condition` as is."""
    if session.get_bind().dialect.name == "sqlite":
        # Untyped: typed Boolean, SQLite would get `likelihood(...) = 1`, which no index serves.
        return cast(ColumnElement[bool], func.likelihood(condition, literal_column("0.0001")))
    return condition
