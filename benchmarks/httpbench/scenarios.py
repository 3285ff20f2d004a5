"""What is measured: the two endpoints with their goals, and the runs made of each."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from httpbench.wrk import WrkResult
from telcocrm.models.enums import StaffRole

RATE_HELD = 0.99  # a paced run keeps its rate when it completes at least this share of what was offered


@dataclass(frozen=True)
class Endpoint:
    """An endpoint under load and its goal: this many requests per second at this p99."""

    name: str
    path: str  # %s stands for the customer code
    goal_rps: int
    goal_p99_ms: float


TMF_GET = Endpoint("TMF629 GET customer", "/tmf-api/customerManagement/v4/customer/%s", 1000, 20.0)
VIEW_360 = Endpoint("360 view", "/api/customers/%s/view", 500, 50.0)
ENDPOINTS = (TMF_GET, VIEW_360)


class Kind(StrEnum):
    """Flat out (throughput), paced at the goal (latency), paced at twice the goal (errors)."""

    MAX = "max"
    GOAL = "goal rate"
    DOUBLE = "2× goal rate"


@dataclass(frozen=True)
class Scenario:
    """One wrk run: an endpoint, the role of the token, and how hard to push."""

    endpoint: Endpoint
    role: StaffRole
    kind: Kind

    @property
    def rate(self) -> int | None:
        """Requests per second to offer; None for flat out."""
        if self.kind is Kind.MAX:
            return None
        return self.endpoint.goal_rps * (2 if self.kind is Kind.DOUBLE else 1)

    @property
    def goal(self) -> str:
        """The goal this run checks, in words."""
        goal = self.endpoint
        if self.kind is Kind.MAX:
            return f"≥ {goal.goal_rps:,} req/s"
        if self.kind is Kind.GOAL:
            return f"{goal.goal_rps:,} req/s at p99 ≤ {goal.goal_p99_ms:g} ms"
        return f"{2 * goal.goal_rps:,} req/s offered, no errors"

    def verdict(self, result: WrkResult) -> str:
        """met / not met, with the reason when not met."""
        if self.kind is Kind.MAX:
            return _verdict(result, rps_wanted=self.endpoint.goal_rps)
        assert self.rate is not None
        p99_wanted = self.endpoint.goal_p99_ms if self.kind is Kind.GOAL else None
        return _verdict(result, rps_wanted=RATE_HELD * self.rate, p99_wanted=p99_wanted)


def _verdict(result: WrkResult, *, rps_wanted: float, p99_wanted: float | None = None) -> str:
    misses = []
    if result.errors:
        misses.append(f"{result.errors:,} errors")
    if result.rps < rps_wanted:
        misses.append("rate not reached")
    if p99_wanted is not None and result.p99_ms > p99_wanted:
        misses.append("p99 too high")
    return "met" if not misses else f"not met ({', '.join(misses)})"


def plan(admin: bool) -> list[Scenario]:
    """Every run, endpoint by endpoint: the masked role first; the audited administrator after, when asked."""
    runs = []
    for endpoint in ENDPOINTS:
        runs += [Scenario(endpoint, StaffRole.STORE_CLERK, kind) for kind in Kind]
        if admin:
            runs += [Scenario(endpoint, StaffRole.ADMINISTRATOR, kind) for kind in (Kind.MAX, Kind.GOAL)]
    return runs
