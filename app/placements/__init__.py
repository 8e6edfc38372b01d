"""Placements: objects at real coordinates, and the nearby-discovery engine over them."""
