"""NFT registry, indexed holdings and transfers, the indexer's cursor and NFT placements (issue 4).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UINT256 = sa.Numeric(78, 0)


def _now() -> sa.sql.elements.TextClause:
    return sa.text("now()")


def upgrade() -> None:
    op.create_table(
        "nfts",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("contract", sa.String(42), nullable=False),
        sa.Column("token_id", UINT256, nullable=False),
        sa.Column("standard", sa.String(8), nullable=False),
        sa.Column("amount", UINT256, nullable=False, server_default=sa.text("1")),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.String(2000), nullable=True),
        sa.Column("image", sa.String(2048), nullable=True),
        sa.Column(
            "attributes",
            postgresql.JSONB(),
            nullable=False,
            server_default=sa.text("'[]'::jsonb"),
        ),
        sa.Column("custody_user_id", sa.Uuid(), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()),
        sa.PrimaryKeyConstraint("id", name="pk_nfts"),
        sa.UniqueConstraint("chain_id", "contract", "token_id", name="uq_nfts_token"),
        sa.CheckConstraint("id ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'", name="id_format"),
        sa.CheckConstraint("standard IN ('erc721', 'erc1155')", name="standard"),
        sa.CheckConstraint(
            "amount >= 1 AND (standard = 'erc1155' OR amount = 1)", name="amount_valid"
        ),
        sa.ForeignKeyConstraint(
            ["custody_user_id"],
            ["users.id"],
            name="fk_nfts_custody_user_id_users",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name="fk_nfts_created_by_users", ondelete="SET NULL"
        ),
    )
    op.create_index("ix_nfts_custody_user_id", "nfts", ["custody_user_id"])

    op.create_table(
        "nft_holdings",
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("contract", sa.String(42), nullable=False),
        sa.Column("token_id", UINT256, nullable=False),
        sa.Column("holder", sa.String(42), nullable=False),
        sa.Column("amount", UINT256, nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "chain_id", "contract", "token_id", "holder", name="pk_nft_holdings"
        ),
    )
    op.create_index("ix_nft_holdings_holder", "nft_holdings", ["holder"])

    op.create_table(
        "nft_transfers",
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("batch_index", sa.Integer(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(66), nullable=False),
        sa.Column("contract", sa.String(42), nullable=False),
        sa.Column("token_id", UINT256, nullable=False),
        sa.Column("from_addr", sa.String(42), nullable=False),
        sa.Column("to_addr", sa.String(42), nullable=False),
        sa.Column("amount", UINT256, nullable=False),
        sa.PrimaryKeyConstraint(
            "chain_id", "tx_hash", "log_index", "batch_index", name="pk_nft_transfers"
        ),
    )
    op.create_index("ix_nft_transfers_block", "nft_transfers", ["chain_id", "block_number"])
    op.create_index("ix_nft_transfers_token", "nft_transfers", ["chain_id", "contract", "token_id"])

    op.create_table(
        "nft_index_cursors",
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("nft721", sa.String(42), nullable=False),
        sa.Column("nft1155", sa.String(42), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(66), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()),
        sa.PrimaryKeyConstraint("chain_id", name="pk_nft_index_cursors"),
    )
    op.create_table(
        "nft_index_blocks",
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("number", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(66), nullable=False),
        sa.PrimaryKeyConstraint("chain_id", "number", name="pk_nft_index_blocks"),
    )

    op.create_table(
        "nft_placements",
        sa.Column("placement_id", sa.Uuid(), nullable=False),
        sa.Column("nft_id", sa.String(64), nullable=False),
        sa.Column("placed_by", sa.Uuid(), nullable=True),
        sa.Column("holder", sa.String(42), nullable=False),
        sa.Column("hint", sa.String(500), nullable=True),
        sa.Column("visible_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("visible_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claim_radius_m", sa.Float(), nullable=False),
        sa.Column("state", sa.String(12), nullable=False, server_default=sa.text("'active'")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_by", sa.Uuid(), nullable=True),
        sa.PrimaryKeyConstraint("placement_id", name="pk_nft_placements"),
        sa.ForeignKeyConstraint(
            ["placement_id"],
            ["placements.id"],
            name="fk_nft_placements_placement_id_placements",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["nft_id"], ["nfts.id"], name="fk_nft_placements_nft_id_nfts", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["placed_by"],
            ["users.id"],
            name="fk_nft_placements_placed_by_users",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["claimed_by"],
            ["users.id"],
            name="fk_nft_placements_claimed_by_users",
            ondelete="SET NULL",
        ),
        sa.CheckConstraint("state IN ('active', 'withdrawn', 'claimed')", name="state"),
        sa.CheckConstraint("claim_radius_m > 0 AND claim_radius_m <= 1000", name="claim_radius"),
        sa.CheckConstraint(
            "visible_from IS NULL OR visible_until IS NULL OR visible_from < visible_until",
            name="visible_window",
        ),
    )
    op.create_index("ix_nft_placements_nft_id", "nft_placements", ["nft_id"])
    op.create_index("ix_nft_placements_placed_by", "nft_placements", ["placed_by"])
    # One active placement per NFT: two racing placements cannot both commit.
    op.create_index(
        "uq_nft_placements_active_nft",
        "nft_placements",
        ["nft_id"],
        unique=True,
        postgresql_where=sa.text("state = 'active'"),
    )


def downgrade() -> None:
    op.drop_table("nft_placements")
    op.drop_table("nft_index_blocks")
    op.drop_table("nft_index_cursors")
    op.drop_table("nft_transfers")
    op.drop_table("nft_holdings")
    op.drop_table("nfts")
