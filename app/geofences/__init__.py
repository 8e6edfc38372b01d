"""Geofences: validation, storage with H3 covers, the in-memory engine (issue 5)."""
