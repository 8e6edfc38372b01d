"""FastAPI dependencies for the placements domain."""

from typing import Annotated

from fastapi import Depends, Request

from app.placements.index import PlacementIndex
from app.placements.service import NearbyLimits
from app.placements.sync import PlacementIndexSync


def get_placement_sync(request: Request) -> PlacementIndexSync:
    sync: PlacementIndexSync = request.app.state.resources.placement_sync
    return sync


def get_placement_index(request: Request) -> PlacementIndex:
    return get_placement_sync(request).index


def get_nearby_limits(request: Request) -> NearbyLimits:
    limits: NearbyLimits = request.app.state.resources.nearby_limits
    return limits


PlacementIndexDep = Annotated[PlacementIndex, Depends(get_placement_index)]
PlacementSyncDep = Annotated[PlacementIndexSync, Depends(get_placement_sync)]
NearbyLimitsDep = Annotated[NearbyLimits, Depends(get_nearby_limits)]
