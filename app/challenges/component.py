"""The challenges component: retries rewards that could not be awarded at completion."""

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from app.challenges import service
from app.core.components import Component, NoBackground
from app.resources import Resources

log = logging.getLogger("cyberspace.challenges")


class ChallengeComponent(NoBackground):
    def __init__(self, resources: Resources) -> None:
        self.resources = resources

    async def award_pending(self) -> int:
        async with self.resources.session_factory() as session:
            return await service.award_pending(resources=self.resources, session=session)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.resources.settings.challenge_reward_retry_seconds)
            try:
                await self.award_pending()
            except Exception:
                log.exception("retrying challenge rewards failed")

    def background(self) -> list[Coroutine[Any, Any, None]]:
        return [self._run()]


def build(resources: Resources) -> Component:
    return ChallengeComponent(resources)
