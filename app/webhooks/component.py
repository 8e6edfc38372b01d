"""The webhooks component: the outbox worker (`deliver_pending` in a loop)."""

import asyncio
import logging
from collections.abc import Coroutine
from datetime import datetime
from typing import Any

from app.core.components import Component, NoBackground
from app.resources import Resources
from app.webhooks import service

log = logging.getLogger("cyberspace.webhooks")


class WebhookComponent(NoBackground):
    def __init__(self, resources: Resources) -> None:
        self.resources = resources

    async def deliver_pending(self, *, now: datetime | None = None) -> service.DeliveryReport:
        return await service.deliver_pending(resources=self.resources, now=now)

    async def _run(self) -> None:
        while True:
            try:
                report = await self.deliver_pending()
                busy = report.delivered + report.retried + report.failed
            except Exception:
                log.exception("webhook delivery pass failed")
                busy = 0
            # A full batch means more may be due: go again at once.
            if busy < self.resources.settings.webhook_batch_size:
                await asyncio.sleep(self.resources.settings.webhook_poll_seconds)

    def background(self) -> list[Coroutine[Any, Any, None]]:
        return [self._run()]


def build(resources: Resources) -> Component:
    return WebhookComponent(resources)
