"""Shard key on every geo table: `shard_cell`, the resolution-3 H3 cell of the row's point
(docs/SCALING.md, "Migration path", step 1).

`placements` derives it from its resolution-15 `h3_cell` in the database (an H3 parent is bit
arithmetic), so no writer can forget it; `nft_placements`, `spaces` and `portals` share their
placement row's id and copy its value (both ways, whichever row is written first); unanchored
spaces have none. `geofences` get it from the app (the cell of the fence's centroid), which
computes H3 when it computes the cover.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 02:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from geo.h3cells import shard_cell_of

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Resolution bits (52-55) set to 3, digits 4..15 set to 7 (unused): the parent at res 3 of any
# cell of resolution >= 3. tests/deploy/test_scaling.py checks it against h3.cell_to_parent.
PARENT_SQL = "(($1 & ~(15::bigint << 52)) | (3::bigint << 52) | ((1::bigint << 36) - 1))"
COPIES = {"nft_placements": "placement_id", "spaces": "id", "portals": "id"}


def upgrade() -> None:
    op.execute(
        "CREATE FUNCTION cyberspace_shard_cell(bigint) RETURNS bigint "
        f"LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS 'SELECT {PARENT_SQL}'"
    )
    op.add_column("placements", sa.Column("shard_cell", sa.BigInteger(), nullable=True))
    op.execute("UPDATE placements SET shard_cell = cyberspace_shard_cell(h3_cell)")
    op.alter_column("placements", "shard_cell", nullable=False)
    op.create_index("ix_placements_shard_cell", "placements", ["shard_cell"])
    op.execute(
        """
        CREATE FUNCTION placements_set_shard_cell() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            NEW.shard_cell := cyberspace_shard_cell(NEW.h3_cell);
            RETURN NEW;
        END $$;
        CREATE TRIGGER placements_shard_cell BEFORE INSERT OR UPDATE OF h3_cell ON placements
            FOR EACH ROW EXECUTE FUNCTION placements_set_shard_cell();
        """
    )
    pushes = "\n".join(
        f"UPDATE {table} SET shard_cell = NEW.shard_cell WHERE {key} = NEW.id "
        "AND shard_cell IS DISTINCT FROM NEW.shard_cell;"
        for table, key in COPIES.items()
    )
    for table, key in COPIES.items():
        op.add_column(table, sa.Column("shard_cell", sa.BigInteger(), nullable=True))
        op.execute(
            f"UPDATE {table} t SET shard_cell = p.shard_cell FROM placements p WHERE p.id = t.{key}"
        )
        op.create_index(f"ix_{table}_shard_cell", table, ["shard_cell"])
        op.execute(
            f"""
            CREATE FUNCTION {table}_copy_shard_cell() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                SELECT shard_cell INTO NEW.shard_cell FROM placements WHERE id = NEW.{key};
                RETURN NEW;
            END $$;
            CREATE TRIGGER {table}_shard_cell BEFORE INSERT ON {table}
                FOR EACH ROW EXECUTE FUNCTION {table}_copy_shard_cell();
            """
        )
    op.execute(
        f"""
        CREATE FUNCTION placements_push_shard_cell() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            {pushes}
            RETURN NULL;
        END $$;
        CREATE TRIGGER placements_push_shard_cell AFTER INSERT OR UPDATE OF h3_cell
            ON placements FOR EACH ROW EXECUTE FUNCTION placements_push_shard_cell();
        """
    )
    op.add_column("geofences", sa.Column("shard_cell", sa.BigInteger(), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(
        sa.text("SELECT id, ST_Y(ST_Centroid(geom)), ST_X(ST_Centroid(geom)) FROM geofences")
    ).all()
    for fence_id, lat, lng in rows:
        connection.execute(
            sa.text("UPDATE geofences SET shard_cell = :cell WHERE id = :id"),
            {"cell": shard_cell_of(lat, lng), "id": fence_id},
        )
    op.alter_column("geofences", "shard_cell", nullable=False)
    op.create_index("ix_geofences_shard_cell", "geofences", ["shard_cell"])


def downgrade() -> None:
    op.drop_index("ix_geofences_shard_cell", table_name="geofences")
    op.drop_column("geofences", "shard_cell")
    op.execute("DROP TRIGGER placements_push_shard_cell ON placements")
    op.execute("DROP FUNCTION placements_push_shard_cell()")
    for table in COPIES:
        op.execute(f"DROP TRIGGER {table}_shard_cell ON {table}")
        op.execute(f"DROP FUNCTION {table}_copy_shard_cell()")
        op.drop_index(f"ix_{table}_shard_cell", table_name=table)
        op.drop_column(table, "shard_cell")
    op.execute("DROP TRIGGER placements_shard_cell ON placements")
    op.execute("DROP FUNCTION placements_set_shard_cell()")
    op.drop_index("ix_placements_shard_cell", table_name="placements")
    op.drop_column("placements", "shard_cell")
    op.execute("DROP FUNCTION cyberspace_shard_cell(bigint)")
