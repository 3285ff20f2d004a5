"""Loyalty pages of the workbench: the counter's redemption page and the analyst's points and liability page.

The 360 page's points block is assembled in web/loyalty_data.py and drawn by loyalty_points_card.html.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from telcocrm.analytics.store import AnalyticsStore
from telcocrm.api_deps import SessionDep
from telcocrm.config import get_settings
from telcocrm.errors import TelcoError
from telcocrm.jobs.rules import load_rules
from telcocrm.kit.money import cny
from telcocrm.loyalty import redemption, rewards, summary
from telcocrm.loyalty.present import redemption_read
from telcocrm.models.enums import RedemptionChannel, RedemptionStatus
from telcocrm.staff.rules import Viewer
from telcocrm.web import loyalty_data
from telcocrm.web.charts import Series, chart_svg
from telcocrm.web.i18n import Translator
from telcocrm.web.router import gate, in_language, language, render

router = APIRouter(include_in_schema=False)

REDEEM = "/web/loyalty/redeem"
RECENT_REDEMPTIONS = 10
CHART_MONTHS = (6, 12, 24, 36)
DEFAULT_CHART_MONTHS = 12
# The headline of a refusal by the field at fault; the service's own words (naming the record) follow it.
ERROR_HEADLINES = {
    "points": "short",
    "stock": "stock",
    "card_number": "card",
    "id": "customer",
    "customer_code": "customer",
    "segments": "eligibility",
    "value_tiers": "eligibility",
    "card_levels": "eligibility",
    "active": "validity",
    "valid_from": "validity",
    "status": "status",
}


@dataclass(frozen=True)
class Refusal:
    """A refused lookup, redemption or cancellation as the page shows it."""

    headline: str  # in the page's language
    detail: str  # the service's reason, in the page's language
    field: str
    status: int


def request_key() -> str:
    """A fresh one-time key for one redeem form: a double click or a resend of that form redeems once."""
    return secrets.token_urlsafe(18)  # 24 characters, within the service's 48


def refusal(exc: TelcoError, t: Translator) -> Refusal:
    """What the page says about a business error: never a stack trace, always the record and the reason."""
    headline = t(f"redeem.error.{ERROR_HEADLINES.get(exc.field or '', 'other')}")
    return Refusal(headline, in_language(exc.message, t.lang), exc.field or "", exc.status)


# --- the counter: look up, redeem, cancel ---------------------------------------------------------------------


def _counter_context(db: Session, query: str, t: Translator) -> dict[str, Any]:
    """The customer the query names, their points, offers and recent redemptions; or why none was found."""
    context: dict[str, Any] = {"q": query, "member": None, "error": None}
    if not query.strip():
        return context
    try:
        member = loyalty_data.find_member(db, query)
    except TelcoError as exc:
        context["error"] = refusal(exc, t)
        return context
    # The lookup followed any merge: the reads below take the survivor's code as it is, one statement per kind of
    # thing (account and lots; segment; cards; catalogue; redemptions), and the offers reuse the points read.
    code = member.customer_code
    points = summary.survivor_points(db=db, customer_code=code, recent=0)
    offers = redemption.survivor_offers(db=db, customer_code=code, spendable=points.spendable)
    done = redemption.survivor_redemptions(db=db, customer_code=code, limit=RECENT_REDEMPTIONS)
    context |= {
        "member": member,
        "points": points,
        "offers": [(offer, request_key()) for offer in offers],
        "redemptions": [redemption_read(redeemed, reward) for redeemed, reward in done],
    }
    return context


def _outcome(db: Session, params: dict[str, str], member: loyalty_data.Member | None) -> dict[str, Any] | None:
    """What the last redeem or cancel did, from the redirect's query: only for the customer on the page."""
    for action in ("done", "cancelled"):
        raw = params.get(action, "")
        if raw.isdigit() and member is not None:
            try:
                found = redemption.get_redemption(db=db, redemption_id=int(raw))
            except TelcoError:
                return None
            if found.customer_code != member.customer_code:
                return None
            shown = redemption_read(found, rewards.reward_by_id(db=db, reward_id=found.reward_id))
            return {"action": action, "redemption": shown, "replayed": params.get("replayed") == "1"}
    return None


@router.get(REDEEM)
def redeem_page(request: Request, db: SessionDep, q: str = "") -> Response:
    """The counter: find a customer by card number or customer code; balance, offers, recent redemptions."""
    t = language(request)
    viewer = gate(request, t, "loyalty:redeem")
    if isinstance(viewer, Response):
        return viewer
    context = _counter_context(db, q, t)
    outcome = _outcome(db, dict(request.query_params), context["member"])
    status = 200 if context["error"] is None else context["error"].status
    return render(request, "loyalty_redeem.html", t, status, nav="redeem", outcome=outcome, **context)


def _back(q: str, **outcome: object) -> RedirectResponse:
    """Back to the counter page for the same lookup, saying what was done (a reload then redeems nothing)."""
    query = urlencode({"q": q} | {name: str(value) for name, value in outcome.items()})
    return RedirectResponse(f"{REDEEM}?{query}", status_code=303)


@router.post(REDEEM)
def redeem_submit(
    request: Request,
    db: SessionDep,
    customer_code: Annotated[str, Form()],
    reward_code: Annotated[str, Form()],
    request_key: Annotated[str, Form()],
    q: Annotated[str, Form()] = "",
    quantity: Annotated[int, Form(ge=1, le=99)] = 1,
    card_number: Annotated[str, Form()] = "",
) -> Response:
    """Redeem one offer; the form's one-time key makes a second click replay the first redemption."""
    t = language(request)
    viewer = gate(request, t, "loyalty:redeem")
    if isinstance(viewer, Response):
        return viewer
    try:
        done = redemption.redeem(
            db=db, viewer=viewer, customer_code=customer_code, reward_code=reward_code, request_key=request_key,
            quantity=quantity, channel=RedemptionChannel.COUNTER, card_number=card_number or None,
        )  # fmt: skip
        db.commit()
    except TelcoError as exc:
        db.rollback()
        return _refused(request, db, t, q or customer_code, exc)
    return _back(q or customer_code, done=done.redemption.id, replayed=int(done.replayed))


@router.post("/web/loyalty/redemptions/{redemption_id}/cancel")
def cancel_submit(
    request: Request,
    db: SessionDep,
    redemption_id: int,
    q: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    """Cancel a redemption: the points and the stock come back; cancelling twice is harmless."""
    t = language(request)
    viewer = gate(request, t, "loyalty:redeem")
    if isinstance(viewer, Response):
        return viewer
    try:
        found = redemption.get_redemption(db=db, redemption_id=redemption_id)
        if found.status is RedemptionStatus.REDEEMED:  # a second click finds it cancelled: show that, not an error
            redemption.cancel_redemption(db=db, viewer=viewer, redemption_id=redemption_id, note=note.strip() or None)
            db.commit()
    except TelcoError as exc:
        db.rollback()
        return _refused(request, db, t, q, exc)
    return _back(q or found.customer_code, cancelled=redemption_id)


def _refused(request: Request, db: Session, t: Translator, q: str, exc: TelcoError) -> Response:
    """The counter page again with the refusal on top, and fresh keys for the next try."""
    context = _counter_context(db, q, t)
    context["error"] = refusal(exc, t)
    return render(request, "loyalty_redeem.html", t, exc.status, nav="redeem", outcome=None, **context)


# --- the analyst: points issued, spent, expired and the liability, by month ---------------------------------------


def _charts(figures: list[loyalty_data.MonthFigures], t: Translator) -> dict[str, Any]:
    """The points chart (bars) and the liability chart (lines, CNY) of the months shown."""
    months = [f.month for f in figures]
    points = chart_svg(
        chart_id="chart-points",
        title=t("analysis.chart_points_title"),
        description=t("analysis.chart_points_desc", first=months[0], last=months[-1]),
        categories=months,
        series=[
            Series(t("analysis.issued"), [f.issued for f in figures]),
            Series(t("analysis.spent"), [f.spent for f in figures]),
            Series(t("analysis.expired"), [f.expired for f in figures]),
        ],
        y_label=t("analysis.points_axis"),
        fmt=lambda value: f"{value:,}",
    )
    liability = chart_svg(
        chart_id="chart-liability",
        title=t("analysis.chart_liability_title"),
        description=t("analysis.chart_liability_desc", first=months[0], last=months[-1]),
        categories=months,
        series=[
            Series(t("analysis.outstanding_fen"), [f.outstanding_fen for f in figures], "line"),
            Series(t("analysis.accrued_fen"), [f.accrued_fen for f in figures], "line"),
        ],
        y_label=t("analysis.cny_axis"),
        fmt=cny,
    )
    return {"points_chart": points, "liability_chart": liability}


@router.get("/web/loyalty/analysis")
def analysis_page(request: Request, db: SessionDep, months: int = DEFAULT_CHART_MONTHS) -> Response:
    """Points issued, spent and expired per month, and the reward liability, as charts and a table."""
    t = language(request)
    viewer = gate(request, t, "loyalty:read")
    if isinstance(viewer, Response):
        return viewer
    return render(request, "loyalty_analysis.html", t, nav="analysis", **_analysis_context(db, viewer, months, t))


def _analysis_context(db: Session, viewer: Viewer, months: int, t: Translator) -> dict[str, Any]:
    shown = months if months in CHART_MONTHS else DEFAULT_CHART_MONTHS
    settings = get_settings()
    unit_cost = load_rules().loyalty.reward_unit_cost_fen
    figures = loyalty_data.ledger_by_month(
        db, zone=settings.zone, unit_cost_fen=unit_cost, now=datetime.now(settings.zone)
    )[-shown:]
    return {
        "figures": figures,
        "months": shown,
        "month_choices": CHART_MONTHS,
        "unit_cost": cny(unit_cost),
        "cny": cny,
        "zone": settings.time_zone,
        "segments": loyalty_data.segment_liability(AnalyticsStore.from_settings()),
        **(_charts(figures, t) if figures else {}),
    }
