"""Player positions, fence state, event log, challenges, webhooks (issue 5).

Fence ids are plain UUID columns (no foreign key to `geofences`): the service handles a
fence's deletion, and the event log outlives fences.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 01:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts(name: str, *, nullable: bool = False, default: bool = False) -> sa.Column[object]:
    return sa.Column(
        name,
        sa.DateTime(timezone=True),
        nullable=nullable,
        server_default=sa.func.now() if default else None,
    )


def _user_fk(table: str, column: str = "user_id") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], ["users.id"], name=f"fk_{table}_{column}_users", ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "player_positions",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lng", sa.Float(), nullable=False),
        sa.Column("accuracy_m", sa.Float(), nullable=False),
        sa.Column("speed_mps", sa.Float(), nullable=True),
        sa.Column("heading_deg", sa.Float(), nullable=True),
        _ts("fix_at"),
        _ts("received_at"),
        _user_fk("player_positions"),
        sa.PrimaryKeyConstraint("user_id", name="pk_player_positions"),
    )
    op.create_table(
        "location_history",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lng", sa.Float(), nullable=False),
        sa.Column("accuracy_m", sa.Float(), nullable=False),
        _ts("fix_at"),
        _user_fk("location_history"),
        sa.PrimaryKeyConstraint("id", name="pk_location_history"),
    )
    op.create_index("ix_location_history_user_fix", "location_history", ["user_id", "fix_at"])
    op.create_table(
        "player_fence_states",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("fence_id", sa.Uuid(), nullable=False),
        _ts("entered_at"),
        _ts("last_fix_at"),
        sa.Column("dwell_fired", sa.Boolean(), nullable=False, server_default=sa.false()),
        _user_fk("player_fence_states"),
        sa.PrimaryKeyConstraint("user_id", "fence_id", name="pk_player_fence_states"),
    )
    op.create_index("ix_player_fence_states_fence_id", "player_fence_states", ["fence_id"])
    op.create_table(
        "geofence_events",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("fence_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lng", sa.Float(), nullable=False),
        sa.Column("accuracy_m", sa.Float(), nullable=False),
        _ts("fix_at"),
        _ts("created_at", default=True),
        sa.Column("data", postgresql.JSONB(), nullable=False, server_default=sa.text("'{}'")),
        sa.Column("fence_version", sa.Integer(), nullable=False, server_default="0"),
        _user_fk("geofence_events"),
        sa.PrimaryKeyConstraint("id", name="pk_geofence_events"),
        sa.UniqueConstraint("event_id", name="uq_geofence_events_event_id"),
    )
    op.create_index("ix_geofence_events_fence", "geofence_events", ["fence_id", "id"])
    op.create_index("ix_geofence_events_user", "geofence_events", ["user_id", "id"])

    op.create_table(
        "challenges",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("description", sa.String(2000), nullable=False, server_default=""),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("fence_ids", postgresql.ARRAY(sa.Uuid()), nullable=False),
        sa.Column("ordered", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("dwell_seconds", sa.Integer(), nullable=True),
        sa.Column("collect_count", sa.Integer(), nullable=True),
        _ts("starts_at", nullable=True),
        _ts("ends_at", nullable=True),
        sa.Column("max_participants", sa.Integer(), nullable=True),
        sa.Column("reward", postgresql.JSONB(), nullable=True),
        _ts("created_at", default=True),
        sa.CheckConstraint("kind IN ('checkpoints', 'dwell', 'collect')", name="known_kind"),
        _user_fk("challenges", "owner_id"),
        sa.PrimaryKeyConstraint("id", name="pk_challenges"),
    )
    op.create_index("ix_challenges_owner_id", "challenges", ["owner_id"])
    op.create_table(
        "challenge_participants",
        sa.Column("challenge_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        _ts("joined_at", default=True),
        sa.Column("progress", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("state", postgresql.JSONB(), nullable=False, server_default=sa.text("'{}'")),
        _ts("last_progress_at", nullable=True),
        _ts("completed_at", nullable=True),
        sa.Column("reward_status", sa.String(16), nullable=False, server_default="none"),
        sa.Column("reward_nft_id", sa.String(100), nullable=True),
        sa.Column("reward_error", sa.String(500), nullable=True),
        sa.ForeignKeyConstraint(
            ["challenge_id"],
            ["challenges.id"],
            name="fk_challenge_participants_challenge_id_challenges",
            ondelete="CASCADE",
        ),
        _user_fk("challenge_participants"),
        sa.PrimaryKeyConstraint("challenge_id", "user_id", name="pk_challenge_participants"),
    )
    op.create_index(
        "ix_challenge_participants_active_user",
        "challenge_participants",
        ["user_id"],
        postgresql_where=sa.text("completed_at IS NULL"),
    )

    op.create_table(
        "webhooks",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("fence_id", sa.Uuid(), nullable=False),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("secret", sa.String(128), nullable=False),
        sa.Column("event_types", postgresql.ARRAY(sa.String(32)), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
        _ts("created_at", default=True),
        _user_fk("webhooks", "owner_id"),
        sa.PrimaryKeyConstraint("id", name="pk_webhooks"),
    )
    op.create_index("ix_webhooks_owner_id", "webhooks", ["owner_id"])
    op.create_index("ix_webhooks_fence_id", "webhooks", ["fence_id"])
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("webhook_id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("event_type", sa.String(32), nullable=False),
        sa.Column("payload", postgresql.JSONB(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        _ts("next_attempt_at"),
        sa.Column("last_error", sa.String(500), nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        _ts("created_at", default=True),
        _ts("delivered_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["webhook_id"],
            ["webhooks.id"],
            name="fk_webhook_deliveries_webhook_id_webhooks",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_deliveries"),
    )
    op.create_index(
        "ix_webhook_deliveries_due",
        "webhook_deliveries",
        ["next_attempt_at"],
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "uq_webhook_deliveries_event", "webhook_deliveries", ["webhook_id", "event_id"], unique=True
    )


def downgrade() -> None:
    for table in (
        "webhook_deliveries",
        "webhooks",
        "challenge_participants",
        "challenges",
        "geofence_events",
        "player_fence_states",
        "location_history",
        "player_positions",
    ):
        op.drop_table(table)
