"""Foundation: the postgis extension and placements.

Revision ID: 0001
Revises:
Create Date: 2026-11-25 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geography

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every write stamps the row with its transaction id; readers that remember the snapshot
# xmin of their last read can then fetch exactly the rows that may have changed since.
CHANGE_XID_FUNCTION = """
CREATE OR REPLACE FUNCTION cyberspace_stamp_change_xid() RETURNS trigger AS $$
BEGIN
    NEW.change_xid := pg_current_xact_id()::text::bigint;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.execute(CHANGE_XID_FUNCTION)
    op.create_table(
        "placements",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column(
            "location",
            Geography("POINT", srid=4326, spatial_index=False),
            nullable=False,
        ),
        sa.Column("altitude_m", sa.Float(), nullable=True),
        sa.Column("h3_cell", sa.BigInteger(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("change_xid", sa.BigInteger(), nullable=False, server_default="0"),
        sa.CheckConstraint("kind IN ('nft', 'space', 'portal', 'marker')", name="kind"),
        sa.CheckConstraint(
            "altitude_m IS NULL OR altitude_m BETWEEN -12000 AND 100000", name="altitude_range"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_placements"),
    )
    op.create_index("ix_placements_location", "placements", ["location"], postgresql_using="gist")
    op.create_index("ix_placements_h3_cell", "placements", ["h3_cell"])
    op.create_index("ix_placements_change_xid", "placements", ["change_xid"])
    op.execute(
        "CREATE TRIGGER placements_change_xid BEFORE INSERT OR UPDATE ON placements "
        "FOR EACH ROW EXECUTE FUNCTION cyberspace_stamp_change_xid()"
    )


def downgrade() -> None:
    op.drop_table("placements")
    op.execute("DROP FUNCTION IF EXISTS cyberspace_stamp_change_xid()")
    # The postgis extension stays: other databases objects may depend on it, and dropping
    # an extension is an administrator's decision, not a schema migration's.
