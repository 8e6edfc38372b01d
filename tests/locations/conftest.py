from tests.locations.fixtures import app_factory, organizer, player

__all__ = ["app_factory", "organizer", "player"]
