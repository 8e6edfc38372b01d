"""Feature components: long-lived per-process parts (engines, indexers, servers) that a
feature package plugs into the app's lifespan without editing `app/main.py`.

A feature exposes `build(resources) -> Component` in `app/<feature>/component.py`; the
lifespan builds every registered component, awaits `start()` (load state; must not block for
long), runs each coroutine from `background()` as a task when background work is enabled,
and awaits `aclose()` at shutdown in reverse order. Routers reach a component with
`resources.component(TheClass)`, which keeps the access typed.
"""

from collections.abc import Coroutine
from typing import Any, Protocol


class Component(Protocol):
    async def start(self) -> None: ...

    def background(self) -> list[Coroutine[Any, Any, None]]: ...

    async def aclose(self) -> None: ...


class NoBackground:
    """Mixin for components with nothing to start, run or close."""

    async def start(self) -> None:
        return None

    def background(self) -> list[Coroutine[Any, Any, None]]:
        return []

    async def aclose(self) -> None:
        return None
