# strawberry.field(...) with arguments is untyped to mypy without strawberry's plugin.
# mypy: disable-error-code="untyped-decorator"
"""The GraphQL schema: `getNFT` (the seed's query), nearby NFTs, a player's inventory and
placements. Resolvers call the same service functions as the REST routes."""

import logging

import strawberry
from graphql import GraphQLError
from strawberry.types import ExecutionContext

from app.core.errors import DomainError
from app.gql.context import GqlInfo
from app.gql.extensions import CostLimits, ErrorShape
from app.gql.types import NFT, InventoryItem, NearbyNFT, NearbyPage, Player, load_nft
from app.nfts import placing
from app.nfts import service as nft_service
from geo.errors import GeoError

log = logging.getLogger("cyberspace.gql")


async def _player(info: GqlInfo, username: str) -> Player:
    async with info.context.db() as session:
        user, items = await nft_service.inventory(session=session, username=username)
    return Player(
        username=user.username,
        _user_id=user.id,
        inventory=[
            InventoryItem(
                nft=NFT.of(i.nft),
                placed=i.placed,
                placement_id=strawberry.ID(str(i.placement_id)) if i.placement_id else None,
            )
            for i in items
        ],
    )


@strawberry.type
class Query:
    @strawberry.field(name="getNFT", description="One NFT by id (e.g. nft-123).")
    async def get_nft(self, info: GqlInfo, id: strawberry.ID) -> NFT | None:
        return await load_nft(info, str(id))

    @strawberry.field(
        name="nearbyNFTs",
        description="Active, visible NFT placements nearest first (as GET /api/nfts/nearby).",
    )
    async def nearby_nfts(
        self,
        info: GqlInfo,
        lat: float,
        lng: float,
        radius_m: float | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> NearbyPage:
        resources = info.context.resources
        async with info.context.db() as session:
            page = await placing.nearby_nfts(
                index=resources.placement_sync.index,
                limits=resources.nearby_limits,
                session=session,
                lat=lat,
                lng=lng,
                radius_m=radius_m,
                limit=limit,
                cursor=cursor,
            )
        return NearbyPage(
            items=[NearbyNFT.of(item) for item in page["items"]],
            next_cursor=page["next_cursor"],
        )

    @strawberry.field(description="A player's inventory and placements, by username.")
    async def player(self, info: GqlInfo, username: str) -> Player | None:
        return await _player(info, username)

    @strawberry.field(description="A player's NFTs (as GET /api/users/{username}/nfts).")
    async def inventory(self, info: GqlInfo, username: str) -> list[InventoryItem]:
        return (await _player(info, username)).inventory


class Schema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Domain errors are answers (unknown id, bad coordinates), not incidents.
        for error in errors:
            if isinstance(error.original_error, DomainError | GeoError):
                continue
            if error.original_error is None:
                log.info("graphql request error: %s", error.message)
            else:
                log.error(
                    "graphql resolver failed",
                    exc_info=error.original_error,
                    extra={"path": error.path},
                )


schema = Schema(query=Query, extensions=[CostLimits, ErrorShape])
