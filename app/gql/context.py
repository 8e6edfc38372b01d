"""Per-request GraphQL context: the app's resources and one database session.

Strawberry resolves sibling fields concurrently, but an AsyncSession allows one operation at
a time, so resolvers take the session through `db()`, which serialises them.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.fastapi import BaseContext
from strawberry.types import Info

from app.core.db import SessionDep
from app.resources import Resources


class GqlContext(BaseContext):
    def __init__(self, resources: Resources, session: AsyncSession) -> None:
        super().__init__()
        self.resources = resources
        self._session = session
        self._lock = asyncio.Lock()

    @contextlib.asynccontextmanager
    async def db(self) -> AsyncIterator[AsyncSession]:
        async with self._lock:
            yield self._session


async def get_context(request: Request, session: SessionDep) -> GqlContext:
    return GqlContext(request.app.state.resources, session)


GqlInfo = Info[GqlContext, None]
