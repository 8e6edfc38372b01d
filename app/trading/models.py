"""ORM models of trading: listings and offers. A listing is also the sale record once sold.

Prices are in wei of the chain's native coin (NUMERIC(78, 0), like token ids). The service
records the agreed price; it does not escrow the payment (see README, trading).
"""

import enum
import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    String,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base
from app.nfts.models import Uint256


class ListingStatus(enum.StrEnum):
    ACTIVE = "active"  # open for offers
    AWAITING_TRANSFER = "awaiting_transfer"  # an offer was accepted; waiting for the chain
    SOLD = "sold"  # the indexer saw the token reach the buyer
    CANCELLED = "cancelled"


OPEN_LISTING_STATUSES = (ListingStatus.ACTIVE, ListingStatus.AWAITING_TRANSFER)


class CancelReason(enum.StrEnum):
    SELLER = "seller"  # the seller (or an admin) cancelled it
    MOVED = "moved"  # the token left the seller's address on chain other than by the sale


class OfferStatus(enum.StrEnum):
    OPEN = "open"
    WITHDRAWN = "withdrawn"  # by the buyer
    DECLINED = "declined"  # another offer was accepted, or the listing closed
    ACCEPTED = "accepted"  # waiting for the on-chain transfer
    SETTLED = "settled"  # the transfer was indexed: this offer bought the NFT


class Listing(Base):
    __tablename__ = "listings"
    __table_args__ = (
        # One open listing per NFT; race-safe.
        Index(
            "uq_listings_open_nft",
            "nft_id",
            unique=True,
            postgresql_where=text("status IN ('active', 'awaiting_transfer')"),
        ),
        Index("ix_listings_status_created", "status", "created_at", "id"),
        CheckConstraint("price_wei > 0", name="price_positive"),
        CheckConstraint(
            "status IN ('active', 'awaiting_transfer', 'sold', 'cancelled')", name="status"
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    nft_id: Mapped[str] = mapped_column(ForeignKey("nfts.id", ondelete="CASCADE"), index=True)
    seller_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    # The address the token must leave for the sale (lower-case hex): the seller's wallet, or
    # the service wallet when it holds the token in custody for the seller (`custodial`).
    seller_address: Mapped[str] = mapped_column(String(42))
    custodial: Mapped[bool] = mapped_column(Boolean)
    price_wei: Mapped[int] = mapped_column(Uint256)
    status: Mapped[str] = mapped_column(String(20), server_default=text("'active'"))
    cancel_reason: Mapped[str | None] = mapped_column(String(16))
    accepted_offer_id: Mapped[uuid.UUID | None] = mapped_column()
    buyer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    buyer_address: Mapped[str | None] = mapped_column(String(42))
    # The service's own transfer for custodial sales (informational; settlement is the index).
    transfer_tx_hash: Mapped[str | None] = mapped_column(String(66))
    sale_tx_hash: Mapped[str | None] = mapped_column(String(66))
    sale_block: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def owner_id(self) -> uuid.UUID:
        # For app.auth.permissions.ensure_owner: the seller controls the listing.
        return self.seller_id


class Offer(Base):
    __tablename__ = "offers"
    __table_args__ = (
        Index(
            "uq_offers_open_buyer",
            "listing_id",
            "buyer_id",
            unique=True,
            postgresql_where=text("status = 'open'"),
        ),
        CheckConstraint("price_wei > 0", name="price_positive"),
        CheckConstraint(
            "status IN ('open', 'withdrawn', 'declined', 'accepted', 'settled')", name="status"
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    listing_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("listings.id", ondelete="CASCADE"), index=True
    )
    buyer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    # The buyer's linked wallet the token must reach (lower-case hex).
    buyer_address: Mapped[str] = mapped_column(String(42))
    price_wei: Mapped[int] = mapped_column(Uint256)
    status: Mapped[str] = mapped_column(String(12), server_default=text("'open'"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def owner_id(self) -> uuid.UUID:
        return self.buyer_id
