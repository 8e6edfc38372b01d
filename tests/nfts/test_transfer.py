"""`transfer_placed_nft`, what a claim calls: the service moves a placed token as operator
(or from custody) to the claimer's wallet, or into custody for a claimer without one."""

from eth_account.signers.local import LocalAccount
from sqlalchemy.ext.asyncio import AsyncSession

from app.nfts import service
from app.nfts.component import NftComponent
from tests.factories import make_user
from tests.nfts.conftest import mint_registered, player_with_wallet


async def test_operator_moves_to_wallet_then_custody_then_custody(
    session: AsyncSession, nfts: NftComponent, players: list[LocalAccount]
) -> None:
    chain = await nfts.chain()
    placer, claimer_account = players[5], players[6]
    await player_with_wallet(session, placer)
    claimer = await player_with_wallet(session, claimer_account)
    walletless = await make_user(session)
    other_walletless = await make_user(session)
    nft_id = await mint_registered(session, chain, placer)
    nft = await service.get_nft(session=session, nft_id=nft_id)

    # From the placer's wallet (service approved as operator) to the claimer's wallet.
    tx = await service.transfer_placed_nft(
        chain=chain, session=session, nft=nft, from_addr=placer.address, to_user_id=claimer.id
    )
    assert tx is not None
    assert await chain.owner_of(nft.token_id) == claimer_account.address

    # From the claimer's wallet into custody for someone without a wallet (claimer approved).
    from app.chain import Standard

    await chain.set_approval_for_all(
        chain.service_address, True, standard=Standard.ERC721, signer=claimer_account
    )
    await service.transfer_placed_nft(
        chain=chain,
        session=session,
        nft=nft,
        from_addr=claimer_account.address,
        to_user_id=walletless.id,
    )
    assert await chain.owner_of(nft.token_id) == chain.service_address
    assert nft.custody_user_id == walletless.id

    # Custody to custody: no transaction, only the record changes.
    tx = await service.transfer_placed_nft(
        chain=chain,
        session=session,
        nft=nft,
        from_addr=chain.service_address,
        to_user_id=other_walletless.id,
    )
    assert tx is None
    assert nft.custody_user_id == other_walletless.id
    await session.commit()
    await nfts.indexer.index_now()
    owner = await service.owner_of_nft(session=session, nft=nft)
    assert owner is not None
    assert owner.user_id == other_walletless.id


async def test_custody_to_wallet_clears_the_custody_record(
    session: AsyncSession, nfts: NftComponent, players: list[LocalAccount]
) -> None:
    chain = await nfts.chain()
    walletless = await make_user(session)
    claimer = await player_with_wallet(session, players[7])
    nft_id = await mint_registered(session, chain, chain.service_address)
    nft = await service.get_nft(session=session, nft_id=nft_id)
    nft.custody_user_id = walletless.id
    tx = await service.transfer_placed_nft(
        chain=chain,
        session=session,
        nft=nft,
        from_addr=chain.service_address,
        to_user_id=claimer.id,
    )
    assert tx is not None
    assert nft.custody_user_id is None
    assert await chain.owner_of(nft.token_id) == players[7].address
