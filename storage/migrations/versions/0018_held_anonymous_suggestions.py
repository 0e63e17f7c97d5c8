"""held anonymous suggestions: an anonymous idea waits for the top of the hour

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-29 23:10:00

An anonymous idea is kept in `held_suggestions` until the next full hour, when every anonymous
idea of that hour reaches the reviewers at once and only then gets its row (and its number) in
`suggestions`. Anonymous suggestions stored before this keep their numbers; their times are
rounded down to the hour, as a released one's are.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0018"
down_revision: str | Sequence[str] | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "held_suggestions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("area", sa.Enum("cooperation", "quality", "cleaner_production", "people",
                                  "safety", name="suggestion_area", native_enum=False,
                                  length=20), nullable=True),
        sa.Column("media", sa.JSON(), nullable=False),
        sa.Column("seal", sa.String(length=64), nullable=False),
        sa.Column("release_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["enterprise_id"], ["enterprises.id"],
                                name=op.f("fk_held_suggestions_enterprise_id_enterprises"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"],
                                name=op.f("fk_held_suggestions_team_id_teams"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_held_suggestions")),
    )
    with op.batch_alter_table("held_suggestions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_held_suggestions_enterprise_id"),
                              ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_held_suggestions_release_at"), ["release_at"],
                              unique=False)
    bind = op.get_bind()
    suggestions = sa.table("suggestions", sa.column("id", sa.Integer()),
                           sa.column("anonymous", sa.Boolean()),
                           sa.column("created_at", sa.DateTime(timezone=True)),
                           sa.column("updated_at", sa.DateTime(timezone=True)))
    rows = bind.execute(sa.select(suggestions.c.id, suggestions.c.created_at,
                                  suggestions.c.updated_at)
                        .where(suggestions.c.anonymous.is_(True))).all()
    for suggestion_id, created_at, updated_at in rows:
        bind.execute(suggestions.update().where(suggestions.c.id == suggestion_id).values(
            created_at=_hour(created_at),
            updated_at=_hour(updated_at) if updated_at == created_at else updated_at))


def _hour(moment):  # type: ignore[no-untyped-def]  # a datetime, aware or not per backend
    return moment.replace(minute=0, second=0, microsecond=0)


def downgrade() -> None:
    with op.batch_alter_table("held_suggestions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_held_suggestions_release_at"))
        batch_op.drop_index(batch_op.f("ix_held_suggestions_enterprise_id"))
    op.drop_table("held_suggestions")
