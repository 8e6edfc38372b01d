# strawberry.field(...) with arguments is untyped to mypy without strawberry's plugin.
# mypy: disable-error-code="untyped-decorator"
"""GraphQL object types. They wrap the NFT service's results; every lookup goes through the
same service functions the REST routes use (app.nfts.service / app.nfts.placing)."""

import uuid
from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

from app.gql.context import GqlInfo
from app.gql.places import place_name_async
from app.nfts import service as nft_service
from app.nfts.component import NftComponent
from app.nfts.models import Nft
from app.nfts.service import NftPlacementView


@strawberry.type(description="Where an NFT is placed (an active placement).")
class Placement:
    id: strawberry.ID
    nft_id: str
    lat: float
    lng: float
    altitude_m: float | None
    claim_radius_m: float
    hint: str | None
    visible_from: datetime | None
    visible_until: datetime | None

    @strawberry.field(description='Offline reverse geocoding: "City, Country".')
    async def location(self) -> str:
        return await place_name_async(self.lat, self.lng)

    @classmethod
    def of(cls, view: NftPlacementView) -> "Placement":
        return cls(
            id=strawberry.ID(str(view.placement_id)),
            nft_id=view.nft_id,
            lat=view.lat,
            lng=view.lng,
            altitude_m=view.altitude_m,
            claim_radius_m=view.claim_radius_m,
            hint=view.hint,
            visible_from=view.visible_from,
            visible_until=view.visible_until,
        )


async def _placement(info: GqlInfo, nft_id: str) -> NftPlacementView | None:
    async with info.context.db() as session:
        return await nft_service.active_placement(session=session, nft_id=nft_id)


@strawberry.type(name="NFT", description="A registered NFT (ERC-721 or ERC-1155 on chain).")
class NFT:
    id: strawberry.ID
    name: str
    description: str | None
    image: str | None
    attributes: JSON
    standard: str
    # uint256 and chain ids exceed GraphQL's 32-bit Int: decimal strings.
    chain_id: str
    contract: str
    token_id: str
    amount: str
    _nft: strawberry.Private[Nft]

    @classmethod
    def of(cls, nft: Nft) -> "NFT":
        return cls(
            id=strawberry.ID(nft.id),
            name=nft.name,
            description=nft.description,
            image=nft.image,
            attributes=JSON(nft.attributes),
            standard=nft.standard,
            chain_id=str(nft.chain_id),
            contract=nft.contract,
            token_id=str(nft.token_id),
            amount=str(nft.amount),
            _nft=nft,
        )

    @strawberry.field(description="The owner's username; null if no account holds it.")
    async def owner(self, info: GqlInfo) -> str | None:
        owner = await self._owner(info)
        return owner.username if owner else None

    @strawberry.field(description="The holding address (the service wallet for custody).")
    async def owner_address(self, info: GqlInfo) -> str | None:
        owner = await self._owner(info)
        return owner.address or None if owner else None

    @strawberry.field(description='Where it is placed, e.g. "Munich, Germany"; null if not.')
    async def location(self, info: GqlInfo) -> str | None:
        placed = await _placement(info, self._nft.id)
        return None if placed is None else await place_name_async(placed.lat, placed.lng)

    @strawberry.field(description="The active placement, or null.")
    async def placement(self, info: GqlInfo) -> Placement | None:
        placed = await _placement(info, self._nft.id)
        return None if placed is None else Placement.of(placed)

    async def _owner(self, info: GqlInfo) -> nft_service.NftOwner | None:
        nfts = info.context.resources.component(NftComponent)
        service_address = nfts.opened.service_address if nfts.opened else ""
        async with info.context.db() as session:
            return await nft_service.owner_of_nft(
                session=session, nft=self._nft, service_address=service_address
            )


async def load_nft(info: GqlInfo, nft_id: str) -> NFT:
    async with info.context.db() as session:
        return NFT.of(await nft_service.get_nft(session=session, nft_id=nft_id))


@strawberry.type(description="One NFT near a point, for AR: distance and bearing from it.")
class NearbyNFT:
    nft_id: str
    name: str
    image: str | None
    placement_id: strawberry.ID
    lat: float
    lng: float
    altitude_m: float | None
    distance_m: float
    bearing_deg: float
    claim_radius_m: float
    hint: str | None

    @strawberry.field(description="The full NFT (metadata, owner, location).")
    async def nft(self, info: GqlInfo) -> NFT:
        return await load_nft(info, self.nft_id)

    @classmethod
    def of(cls, item: dict[str, Any]) -> "NearbyNFT":
        return cls(
            nft_id=item["nft_id"],
            name=item["name"],
            image=item["image"],
            placement_id=strawberry.ID(str(item["placement_id"])),
            lat=item["lat"],
            lng=item["lng"],
            altitude_m=item["altitude_m"],
            distance_m=item["distance_m"],
            bearing_deg=item["bearing_deg"],
            claim_radius_m=item["claim_radius_m"],
            hint=item["hint"],
        )


@strawberry.type
class NearbyPage:
    items: list[NearbyNFT]
    next_cursor: str | None


@strawberry.type(description="An NFT a user holds (linked wallet or custody).")
class InventoryItem:
    nft: NFT
    placed: bool
    placement_id: strawberry.ID | None


@strawberry.type(description="A player: what they hold and what they have placed.")
class Player:
    username: str
    inventory: list[InventoryItem]
    _user_id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="Active placements of the NFTs this player holds.")
    async def placements(self, info: GqlInfo) -> list[Placement]:
        found = []
        for item in self.inventory:
            if item.placed:
                placed = await _placement(info, str(item.nft.id))
                if placed is not None:
                    found.append(Placement.of(placed))
        return found
