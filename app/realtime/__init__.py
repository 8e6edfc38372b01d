"""Socket.IO server: auth, rooms, fan-out of events, proximity alerts (issue 6)."""
