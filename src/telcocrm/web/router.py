"""The staff web workbench: login, customer search and the 360 view, rendered on the server with Jinja2."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy.orm import Session
from stdnum.cn import uscc
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidLength

from telcocrm.api_deps import SessionDep
from telcocrm.customers import present, repository
from telcocrm.customers.rules import validate_certificate
from telcocrm.customers.tmf_mapping import shown_and_audited
from telcocrm.errors import InvalidInput, Locked, NotFound, TelcoError
from telcocrm.models.enums import CertificateType, CustomerKind, StaffRole
from telcocrm.staff import service
from telcocrm.staff.rules import PII_KINDS, Viewer, viewer_for
from telcocrm.web import loyalty_data
from telcocrm.web.i18n import LANGUAGES, Translator, translator

router = APIRouter(include_in_schema=False)

STATIC_DIR = Path(__file__).with_name("static").resolve()
HOME = "/web/customers"
LOGIN = "/web/login"
PAGE_SIZE = 20
RESIDENT_ID_SHAPE = re.compile(r"^[0-9]{17}[0-9Xx]$")

_env = Environment(
    loader=PackageLoader("telcocrm.web", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _day(value: str | None) -> str:
    """The date part of an ISO 8601 timestamp."""
    return value[:10] if value else ""


def _minute(value: str | None) -> str:
    """An ISO 8601 timestamp as `YYYY-MM-DD HH:MM` (already in the operator's zone)."""
    return value[:16].replace("T", " ") if value else ""


def in_language(text: str | None, lang: str) -> str:
    """One language of a "中文 / English" business text (rule reasons): Chinese first, English on request."""
    if not text:
        return ""
    chinese, separator, english = text.partition(" / ")
    if not separator:
        return text
    return english if lang == "en" else chinese


_env.filters["day"] = _day
_env.filters["minute"] = _minute
_env.filters["in_language"] = in_language


# --- request helpers -------------------------------------------------------------------------------------------


def language(request: Request) -> Translator:
    """The page language: `?lang=` (remembered in the session), else the session's, else Chinese."""
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        request.session["lang"] = asked
    return translator(request.session.get("lang"))


def staff_viewer(request: Request) -> Viewer | None:
    """The logged-in staff member of the session, or None."""
    user = request.session.get("staff")
    if not isinstance(user, dict):
        return None
    try:
        return viewer_for(str(user["username"]), StaffRole(user["role"]))
    except (KeyError, ValueError):
        return None


def safe_next(target: str | None) -> str:
    """Where to go after login: only a local workbench path, never another site."""
    if target and target.startswith("/web/") and not target.startswith("//") and "\\" not in target:
        return target
    return HOME


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _login_redirect(request: Request) -> RedirectResponse:
    """Send an anonymous visitor to the login form, coming back here afterwards."""
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return _redirect(f"{LOGIN}?next={quote(here, safe='')}")


def _lang_switch_url(request: Request, t: Translator) -> str:
    """The current page in the other language."""
    url = request.url.include_query_params(lang=t.other)
    return f"{url.path}?{url.query}"


def render(request: Request, template: str, t: Translator, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render a page with the labels, the viewer and the language switch available to every template."""
    html = _env.get_template(template).render(
        t=t, viewer=staff_viewer(request), lang_url=_lang_switch_url(request, t), **context
    )
    return HTMLResponse(html, status_code=status_code)


def gate(request: Request, t: Translator, permission: str) -> Viewer | Response:
    """The viewer if logged in and allowed; else the redirect to login or the 403 page to answer with."""
    viewer = staff_viewer(request)
    if viewer is None:
        return _login_redirect(request)
    if not viewer.may(permission):
        return render(
            request,
            "error.html",
            t,
            403,
            title=t("error.forbidden_title"),
            message=t("error.forbidden_text", role=t.enum("role", viewer.role), permission=permission),
        )
    return viewer


# --- login and logout ------------------------------------------------------------------------------------------


@router.get("/")
def home(request: Request) -> RedirectResponse:
    """The workbench for a logged-in user, else the login form."""
    return _redirect(HOME if staff_viewer(request) else LOGIN)


@router.get("/web/login")
def login_form(request: Request, next: str | None = None) -> Response:
    """The login form (a logged-in user goes straight on)."""
    t = language(request)
    if staff_viewer(request):
        return _redirect(safe_next(next))
    return render(request, "login.html", t, next=safe_next(next), username="", error=None)


@router.post("/web/login")
def login_submit(
    request: Request,
    db: SessionDep,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = HOME,
) -> Response:
    """Check the credentials; on success remember the staff member in the session cookie."""
    t = language(request)
    try:
        user = service.login(db=db, username=username.strip(), password=password)
    except TelcoError as exc:
        db.commit()  # the failure count (and a lock-out) must stick
        error = t("login.error_locked") if isinstance(exc, Locked) else t("login.error_wrong")
        return render(request, "login.html", t, exc.status, next=safe_next(next), username=username, error=error)
    db.commit()
    request.session["staff"] = {"username": user.username, "role": user.role.value}
    return _redirect(safe_next(next))


@router.api_route("/web/logout", methods=["GET", "POST"])
def logout(request: Request) -> RedirectResponse:
    """Forget the staff member (the language choice stays)."""
    request.session.pop("staff", None)
    return _redirect(LOGIN)


# --- customer search -------------------------------------------------------------------------------------------


def _page_offset(raw: str | None) -> int:
    """A non-negative offset from the query string; anything odd is the first page."""
    return int(raw) if raw and raw.isdigit() else 0


def id_refusal(query: str, t: Translator) -> str | None:
    """Why a number that looks like an 18-character resident ID is refused before any lookup, or None."""
    number = query.strip().upper()
    if not RESIDENT_ID_SHAPE.match(number) or _is_unified_social_credit_code(number):
        return None
    try:
        validate_certificate(CustomerKind.PERSON, CertificateType.RESIDENT_ID, number)
    except InvalidInput as exc:
        return t("search.id_refused", reason=t(f"search.id_reason.{_id_reason_key(exc)}"))
    return None


def _is_unified_social_credit_code(number: str) -> bool:
    """Whether an all-digit 18-character number is an organisation's code (both of its check characters hold)."""
    if not uscc.is_valid(number):
        return False
    try:
        validate_certificate(CustomerKind.ORGANISATION, CertificateType.ORGANISATION_CODE, number[8:17])
    except InvalidInput:
        return False
    return True


def _id_reason_key(exc: InvalidInput) -> str:
    """The message key of what is wrong with a resident ID, from the validator's underlying error."""
    cause = exc.__cause__
    if cause is None:
        return "future"
    for kind, key in ((InvalidChecksum, "checksum"), (InvalidLength, "length"), (InvalidComponent, "component")):
        if isinstance(cause, kind):
            return key
    return "other"


def _search_context(db: Session, query: str, offset: int, t: Translator) -> dict[str, Any]:
    """What the search page shows for a query: a refusal, or a page of customers."""
    context: dict[str, Any] = {"q": query, "offset": offset, "limit": PAGE_SIZE, "refusal": None, "result": None}
    if not query.strip():
        return context
    context["refusal"] = id_refusal(query, t)
    if context["refusal"]:
        return context
    result = repository.search(db, query, offset=offset, limit=PAGE_SIZE)
    context["result"] = result
    typed = query.strip()
    if result.matched_by == "code" and result.customers and result.customers[0].code != typed:
        context["merged_note"] = t("search.merged_code", old=typed, new=result.customers[0].code)
    return context


@router.get("/web/customers")
def customers_page(request: Request, db: SessionDep, q: str = "", offset: str | None = None) -> Response:
    """Search customers by code, certificate number, service number or name prefix."""
    t = language(request)
    viewer = gate(request, t, "customer:read")
    if isinstance(viewer, Response):
        return viewer
    context = _search_context(db, q, _page_offset(offset), t)
    return render(request, "customers.html", t, nav="customers", **context)


# --- the 360 view ----------------------------------------------------------------------------------------------


def history_details(entry: dict[str, Any], t: Translator) -> list[str]:
    """A readable summary of one history entry, without personal data (profile values are never shown)."""
    before, after = entry.get("before") or {}, entry.get("after") or {}
    lines: list[str] = []
    if before.get("name") and after.get("name") and before["name"] != after["name"]:
        lines.append(t("history.name", before=before["name"], after=after["name"]))
    if before.get("status") and after.get("status") and before["status"] != after["status"]:
        old, new = t.enum("customer_status", before["status"]), t.enum("customer_status", after["status"])
        lines.append(t("history.status", before=old, after=new))
    for key, message in (
        ("merged_code", "history.merged_code"),
        ("new_customer", "history.new_customer"),
        ("from", "history.split_from"),
    ):
        if after.get(key):
            lines.append(t(message, code=after[key]))
    if entry.get("action") == "merged_away" and after.get("merged_into_code"):
        lines.append(t("history.merged_into", code=after["merged_into_code"]))
    return lines + _change_details(after.get("changes") or {}, t)


def _change_details(changes: dict[str, Any], t: Translator) -> list[str]:
    """Names of what a change touched: password, a new certificate, profile fields."""
    lines: list[str] = []
    if changes.get("password"):
        lines.append(t("history.password"))
    if changes.get("certificate"):
        lines.append(t("history.certificate", type=t.enum("certificate_type", changes["certificate"])))
    profile = changes.get("profile")
    if isinstance(profile, dict) and profile:
        lines.append(t("history.fields", fields=t("common.list_sep").join(t(f"field.{k}") for k in profile)))
    return lines


def _view_context(db: Session, viewer: Viewer, code: str, t: Translator) -> dict[str, Any]:
    """The 360 view as this viewer may see it; unmasked personal data is audited and committed."""
    customer = repository.get_by_code(db, code)
    view = repository.load_view(db, customer)
    body = shown_and_audited(db, viewer, [customer.code], lambda seen: present.view_360(viewer, view, seen))
    for entry in body["history"]:
        entry["details"] = history_details(entry, t)
    return {
        "view": body,
        "merged_note": t("customer.merged_note", old=code, new=customer.code) if customer.code != code else None,
        "masked": not all(viewer.sees(kind) for kind in PII_KINDS),
    }


@router.get("/web/customers/{code}")
def customer_page(request: Request, db: SessionDep, code: str) -> Response:
    """The 360 view of one customer; a merged-away code shows its survivor with a note."""
    t = language(request)
    viewer = gate(request, t, "customer:read")
    if isinstance(viewer, Response):
        return viewer
    try:
        context = _view_context(db, viewer, code, t)
    except NotFound:
        message = t("error.not_found_text", code=code)
        return render(request, "error.html", t, 404, nav="customers", title=t("error.not_found_title"), message=message)
    context["loyalty"] = loyalty_data.points_card(db, viewer, context["view"]["core"]["code"])
    return render(request, "customer.html", t, nav="customers", **context)


# --- static files ----------------------------------------------------------------------------------------------


@router.get("/web/static/{path:path}")
def static_file(path: str) -> Response:
    """A stylesheet or image of the workbench; nothing outside the static folder is ever served."""
    target = (STATIC_DIR / path).resolve()
    if not target.is_relative_to(STATIC_DIR) or not target.is_file():
        return Response(status_code=404)
    return FileResponse(target, headers={"Cache-Control": "public, max-age=3600"})
