"""FastAPI dependencies for the placements domain."""

from typing import Annotated

from fastapi import Depends, Request

from app.auth.dependencies import owned, require_scope
from app.placements import queries
from app.placements.models import Placement
from app.placements.service import NearbyLimits
from app.placements.sync import PlacementIndexSync
from app.users.models import User


async def get_placement_sync(request: Request) -> PlacementIndexSync:
    # async: a plain `def` dependency costs a thread-pool hop on every request.
    sync: PlacementIndexSync = request.app.state.resources.placement_sync
    return sync


async def get_nearby_limits(request: Request) -> NearbyLimits:
    limits: NearbyLimits = request.app.state.resources.nearby_limits
    return limits


PlacementSyncDep = Annotated[PlacementIndexSync, Depends(get_placement_sync)]
# Radius and page limits every nearby endpoint shares (NEARBY_MAX_RADIUS_M, NEARBY_MAX_LIMIT).
NearbyLimitsDep = Annotated[NearbyLimits, Depends(get_nearby_limits)]


# Writes act for a user token's user, or an app token's owner when it holds the scope.
PlacementWriter = Annotated[User, Depends(require_scope("placements:write"))]
# Placements are public (they show in /api/nearby), so someone else's is a 403, not a 404.
OwnedPlacement = Annotated[
    Placement,
    Depends(
        owned(
            queries.get_placement,
            kind="placement",
            path_param="placement_id",
            actor=require_scope("placements:write"),
        )
    ),
]
