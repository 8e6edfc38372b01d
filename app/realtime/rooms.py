"""Socket.IO room names: one per user (all their devices), per space, per H3 cell; and the
Redis hash of who is in a space (socket id -> {user_id, username})."""

from geo.h3cells import cell_of


def user(user_id: str) -> str:
    return f"user:{user_id}"


def space(space_id: str) -> str:
    return f"space:{space_id}"


def cell(lat: float, lng: float, res: int) -> str:
    return f"cell:{cell_of(lat, lng, res):x}"


def presence_key(prefix: str, space_id: str) -> str:
    # The same key RealtimeServer writes in join_space ("{prefix}:rt:presence:{space_id}").
    return f"{prefix}:rt:presence:{space_id}"
