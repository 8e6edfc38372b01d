"""Geofence maintenance from a shell:

.venv/bin/python -m app.geofences.cli refresh-covers [--dry-run]
"""

import argparse
import asyncio
import sys

from app.core.db import make_engine, make_session_factory
from app.geofences.covers import CoverRefresh, refresh_covers
from app.models import load_all_models
from app.settings import get_settings


async def run_refresh(*, dry_run: bool) -> CoverRefresh:
    engine = make_engine(get_settings())

    def progress(totals: CoverRefresh) -> None:
        print(f"checked {totals.checked:,}, changed {totals.changed:,}", file=sys.stderr)

    try:
        return await refresh_covers(make_session_factory(engine), dry_run=dry_run, on_page=progress)
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("action", choices=["refresh-covers"])
    parser.add_argument(
        "--dry-run", action="store_true", help="count the covers that would change, store none"
    )
    args = parser.parse_args()
    load_all_models()
    totals = asyncio.run(run_refresh(dry_run=args.dry_run))
    verb = "would change" if args.dry_run else "changed"
    print(
        f"{totals.checked:,} live fences checked; {verb} {totals.changed:,}; "
        f"skipped {totals.skipped:,} (edited meanwhile)"
    )


if __name__ == "__main__":
    main()
