"""Churn pages of the workbench: the save at the leaving point (DS002) and the win-back list after leaving (DS003)."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from telcocrm.api_deps import SessionDep
from telcocrm.churn import records, save_offers
from telcocrm.churn.records_repository import WinBackFilter, WinBackRow, attempts_of_line
from telcocrm.churn.records_rules import load_records_rules
from telcocrm.churn.records_schemas import SaveAttemptCreate
from telcocrm.churn.router import service_number_shown
from telcocrm.errors import InvalidInput, TelcoError
from telcocrm.kit.money import cny
from telcocrm.kit.months import parse_month
from telcocrm.models.enums import ChurnDestination, ChurnReason, SaveFlow, SaveOutcome
from telcocrm.staff import audit
from telcocrm.staff.rules import Viewer
from telcocrm.web.i18n import Translator
from telcocrm.web.router import gate, in_language, language, render

router = APIRouter(include_in_schema=False)

SAVE = "/web/churn/save"
WIN_BACK = "/web/churn/win-back"
WIN_BACK_PAGE = 50
CSV_COLUMNS = ("month_left", "subscriber_code", "customer_code", "customer_name", "service_number", "product",
               "value_tier", "arpu_cny", "reason", "controllability", "destination", "competitor")  # fmt: skip


def _choice(enum: type[ChurnReason] | type[ChurnDestination], raw: str, field: str) -> Any:
    """An enum value from a form or query, or None when empty; a wrong code is refused naming the field."""
    if not raw:
        return None
    try:
        return enum(raw)
    except ValueError:
        raise InvalidInput(f"{field} 取值无效: {raw} / invalid {field}: {raw}", field=field) from None


# --- DS002: save at the leaving point --------------------------------------------------------------------------


def _save_context(db: Session, viewer: Viewer, q: str, reason_code: str, t: Translator) -> dict[str, Any]:
    """The line the clerk typed, its customer, value, stage, cap and offers; or why none was found."""
    context: dict[str, Any] = {"q": q, "reason": reason_code, "found": None, "error": None, "number": None,
                               "reasons": list(ChurnReason), "outcomes": list(SaveOutcome), "attempts": []}  # fmt: skip
    if not q.strip():
        return context
    try:
        reason = _choice(ChurnReason, reason_code, "reason")
        line, customer = save_offers.find_line(db, q)
        found = save_offers.counter(db, line, customer, reason, rules=load_records_rules())
    except TelcoError as exc:
        context["error"] = {"detail": in_language(exc.message, t.lang), "status": exc.status}
        return context
    seen: set[str] = set()
    context |= {
        "found": found,
        "number": service_number_shown(viewer, line.product.value, line.service_number, seen),
        "attempts": attempts_of_line(db, line.subscriber_code, limit=10),
    }
    audit.record_unmasked_view(db=db, viewer=viewer, resource_type="subscriber", resource_id=line.subscriber_code,
                               seen=seen)  # fmt: skip
    db.commit()
    return context


@router.get(SAVE)
def save_page(request: Request, db: SessionDep, q: str = "", reason: str = "", done: str = "") -> Response:
    """The counter: find the line by service number, ask the reason, show the offers within the cap."""
    t = language(request)
    viewer = gate(request, t, "churn:save")
    if isinstance(viewer, Response):
        return viewer
    context = _save_context(db, viewer, q, reason, t)
    status = context["error"]["status"] if context["error"] else 200
    return render(request, "churn_save.html", t, status, nav="churn_save", cny=cny, done=done, **context)


@router.post(SAVE)
def save_submit(
    request: Request,
    db: SessionDep,
    subscriber_code: Annotated[str, Form()],
    outcome: Annotated[str, Form()],
    q: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    measure_code: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    """Record the attempt: reason, offer chosen (refused above the cap), outcome; then back to the line."""
    t = language(request)
    viewer = gate(request, t, "churn:save")
    if isinstance(viewer, Response):
        return viewer
    try:
        data = SaveAttemptCreate(
            subscriber_code=subscriber_code, flow=SaveFlow.LEAVING_POINT, reason=_choice(ChurnReason, reason, "reason"),
            measure_code=measure_code or None, outcome=SaveOutcome(outcome), note=note.strip() or None,
        )  # fmt: skip
        done = records.record_save_attempt(db=db, viewer=viewer, data=data)
        db.commit()
    except (TelcoError, ValueError) as exc:
        db.rollback()
        context = _save_context(db, viewer, q, reason, t)
        message = exc.message if isinstance(exc, TelcoError) else str(exc)
        status = exc.status if isinstance(exc, TelcoError) else 400
        context["error"] = {"detail": in_language(message, t.lang), "status": status}
        return render(request, "churn_save.html", t, status, nav="churn_save", cny=cny, done="", **context)
    query = urlencode({"q": q, "reason": reason, "done": done.attempt.id})
    return RedirectResponse(f"{SAVE}?{query}", status_code=303)


# --- DS003: win-back after leaving -----------------------------------------------------------------------------


def _win_back_filter(month: str, value_tier: str, reason: str, destination: str) -> WinBackFilter:
    as_of = month or records.local_month()
    parse_month(as_of)
    return WinBackFilter(
        as_of_month=as_of, value_tier=value_tier if value_tier in ("high", "mid", "low") else None,
        reason=_choice(ChurnReason, reason, "reason"),
        destination=_choice(ChurnDestination, destination, "destination"),
    )  # fmt: skip


def _csv(rows: list[WinBackRow], numbers: list[str | None], as_of: str) -> Response:
    """The win-back list as CSV (UTF-8 with BOM, so spreadsheet programs read the Chinese names)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row, number in zip(rows, numbers, strict=True):
        r = row.record
        arpu = cny(r.arpu_fen) if r.arpu_fen is not None else ""
        writer.writerow([r.month_left, r.subscriber_code, r.customer_code, row.customer_name or "", number or "",
                         r.product or "", r.value_tier or "", arpu, _code(r.reason), _code(r.controllability),
                         r.destination.value, r.competitor or ""])  # fmt: skip
    headers = {"Content-Disposition": f'attachment; filename="win-back-{as_of}.csv"'}
    return Response("\ufeff" + out.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)


def _code(value: Any) -> str:
    return "" if value is None else str(getattr(value, "value", value))


@router.get(WIN_BACK)
def win_back_page(
    request: Request,
    db: SessionDep,
    month: str = "",
    value_tier: str = "",
    reason: str = "",
    destination: str = "",
    page: int = 1,
    format: str = "",
) -> Response:
    """Lines worth winning back, most valuable first, with filters; `format=csv` exports the whole list."""
    t = language(request)
    viewer = gate(request, t, "churn:read")
    if isinstance(viewer, Response):
        return viewer
    try:
        wanted = _win_back_filter(month, value_tier, reason, destination)
    except TelcoError as exc:
        return render(request, "error.html", t, exc.status, title=t("churn.winback.title"),
                      message=in_language(exc.message, t.lang))  # fmt: skip
    export = format == "csv"
    page = max(page, 1)
    offset, limit = (0, None) if export else ((page - 1) * WIN_BACK_PAGE, WIN_BACK_PAGE)
    rows, total = records.win_back_list(db=db, wanted=wanted, offset=offset, limit=limit)
    seen: set[str] = set()
    numbers = [service_number_shown(viewer, row.record.product, row.service_number, seen) for row in rows]
    audit.record_unmasked_view(db=db, viewer=viewer, resource_type="win_back", resource_id=wanted.as_of_month,
                               seen=seen)  # fmt: skip
    db.commit()
    if export:
        return _csv(rows, numbers, wanted.as_of_month)
    filters = {"month": wanted.as_of_month, "value_tier": value_tier, "reason": reason, "destination": destination}
    return render(
        request, "churn_winback.html", t, nav="churn_winback", rows=list(zip(rows, numbers, strict=True)),
        total=total, page=page, pages=max(1, -(-total // WIN_BACK_PAGE)), filters=filters,
        query=urlencode(filters), rule=load_records_rules().win_back, reasons=list(ChurnReason),
        destinations=list(ChurnDestination), outcomes=list(SaveOutcome), cny=cny, done=request.query_params.get("done"),
    )  # fmt: skip


@router.post(f"{WIN_BACK}/attempts")
def win_back_submit(
    request: Request,
    db: SessionDep,
    subscriber_code: Annotated[str, Form()],
    outcome: Annotated[str, Form()],
    back: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    """Record a win-back call's outcome (DS003); a line won back leaves the list."""
    t = language(request)
    viewer = gate(request, t, "churn:save")
    if isinstance(viewer, Response):
        return viewer
    try:
        data = SaveAttemptCreate(subscriber_code=subscriber_code, flow=SaveFlow.WIN_BACK, outcome=SaveOutcome(outcome),
                                 note=note.strip() or None)  # fmt: skip
        done = records.record_save_attempt(db=db, viewer=viewer, data=data)
        db.commit()
    except (TelcoError, ValueError) as exc:
        db.rollback()
        message = exc.message if isinstance(exc, TelcoError) else str(exc)
        return render(request, "error.html", t, getattr(exc, "status", 400), title=t("churn.winback.title"),
                      message=in_language(message, t.lang))  # fmt: skip
    query = back if back.startswith("month=") else ""
    return RedirectResponse(f"{WIN_BACK}?{query}&done={done.attempt.id}", status_code=303)
