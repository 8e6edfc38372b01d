"""Geofences with stored H3 covers (issue 5).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 01:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "geofences",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column(
            "tags",
            postgresql.ARRAY(sa.String(64)),
            nullable=False,
            server_default=sa.text("'{}'"),
        ),
        sa.Column("metadata", postgresql.JSONB(), nullable=False, server_default=sa.text("'{}'")),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("geom", Geometry("GEOMETRY", srid=4326, spatial_index=False), nullable=False),
        sa.Column("center_lat", sa.Float(), nullable=True),
        sa.Column("center_lng", sa.Float(), nullable=True),
        sa.Column("radius_m", sa.Float(), nullable=True),
        sa.Column("area_m2", sa.Float(), nullable=False),
        sa.Column("active_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("active_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dwell_seconds", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cover_res", sa.SmallInteger(), nullable=False),
        sa.Column("cover_interior", sa.LargeBinary(), nullable=False),
        sa.Column("cover_boundary", sa.LargeBinary(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("change_xid", sa.BigInteger(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("id", name="pk_geofences"),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name="fk_geofences_owner_id_users",
            ondelete="SET NULL",
        ),
        sa.CheckConstraint("kind IN ('polygon', 'circle')", name="kind"),
        sa.CheckConstraint("GeometryType(geom) IN ('POLYGON', 'MULTIPOLYGON')", name="geom_type"),
        sa.CheckConstraint(
            "kind <> 'circle' OR (center_lat IS NOT NULL AND center_lng IS NOT NULL "
            "AND radius_m > 0)",
            name="circle",
        ),
        sa.CheckConstraint(
            "active_from IS NULL OR active_until IS NULL OR active_from < active_until",
            name="window",
        ),
        sa.CheckConstraint("dwell_seconds IS NULL OR dwell_seconds > 0", name="dwell"),
        sa.CheckConstraint("cover_res BETWEEN 0 AND 15", name="cover_res"),
    )
    op.create_index("ix_geofences_geom", "geofences", ["geom"], postgresql_using="gist")
    op.create_index("ix_geofences_owner_id", "geofences", ["owner_id"])
    op.create_index("ix_geofences_change_xid", "geofences", ["change_xid"])
    op.execute(
        "CREATE TRIGGER geofences_change_xid BEFORE INSERT OR UPDATE ON geofences "
        "FOR EACH ROW EXECUTE FUNCTION cyberspace_stamp_change_xid()"
    )


def downgrade() -> None:
    op.drop_table("geofences")
