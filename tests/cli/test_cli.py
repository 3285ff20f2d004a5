"""The command line as an operator runs it: a real process on a real database."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from telcocrm.models import StaffUser
from telcocrm.staff.passwords import verify_password


def run_cli(
    args: list[str], database_url: str, stdin: str = "", data_dir: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"TELCOCRM_DATABASE_URL": database_url, "TELCOCRM_ENVIRONMENT": "test"}
    if data_dir is not None:
        env["TELCOCRM_DATA_DIR"] = str(data_dir)
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


@pytest.mark.parametrize(
    ("args", "field", "exit_code"),
    [
        (["loyalty", "expire", "--as-of", "2026-13-01"], "as_of", 1),
        (["churn", "train-monthly"], "months", 1),
        (["run-month", "2026-10"], "month", 1),
        (["results", "export", "--month", "2026-10", "out.parquet"], "month", 2),
        (["synth", "--subscribers", "0", "--end-month", "2026-10", "synthetic"], "subscribers", 2),
    ],
)
def test_a_refused_command_says_why_in_one_line_naming_the_field(
    tmp_path: Path, args: list[str], field: str, exit_code: int
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    run_cli(["db", "upgrade"], url, data_dir=tmp_path)
    refused = run_cli(args, url, data_dir=tmp_path)
    assert refused.returncode == exit_code
    assert refused.stderr.startswith(f"refused: {field}: "), refused.stderr
    assert "Traceback" not in refused.stderr + refused.stdout


def test_production_refuses_the_default_secret(tmp_path: Path) -> None:
    env = os.environ | {"TELCOCRM_ENVIRONMENT": "production", "TELCOCRM_DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}"}
    env.pop("TELCOCRM_SECRET_KEY", None)
    result = subprocess.run(
        [sys.executable, "-m", "telcocrm.cli", "db", "upgrade"], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "TELCOCRM_SECRET_KEY" in result.stderr


def test_customers_import_lands_a_good_file_and_refuses_a_bad_one_whole(tmp_path: Path) -> None:
    import csv

    from telcocrm.demo.generator import write_demo_file
    from telcocrm.models import AuditRecord, Customer

    url = f"sqlite:///{tmp_path / 'imp.db'}"
    run_cli(["db", "upgrade"], url)
    good = tmp_path / "good.csv"
    write_demo_file(good, 30, 7)
    rows = list(csv.DictReader(good.open(encoding="utf-8")))
    rows[1]["cert_number"] = rows[1]["cert_number"][:-1] + ("0" if rows[1]["cert_number"][-1] != "0" else "1")
    bad = tmp_path / "bad.csv"
    with bad.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)

    refused = run_cli(["customers", "import", str(bad)], url)
    assert refused.returncode == 2
    assert re.search(r"\b3\b\W+cert_number", refused.stderr), refused.stderr  # line 3: the second data row
    landed = run_cli(["customers", "import", str(good)], url)
    assert landed.returncode == 0, landed.stderr
    engine = create_engine(url)
    with engine.connect() as conn:
        customers = conn.execute(select(Customer.code)).scalars().all()
        audits = conn.execute(select(AuditRecord.action).where(AuditRecord.action == "customers.import")).all()
    engine.dispose()
    assert len(customers) == 30 and len(audits) == 1


def test_demo_loads_a_synthetic_operator_and_runs_its_months_once(tmp_path: Path) -> None:
    from telcocrm.models import CreditRatingHistory, Customer, MemberCard, Reward

    url = f"sqlite:///{tmp_path / 'demo.db'}"
    env = os.environ | {
        "TELCOCRM_DATABASE_URL": url,
        "TELCOCRM_ENVIRONMENT": "test",
        "TELCOCRM_DATA_DIR": str(tmp_path),
    }
    command = [sys.executable, "-m", "telcocrm.cli", "demo", "--no-serve", "--subscribers", "300", "--months", "2"]
    first = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stdout[-2000:] + first.stderr[-2000:]
    assert "credit_rating" in first.stdout and "admin" in first.stdout
    engine = create_engine(url)
    with engine.connect() as conn:
        customers = len(conn.execute(select(Customer.code)).all())
        months = sorted({m for (m,) in conn.execute(select(CreditRatingHistory.month)).all()})
    engine.dispose()
    assert customers > 100 and len(months) == 2
    assert "积分 points:" in first.stdout and "member cards issued" in first.stdout
    assert "leavers recorded" in first.stdout, "the churn database holds the demo's leavers"
    assert "churn model: not trained" in first.stdout and "at least 5" in first.stdout, "two months are too few"
    with engine.connect() as conn:
        rewards = conn.execute(select(func.count()).select_from(Reward)).scalar_one()
        cards = conn.execute(select(func.count()).select_from(MemberCard)).scalar_one()
    engine.dispose()
    assert rewards > 0 and cards > 0, "the counter has a catalogue and customers with cards to show"
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and "already loaded" in again.stdout
