"""The command line as an operator runs it: a real process on a real database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, select

from telcocrm.models import StaffUser
from telcocrm.staff.passwords import verify_password


def run_cli(args: list[str], database_url: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = os.environ | {"TELCOCRM_DATABASE_URL": database_url, "TELCOCRM_ENVIRONMENT": "test"}
    return subprocess.run(
        [sys.executable, "-m", "telcocrm.cli", *args], input=stdin, env=env, capture_output=True, text=True, timeout=120
    )


def test_db_upgrade_then_staff_create_reads_password_from_stdin(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert run_cli(["db", "upgrade"], url).returncode == 0
    created = run_cli(["staff", "create", "wangli", "--role", "store_clerk"], url, stdin="S3cret-pass\n")
    assert created.returncode == 0, created.stderr
    engine = create_engine(url)
    with engine.connect() as conn:
        user = conn.execute(select(StaffUser.role, StaffUser.password_hash).where(StaffUser.username == "wangli")).one()
    engine.dispose()
    assert user.role == "store_clerk"
    assert user.password_hash.startswith("$argon2") and verify_password(user.password_hash, "S3cret-pass")


def test_staff_create_refuses_a_short_password(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    run_cli(["db", "upgrade"], url)
    refused = run_cli(["staff", "create", "lisi", "--role", "analyst"], url, stdin="short\n")
    assert refused.returncode == 2
    assert "password" in refused.stderr


def test_production_refuses_the_default_secret(tmp_path: Path) -> None:
    env = os.environ | {"TELCOCRM_ENVIRONMENT": "production", "TELCOCRM_DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}"}
    env.pop("TELCOCRM_SECRET_KEY", None)
    result = subprocess.run(
        [sys.executable, "-m", "telcocrm.cli", "db", "upgrade"], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "TELCOCRM_SECRET_KEY" in result.stderr
