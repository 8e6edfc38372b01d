"""Migrations go up and down on an empty database, and up again."""

import psycopg
import pytest
from alembic import command
from sqlalchemy.engine import make_url

from tests.conftest import TEST_DATABASE_URL, alembic_config, recreate_database

_TEST_DB = make_url(TEST_DATABASE_URL).database
MIGRATIONS_URL = str(make_url(TEST_DATABASE_URL).set(database=f"{_TEST_DB}_migrations"))


def _tables(url: str) -> set[str]:
    u = make_url(url)
    with psycopg.connect(f"host={u.host} port={u.port} user={u.username} dbname={u.database}") as c:
        rows = c.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()
    return {r[0] for r in rows}


@pytest.mark.slow
def test_upgrade_downgrade_upgrade() -> None:
    recreate_database(MIGRATIONS_URL)
    config = alembic_config(MIGRATIONS_URL)
    command.upgrade(config, "head")
    assert {"placements", "alembic_version", "spatial_ref_sys"} <= _tables(MIGRATIONS_URL)
    command.downgrade(config, "base")
    assert _tables(MIGRATIONS_URL) - {"spatial_ref_sys"} == {"alembic_version"}
    command.upgrade(config, "head")
    assert "placements" in _tables(MIGRATIONS_URL)
