"""ChainClient.from_settings and the chain settings: what is refused, what is accepted."""

import pytest
from eth_account import Account
from pydantic import SecretStr

from app.chain import (
    EMBEDDED_CHAIN_ID,
    ChainClient,
    ChainConfigError,
    ChainError,
    ContractAddresses,
)
from app.chain.artifacts import NFT721, load_artifact
from app.settings import Settings


def settings(**overrides: object) -> Settings:
    return Settings(environment="test", **overrides)  # type: ignore[arg-type]


def production(**overrides: object) -> Settings:
    """Production settings without running the other sections' validators (their secrets are
    not this module's business); the chain validator is called on its own."""
    return Settings.model_construct(environment="production", **overrides)  # type: ignore[arg-type]


def test_the_placeholder_service_key_is_refused_in_production() -> None:
    with pytest.raises(ValueError, match="CHAIN_SERVICE_PRIVATE_KEY"):
        production()._enforce_chain_service_key()
    real = production(chain_service_private_key=SecretStr(Account.create().key.hex()))
    assert real._enforce_chain_service_key() is real
    # Outside production the placeholder (eth-tester's funded account) is what makes dev work.
    assert settings().chain_service_private_key.get_secret_value().endswith("01")


def test_embedded_chain_is_refused_in_production() -> None:
    real = production(chain_service_private_key=SecretStr(Account.create().key.hex()))
    with pytest.raises(ChainConfigError, match="WEB3_RPC_URL"):
        ChainClient.from_settings(real)


def test_a_wrong_chain_id_is_refused() -> None:
    with pytest.raises(ChainConfigError, match=str(EMBEDDED_CHAIN_ID)):
        ChainClient.from_settings(settings(chain_id=137))


def test_an_invalid_service_key_is_refused() -> None:
    with pytest.raises(ChainConfigError, match="not a valid private key"):
        ChainClient.from_settings(settings(chain_service_private_key="0x1234"))


def test_contract_addresses_come_in_pairs() -> None:
    with pytest.raises(ChainConfigError, match="both"):
        ChainClient.from_settings(settings(nft721_address="0x" + "11" * 20))


async def test_configured_addresses_without_code_are_refused() -> None:
    client = ChainClient.from_settings(
        settings(nft721_address="0x" + "11" * 20, nft1155_address="0x" + "22" * 20)
    )
    try:
        with pytest.raises(ChainConfigError, match="no contract code"):
            await client.setup()
    finally:
        await client.aclose()


async def test_own_service_key_is_funded_and_configured_addresses_are_loaded() -> None:
    key = Account.create()
    client = ChainClient.from_settings(settings(chain_service_private_key=key.key.hex()))
    try:
        assert client.service_address == key.address
        deployed = await client.setup()  # embedded, no addresses: deploys with the new key
        # A client told the addresses binds to them instead of deploying again.
        client.configured = ContractAddresses(nft721=deployed.nft721, nft1155=deployed.nft1155)
        head = await client.head()
        assert await client.setup() == deployed
        assert await client.head() == head  # nothing was sent
        # The runtime code is the artifact's, so attach() can spot a different contract.
        code = client.node.w3.eth.get_code(deployed.nft721)
        assert "0x" + bytes(code).hex() == load_artifact(NFT721).deployed_bytecode
        minted = await client.mint_721(key.address, "ipfs://mine.json")
        assert await client.owner_of(minted.token_id) == key.address
    finally:
        await client.aclose()


def test_an_unreachable_node_is_reported_without_its_url_secret() -> None:
    # Port 9 on loopback: nothing listens, so the connection is refused at once.
    with pytest.raises(ChainError, match=r"cannot reach the chain node at 127\.0\.0\.1") as info:
        ChainClient.from_settings(settings(web3_rpc_url="http://127.0.0.1:9/v3/s3cr3t-api-key"))
    assert "s3cr3t" not in str(info.value)
    assert "s3cr3t" not in repr(settings(web3_rpc_url="http://127.0.0.1:9/v3/s3cr3t-api-key"))
