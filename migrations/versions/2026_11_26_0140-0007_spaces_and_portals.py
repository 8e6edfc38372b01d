"""Spaces, members, invitations, assets; portals (issue 6).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 01:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geography
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _now(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now())


def _users_fk(name: str, *, nullable: bool = False, ondelete: str = "CASCADE") -> sa.Column[object]:
    return sa.Column(
        name, sa.Uuid(), sa.ForeignKey("users.id", ondelete=ondelete), nullable=nullable
    )


def upgrade() -> None:
    op.create_table(
        "spaces",
        sa.Column("id", sa.Uuid(), nullable=False),
        _users_fk("owner_id"),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("description", sa.String(2000), nullable=False, server_default=""),
        sa.Column("access_type", sa.String(16), nullable=False),
        sa.Column("anchor", Geography("POINT", srid=4326, spatial_index=False), nullable=True),
        sa.Column("altitude_m", sa.Float(), nullable=True),
        sa.Column("heading_deg", sa.Float(), nullable=True),
        sa.Column("radius_m", sa.Float(), nullable=True),
        sa.Column("extent", Geography("POLYGON", srid=4326, spatial_index=False), nullable=True),
        _now("created_at"),
        _now("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_spaces"),
        sa.CheckConstraint("access_type IN ('public', 'private', 'invite')", name="access_type"),
        sa.CheckConstraint(
            "heading_deg IS NULL OR (heading_deg >= 0 AND heading_deg < 360)",
            name="heading_range",
        ),
        sa.CheckConstraint("radius_m IS NULL OR radius_m > 0", name="radius_positive"),
        # An extent only makes sense around an anchor, and it is one shape or the other.
        sa.CheckConstraint(
            "(anchor IS NOT NULL OR (radius_m IS NULL AND extent IS NULL)) "
            "AND NOT (radius_m IS NOT NULL AND extent IS NOT NULL)",
            name="extent",
        ),
    )
    op.create_index("ix_spaces_owner_id", "spaces", ["owner_id"])
    op.create_index("ix_spaces_anchor", "spaces", ["anchor"], postgresql_using="gist")

    op.create_table(
        "space_members",
        sa.Column(
            "space_id", sa.Uuid(), sa.ForeignKey("spaces.id", ondelete="CASCADE"), nullable=False
        ),
        _users_fk("user_id"),
        sa.Column("role", sa.String(16), nullable=False),
        _now("joined_at"),
        sa.PrimaryKeyConstraint("space_id", "user_id", name="pk_space_members"),
        sa.CheckConstraint("role IN ('owner', 'member')", name="role"),
    )
    op.create_index("ix_space_members_user_id", "space_members", ["user_id"])

    op.create_table(
        "space_invitations",
        sa.Column(
            "space_id", sa.Uuid(), sa.ForeignKey("spaces.id", ondelete="CASCADE"), nullable=False
        ),
        _users_fk("invitee_id"),
        _users_fk("inviter_id", nullable=True, ondelete="SET NULL"),
        sa.Column("status", sa.String(16), nullable=False),
        _now("created_at"),
        sa.PrimaryKeyConstraint("space_id", "invitee_id", name="pk_space_invitations"),
        sa.CheckConstraint("status IN ('pending', 'accepted', 'declined')", name="status"),
    )
    op.create_index("ix_space_invitations_invitee_id", "space_invitations", ["invitee_id"])

    op.create_table(
        "space_assets",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "space_id", sa.Uuid(), sa.ForeignKey("spaces.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("model_url", sa.String(2000), nullable=False),
        sa.Column("transform", postgresql.JSONB(), nullable=False),
        sa.Column("nft_id", sa.String(100), nullable=True),
        _now("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_space_assets"),
    )
    op.create_index("ix_space_assets_space_id", "space_assets", ["space_id"])

    op.create_table(
        "portals",
        sa.Column("id", sa.Uuid(), nullable=False),
        _users_fk("owner_id"),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("game_url", sa.String(2000), nullable=False),
        sa.Column("required_nft", postgresql.JSONB(), nullable=True),
        sa.Column(
            "space_id", sa.Uuid(), sa.ForeignKey("spaces.id", ondelete="CASCADE"), nullable=True
        ),
        sa.Column("location", Geography("POINT", srid=4326, spatial_index=False), nullable=False),
        sa.Column("altitude_m", sa.Float(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
        _now("created_at"),
        _now("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_portals"),
    )
    op.create_index("ix_portals_owner_id", "portals", ["owner_id"])
    op.create_index("ix_portals_space_id", "portals", ["space_id"])
    op.create_index("ix_portals_location", "portals", ["location"], postgresql_using="gist")


def downgrade() -> None:
    op.drop_table("portals")
    op.drop_table("space_assets")
    op.drop_table("space_invitations")
    op.drop_table("space_members")
    op.drop_table("spaces")
