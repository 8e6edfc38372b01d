"""Player location updates: plausibility, last position, transitions, event log (issue 5)."""
