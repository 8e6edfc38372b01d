"""ORM models of nfts: the registry, indexed on-chain holdings and transfers, the indexer's
cursor, and NFT placements (the NFT side of a `placements` row of kind 'nft').

Addresses are stored lower-case 0x-hex (like `wallets.address`), so holdings join wallets
directly; token ids and ERC-1155 amounts are uint256 on chain, stored as NUMERIC(78, 0).
"""

import enum
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from app.core.db import Base


class Uint256(TypeDecorator[int]):
    """A uint256 as NUMERIC(78, 0), read back as a Python int (not Decimal)."""

    impl = Numeric(78, 0)
    cache_ok = True

    def process_bind_param(self, value: int | None, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> int | None:
        return None if value is None else int(value)


class NftStandard(enum.StrEnum):
    ERC721 = "erc721"
    ERC1155 = "erc1155"


class NftPlacementState(enum.StrEnum):
    ACTIVE = "active"
    WITHDRAWN = "withdrawn"
    CLAIMED = "claimed"


class Nft(Base):
    """The registry: a string id (`nft-weapon-01`) for one token, plus its metadata."""

    __tablename__ = "nfts"
    __table_args__ = (
        UniqueConstraint("chain_id", "contract", "token_id", name="uq_nfts_token"),
        CheckConstraint("id ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'", name="id_format"),
        CheckConstraint("standard IN ('erc721', 'erc1155')", name="standard"),
        CheckConstraint(
            "amount >= 1 AND (standard = 'erc1155' OR amount = 1)", name="amount_valid"
        ),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    chain_id: Mapped[int] = mapped_column(BigInteger)
    contract: Mapped[str] = mapped_column(String(42))
    token_id: Mapped[int] = mapped_column(Uint256)
    standard: Mapped[str] = mapped_column(String(8))
    # ERC-1155: how many copies this registry entry stands for (placing/claiming moves them all).
    amount: Mapped[int] = mapped_column(Uint256, server_default=text("1"))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(String(2000))
    image: Mapped[str | None] = mapped_column(String(2048))
    # OpenSea-style metadata attributes: [{"trait_type": ..., "value": ...}, ...]
    attributes: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, server_default=text("'[]'::jsonb")
    )
    # While the service wallet holds the token on chain, the user it holds it for (custody
    # until they link a wallet). NULL when held by anyone else.
    custody_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class NftHolding(Base):
    """Current balance of one address for one token, as the indexer derived it from events.

    ERC-721 tokens have exactly one row (amount 1); rows reaching 0 are deleted.
    """

    __tablename__ = "nft_holdings"
    __table_args__ = (Index("ix_nft_holdings_holder", "holder"),)

    chain_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    contract: Mapped[str] = mapped_column(String(42), primary_key=True)
    token_id: Mapped[int] = mapped_column(Uint256, primary_key=True)
    holder: Mapped[str] = mapped_column(String(42), primary_key=True)
    amount: Mapped[int] = mapped_column(Uint256)
    block_number: Mapped[int] = mapped_column(BigInteger)  # block of the last change


class NftTransfer(Base):
    """Every indexed token transfer (mints from, burns to, the zero address).

    Kept so a re-org can be undone exactly (the rows above the fork point are reversed and
    deleted) and as the history trading settles against.
    """

    __tablename__ = "nft_transfers"
    __table_args__ = (
        Index("ix_nft_transfers_block", "chain_id", "block_number"),
        Index("ix_nft_transfers_token", "chain_id", "contract", "token_id"),
    )

    chain_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    tx_hash: Mapped[str] = mapped_column(String(66), primary_key=True)
    log_index: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_index: Mapped[int] = mapped_column(Integer, primary_key=True)
    block_number: Mapped[int] = mapped_column(BigInteger)
    block_hash: Mapped[str] = mapped_column(String(66))
    contract: Mapped[str] = mapped_column(String(42))
    token_id: Mapped[int] = mapped_column(Uint256)
    from_addr: Mapped[str] = mapped_column(String(42))
    to_addr: Mapped[str] = mapped_column(String(42))
    amount: Mapped[int] = mapped_column(Uint256)


class NftIndexCursor(Base):
    """How far the indexer got on one chain, and which contracts it followed there."""

    __tablename__ = "nft_index_cursors"

    chain_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    nft721: Mapped[str] = mapped_column(String(42))
    nft1155: Mapped[str] = mapped_column(String(42))
    block_number: Mapped[int] = mapped_column(BigInteger)  # last indexed block
    block_hash: Mapped[str] = mapped_column(String(66))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class NftIndexBlock(Base):
    """Hashes of the last few indexed blocks: compared with the chain to detect re-orgs."""

    __tablename__ = "nft_index_blocks"

    chain_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    number: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    hash: Mapped[str] = mapped_column(String(66))


class NftPlacement(Base):
    """The NFT side of a `placements` row (kind 'nft'): which NFT, hint, window, claim radius.

    `state` is 'active' while the NFT can be found; withdrawing or claiming closes it and sets
    `placements.active = false` in the same transaction. A partial unique index allows one
    active placement per NFT (race-safe "placed at most once at a time").
    """

    __tablename__ = "nft_placements"
    __table_args__ = (
        Index(
            "uq_nft_placements_active_nft",
            "nft_id",
            unique=True,
            postgresql_where=text("state = 'active'"),
        ),
        CheckConstraint("state IN ('active', 'withdrawn', 'claimed')", name="state"),
        CheckConstraint("claim_radius_m > 0 AND claim_radius_m <= 1000", name="claim_radius"),
        CheckConstraint(
            "visible_from IS NULL OR visible_until IS NULL OR visible_from < visible_until",
            name="visible_window",
        ),
    )

    placement_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("placements.id", ondelete="CASCADE"), primary_key=True
    )
    nft_id: Mapped[str] = mapped_column(ForeignKey("nfts.id", ondelete="CASCADE"), index=True)
    placed_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # The address that held the token when it was placed (a linked wallet, or the service
    # wallet for custody); the indexer closes the placement if the token leaves it.
    holder: Mapped[str] = mapped_column(String(42))
    hint: Mapped[str | None] = mapped_column(String(500))
    visible_from: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    visible_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    claim_radius_m: Mapped[float] = mapped_column(Float)
    state: Mapped[str] = mapped_column(String(12), server_default=text("'active'"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Set by the claim flow (app/claims) when it closes the placement as 'claimed'.
    claimed_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
