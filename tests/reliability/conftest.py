"""A database for tests that run real server processes: those commit, unlike the
rolled-back tests, so they get their own database, created and migrated once per run."""

from collections.abc import Iterator

import pytest
from alembic import command
from sqlalchemy.engine import make_url

from tests.conftest import TEST_DATABASE_URL, alembic_config, recreate_database
from tests.reliability.faults import RedisServer


@pytest.fixture(scope="session")
def process_database() -> str:
    url = make_url(TEST_DATABASE_URL)
    db_url = url.set(database=f"{url.database}_procs").render_as_string(hide_password=False)
    recreate_database(db_url)
    command.upgrade(alembic_config(db_url), "head")
    return db_url


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """A private redis-server these tests may kill and restart."""
    server = RedisServer()
    server.start()
    yield server
    server.close()
