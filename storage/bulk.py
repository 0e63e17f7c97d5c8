"""One statement run for many rows by the database driver itself (its `executemany`), for
the scheduler's waves: SQLAlchemy would process every parameter of every row through its
column type (a moment's timezone, an enum, a keyboard's JSON); here each distinct value is
processed once, as that type would, and the driver gets the same values."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from operator import itemgetter
from typing import Any, cast

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement


async def execute_many(session: AsyncSession, statement: ClauseElement, keys: Sequence[str],
                       rows: Sequence[Sequence[Any]],
                       common: Mapping[str, Any] | None = None) -> int:
    """Run `statement` (an INSERT of the columns `keys` and `common`, or a statement of
    bind parameters so named) once per row of `rows` (values in `keys` order) with the
    same `common` values for all, in the session's transaction, after flushing what it
    holds. A value its type processes is processed once per distinct value (by identity
    when unhashable, like a JSON document many rows share). Returns the number of rows."""
    if not rows:
        return 0
    await session.flush()
    connection = await session.connection()
    dialect = connection.dialect
    common = dict(common or {})
    names = [*keys, *common]
    compiled = cast(SQLCompiler, statement.compile(dialect=dialect, column_keys=names,
                                                  for_executemany=True))
    if compiled.positiontup is None:  # pragma: no cover - every dialect used is positional
        raise NotImplementedError(f"{dialect.name}: named parameters")

    def processor(name: str) -> Any:
        return compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)

    fixed = tuple(value if processor(name) is None else processor(name)(value)
                  for name, value in common.items())
    # (position in a row, its processing, what it made of each value seen)
    processed: list[tuple[int, Any, dict[Hashable, Any]]] = [
        (position, processor(name), {}) for position, name in enumerate(keys)
        if processor(name) is not None]
    pick = itemgetter(*(names.index(name) for name in compiled.positiontup))
    parameters = []
    for row in rows:
        values = [*row, *fixed]
        for position, process, cache in processed:
            value = values[position]
            key: Hashable = value if isinstance(value, Hashable) else (id(value),)
            done = cache.get(key, cache)
            if done is cache:
                done = cache[key] = process(value)
            values[position] = done
        parameters.append(pick(values))
    await connection.exec_driver_sql(compiled.string, parameters)
    return len(rows)
