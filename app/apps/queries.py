"""All SQL for developer apps."""

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.apps.models import DeveloperApp


async def add_app(session: AsyncSession, app: DeveloperApp) -> None:
    session.add(app)
    await session.flush()


async def get_app(session: AsyncSession, app_id: uuid.UUID) -> DeveloperApp | None:
    """A live (not deleted) app by id."""
    app = await session.get(DeveloperApp, app_id)
    return app if app is not None and app.revoked_at is None else None


async def app_by_client_id(session: AsyncSession, client_id: str) -> DeveloperApp | None:
    result = await session.scalars(
        select(DeveloperApp).where(
            DeveloperApp.client_id == client_id, DeveloperApp.revoked_at.is_(None)
        )
    )
    return result.first()


async def apps_of(session: AsyncSession, owner_id: uuid.UUID) -> list[DeveloperApp]:
    result = await session.scalars(
        select(DeveloperApp)
        .where(DeveloperApp.owner_id == owner_id, DeveloperApp.revoked_at.is_(None))
        .order_by(DeveloperApp.created_at)
    )
    return list(result)
