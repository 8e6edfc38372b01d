"""Does a player hold the NFT a portal requires? Asked of NFT-A's indexed holdings
(app.nfts.service.user_holds_nft: custody held for the user, or a linked wallet's holding)."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.nfts.service import user_holds_nft


async def holds_nft(*, session: AsyncSession, user_id: uuid.UUID, nft_id: str) -> bool:
    return await user_holds_nft(session=session, user_id=user_id, nft_id=nft_id)
