"""Runs wrk with a script of benchmarks/wrk/ (customers.lua unless told) and reads its figures back."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "wrk" / "customers.lua"
RESULT_PREFIX = "@@result "


@dataclass(frozen=True)
class Load:
    """How to load the server: wrk threads and connections, how long, and the rate (None: as fast as it goes)."""

    threads: int
    connections: int
    seconds: int
    rate: int | None = None


@dataclass(frozen=True)
class WrkResult:
    """What one wrk run measured."""

    requests: int
    seconds: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    p999_ms: float
    max_ms: float
    non_2xx: int
    socket_errors: int
    output: str

    @property
    def rps(self) -> float:
        """Completed requests per second."""
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def errors(self) -> int:
        """Responses of 400 and above plus connect, read, write and timeout errors."""
        return self.non_2xx + self.socket_errors


def wrk_binary() -> str:
    """The wrk executable, or a hint at how to install it."""
    found = shutil.which("wrk")
    if found is None:
        raise SystemExit("wrk is missing: apt-get install -y wrk")
    return found


def wrk_version() -> str:
    """wrk's version line."""
    reply = subprocess.run([wrk_binary(), "-v"], capture_output=True, text=True, check=False)
    words = (reply.stdout or reply.stderr).split()
    return words[1] if len(words) > 1 else "unknown"


def wrk_command(
    url: str,
    path_pattern: str,
    codes_file: Path,
    token: str,
    load: Load,
    *,
    script: Path = SCRIPT,
    extra: Sequence[str] = (),
) -> list[str]:
    """The wrk command line for one run (the rate, when paced, is handed to each thread's script).

    Another `script` takes the same first arguments; its `extra` ones follow the rate ("0" when unpaced).
    """
    command = [
        wrk_binary(), "--latency", f"-t{load.threads}", f"-c{load.connections}", f"-d{load.seconds}s",
        "--timeout", "5s", "-s", str(script), url, "--", path_pattern, str(codes_file), token,
    ]  # fmt: skip
    if load.rate is not None:
        command.append(f"{load.rate / load.threads:.3f}")
    elif extra:
        command.append("0")
    return command + list(extra)


def run_wrk(
    url: str,
    path_pattern: str,
    codes_file: Path,
    token: str,
    load: Load,
    *,
    script: Path = SCRIPT,
    extra: Sequence[str] = (),
) -> WrkResult:
    """Run wrk once and parse its summary."""
    command = wrk_command(url, path_pattern, codes_file, token, load, script=script, extra=extra)
    reply = subprocess.run(command, capture_output=True, text=True, check=False)
    if reply.returncode != 0:
        raise SystemExit(f"wrk failed ({reply.returncode}): {reply.stderr.strip()}")
    return parse_output(reply.stdout)


def parse_output(output: str) -> WrkResult:
    """The figures of the `@@result` line the script's done() prints (exact counts, microsecond latencies)."""
    line = next((line for line in output.splitlines() if line.startswith(RESULT_PREFIX)), None)
    if line is None:
        raise SystemExit(f"no result line in wrk's output:\n{output}")
    data = json.loads(line[len(RESULT_PREFIX) :])
    return WrkResult(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        p50_ms=data["p50_us"] / 1000,
        p90_ms=data["p90_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        p999_ms=data["p999_us"] / 1000,
        max_ms=data["max_us"] / 1000,
        non_2xx=data["status"],
        socket_errors=data["connect"] + data["read"] + data["write"] + data["timeout"],
        output=output,
    )
