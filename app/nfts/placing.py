"""Placing NFTs at real coordinates, withdrawing them, and finding them nearby.

An NFT placement is a `placements` row of kind 'nft' (so the one in-memory nearby engine and
the proximity alerts see it) plus an `nft_placements` row with the NFT's own fields.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.chain import ChainClient
from app.core.errors import Forbidden, InvalidInput, NotFound
from app.core.events import RealtimeEvent
from app.core.outbox import publish_or_defer
from app.nfts import queries, service
from app.nfts.errors import AlreadyPlaced, NotNftOwner, OperatorNotApproved, PlacementNotFound
from app.nfts.metrics import PLACEMENTS
from app.nfts.models import NftPlacement, NftPlacementState
from app.placements.index import PlacementIndex
from app.placements.models import PlacementKind
from app.placements.service import NearbyLimits, NearbyPage, nearby_placements, new_placement
from app.resources import Resources
from app.users import queries as user_queries
from app.users.models import User
from geo.coords import validate_lat_lng

# Nearby: pages skip invisible placements; this bounds the extra index reads per request.
MAX_NEARBY_ROUNDS = 8


@dataclass(frozen=True, slots=True)
class PlaceRequest:
    user_ref: str
    nft_id: str
    lat: float
    lng: float
    altitude_m: float | None = None
    hint: str | None = None
    visible_from: datetime | None = None
    visible_until: datetime | None = None
    claim_radius_m: float | None = None


@dataclass(frozen=True, slots=True)
class Placed:
    placement_id: uuid.UUID
    nft_id: str
    lat: float
    lng: float


async def resolve_acting_user(*, session: AsyncSession, actor: User, user_ref: str) -> User:
    """`user_id` of the seed's body: the caller's own id or username; admins may name anyone."""
    ref = user_ref.strip()
    if ref == str(actor.id) or ref.lower() == actor.username.lower():
        return actor
    if not actor.is_admin:
        raise Forbidden(
            "user_id must be the caller's own id or username (or the caller an admin)",
            details={"field": "user_id"},
        )
    target: User | None
    try:
        target = await user_queries.get_user(session, uuid.UUID(ref))
    except ValueError:
        target = await user_queries.user_by_username(session, ref)
    if target is None or not target.is_active:
        raise NotFound(f"No user {ref!r}", details={"field": "user_id"})
    return target


def _check_options(resources: Resources, req: PlaceRequest, now: datetime) -> float:
    s = resources.settings
    radius = s.nft_claim_radius_default_m if req.claim_radius_m is None else req.claim_radius_m
    if not (s.nft_claim_radius_min_m <= radius <= s.nft_claim_radius_max_m):
        raise InvalidInput(
            f"claim_radius_m must be between {s.nft_claim_radius_min_m:g} and "
            f"{s.nft_claim_radius_max_m:g}",
            details={"field": "claim_radius_m", "value": radius},
        )
    if req.visible_from and req.visible_until and req.visible_from >= req.visible_until:
        raise InvalidInput(
            "visible_from must be before visible_until", details={"field": "visible_until"}
        )
    if req.visible_until is not None and req.visible_until <= now:
        raise InvalidInput("visible_until is in the past", details={"field": "visible_until"})
    return radius


async def place_nft(
    *,
    resources: Resources,
    session: AsyncSession,
    chain: ChainClient,
    actor: User,
    req: PlaceRequest,
    now: datetime | None = None,
) -> Placed:
    """Place an NFT its owner holds (per the indexed holdings) at a point; one at a time."""
    now = now or datetime.now().astimezone()
    point = validate_lat_lng(req.lat, req.lng)
    radius = _check_options(resources, req, now)
    owner = await resolve_acting_user(session=session, actor=actor, user_ref=req.user_ref)
    nft = await service.get_nft(session=session, nft_id=req.nft_id)
    service_address = chain.service_address.lower()
    holder = await service.holder_address_of(
        session=session, nft=nft, user_id=owner.id, service_address=service_address
    )
    if holder is None:
        raise NotNftOwner(
            "Only the NFT's current owner can place it (per indexed on-chain ownership)",
            details={"nft_id": nft.id},
        )
    if holder != service_address and not await chain.is_approved_for_all(
        holder, chain.service_address, standard=service.chain_standard(nft)
    ):
        # A claim moves the token on chain; the service can only do that as an operator.
        raise OperatorNotApproved(
            "Approve the service wallet as operator (setApprovalForAll) before placing",
            details={"operator": chain.service_address, "contract": nft.contract},
        )
    existing = await queries.active_placement_row(session, nft.id)
    if existing is not None:
        raise AlreadyPlaced(
            "This NFT is already placed; withdraw it first",
            details={"nft_id": nft.id, "location_id": str(existing[0].placement_id)},
        )
    placement = new_placement(
        kind=PlacementKind.NFT,
        title=service.placement_title(nft),
        point=point,
        altitude_m=req.altitude_m,
        owner_id=owner.id,
    )
    try:
        async with session.begin_nested():
            session.add(placement)
            await session.flush()
            session.add(
                NftPlacement(
                    placement_id=placement.id,
                    nft_id=nft.id,
                    placed_by=owner.id,
                    holder=holder,
                    hint=req.hint,
                    visible_from=req.visible_from,
                    visible_until=req.visible_until,
                    claim_radius_m=radius,
                    state=NftPlacementState.ACTIVE.value,
                )
            )
            await session.flush()
    except IntegrityError as exc:  # a concurrent placement of the same NFT committed first
        raise AlreadyPlaced("This NFT is already placed", details={"nft_id": nft.id}) from exc
    await session.commit()
    PLACEMENTS.labels(action="placed").inc()
    await resources.placement_sync.changed()
    # The placement is committed: with Redis down the event waits in the outbox, no 500.
    await publish_or_defer(
        redis=resources.redis,
        prefix=resources.settings.redis_channel_prefix,
        session=session,
        events=[
            RealtimeEvent(
                type="new_nft",
                data={"nft_id": nft.id, "location": {"lat": point.lat, "lng": point.lng}},
                near=(point.lat, point.lng),
            )
        ],
    )
    return Placed(placement_id=placement.id, nft_id=nft.id, lat=point.lat, lng=point.lng)


async def withdraw_nft(
    *, resources: Resources, session: AsyncSession, actor: User, nft_id: str
) -> uuid.UUID:
    """Withdraw the NFT's active placement: the placer or an admin."""
    found = await queries.active_placement_row(session, nft_id)
    if found is None:
        await service.get_nft(session=session, nft_id=nft_id)  # 404 for an unknown NFT
        raise PlacementNotFound("This NFT is not placed", details={"nft_id": nft_id})
    placement = found[0]
    if placement.placed_by != actor.id and not actor.is_admin:
        raise Forbidden("Only who placed the NFT (or an admin) can withdraw it")
    closed = await service.close_placement(
        session=session,
        nft_id=nft_id,
        state=NftPlacementState.WITHDRAWN,
        only_placement_id=placement.placement_id,
    )
    if closed is None:  # claimed or withdrawn in between
        raise PlacementNotFound("This NFT is no longer placed", details={"nft_id": nft_id})
    await session.commit()
    await resources.placement_sync.changed()
    return closed.placement_id


def _visible(meta: queries.NearbyMeta, now: datetime) -> bool:
    if meta.visible_from is not None and meta.visible_from > now:
        return False
    return meta.visible_until is None or meta.visible_until > now


async def nearby_nfts(
    *,
    index: PlacementIndex,
    limits: NearbyLimits,
    session: queries.SessionSource,
    lat: float,
    lng: float,
    radius_m: float | None = None,
    limit: int | None = None,
    cursor: str | None = None,
    now: datetime | None = None,
    cache: queries.NearbyMetaCache | None = None,
) -> dict[str, Any]:
    """Active, visible NFT placements nearest first, with the NFT's metadata.

    The index gives nft placements in (distance, id) order; their NFT rows come from `cache`
    (the component's, in the API) or one query. `session` may be a session factory: a session
    is then opened only when a query is needed.
    Invisible ones (outside their window) are skipped and the next slice is read, so a page
    is full unless the radius runs out; the cursor continues after the last examined hit.
    """
    now = now or datetime.now().astimezone()
    wanted = limits.default_limit if limit is None else limit
    items: list[dict[str, Any]] = []
    next_cursor = cursor
    for _ in range(MAX_NEARBY_ROUNDS):
        page: NearbyPage = nearby_placements(
            index=index,
            limits=limits,
            lat=lat,
            lng=lng,
            radius_m=radius_m,
            limit=wanted - len(items),
            kinds=PlacementKind.NFT.value,
            cursor=next_cursor,
        )
        ids = [hit["id"] for hit in page["items"]]
        metas = await (cache.get_many(session, ids) if cache else queries.nearby_meta(session, ids))
        for hit in page["items"]:
            meta = metas.get(hit["id"])
            if meta is None or not _visible(meta, now):
                continue
            items.append(
                {
                    "nft_id": meta.nft_id,
                    "name": meta.name,
                    "image": meta.image,
                    "attributes": meta.attributes,
                    "standard": meta.standard,
                    "amount": meta.amount,
                    "placement_id": hit["id"],
                    "lat": hit["lat"],
                    "lng": hit["lng"],
                    "altitude_m": hit["altitude_m"],
                    "distance_m": hit["distance_m"],
                    "bearing_deg": hit["bearing_deg"],
                    "claim_radius_m": meta.claim_radius_m,
                    "hint": meta.hint,
                    "visible_until": meta.visible_until.isoformat() if meta.visible_until else None,
                }
            )
        next_cursor = page["next_cursor"]
        if next_cursor is None or len(items) >= wanted:
            break
    return {"items": items, "count": len(items), "next_cursor": next_cursor}


def as_feature_collection(page: dict[str, Any]) -> dict[str, Any]:
    """The nearby page as GeoJSON (RFC 7946): altitude as the third coordinate when known."""
    features = []
    for item in page["items"]:
        coords = [item["lng"], item["lat"]]
        if item["altitude_m"] is not None:
            coords.append(item["altitude_m"])
        properties = {k: v for k, v in item.items() if k not in ("lat", "lng")}
        features.append(
            {
                "type": "Feature",
                "id": item["placement_id"],
                "geometry": {"type": "Point", "coordinates": coords},
                "properties": properties,
            }
        )
    return {
        "type": "FeatureCollection",
        "features": features,
        "next_cursor": page["next_cursor"],
    }
