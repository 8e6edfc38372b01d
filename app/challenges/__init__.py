"""Challenges on geofences, progress, rewards and leaderboards (issue 5)."""
