"""Shared fixtures: one migrated database per run (SQLite, or PostgreSQL when TELCOCRM_TEST_DATABASE_URL is set),
emptied before each test that uses it."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

os.environ.setdefault("TELCOCRM_ENVIRONMENT", "test")

from telcocrm.analytics.store import AnalyticsStore
from telcocrm.app import create_app
from telcocrm.config import get_settings
from telcocrm.db.base import Base
from telcocrm.db.engine import make_engine, session_factory
from telcocrm.db.migrate import upgrade
from telcocrm.models.enums import StaffRole
from telcocrm.staff.rules import Viewer, system_viewer
from telcocrm.staff.service import create_staff

STAFF_PASSWORD = "Passw0rd!2026"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """PostgreSQL when the run provides one, else a SQLite file of this run."""
    url = os.environ.get("TELCOCRM_TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'telcocrm-test.db'}"


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    """The test database, built by the migrations exactly as production builds it."""
    upgrade(database_url)
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def empty_database(engine: Engine) -> None:
    """Delete every row and restart the code counters: each test starts from a fresh, migrated database."""
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))
        conn.execute(
            text(
                "INSERT INTO code_counter (name, next_value) VALUES ('customer', 1), ('account', 1), ('subscriber', 1)"
            )
        )


@pytest.fixture
def clean_engine(engine: Engine) -> Engine:
    """The engine, on an empty database."""
    empty_database(engine)
    return engine


@pytest.fixture
def db(clean_engine: Engine) -> Iterator[Session]:
    """A session on an empty database; the test commits what it wants to keep."""
    session = session_factory(clean_engine)()
    try:
        yield session
    finally:
        session.rollback()
        session.close()


@pytest.fixture
def admin() -> Viewer:
    """The identity of a batch job (administrator grants)."""
    return system_viewer("test")


@pytest.fixture
def client(clean_engine: Engine) -> Iterator[TestClient]:
    """An HTTP client on the whole application over an empty database."""
    with TestClient(create_app(clean_engine)) as test_client:
        yield test_client


@pytest.fixture
def staff_headers(clean_engine: Engine, client: TestClient) -> Callable[[StaffRole], dict[str, str]]:
    """Make a staff user of a role, log in through `POST /auth/token`, and return the bearer header."""
    made: dict[StaffRole, dict[str, str]] = {}

    def headers(role: StaffRole) -> dict[str, str]:
        if role not in made:
            with session_factory(clean_engine)() as session:
                create_staff(db=session, username=f"t_{role.value}", role=role, password=STAFF_PASSWORD)
                session.commit()
            reply = client.post("/auth/token", data={"username": f"t_{role.value}", "password": STAFF_PASSWORD})
            assert reply.status_code == 200, reply.text
            made[role] = {"Authorization": f"Bearer {reply.json()['access_token']}"}
        return made[role]

    return headers


@pytest.fixture
def data_dir() -> Path:
    """The shared data folder beside the checkout (real churn datasets)."""
    return Path(__file__).resolve().parents[2] / "shared" / "data"


Login = Callable[[StaffRole], None]


@pytest.fixture
def login(clean_engine: Engine, client: TestClient) -> Login:
    """Make a staff user of a role and log the client in through the web form."""

    def log_in(role: StaffRole) -> None:
        with session_factory(clean_engine)() as session:
            create_staff(db=session, username=f"web_{role.value}", role=role, password=STAFF_PASSWORD)
            session.commit()
        reply = client.post("/web/login", data={"username": f"web_{role.value}", "password": STAFF_PASSWORD})
        assert reply.status_code == 200, reply.text

    return log_in


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AnalyticsStore]:
    """The analytics store under this test's data folder, as the settings give it."""
    monkeypatch.setenv("TELCOCRM_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield AnalyticsStore.from_settings()
    get_settings.cache_clear()
