"""Feature demo data, run by scripts/seed_demo.py after the accounts and placements.

Each module here defines `async def seed(session: AsyncSession, settings: Settings) -> str`:
idempotent, commits its own work, returns one line saying what it did. Modules run in name
order; look the demo users up by username (PlayerOne, DemoOrganizer).
"""
