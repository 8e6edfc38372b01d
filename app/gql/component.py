"""The gql component: warms the offline reverse geocoder up in the background.

Loading its table takes ~2 s; doing it at start (only when background work runs, i.e. not in
tests) keeps the first GraphQL `location` from paying for it.
"""

from collections.abc import Coroutine
from typing import Any

from app.core.components import Component, NoBackground
from app.gql.places import warm_up
from app.resources import Resources


class GraphqlComponent(NoBackground):
    def __init__(self, resources: Resources) -> None:
        self.resources = resources

    def background(self) -> list[Coroutine[Any, Any, None]]:
        return [warm_up()]


def build(resources: Resources) -> Component:
    return GraphqlComponent(resources)
