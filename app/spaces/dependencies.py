"""FastAPI dependencies for the spaces domain."""

from typing import Annotated

from fastapi import Depends, Request

from app.resources import Resources
from app.spaces.events import EventBus


# async: a plain `def` dependency costs a thread-pool hop on every request.
async def get_event_bus(request: Request) -> EventBus:
    resources: Resources = request.app.state.resources
    return EventBus(redis=resources.redis, prefix=resources.settings.redis_channel_prefix)


# Where membership and access changes are announced to the real-time side.
EventBusDep = Annotated[EventBus, Depends(get_event_bus)]
