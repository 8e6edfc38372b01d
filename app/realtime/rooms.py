"""Socket.IO room names: one per user (all their devices), per space, per H3 cell."""

from geo.h3cells import cell_of


def user(user_id: str) -> str:
    return f"user:{user_id}"


def space(space_id: str) -> str:
    return f"space:{space_id}"


def cell(lat: float, lng: float, res: int) -> str:
    return f"cell:{cell_of(lat, lng, res):x}"
