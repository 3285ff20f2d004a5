"""The analyst's and the branch's churn pages: the month's warning list (filters, pages, CSV and Excel exports) and
the churn reports (churn rate, revenue retention, the model's predicted against actual churn, the published model
beside the rules). Numbers come from churn/reports.py, churn/reports_data.py and churn/exports.py."""

from __future__ import annotations

from typing import Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from telcocrm.analytics.store import AnalyticsStore
from telcocrm.churn import exports, reports, reports_data
from telcocrm.churn.cost_cap import load_retention_rules
from telcocrm.churn.measures import RetentionMeasure
from telcocrm.churn.monthly_config import SIGNALS, load_model_settings
from telcocrm.churn.scoring import published_model_path
from telcocrm.config import get_settings
from telcocrm.kit.money import cny
from telcocrm.web.charts import Series, chart_svg
from telcocrm.web.i18n import Translator
from telcocrm.web.router import gate, in_language, language, render

router = APIRouter(include_in_schema=False)

WARNINGS = "/web/churn/warnings"
REPORTS = "/web/churn/reports"
REASON_SEPARATOR = " | "
EXPORT_COLUMNS = ("month", "city", "customer_code", "subscriber_id", "product", "brand", "value_tier",
                  "lifecycle_stage", "churn_probability", "risk_decile", "warning_score", "warned_by", "signal",
                  "model_reasons", "rule_reasons", "arpu_fen", "risk_value_fen", "cost_cap_fen", "measure_code",
                  "measure_name", "measure_cost_fen", "offer_reason")  # fmt: skip
MONEY = tuple(i for i, name in enumerate(EXPORT_COLUMNS) if name.endswith("_fen"))


def percent(share: float | None, digits: int = 1) -> str:
    """A share as a percent with the given decimals; "—" when there is none."""
    return "—" if share is None else f"{share * 100:.{digits}f}%"


def reasons_in(text: str | None, lang: str) -> list[str]:
    """The " | "-joined bilingual reasons of the run, each in the page's language."""
    return [in_language(part, lang) for part in (text or "").split(REASON_SEPARATOR) if part.strip()]


def _month(asked: str, months: list[str]) -> str:
    """The month asked for when the store has it; the newest when none was asked; "" for a month not there."""
    if asked:
        return asked if asked in months else ""
    return months[-1] if months else ""


# --- the warning list -------------------------------------------------------------------------------------------


def _measure_name(measures: dict[str, RetentionMeasure], code: str | None, lang: str) -> str:
    measure = measures.get(code or "")
    if measure is None:
        return code or ""
    return measure.name_en if lang == "en" else measure.name_zh


def _warned_by(raw: str | None, t: Translator) -> str:
    return t("common.list_sep").join(t(f"churn_reports.warned_by.{part}") for part in (raw or "").split(",") if part)


def _shown(row: dict[str, Any], t: Translator, measures: dict[str, RetentionMeasure]) -> dict[str, Any]:
    """One warning list row as the page shows it."""
    probability = row["churn_probability"]
    return row | {
        "probability": percent(probability) if probability is not None else "—",
        "model_reasons": reasons_in(row["model_reasons"], t.lang),
        "rule_reasons": reasons_in(row["rule_reasons"], t.lang),
        "offer_reason": in_language(row["offer_reason"], t.lang),
        "measure_name": _measure_name(measures, row["measure_code"], t.lang),
        "warned_by_label": _warned_by(row["warned_by"], t),
    }


def _export_cells(row: dict[str, Any], t: Translator, measures: dict[str, RetentionMeasure]) -> list[exports.Cell]:
    """One row of an export: labels in the page's language, money in yuan, probability as a fraction."""
    labelled = {
        "product": t.enum("product", row["product"]),
        "value_tier": t.enum("value_tier", row["value_tier"]),
        "lifecycle_stage": t.enum("lifecycle_stage", row["lifecycle_stage"]),
        "signal": t(f"churn.signal.{row['signal']}") if row["signal"] else "",
        "warned_by": _warned_by(row["warned_by"], t),
        "model_reasons": "; ".join(reasons_in(row["model_reasons"], t.lang)),
        "rule_reasons": "; ".join(reasons_in(row["rule_reasons"], t.lang)),
        "measure_name": _measure_name(measures, row["measure_code"], t.lang),
        "offer_reason": in_language(row["offer_reason"], t.lang),
        "churn_probability": None if row["churn_probability"] is None else round(row["churn_probability"], 4),
    }
    cells: list[exports.Cell] = []
    for name in EXPORT_COLUMNS:
        value = labelled[name] if name in labelled else row.get(name)
        cells.append(value / 100 if name.endswith("_fen") and isinstance(value, int) else value)
    return cells


def _export(store: AnalyticsStore, month: str, wanted: exports.WarningFilter, kind: str, t: Translator) -> Response:
    """The whole filtered list as a CSV or Excel download, streamed."""
    measures = {m.code: m for m in load_retention_rules().measures}
    headers = [t(f"churn_reports.column.{name}") for name in EXPORT_COLUMNS]
    rows = (_export_cells(row, t, measures) for row in exports.warning_rows(store, month, wanted))
    name = f"churn-warnings-{month or 'none'}"
    if kind == "xlsx":
        body = exports.stream_xlsx(headers, rows, sheet=month or "warnings", money_columns=MONEY)
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        money = ((f"{c:.2f}" if i in MONEY and isinstance(c, float) else c for i, c in enumerate(r)) for r in rows)
        body, media, kind = exports.stream_csv(headers, (list(r) for r in money)), "text/csv; charset=utf-8", "csv"
    disposition = {"Content-Disposition": f'attachment; filename="{name}.{kind}"'}
    return StreamingResponse(body, media_type=media, headers=disposition)


def _warnings_context(
    store: AnalyticsStore, months: list[str], chosen: str, wanted: exports.WarningFilter, page: str, t: Translator
) -> dict[str, Any]:
    """One page of the chosen month's filtered list, the filter menus and the links' query."""
    size = reports.load_report_settings().warning_page_size
    number = int(page) if page.isdigit() and int(page) > 0 else 1
    found = exports.warning_page(store, chosen, wanted, offset=(number - 1) * size, limit=size)
    measures = {m.code: m for m in load_retention_rules().measures}
    return {
        "months": months, "month": chosen, "wanted": wanted, "cny": cny, "page": number, "total": found.total,
        "rows": [_shown(row, t, measures) for row in found.rows], "pages": max(1, -(-found.total // size)),
        "choices": exports.warning_choices(store, chosen),
        "tiers": reports.VALUE_TIER_ORDER, "signals": SIGNALS, "warned_by_choices": exports.WARNED_BY,
        "query": urlencode({"month": chosen, **wanted.query_items()}),
    }  # fmt: skip


@router.get(WARNINGS)
def warnings_page(
    request: Request,
    month: str = "",
    city: str = "",
    value_tier: str = "",
    lifecycle_stage: str = "",
    signal: str = "",
    warned_by: str = "",
    page: str = "1",
    format: str = "",
) -> Response:
    """The month's warning list for a branch: filters, risk × value order, pages of 50, CSV and Excel."""
    t = language(request)
    viewer = gate(request, t, "churn:read")
    if isinstance(viewer, Response):
        return viewer
    store = AnalyticsStore.from_settings()
    months = [m for m in store.months("results") if reports.present(store, m, exports.WARNING_LIST)]
    chosen = _month(month, months)
    wanted = exports.WarningFilter(city, value_tier, lifecycle_stage, signal, warned_by)
    if format in ("csv", "xlsx"):
        return _export(store, chosen, wanted, format, t)
    context = _warnings_context(store, months, chosen, wanted, page, t) | {"asked_month": month}
    return render(request, "churn_warnings.html", t, nav="churn_warnings", **context)


# --- the reports -------------------------------------------------------------------------------------------------


def _rate_bp(share: float | None) -> int:
    """A share in basis points (1/10,000), the integers the charts draw."""
    return round((share or 0.0) * 10_000)


def _bp(value: int) -> str:
    return f"{value / 100:.1f}%"


def _chart(key: str, chart_id: str, months: list[str], series: dict[str, list[float | None]], t: Translator) -> Any:
    """One chart of shares over months, drawn as lines (several series) or bars (one)."""
    kind: Literal["bar", "line"] = "line" if len(series) > 1 or key == "retention" else "bar"
    return chart_svg(
        chart_id=chart_id,
        title=t(f"churn_reports.chart.{key}_title"),
        description=t(f"churn_reports.chart.{key}_desc", first=months[0], last=months[-1]),
        categories=months,
        series=[
            Series(t(f"churn_reports.chart.{name}"), [_rate_bp(v) for v in values], kind)
            for name, values in series.items()
        ],
        y_label=t("churn_reports.chart.percent_axis"),
        fmt=_bp,
    )


def _charts(
    rates: list[reports.ChurnRate],
    retention: list[reports.RevenueRetention],
    quality: list[reports_data.MonthQuality],
    t: Translator,
) -> dict[str, Any]:
    """Churn rate, revenue retention and predicted against actual churn, each over the months it has."""
    charts: dict[str, Any] = {}
    if rates:
        charts["rates_chart"] = _chart("rates", "chart-churn-rate", [r.key for r in rates],
                                       {"rate": [r.rate for r in rates]}, t)  # fmt: skip
    if retention:
        charts["retention_chart"] = _chart("retention", "chart-revenue-retention", [r.month for r in retention],
                                           {"retention": [r.rate for r in retention]}, t)  # fmt: skip
    if quality:
        shares: dict[str, list[float | None]] = {"predicted": [q.mean_probability for q in quality],
                                                 "actual": [q.actual_rate for q in quality]}  # fmt: skip
        charts["quality_chart"] = _chart("quality", "chart-model-quality", [q.month for q in quality], shares, t)
    return charts


@router.get(REPORTS)
def reports_page(request: Request, month: str = "") -> Response:
    """Churn rate by month and by branch, brand, segment and tenure; revenue retention; the model's quality."""
    t = language(request)
    viewer = gate(request, t, "churn:read")
    if isinstance(viewer, Response):
        return viewer
    store = AnalyticsStore.from_settings()
    settings = reports.load_report_settings()
    horizon = load_model_settings().training.horizon_months
    rates = reports.churn_rate_by_month(store)
    chosen = _month(month, [r.key for r in rates])
    context: dict[str, Any] = {
        "months": [r.key for r in rates], "month": chosen, "asked_month": month, "horizon": horizon,
        "rates": rates[-settings.chart_months:],
        "retention": reports.revenue_retention_by_month(store)[-settings.chart_months:],
        "quality": reports_data.model_quality_by_month(store, horizon)[-settings.chart_months:],
        "breakdowns": reports.churn_breakdowns(store, chosen, settings) if chosen else {},
        "bands": {band.code: band.label(t.lang) for band in settings.tenure_bands},
        "published": reports_data.published_quality(published_model_path(get_settings().data_dir)),
        "percent": percent, "cny": cny,
    }  # fmt: skip
    context["kept"] = {row.month: row for row in context["retention"]}
    context |= _charts(context["rates"], context["retention"], context["quality"], t)
    return render(request, "churn_reports.html", t, nav="churn_reports", **context)
