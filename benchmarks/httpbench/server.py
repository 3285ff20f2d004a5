"""The server under test: uvicorn in its own process group on a free loopback port, and its bearer tokens."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, select

from telcocrm.db.engine import session_factory
from telcocrm.models import StaffUser
from telcocrm.models.enums import StaffRole
from telcocrm.staff.service import create_staff

STAFF_PASSWORD = "Bench-Passw0rd-2026"
START_TIMEOUT = 60.0


@dataclass(frozen=True)
class Server:
    """A running server: where it listens and what it runs on."""

    base_url: str
    pid: int  # uvicorn's supervisor; the workers are its children
    workers: int
    loop: str
    http: str


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def event_loop_and_parser() -> tuple[str, str]:
    """What uvicorn picks on its own (`auto`): uvloop and httptools when installed, else asyncio and h11."""
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    return loop, http


@contextmanager
def running_server(database_url: str, workers: int, *, source: Path | None = None) -> Iterator[Server]:
    """uvicorn with `workers` processes on the database; `source` runs another checkout's `src` instead."""
    port = free_port()
    loop, http = event_loop_and_parser()
    command = [
        sys.executable, "-m", "uvicorn", "telcocrm.app:create_app", "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
        "--no-access-log", "--log-level", "warning", "--loop", loop, "--http", http,
    ]  # fmt: skip
    env = os.environ | {"TELCOCRM_DATABASE_URL": database_url, "TELCOCRM_ENVIRONMENT": "test"}
    if source is not None:
        env["PYTHONPATH"] = str(source / "src")
    process = subprocess.Popen(command, env=env, start_new_session=True)
    try:
        base_url = f"http://127.0.0.1:{port}"
        _wait_healthy(base_url, process)
        yield Server(base_url=base_url, pid=process.pid, workers=workers, loop=loop, http=http)
    finally:
        _stop(process)


def _wait_healthy(base_url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited with status {process.returncode}")
        try:
            with urllib.request.urlopen(f"{base_url}/health", timeout=2) as reply:
                if reply.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    raise SystemExit(f"the server did not answer on {base_url} within {START_TIMEOUT:.0f} s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop uvicorn's whole process group (the supervisor and its workers)."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def ensure_staff(engine: Engine, roles: list[StaffRole]) -> dict[StaffRole, str]:
    """A benchmark staff user per role (created once); returns their usernames."""
    names = {role: f"bench_{role.value}" for role in roles}
    with session_factory(engine)() as db:
        existing = set(db.execute(select(StaffUser.username).where(StaffUser.username.in_(names.values()))).scalars())
        for role, username in names.items():
            if username not in existing:
                create_staff(db=db, username=username, role=role, password=STAFF_PASSWORD)
        db.commit()
    return names


def login(base_url: str, username: str) -> str:
    """A bearer token from `POST /auth/token`."""
    form = urllib.parse.urlencode({"username": username, "password": STAFF_PASSWORD}).encode()
    with urllib.request.urlopen(f"{base_url}/auth/token", data=form, timeout=10) as reply:
        token: str = json.loads(reply.read())["access_token"]
        return token


def fetch_status(base_url: str, path: str, token: str) -> int:
    """The status of one GET (a smoke check before loading the server)."""
    request = urllib.request.Request(f"{base_url}{path}", headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            status: int = reply.status
            return status
    except urllib.error.HTTPError as exc:
        return exc.code
