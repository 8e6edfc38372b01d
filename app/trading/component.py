"""The trading component: registers the settlement listener with the NFT indexer."""

from app.core.components import Component, NoBackground
from app.nfts.component import NftComponent
from app.resources import Resources
from app.trading import service


class TradingComponent(NoBackground):
    def __init__(self, resources: Resources) -> None:
        self.resources = resources

    async def start(self) -> None:
        # nfts starts first (app/features.py); its indexer awaits this inside its transaction.
        self.resources.component(NftComponent).add_transfer_listener(service.on_transfers)


def build(resources: Resources) -> Component:
    return TradingComponent(resources)
