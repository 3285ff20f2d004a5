"""CPU time of a process tree (Linux /proc): where each request's time goes, server or database."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, text

TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name, or None when the process is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except OSError:
        return None
    return raw[raw.rindex(")") + 2 :].split()


def process_seconds(pid: int) -> float:
    """CPU seconds (user + system) of one process, e.g. a PostgreSQL backend; 0 when it is gone."""
    fields = _stat(pid)
    return (int(fields[11]) + int(fields[12])) / TICKS if fields else 0.0


def tree_seconds(root: int) -> float:
    """CPU seconds of a process, its children alive now, and the children it has reaped (cutime, cstime)."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat(int(entry.name))
        if fields is None:
            continue
        pid, parent = int(entry.name), int(fields[1])
        if pid == root:
            total += sum(int(v) for v in fields[11:15])  # utime stime cutime cstime
        elif parent == root:
            total += int(fields[11]) + int(fields[12])
    return total / TICKS


def postmaster_pid(engine: Engine) -> int | None:
    """The PostgreSQL server process, when it runs on this machine and /proc shows it."""
    with engine.connect() as conn:
        backend = int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())
        fields = _stat(backend)
    return int(fields[1]) if fields else None


@dataclass(frozen=True)
class CpuUse:
    """CPU milliseconds per request of the server processes and of PostgreSQL (None: not on this machine)."""

    server_ms: float
    database_ms: float | None


@dataclass
class CpuMeter:
    """CPU time used by the server's and the database's process trees between start() and per_request()."""

    server: int
    database: int | None
    _start: tuple[float, float] = (0.0, 0.0)

    def start(self) -> None:
        """Take the starting point."""
        self._start = self._now()

    def per_request(self, requests: int) -> CpuUse:
        """CPU time since start() divided by the requests served."""
        server, database = self._now()
        count = max(requests, 1)
        used_db = (database - self._start[1]) * 1000 / count if self.database is not None else None
        return CpuUse(server_ms=(server - self._start[0]) * 1000 / count, database_ms=used_db)

    def _now(self) -> tuple[float, float]:
        database = tree_seconds(self.database) if self.database is not None else 0.0
        return tree_seconds(self.server), database
