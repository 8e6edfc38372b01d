"""Claims and trading: claim attempts, listings, offers (issue 4).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 01:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UINT256 = sa.Numeric(78, 0)


def _now() -> sa.sql.elements.TextClause:
    return sa.text("now()")


def upgrade() -> None:
    op.create_table(
        "claim_attempts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("nft_id", sa.String(64), nullable=False),
        sa.Column("placement_id", sa.Uuid(), nullable=True),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lng", sa.Float(), nullable=False),
        sa.Column("accuracy_m", sa.Float(), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("trusted_position", sa.Boolean(), nullable=False),
        sa.Column("distance_m", sa.Float(), nullable=True),
        sa.Column("tx_hash", sa.String(66), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()),
        sa.PrimaryKeyConstraint("id", name="pk_claim_attempts"),
        sa.ForeignKeyConstraint(
            ["nft_id"], ["nfts.id"], name="fk_claim_attempts_nft_id_nfts", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["placement_id"],
            ["placements.id"],
            name="fk_claim_attempts_placement_id_placements",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_claim_attempts_user_id_users", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_claim_attempts_nft_id", "claim_attempts", ["nft_id"])
    op.create_index("ix_claim_attempts_user_recent", "claim_attempts", ["user_id", "created_at"])
    op.create_index(
        "uq_claim_attempts_winner",
        "claim_attempts",
        ["placement_id"],
        unique=True,
        postgresql_where=sa.text("outcome = 'claimed'"),
    )

    op.create_table(
        "listings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("nft_id", sa.String(64), nullable=False),
        sa.Column("seller_id", sa.Uuid(), nullable=False),
        sa.Column("seller_address", sa.String(42), nullable=False),
        sa.Column("custodial", sa.Boolean(), nullable=False),
        sa.Column("price_wei", UINT256, nullable=False),
        sa.Column("status", sa.String(20), nullable=False, server_default=sa.text("'active'")),
        sa.Column("cancel_reason", sa.String(16), nullable=True),
        sa.Column("accepted_offer_id", sa.Uuid(), nullable=True),
        sa.Column("buyer_id", sa.Uuid(), nullable=True),
        sa.Column("buyer_address", sa.String(42), nullable=True),
        sa.Column("transfer_tx_hash", sa.String(66), nullable=True),
        sa.Column("sale_tx_hash", sa.String(66), nullable=True),
        sa.Column("sale_block", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_listings"),
        sa.CheckConstraint("price_wei > 0", name="price_positive"),
        sa.CheckConstraint(
            "status IN ('active', 'awaiting_transfer', 'sold', 'cancelled')", name="status"
        ),
        sa.ForeignKeyConstraint(
            ["nft_id"], ["nfts.id"], name="fk_listings_nft_id_nfts", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["seller_id"], ["users.id"], name="fk_listings_seller_id_users", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["buyer_id"], ["users.id"], name="fk_listings_buyer_id_users", ondelete="SET NULL"
        ),
    )
    op.create_index("ix_listings_nft_id", "listings", ["nft_id"])
    op.create_index("ix_listings_seller_id", "listings", ["seller_id"])
    op.create_index("ix_listings_status_created", "listings", ["status", "created_at", "id"])
    op.create_index(
        "uq_listings_open_nft",
        "listings",
        ["nft_id"],
        unique=True,
        postgresql_where=sa.text("status IN ('active', 'awaiting_transfer')"),
    )

    op.create_table(
        "offers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("listing_id", sa.Uuid(), nullable=False),
        sa.Column("buyer_id", sa.Uuid(), nullable=False),
        sa.Column("buyer_address", sa.String(42), nullable=False),
        sa.Column("price_wei", UINT256, nullable=False),
        sa.Column("status", sa.String(12), nullable=False, server_default=sa.text("'open'")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_offers"),
        sa.CheckConstraint("price_wei > 0", name="price_positive"),
        sa.CheckConstraint(
            "status IN ('open', 'withdrawn', 'declined', 'accepted', 'settled')", name="status"
        ),
        sa.ForeignKeyConstraint(
            ["listing_id"],
            ["listings.id"],
            name="fk_offers_listing_id_listings",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["buyer_id"], ["users.id"], name="fk_offers_buyer_id_users", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_offers_listing_id", "offers", ["listing_id"])
    op.create_index("ix_offers_buyer_id", "offers", ["buyer_id"])
    op.create_index(
        "uq_offers_open_buyer",
        "offers",
        ["listing_id", "buyer_id"],
        unique=True,
        postgresql_where=sa.text("status = 'open'"),
    )


def downgrade() -> None:
    op.drop_table("offers")
    op.drop_table("listings")
    op.drop_table("claim_attempts")
