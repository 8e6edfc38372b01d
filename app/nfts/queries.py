"""SQL of the NFT registry and NFT placements (the indexer's SQL is in index_queries.py)."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.nfts.models import Nft, NftHolding, NftPlacement, NftPlacementState
from app.placements.models import Placement
from app.users.models import User, Wallet


async def get_nft(session: AsyncSession, nft_id: str) -> Nft | None:
    return await session.get(Nft, nft_id)


async def nft_for_token(
    session: AsyncSession, chain_id: int, contract: str, token_id: int
) -> Nft | None:
    found: Nft | None = await session.scalar(
        select(Nft).where(
            Nft.chain_id == chain_id, Nft.contract == contract.lower(), Nft.token_id == token_id
        )
    )
    return found


async def holdings_of(session: AsyncSession, nft: Nft) -> list[NftHolding]:
    rows = await session.scalars(
        select(NftHolding)
        .where(
            NftHolding.chain_id == nft.chain_id,
            NftHolding.contract == nft.contract,
            NftHolding.token_id == nft.token_id,
        )
        .order_by(NftHolding.amount.desc(), NftHolding.holder)
    )
    return list(rows)


async def held_amount(session: AsyncSession, nft: Nft, holder: str) -> int:
    amount = await session.scalar(
        select(NftHolding.amount).where(
            NftHolding.chain_id == nft.chain_id,
            NftHolding.contract == nft.contract,
            NftHolding.token_id == nft.token_id,
            NftHolding.holder == holder.lower(),
        )
    )
    return int(amount or 0)


async def wallet_owners(session: AsyncSession, addresses: list[str]) -> dict[str, User]:
    """Linked wallet address -> its user, for the given lower-case addresses."""
    if not addresses:
        return {}
    rows = await session.execute(
        select(Wallet.address, User)
        .join(User, User.id == Wallet.user_id)
        .where(Wallet.address.in_(addresses))
    )
    return {address: user for address, user in rows.all()}


async def active_placement_row(
    session: AsyncSession, nft_id: str
) -> tuple[NftPlacement, Placement, float, float] | None:
    row = await session.execute(
        select(
            NftPlacement,
            Placement,
            text("ST_Y(placements.location::geometry)"),
            text("ST_X(placements.location::geometry)"),
        )
        .join(Placement, Placement.id == NftPlacement.placement_id)
        .where(NftPlacement.nft_id == nft_id, NftPlacement.state == NftPlacementState.ACTIVE)
    )
    found = row.first()
    if found is None:
        return None
    np, p, lat, lng = found
    return np, p, float(lat), float(lng)


async def get_nft_placement(session: AsyncSession, placement_id: uuid.UUID) -> NftPlacement | None:
    return await session.get(NftPlacement, placement_id)


async def close_active(
    session: AsyncSession,
    *,
    nft_id: str,
    state: NftPlacementState,
    claimed_by: uuid.UUID | None,
    only_placement_id: uuid.UUID | None,
    now: datetime,
) -> NftPlacement | None:
    """One conditional UPDATE: only one concurrent caller gets the row back."""
    stmt = (
        update(NftPlacement)
        .where(NftPlacement.nft_id == nft_id, NftPlacement.state == NftPlacementState.ACTIVE)
        .values(state=state.value, closed_at=now, claimed_by=claimed_by)
        .returning(NftPlacement)
        .execution_options(synchronize_session=False)
    )
    if only_placement_id is not None:
        stmt = stmt.where(NftPlacement.placement_id == only_placement_id)
    closed: NftPlacement | None = await session.scalar(stmt)
    if closed is None:
        return None
    await session.execute(
        update(Placement)
        .where(Placement.id == closed.placement_id)
        .values(active=False)
        .execution_options(synchronize_session=False)
    )
    return closed


_INVENTORY = text(
    """
    SELECT n.id, np.placement_id
    FROM nfts n
    LEFT JOIN nft_placements np ON np.nft_id = n.id AND np.state = 'active'
    WHERE n.custody_user_id = :uid
       OR EXISTS (
            SELECT 1 FROM nft_holdings h JOIN wallets w ON w.address = h.holder
            WHERE w.user_id = :uid AND h.chain_id = n.chain_id AND h.contract = n.contract
              AND h.token_id = n.token_id AND h.amount >= n.amount)
    ORDER BY n.id
    """
)


async def inventory_rows(
    session: AsyncSession, user_id: uuid.UUID
) -> list[tuple[Nft, uuid.UUID | None]]:
    rows = (await session.execute(_INVENTORY, {"uid": user_id})).all()
    if not rows:
        return []
    nfts = {
        n.id: n for n in await session.scalars(select(Nft).where(Nft.id.in_([r[0] for r in rows])))
    }
    return [(nfts[r[0]], r[1]) for r in rows]


_NEARBY_META = text(
    """
    SELECT np.placement_id::text, n.id, n.name, n.image, n.attributes, n.standard, n.amount,
           np.claim_radius_m, np.hint, np.visible_from, np.visible_until
    FROM nft_placements np JOIN nfts n ON n.id = np.nft_id
    WHERE np.placement_id = ANY(CAST(:ids AS uuid[])) AND np.state = 'active'
    """
)


_ACTIVE_META = text(
    """
    SELECT np.placement_id::text, n.id, n.name, n.image, n.attributes, n.standard, n.amount,
           np.claim_radius_m, np.hint, np.visible_from, np.visible_until
    FROM nft_placements np JOIN nfts n ON n.id = np.nft_id
    WHERE np.state = 'active'
    """
)


@dataclass(frozen=True, slots=True)
class NearbyMeta:
    placement_id: str
    nft_id: str
    name: str
    image: str | None
    attributes: Any
    standard: str
    amount: int
    claim_radius_m: float
    hint: str | None
    visible_from: datetime | None
    visible_until: datetime | None


class NearbyMetaCache:
    """placement id -> its NFT fields, per process. No invalidation is needed: an NFT
    placement's fields never change while it is active, and closing it removes it from the
    nearby index in the same transaction that marks it closed. Bounded by clearing."""

    def __init__(self, max_entries: int = 200_000) -> None:
        self.max_entries = max_entries
        self._entries: dict[str, NearbyMeta] = {}

    async def preload(self, session: AsyncSession) -> int:
        """Load every active NFT placement's fields (at start: requests then never miss)."""
        rows = (await session.execute(_ACTIVE_META)).all()
        self._entries = {r[0]: _meta(r) for r in rows[: self.max_entries]}
        return len(self._entries)

    async def get_many(
        self, session: "SessionSource", placement_ids: list[str]
    ) -> dict[str, NearbyMeta]:
        found = {pid: m for pid in placement_ids if (m := self._entries.get(pid)) is not None}
        missing = [pid for pid in placement_ids if pid not in found]
        if missing:
            fetched = await nearby_meta(session, missing)
            if len(self._entries) + len(fetched) > self.max_entries:
                self._entries.clear()
            self._entries.update(fetched)
            found.update(fetched)
        return found


# A session, or a factory to open one only if a query is needed (a warm cache needs none).
SessionSource = AsyncSession | async_sessionmaker[AsyncSession]


async def nearby_meta(session: SessionSource, placement_ids: list[str]) -> dict[str, NearbyMeta]:
    if not placement_ids:
        return {}
    if not isinstance(session, AsyncSession):
        async with session() as opened:
            return await nearby_meta(opened, placement_ids)
    rows = (await session.execute(_NEARBY_META, {"ids": placement_ids})).all()
    return {r[0]: _meta(r) for r in rows}


def _meta(r: Any) -> NearbyMeta:
    return NearbyMeta(r[0], r[1], r[2], r[3], r[4], r[5], int(r[6]), r[7], r[8], r[9], r[10])


_TILE = text(
    """
    WITH bounds AS (
        SELECT ST_TileEnvelope(:z, :x, :y) AS tile,
               ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => 0.015625), 4326) AS search
    ),
    features AS (
        SELECT ST_AsMVTGeom(ST_Transform(p.location::geometry, 3857), bounds.tile, 4096, 64, true)
                   AS geom,
               n.id AS nft_id, n.name, p.id::text AS placement_id,
               np.claim_radius_m, p.altitude_m
        FROM placements p
        JOIN nft_placements np ON np.placement_id = p.id
        JOIN nfts n ON n.id = np.nft_id
        CROSS JOIN bounds
        WHERE p.kind = 'nft' AND p.active AND np.state = 'active'
          AND (np.visible_from IS NULL OR np.visible_from <= now())
          AND (np.visible_until IS NULL OR np.visible_until > now())
          AND p.location::geometry && bounds.search
    )
    SELECT ST_AsMVT(features.*, 'nfts', 4096, 'geom') FROM features
    """
)


async def nft_tile(session: AsyncSession, z: int, x: int, y: int) -> bytes:
    data = await session.scalar(_TILE, {"z": z, "x": x, "y": y})
    return bytes(data or b"")
