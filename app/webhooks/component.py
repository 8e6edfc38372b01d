"""The webhooks component (see app/core/components.py)."""

from app.core.components import Component, NoBackground
from app.resources import Resources


class WebhookComponent(NoBackground):
    def __init__(self, resources: Resources) -> None:
        self.resources = resources


def build(resources: Resources) -> Component:
    return WebhookComponent(resources)
