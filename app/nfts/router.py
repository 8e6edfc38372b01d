"""HTTP routes of nfts: registry, inventory, placement (the seed's API), nearby, tiles."""

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response, status

from app.auth.dependencies import OrganizerUser, require_scope
from app.core.db import SessionDep
from app.core.errors import NotFound
from app.core.responses import FastJSONResponse
from app.nfts import placing, queries, service
from app.nfts.component import NftComponent
from app.nfts.errors import chain_errors
from app.nfts.rewards import mint_nft
from app.nfts.schemas import (
    InventoryItemOut,
    InventoryOut,
    MintIn,
    NearbyNftPageOut,
    NftOut,
    OwnerOut,
    PlaceIn,
    PlacementInfo,
    PlaceOut,
    WithdrawOut,
)
from app.resources import Resources
from app.users import queries as user_queries
from app.users.models import User

router = APIRouter(tags=["nfts"])

MAX_TILE_ZOOM = 22
GEOJSON = "application/geo+json"
MVT = "application/vnd.mapbox-vector-tile"

NftWriter = Annotated[User, Depends(require_scope("placements:write"))]


# Async on purpose: FastAPI runs plain `def` dependencies in a worker thread, which cost more
# than the whole in-memory nearby query.
async def get_resources(request: Request) -> Resources:
    resources: Resources = request.app.state.resources
    return resources


ResourcesDep = Annotated[Resources, Depends(get_resources)]


async def get_nfts(request: Request) -> NftComponent:
    resources: Resources = request.app.state.resources
    return resources.component(NftComponent)


NftsDep = Annotated[NftComponent, Depends(get_nfts)]


@router.post(
    "/api/nft/place",
    response_model=PlaceOut,
    status_code=status.HTTP_201_CREATED,
    summary="Place an NFT you own at a real spot (the seed's API)",
)
async def place(
    body: PlaceIn, actor: NftWriter, session: SessionDep, nfts: NftsDep, resources: ResourcesDep
) -> PlaceOut:
    req = placing.PlaceRequest(
        user_ref=body.user_id,
        nft_id=body.nft_id,
        lat=body.location.lat,
        lng=body.location.lng,
        altitude_m=body.altitude_m,
        hint=body.hint,
        visible_from=body.visible_from,
        visible_until=body.visible_until,
        claim_radius_m=body.claim_radius_m,
    )
    with chain_errors():
        placed = await placing.place_nft(
            resources=resources, session=session, chain=await nfts.chain(), actor=actor, req=req
        )
    return PlaceOut(message="NFT successfully placed", location_id=str(placed.placement_id))


@router.post(
    "/api/nfts/{nft_id}/withdraw",
    response_model=WithdrawOut,
    summary="Withdraw a placed NFT (who placed it, or an admin)",
)
async def withdraw(
    nft_id: str, actor: NftWriter, session: SessionDep, resources: ResourcesDep
) -> WithdrawOut:
    location_id = await placing.withdraw_nft(
        resources=resources, session=session, actor=actor, nft_id=nft_id
    )
    return WithdrawOut(nft_id=nft_id, location_id=str(location_id), state="withdrawn")


@router.get(
    "/api/nfts/nearby",
    response_model=NearbyNftPageOut,
    summary="Placed NFTs near a point for AR views (JSON, or GeoJSON with Accept: "
    "application/geo+json)",
    responses={200: {"content": {GEOJSON: {}}}},
)
async def nearby(
    resources: ResourcesDep,
    nfts: NftsDep,
    lat: Annotated[float, Query(ge=-90, le=90, allow_inf_nan=False)],
    lng: Annotated[float, Query(ge=-180, le=180, allow_inf_nan=False)],
    radius_m: Annotated[float | None, Query(gt=0, allow_inf_nan=False)] = None,
    limit: Annotated[int | None, Query(ge=1)] = None,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    accept: Annotated[str | None, Header()] = None,
) -> Response:
    page = await placing.nearby_nfts(
        index=resources.placement_sync.index,
        limits=resources.nearby_limits,
        session=resources.session_factory,
        lat=lat,
        lng=lng,
        radius_m=radius_m,
        limit=limit,
        cursor=cursor,
        cache=nfts.nearby_cache,
    )
    if accept and GEOJSON in accept:
        return FastJSONResponse(placing.as_feature_collection(page), media_type=GEOJSON)
    return FastJSONResponse(page)


@router.get(
    "/api/tiles/nfts/{z}/{x}/{y}.mvt",
    summary="Placed NFTs as a Mapbox vector tile (layer 'nfts'; web-mercator XYZ)",
    responses={200: {"content": {MVT: {}}}},
)
async def tile(
    session: SessionDep,
    z: Annotated[int, Path(ge=0, le=MAX_TILE_ZOOM)],
    x: Annotated[int, Path(ge=0)],
    y: Annotated[int, Path(ge=0)],
) -> Response:
    if x >= 2**z or y >= 2**z:
        raise NotFound(f"No tile {z}/{x}/{y}: x and y must be below 2^z")
    data = await queries.nft_tile(session, z, x, y)
    return Response(content=data, media_type=MVT, headers={"Cache-Control": "public, max-age=5"})


@router.post(
    "/api/nfts",
    response_model=NftOut,
    status_code=status.HTTP_201_CREATED,
    summary="Organizers: mint a fresh ERC-721 to a player (default: yourself) and register it",
)
async def mint(
    body: MintIn, organizer: OrganizerUser, session: SessionDep, nfts: NftsDep
) -> NftOut:
    target = organizer
    if body.to_username is not None:
        found = await user_queries.user_by_username(session, body.to_username)
        if found is None or not found.is_active:
            raise NotFound(f"No user named {body.to_username!r}")
        target = found
    with chain_errors():
        nft_id = await mint_nft(
            nfts=nfts,
            session=session,
            user_id=target.id,
            nft_id=body.nft_id,
            name=body.name,
            description=body.description,
            image=body.image,
            attributes=[a.model_dump() for a in body.attributes],
            created_by=organizer.id,
        )
        await session.commit()
        await nfts.resources.placement_sync.changed()  # a stale entry's placement may close
        await nfts.indexer.index_now()
    return await _nft_out(session, nfts, nft_id)


@router.get(
    "/api/nfts/{nft_id}", response_model=NftOut, summary="One NFT: metadata, owner, placement"
)
async def get_nft(nft_id: str, session: SessionDep, nfts: NftsDep) -> NftOut:
    return await _nft_out(session, nfts, nft_id)


@router.get(
    "/api/users/{username}/nfts",
    response_model=InventoryOut,
    summary="A user's NFTs (held in linked wallets or in custody), each with where it is placed",
)
async def user_nfts(username: str, session: SessionDep) -> InventoryOut:
    user, items = await service.inventory(session=session, username=username)
    return InventoryOut(
        username=user.username,
        items=[
            InventoryItemOut(
                id=i.nft.id,
                name=i.nft.name,
                image=i.nft.image,
                attributes=i.nft.attributes,
                standard=i.nft.standard,
                amount=i.nft.amount,
                token_id=str(i.nft.token_id),
                in_custody=i.nft.custody_user_id == user.id,
                placed=i.placed,
                placement_id=i.placement_id,
            )
            for i in items
        ],
    )


async def _nft_out(session: SessionDep, nfts: NftComponent, nft_id: str) -> NftOut:
    nft = await service.get_nft(session=session, nft_id=nft_id)
    # The service address only labels custody; no need to open the chain for it.
    service_address = nfts.opened.service_address if nfts.opened else ""
    owner = await service.owner_of_nft(session=session, nft=nft, service_address=service_address)
    placed = await service.active_placement(session=session, nft_id=nft_id)
    return NftOut(
        id=nft.id,
        name=nft.name,
        description=nft.description,
        image=nft.image,
        attributes=nft.attributes,
        chain_id=nft.chain_id,
        contract=nft.contract,
        token_id=str(nft.token_id),
        standard=nft.standard,
        amount=nft.amount,
        owner=OwnerOut(username=owner.username, address=owner.address) if owner else None,
        in_custody=nft.custody_user_id is not None,
        placed=placed is not None,
        placement=PlacementInfo(
            placement_id=placed.placement_id,
            lat=placed.lat,
            lng=placed.lng,
            altitude_m=placed.altitude_m,
            hint=placed.hint,
            visible_from=placed.visible_from,
            visible_until=placed.visible_until,
            claim_radius_m=placed.claim_radius_m,
            placed_by=placed.placed_by,
            created_at=placed.created_at,
        )
        if placed
        else None,
    )
