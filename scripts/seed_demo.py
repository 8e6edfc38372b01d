"""Idempotent demo data: a demo player and organizer, and a few dozen objects around
Munich's Marienplatz owned by the organizer.

Ids are derived from names (uuid5), so running this again changes nothing (except that
the demo passwords are reset to the ones in settings). `--credentials` prints the logins.
"""

import asyncio
import importlib
import math
import pkgutil
import sys
import uuid

from redis.asyncio import Redis
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.passwords import Passwords
from app.core.db import make_engine, make_session_factory
from app.placements.models import Placement, PlacementKind
from app.placements.service import new_placement
from app.settings import (
    DEV_DEMO_ORGANIZER_PASSWORD,
    DEV_DEMO_PLAYER_PASSWORD,
    Settings,
    get_settings,
)
from app.users import queries as user_queries
from app.users.models import Role, User
from geo.coords import LatLng
from geo.geodesy import destination

MARIENPLATZ = LatLng(48.1371, 11.5754)
DEMO_NAMESPACE = uuid.UUID("6f1c3d0e-9b0c-4c59-8d53-7a0c2f1e5b11")

LANDMARKS: list[tuple[str, PlacementKind, float, float]] = [
    ("Marienplatz marker", PlacementKind.MARKER, 48.1371, 11.5754),
    ("Frauenkirche portal", PlacementKind.PORTAL, 48.1386, 11.5733),
    ("Viktualienmarkt hub", PlacementKind.SPACE, 48.1351, 11.5763),
    ("Odeonsplatz showroom", PlacementKind.SPACE, 48.1424, 11.5775),
    ("Hofbräuhaus cache", PlacementKind.NFT, 48.1376, 11.5797),
    ("Isartor cache", PlacementKind.NFT, 48.1354, 11.5819),
    ("Karlsplatz cache", PlacementKind.NFT, 48.1391, 11.5654),
    ("Englischer Garten portal", PlacementKind.PORTAL, 48.1522, 11.5920),
]


# (username, email, roles, settings attribute holding the password)
DEMO_USERS: list[tuple[str, str, list[Role], str]] = [
    ("PlayerOne", "player@example.com", [Role.PLAYER], "demo_player_password"),
    # The organizer is also a developer, so the README can show developer apps with it.
    (
        "DemoOrganizer",
        "organizer@example.com",
        [Role.PLAYER, Role.ORGANIZER, Role.DEVELOPER],
        "demo_organizer_password",
    ),
]


def demo_credentials(settings: Settings) -> list[tuple[str, str, list[Role]]]:
    return [
        (name, getattr(settings, attr).get_secret_value(), roles)
        for name, _, roles, attr in DEMO_USERS
    ]


async def seed_users(session: AsyncSession, settings: Settings) -> tuple[uuid.UUID, int]:
    """Create the demo accounts or reset their passwords and roles; returns the organizer's
    id and how many accounts were new. Found by name, so an account someone registered
    under a demo name is taken over rather than clashing with the unique index."""
    passwords = Passwords(settings)
    ids: dict[str, uuid.UUID] = {}
    added = 0
    for username, email, roles, attr in DEMO_USERS:
        password = getattr(settings, attr).get_secret_value()
        user = await user_queries.user_by_username(session, username)
        if user is None:
            added += 1
            user = User(
                id=uuid.uuid5(DEMO_NAMESPACE, f"user:{username}"),
                username=username,
                email=email,
                password_hash=await passwords.hash(password),
                is_active=True,
            )
            session.add(user)
        elif not await passwords.verify(user.password_hash, password):
            user.password_hash = await passwords.hash(password)
        user.roles = [r.value for r in roles]
        ids[username] = user.id
    await session.flush()
    return ids["DemoOrganizer"], added


def demo_placements() -> list[Placement]:
    placements = [
        new_placement(
            placement_id=uuid.uuid5(DEMO_NAMESPACE, title),
            kind=kind,
            title=title,
            point=LatLng(lat, lng),
            altitude_m=520.0,
        )
        for title, kind, lat, lng in LANDMARKS
    ]
    kinds = list(PlacementKind)
    # Rings of caches around the square: spread over 40 m to 900 m in every direction.
    for i in range(32):
        bearing = (i * 137.508) % 360  # golden angle: even spread without a grid
        distance = 40 + 860 * math.sqrt((i + 0.5) / 32)
        point = destination(MARIENPLATZ.lat, MARIENPLATZ.lng, bearing, distance)
        title = f"Demo object {i + 1:02d}"
        placements.append(
            new_placement(
                placement_id=uuid.uuid5(DEMO_NAMESPACE, title),
                kind=kinds[i % len(kinds)],
                title=title,
                point=point,
                altitude_m=None if i % 3 else 519.0 + i % 7,
            )
        )
    return placements


async def seed(settings: Settings) -> tuple[int, int]:
    defaults = {DEV_DEMO_PLAYER_PASSWORD, DEV_DEMO_ORGANIZER_PASSWORD}
    in_use = {password for _, password, _ in demo_credentials(settings)}
    if settings.environment == "production" and in_use & defaults:
        raise SystemExit("Refusing to seed demo accounts with default passwords in production")
    engine = make_engine(settings)
    session_factory = make_session_factory(engine)
    wanted = demo_placements()
    async with session_factory() as session:
        organizer_id, users_added = await seed_users(session, settings)
        existing = set(
            await session.scalars(
                select(Placement.id).where(Placement.id.in_([p.id for p in wanted]))
            )
        )
        missing = [p for p in wanted if p.id not in existing]
        for placement in missing:
            placement.owner_id = organizer_id
        session.add_all(missing)
        # Demo rows seeded before accounts existed get their owner now.
        await session.execute(
            update(Placement)
            .where(Placement.id.in_([p.id for p in wanted]), Placement.owner_id.is_(None))
            .values(owner_id=organizer_id)
        )
        await session.commit()
        for line in await seed_features(session, settings):
            print(line if line.startswith("[seed]") else f"[seed] {line}")
    await engine.dispose()
    if missing:
        redis = Redis.from_url(settings.redis_url)
        await redis.publish(settings.placement_channel, b"changed")
        await redis.aclose()
    return len(missing), users_added


async def seed_features(session: AsyncSession, settings: Settings) -> list[str]:
    """Run every `scripts/demo/<feature>.py` seeder (see scripts/demo/__init__.py)."""
    import scripts.demo as demo_package

    lines = []
    for module_info in sorted(pkgutil.iter_modules(demo_package.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"scripts.demo.{module_info.name}")
        lines.append(await module.seed(session, settings))
    return lines


def main() -> None:
    settings = get_settings()
    if "--credentials" in sys.argv:
        for name, password, roles in demo_credentials(settings):
            print(f"  {name:<14} password: {password:<18} roles: {', '.join(roles)}")
        return
    added, users_added = asyncio.run(seed(settings))
    print(f"[seed] demo placements around Marienplatz: {added} added")
    print(f"[seed] demo accounts PlayerOne and DemoOrganizer: {users_added} added")


if __name__ == "__main__":
    main()
