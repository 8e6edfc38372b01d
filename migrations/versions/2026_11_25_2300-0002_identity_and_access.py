"""Identity and access: users, wallets, device sessions, refresh tokens, developer apps;
placements get an owner.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLES = "ARRAY['player', 'organizer', 'developer', 'admin']::varchar[]"


def _timestamp(name: str, *, nullable: bool = False, default: bool = True) -> sa.Column[object]:
    return sa.Column(
        name,
        sa.DateTime(timezone=True),
        nullable=nullable,
        server_default=sa.func.now() if default else None,
    )


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("username", sa.String(32), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("display_name", sa.String(64), nullable=True),
        sa.Column("bio", sa.String(500), nullable=True),
        sa.Column(
            "roles",
            postgresql.ARRAY(sa.String(16)),
            nullable=False,
            server_default=sa.text("'{player}'::varchar[]"),
        ),
        sa.Column("is_active", sa.Boolean(), nullable=False, server_default=sa.true()),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.CheckConstraint("username ~ '^[A-Za-z0-9_]{3,32}$'", name="username_format"),
        sa.CheckConstraint(f"roles <@ {ROLES} AND cardinality(roles) > 0", name="known_roles"),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
    )
    # Case-insensitive uniqueness: "Alice" and "alice" are one name, and one mailbox.
    op.create_index("uq_users_username_lower", "users", [sa.text("lower(username)")], unique=True)
    op.create_index("uq_users_email_lower", "users", [sa.text("lower(email)")], unique=True)

    op.create_table(
        "wallets",
        sa.Column("address", sa.String(42), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        _timestamp("linked_at"),
        sa.CheckConstraint("address ~ '^0x[0-9a-f]{40}$'", name="address_lower_hex"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_wallets_user_id_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("address", name="pk_wallets"),
    )
    op.create_index("ix_wallets_user_id", "wallets", ["user_id"])

    op.create_table(
        "auth_sessions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("device", sa.String(8), nullable=False),
        sa.Column("device_label", sa.String(64), nullable=True),
        sa.Column("auth_method", sa.String(16), nullable=False),
        _timestamp("created_at"),
        _timestamp("last_seen_at"),
        _timestamp("revoked_at", nullable=True, default=False),
        sa.Column("revoke_reason", sa.String(32), nullable=True),
        sa.CheckConstraint("device IN ('web', 'mobile', 'vr')", name="device"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_auth_sessions_user_id_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_auth_sessions"),
    )
    op.create_index("ix_auth_sessions_user_id", "auth_sessions", ["user_id"])

    op.create_table(
        "refresh_tokens",
        sa.Column("token_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=False),
        _timestamp("created_at"),
        _timestamp("expires_at", default=False),
        _timestamp("spent_at", nullable=True, default=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["auth_sessions.id"],
            name="fk_refresh_tokens_session_id_auth_sessions",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name="pk_refresh_tokens"),
    )
    op.create_index("ix_refresh_tokens_session_id", "refresh_tokens", ["session_id"])

    op.create_table(
        "developer_apps",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("secret_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("scopes", postgresql.ARRAY(sa.String(32)), nullable=False),
        _timestamp("created_at"),
        _timestamp("revoked_at", nullable=True, default=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name="fk_developer_apps_owner_id_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_developer_apps"),
        sa.UniqueConstraint("client_id", name="uq_developer_apps_client_id"),
    )
    op.create_index("ix_developer_apps_owner_id", "developer_apps", ["owner_id"])

    op.add_column("placements", sa.Column("owner_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        "fk_placements_owner_id_users",
        "placements",
        "users",
        ["owner_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.create_index("ix_placements_owner_id", "placements", ["owner_id"])


def downgrade() -> None:
    op.drop_index("ix_placements_owner_id", table_name="placements")
    op.drop_constraint("fk_placements_owner_id_users", "placements", type_="foreignkey")
    op.drop_column("placements", "owner_id")
    op.drop_table("developer_apps")
    op.drop_table("refresh_tokens")
    op.drop_table("auth_sessions")
    op.drop_table("wallets")
    op.drop_table("users")
