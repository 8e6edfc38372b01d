"""FastAPI dependencies for the geofences domain."""

from typing import Annotated

from fastapi import Depends, Request

from app.auth.dependencies import get_optional_user, owned, require_scope
from app.core.errors import Forbidden
from app.geofences import queries
from app.geofences.component import GeofenceComponent
from app.geofences.engine import GeofenceEngine
from app.geofences.models import Geofence
from app.geofences.sync import GeofenceSync
from app.settings import Settings
from app.users.models import Role, User


def get_component(request: Request) -> GeofenceComponent:
    component: GeofenceComponent = request.app.state.resources.component(GeofenceComponent)
    return component


def get_engine(request: Request) -> GeofenceEngine:
    return get_component(request).engine


def get_sync(request: Request) -> GeofenceSync:
    return get_component(request).sync


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.resources.settings
    return settings


GeofenceEngineDep = Annotated[GeofenceEngine, Depends(get_engine)]
GeofenceSyncDep = Annotated[GeofenceSync, Depends(get_sync)]
SettingsDep = Annotated[Settings, Depends(get_settings)]

_writer = require_scope("geofences:write")


async def _organizer(user: Annotated[User, Depends(_writer)]) -> User:
    # App tokens act for their owner, who must be an organizer as well.
    if not (user.has_role(Role.ORGANIZER) or user.is_admin):
        raise Forbidden("Requires the organizer role", details={"role": Role.ORGANIZER.value})
    return user


GeofenceCreator = Annotated[User, Depends(_organizer)]
# Fences are discoverable (?lat&lng, ?bbox), so someone else's is an honest 403, as for
# placements; a missing or deleted one is a 404.
OwnedGeofence = Annotated[
    Geofence,
    Depends(owned(queries.get_geofence, kind="geofence", path_param="fence_id", actor=_writer)),
]
MaybeUser = Annotated[User | None, Depends(get_optional_user)]
