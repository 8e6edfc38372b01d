"""The web component (see app/core/components.py): checks the vendor build at start."""

import logging

from app.core.components import Component, NoBackground
from app.resources import Resources
from app.web import pages

log = logging.getLogger("cyberspace.web")


class WebComponent(NoBackground):
    def __init__(self, resources: Resources) -> None:
        self.resources = resources

    async def start(self) -> None:
        # The pages still render without it, but with no map: say why in the log.
        if not pages.vendor_ready():
            log.warning(
                "web vendor files missing: run scripts/run.d/40-web.sh (npm ci + build) "
                "to serve /console and /map"
            )


def build(resources: Resources) -> Component:
    return WebComponent(resources)
