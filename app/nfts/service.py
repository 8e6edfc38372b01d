"""The NFT registry and ownership: who holds an NFT, per the indexed on-chain holdings.

Ownership is never asked of the chain per request: the indexer keeps `nft_holdings` current,
and a user owns an NFT when one of their linked wallets holds at least the registry entry's
amount, or when the service wallet holds it in custody for them (`nfts.custody_user_id`).
"""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.chain import ChainClient, Standard, TokenTransfer
from app.core.errors import NotFound
from app.nfts import queries
from app.nfts.errors import NftExists, NftNotFound
from app.nfts.metrics import PLACEMENTS
from app.nfts.models import Nft, NftPlacement, NftPlacementState, NftStandard
from app.users import queries as user_queries
from app.users.models import User


@dataclass(frozen=True, slots=True)
class NftOwner:
    user_id: uuid.UUID | None
    username: str | None
    address: str  # lower-case; the service wallet's for custody


@dataclass(frozen=True, slots=True)
class NftPlacementView:
    placement_id: uuid.UUID
    nft_id: str
    lat: float
    lng: float
    altitude_m: float | None
    hint: str | None
    visible_from: datetime | None
    visible_until: datetime | None
    claim_radius_m: float
    state: str
    placed_by: uuid.UUID | None
    holder: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class InventoryItem:
    nft: Nft
    placement_id: uuid.UUID | None

    @property
    def placed(self) -> bool:
        return self.placement_id is not None


async def get_nft(*, session: AsyncSession, nft_id: str) -> Nft:
    nft = await queries.get_nft(session, nft_id)
    if nft is None:
        raise NftNotFound(f"No NFT with id {nft_id!r}", details={"nft_id": nft_id})
    return nft


async def owner_of_nft(
    *, session: AsyncSession, nft: Nft, service_address: str | None = None
) -> NftOwner | None:
    """The custody user, else the first holder of the full amount (joined to its account)."""
    if nft.custody_user_id is not None:
        user = await user_queries.get_user(session, nft.custody_user_id)
        return NftOwner(
            user_id=nft.custody_user_id,
            username=user.username if user else None,
            address=(service_address or "").lower(),
        )
    holders = [h for h in await queries.holdings_of(session, nft) if h.amount >= nft.amount]
    if not holders:
        return None
    owners = await queries.wallet_owners(session, [h.holder for h in holders])
    for holding in holders:  # prefer a holder with an account
        user = owners.get(holding.holder)
        if user is not None:
            return NftOwner(user_id=user.id, username=user.username, address=holding.holder)
    return NftOwner(user_id=None, username=None, address=holders[0].holder)


async def owner_username(*, session: AsyncSession, nft_id: str) -> str | None:
    nft = await get_nft(session=session, nft_id=nft_id)
    owner = await owner_of_nft(session=session, nft=nft)
    return owner.username if owner else None


async def holder_address_of(
    *, session: AsyncSession, nft: Nft, user_id: uuid.UUID, service_address: str
) -> str | None:
    """The address through which `user_id` owns `nft` (custody: the service wallet), or None."""
    if nft.custody_user_id == user_id:
        if await queries.held_amount(session, nft, service_address) >= nft.amount:
            return service_address.lower()
        return None
    for address in await user_queries.wallet_addresses(session, user_id):
        if await queries.held_amount(session, nft, address) >= nft.amount:
            return address.lower()
    return None


async def user_holds_nft(*, session: AsyncSession, user_id: uuid.UUID, nft_id: str) -> bool:
    nft = await queries.get_nft(session, nft_id)
    if nft is None:
        return False
    if nft.custody_user_id == user_id:
        return True
    for address in await user_queries.wallet_addresses(session, user_id):
        if await queries.held_amount(session, nft, address) >= nft.amount:
            return True
    return False


async def active_placement(*, session: AsyncSession, nft_id: str) -> NftPlacementView | None:
    found = await queries.active_placement_row(session, nft_id)
    if found is None:
        return None
    np, p, lat, lng = found
    return NftPlacementView(
        placement_id=np.placement_id,
        nft_id=np.nft_id,
        lat=lat,
        lng=lng,
        altitude_m=p.altitude_m,
        hint=np.hint,
        visible_from=np.visible_from,
        visible_until=np.visible_until,
        claim_radius_m=np.claim_radius_m,
        state=np.state,
        placed_by=np.placed_by,
        holder=np.holder,
        created_at=np.created_at,
    )


async def close_placement(
    *,
    session: AsyncSession,
    nft_id: str,
    state: NftPlacementState,
    claimed_by: uuid.UUID | None = None,
    only_placement_id: uuid.UUID | None = None,
    now: datetime | None = None,
) -> NftPlacement | None:
    """Close the NFT's active placement (also `placements.active = false`); None if none was
    active. Exactly one of several concurrent callers gets the row. Does not commit: the
    caller commits, then calls `placement_sync.changed()`."""
    if state is NftPlacementState.ACTIVE:
        raise ValueError("close_placement closes: state must be withdrawn or claimed")
    closed = await queries.close_active(
        session,
        nft_id=nft_id,
        state=state,
        claimed_by=claimed_by,
        only_placement_id=only_placement_id,
        now=now or datetime.now().astimezone(),
    )
    if closed is not None:
        PLACEMENTS.labels(action=state.value).inc()
    return closed


async def inventory(*, session: AsyncSession, username: str) -> tuple[User, list[InventoryItem]]:
    user = await user_queries.user_by_username(session, username)
    if user is None or not user.is_active:
        raise NotFound(f"No user named {username!r}", details={"username": username})
    rows = await queries.inventory_rows(session, user.id)
    return user, [InventoryItem(nft=n, placement_id=pid) for n, pid in rows]


async def register_nft(
    *,
    session: AsyncSession,
    nft_id: str,
    chain_id: int,
    contract: str,
    token_id: int,
    standard: NftStandard,
    amount: int = 1,
    name: str,
    description: str | None = None,
    image: str | None = None,
    attributes: list[dict[str, Any]] | None = None,
    custody_user_id: uuid.UUID | None = None,
    created_by: uuid.UUID | None = None,
) -> Nft:
    """Add a registry entry (flushes, does not commit). 409 if the id or token is taken."""
    nft = Nft(
        id=nft_id,
        chain_id=chain_id,
        contract=contract.lower(),
        token_id=token_id,
        standard=standard.value,
        amount=amount,
        name=name,
        description=description,
        image=image,
        attributes=attributes or [],
        custody_user_id=custody_user_id,
        created_by=created_by,
    )
    try:
        async with session.begin_nested():
            session.add(nft)
    except IntegrityError as exc:
        raise NftExists(
            "An NFT with this id or token is already registered", details={"nft_id": nft_id}
        ) from exc
    return nft


def chain_standard(nft: Nft) -> Standard:
    return Standard.ERC721 if nft.standard == NftStandard.ERC721 else Standard.ERC1155


async def transfer_placed_nft(
    *,
    chain: ChainClient,
    session: AsyncSession,
    nft: Nft,
    from_addr: str,
    to_user_id: uuid.UUID,
) -> str | None:
    """Move the NFT (held at `from_addr`: the service wallet or an owner that approved it) to
    `to_user_id`'s first linked wallet, or into custody for them if they have none.

    Returns the transaction hash, or None when no on-chain move was needed (custody to
    custody). Custody is recorded (or, towards a wallet, cleared) before the transfer
    (flushed, not committed: roll back if the transfer raises)."""
    service = chain.service_address.lower()
    wallets = await user_queries.wallet_addresses(session, to_user_id)
    target = wallets[0] if wallets else service
    if target == service:
        nft.custody_user_id = to_user_id
        await session.flush()
    elif nft.custody_user_id is not None:
        # Leaving custody for a wallet: the record ends with the move (the indexer would
        # clear it too, but only on its next pass).
        nft.custody_user_id = None
        await session.flush()
    if from_addr.lower() == target:
        return None
    result = await chain.transfer_from(
        from_addr, target, nft.token_id, standard=chain_standard(nft), amount=nft.amount
    )
    return result.tx_hash


async def on_transfers(
    session: AsyncSession, transfers: list[TokenTransfer], *, service_address: str
) -> int:
    """Built-in indexer listener: keep custody and active placements true to the chain.

    - A registered token reaching the service wallet from a linked wallet, with no custody
      recorded, is a deposit: held in custody for that wallet's user.
    - Custody ends when the service wallet no longer holds the token.
    - An active placement whose token left the address it was placed from is closed
      ('withdrawn'): it can no longer be claimed.
    Returns how many placements were closed.
    """
    service = service_address.lower()
    closed = 0
    seen: set[str] = set()
    for t in transfers:
        nft = await queries.nft_for_token(session, t.chain_id, t.contract, t.token_id)
        if nft is None or nft.id in seen:
            continue
        seen.add(nft.id)
        service_amount = await queries.held_amount(session, nft, service)
        if nft.custody_user_id is not None and service_amount < nft.amount:
            await _set_custody(session, nft.id, None)
        elif nft.custody_user_id is None and service_amount >= nft.amount:
            depositors = await queries.wallet_owners(session, [t.from_addr.lower()])
            if t.to_addr.lower() == service and depositors:
                await _set_custody(session, nft.id, depositors[t.from_addr.lower()].id)
        found = await queries.active_placement_row(session, nft.id)
        if found is not None:
            placement = found[0]
            if await queries.held_amount(session, nft, placement.holder) < nft.amount:
                await close_placement(
                    session=session, nft_id=nft.id, state=NftPlacementState.WITHDRAWN
                )
                PLACEMENTS.labels(action="auto_closed").inc()
                closed += 1
    return closed


async def _set_custody(session: AsyncSession, nft_id: str, user_id: uuid.UUID | None) -> None:
    # Conditional on the row as read: a claim that set custody concurrently wins.
    await session.execute(
        update(Nft)
        .where(Nft.id == nft_id)
        .values(custody_user_id=user_id)
        .execution_options(synchronize_session=False)
    )
    await session.flush()


def placement_title(nft: Nft) -> str:
    return nft.name[:200]  # placements.title is VARCHAR(200), like nfts.name
