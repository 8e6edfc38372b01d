"""HTTP routes of webhooks (per geofence, owner only)."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from app.auth.dependencies import CurrentUser
from app.core.db import SessionDep
from app.webhooks import service
from app.webhooks.schemas import (
    DeliveryList,
    DeliveryOut,
    WebhookCreated,
    WebhookIn,
    WebhookList,
    WebhookOut,
)

router = APIRouter(prefix="/api", tags=["webhooks"])


@router.post(
    "/geofences/{fence_id}/webhooks",
    response_model=WebhookCreated,
    status_code=status.HTTP_201_CREATED,
    summary="Register a webhook for my geofence's events (the secret is shown only here)",
)
async def create_webhook(
    fence_id: uuid.UUID, body: WebhookIn, user: CurrentUser, session: SessionDep, request: Request
) -> WebhookCreated:
    hook, secret = await service.create_webhook(
        resources=request.app.state.resources,
        session=session,
        user=user,
        fence_id=fence_id,
        body=body,
    )
    return WebhookCreated(**WebhookOut.model_validate(hook).model_dump(), secret=secret)


@router.get(
    "/geofences/{fence_id}/webhooks",
    response_model=WebhookList,
    summary="My geofence's webhooks",
)
async def list_webhooks(
    fence_id: uuid.UUID, user: CurrentUser, session: SessionDep, request: Request
) -> WebhookList:
    hooks = await service.list_webhooks(
        resources=request.app.state.resources, session=session, user=user, fence_id=fence_id
    )
    return WebhookList(items=[WebhookOut.model_validate(h) for h in hooks])


@router.delete(
    "/webhooks/{webhook_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove my webhook",
)
async def delete_webhook(webhook_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> Response:
    await service.delete_webhook(session=session, user=user, webhook_id=webhook_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/webhooks/{webhook_id}/deliveries",
    response_model=DeliveryList,
    summary="My webhook's recent deliveries, newest first",
)
async def list_deliveries(
    webhook_id: uuid.UUID,
    user: CurrentUser,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> DeliveryList:
    rows = await service.list_deliveries(
        session=session, user=user, webhook_id=webhook_id, limit=limit
    )
    return DeliveryList(items=[DeliveryOut.model_validate(r) for r in rows])
