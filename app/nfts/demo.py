"""Development demo: mint, register, index and place the demo NFTs on the embedded chain.

The embedded chain starts empty with every process, so this runs at start (NFT_DEMO_ON_START,
default in development). Deploying and minting in the same order always yields the same
contract addresses and token ids, so the registry rows stay valid across restarts; the stored
index does not (block hashes differ), which the indexer detects and rebuilds.
"""

import logging
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from app.chain import Standard, embedded_account
from app.nfts import placing, queries, service
from app.nfts.component import NftComponent
from app.nfts.models import Nft, NftStandard
from app.users import queries as user_queries
from app.users.models import User, Wallet

log = logging.getLogger("cyberspace.nfts.demo")

DEMO_OWNER = "PlayerOne"
# eth-tester's funded account 1: PlayerOne's demo wallet (its key is public: demo only).
DEMO_WALLET_INDEX = 1
MARIENPLATZ = (48.1371, 11.5754)


@dataclass(frozen=True)
class DemoNft:
    id: str
    name: str
    image: str
    attributes: list[dict[str, object]]
    amount: int = 1  # > 1: an ERC-1155 stack


DEMO_NFTS = [
    DemoNft(
        "nft-weapon-01",
        "Plasma Sword",
        "https://example.com/nft/plasma-sword.png",
        [{"trait_type": "type", "value": "weapon"}, {"trait_type": "damage", "value": 42}],
    ),
    DemoNft(
        "nft-123",
        "Golden Compass",
        "https://example.com/nft/golden-compass.png",
        [{"trait_type": "type", "value": "artifact"}, {"trait_type": "rarity", "value": "rare"}],
    ),
    DemoNft(
        "nft-shield-02",
        "Aegis Shield",
        "https://example.com/nft/aegis-shield.png",
        [{"trait_type": "type", "value": "armor"}],
    ),
    DemoNft(
        "nft-potion-stack",
        "Healing Potions",
        "https://example.com/nft/potion.png",
        [{"trait_type": "type", "value": "consumable"}],
        amount=5,
    ),
]
POTION_TOKEN_ID = 1001


async def _link_demo_wallet(session: AsyncSession, owner: User | None, address: str) -> None:
    if owner is None or await session.get(Wallet, address) is not None:
        return
    session.add(Wallet(address=address, user_id=owner.id))
    await session.flush()


async def seed_demo_nfts(nfts: NftComponent) -> str:
    chain = await nfts.chain()
    wallet = embedded_account(DEMO_WALLET_INDEX)
    address = wallet.address.lower()
    minted: dict[str, tuple[str, int, NftStandard]] = {}
    for demo in DEMO_NFTS:
        if demo.amount == 1:
            token = await chain.mint_721(wallet.address, demo.image)
            minted[demo.id] = (chain.addresses.nft721, token.token_id, NftStandard.ERC721)
        else:
            await chain.mint_1155(wallet.address, POTION_TOKEN_ID, demo.amount, demo.image)
            minted[demo.id] = (chain.addresses.nft1155, POTION_TOKEN_ID, NftStandard.ERC1155)
    # The demo wallet lets the service move its tokens, so claims of its placements work.
    for chain_standard in (Standard.ERC721, Standard.ERC1155):
        await chain.set_approval_for_all(
            chain.service_address, True, standard=chain_standard, signer=wallet
        )
    async with nfts.resources.session_factory() as session:
        owner = await user_queries.user_by_username(session, DEMO_OWNER)
        await _link_demo_wallet(session, owner, address)
        for demo in DEMO_NFTS:
            contract, token_id, standard = minted[demo.id]
            row = await session.get(Nft, demo.id)
            if row is None:
                await service.register_nft(
                    session=session,
                    nft_id=demo.id,
                    chain_id=chain.chain_id,
                    contract=contract,
                    token_id=token_id,
                    standard=standard,
                    amount=demo.amount,
                    name=demo.name,
                    image=demo.image,
                    attributes=list(demo.attributes),
                    created_by=owner.id if owner else None,
                )
            else:  # same ids on every fresh chain; re-point in case the artifacts changed
                row.chain_id, row.contract, row.token_id = (
                    chain.chain_id,
                    contract.lower(),
                    token_id,
                )
                row.standard, row.amount, row.custody_user_id = standard.value, demo.amount, None
        await session.commit()
    report = await nfts.indexer.index_now()
    placed = "not placed (run the seed: no PlayerOne)"
    async with nfts.resources.session_factory() as session:
        owner = await user_queries.user_by_username(session, DEMO_OWNER)
        if owner is not None:
            existing = await queries.active_placement_row(session, "nft-123")
            if existing is None:
                result = await placing.place_nft(
                    resources=nfts.resources,
                    session=session,
                    chain=chain,
                    actor=owner,
                    req=placing.PlaceRequest(
                        user_ref=str(owner.id),
                        nft_id="nft-123",
                        lat=MARIENPLATZ[0],
                        lng=MARIENPLATZ[1],
                        altitude_m=520.0,
                        hint="Look up at the Glockenspiel",
                    ),
                )
                placed = f"placed at Marienplatz ({result.placement_id})"
            else:
                placed = f"already placed ({existing[0].placement_id})"
    stale = " (stored index was stale: rebuilt)" if report.rebuilt else ""
    return (
        f"demo NFTs minted to {DEMO_OWNER}'s wallet {wallet.address} on chain {chain.chain_id}: "
        f"{', '.join(minted)}; indexed {report.transfers} transfers{stale}; nft-123 {placed}"
    )
