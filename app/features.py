"""The feature packages plugged into the app: their routers and their components.

Components start in this order (a later one may use an earlier one) and stop in reverse.
"""

from collections.abc import Callable

from fastapi import APIRouter

from app.challenges import component as challenges_component
from app.challenges import router as challenges_router
from app.claims import component as claims_component
from app.claims import router as claims_router
from app.core.components import Component
from app.geofences import component as geofences_component
from app.geofences import router as geofences_router
from app.gql import component as gql_component
from app.gql import router as gql_router
from app.locations import component as locations_component
from app.locations import router as locations_router
from app.nfts import component as nfts_component
from app.nfts import router as nfts_router
from app.portals import component as portals_component
from app.portals import router as portals_router
from app.realtime import component as realtime_component
from app.realtime import router as realtime_router
from app.resources import Resources
from app.spaces import component as spaces_component
from app.spaces import router as spaces_router
from app.trading import component as trading_component
from app.trading import router as trading_router
from app.web import component as web_component
from app.web import router as web_router
from app.webhooks import component as webhooks_component
from app.webhooks import router as webhooks_router

ROUTERS: list[APIRouter] = [
    nfts_router.router,
    claims_router.router,
    trading_router.router,
    gql_router.router,
    geofences_router.router,
    locations_router.router,
    challenges_router.router,
    webhooks_router.router,
    spaces_router.router,
    portals_router.router,
    realtime_router.router,
    web_router.router,
]

COMPONENT_BUILDERS: list[Callable[[Resources], Component]] = [
    nfts_component.build,
    claims_component.build,
    trading_component.build,
    gql_component.build,
    geofences_component.build,
    locations_component.build,
    challenges_component.build,
    webhooks_component.build,
    spaces_component.build,
    portals_component.build,
    realtime_component.build,
    web_component.build,
]
