"""The warning list and churn report pages through HTTP (no browser): who may see them, filters and pages in the
list's risk × value order, the CSV and Excel exports, the charts and tables of the reports, empty states."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from typing import Any
from xml.etree import ElementTree

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from telcocrm.analytics import schemas
from telcocrm.analytics.store import AnalyticsStore
from telcocrm.churn.scoring import published_model_path
from telcocrm.config import get_settings
from telcocrm.kit.money import cny
from telcocrm.models.enums import StaffRole
from tests.conftest import Login

WARNINGS, REPORTS = "/web/churn/warnings", "/web/churn/reports"
MONTH = "2026-10"
SHEET_NS = {"x": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


def write(store: AnalyticsStore, month: str, name: str, schema: pa.Schema, rows: list[dict[str, Any]]) -> None:
    path = store.result_path(month, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    full = [{field.name: row.get(field.name) for field in schema} | {"month": month} for row in rows]
    pq.write_table(pa.Table.from_pylist(full, schema=schema), path)


def warned(n: int) -> dict[str, Any]:
    """Warned customer n: Hangzhou for even n, Ningbo for odd; a third each high, mid, low; risk value 1000 × n."""
    return {
        "customer_code": f"C{n:04d}", "subscriber_id": f"S{n:04d}", "city": "杭州" if n % 2 == 0 else "宁波",
        "product": "mobile", "brand": "天翼", "value_tier": ("high", "mid", "low")[n % 3], "lifecycle_stage": "warning",
        "signal": "arpu_drop" if n % 4 else "complaint", "warned_by": ("rules", "model", "rules,model")[n % 3],
        "warning_score": 40, "churn_probability": n / 100, "risk_decile": 1 + n // 10, "arpu_fen": 10_000,
        "risk_value_fen": 1000 * n, "cost_cap_fen": 5_000, "measure_code": "PM002", "measure_cost_fen": 1_234,
        "model_reasons": "ARPU下降40% / ARPU fell 40%", "rule_reasons": "近3个月投诉2次 / 2 complaints in 3 months",
        "offer_reason": "规范政策及执行：应对 / answers",
    }  # fmt: skip


@pytest.fixture
def warning_list(store: AnalyticsStore) -> list[dict[str, Any]]:
    rows = [warned(n) for n in range(1, 91)]  # written out of order: the page sorts by risk × value
    write(store, MONTH, "warning_list", schemas.WARNING_LIST, rows)
    write(store, "2026-09", "warning_list", schemas.WARNING_LIST, rows[:3])
    return rows


def customers_shown(html: str) -> list[str]:
    return re.findall(r'<tr data-customer="([^"]+)">', html)


def test_only_staff_who_read_churn_see_the_pages_and_their_menu(client: TestClient, login: Login) -> None:
    login(StaffRole.STORE_CLERK)
    for page in (WARNINGS, REPORTS, f"{WARNINGS}?format=csv", f"{WARNINGS}?format=xlsx"):
        refused = client.get(page)
        assert refused.status_code == 403 and "churn:read" in refused.text
    assert f'href="{WARNINGS}"' not in client.get("/web/customers").text
    client.post("/web/logout")
    login(StaffRole.ANALYST)
    menu = client.get("/web/customers").text
    assert f'href="{WARNINGS}"' in menu and f'href="{REPORTS}"' in menu and "流失预警名单" in menu


def test_the_list_is_riskiest_times_most_valuable_first_in_pages_of_fifty(
    client: TestClient, login: Login, warning_list: list[dict[str, Any]]
) -> None:
    login(StaffRole.ANALYST)
    page = client.get(WARNINGS)
    assert page.status_code == 200 and f'<option value="{MONTH}" selected>' in page.text  # the newest month
    assert re.search(r'data-testid="warnings-total">90<', page.text)
    assert customers_shown(page.text) == [f"C{n:04d}" for n in range(90, 40, -1)]
    row = page.text[page.text.index('<tr data-customer="C0090">') :].split("</tr>")[0]
    assert 'href="/web/customers/C0090"' in row and "S0090" in row and "90.0%" in row and "ARPU下降40%" in row
    assert "近3个月投诉2次" in row and cny(5_000) in row and "PM002" in row and "规范政策及执行" in row
    assert cny(1_234) in row and cny(90_000) in row
    second = client.get(WARNINGS, params={"page": "2"})
    assert customers_shown(second.text) == [f"C{n:04d}" for n in range(40, 0, -1)]
    english = client.get(WARNINGS, params={"lang": "en"}).text
    assert "ARPU fell 40%" in english and "规范政策及执行" not in english and "Policy barriers" in english


def test_filters_narrow_the_list_and_the_exports_hold_exactly_the_filtered_rows(
    client: TestClient, login: Login, warning_list: list[dict[str, Any]]
) -> None:
    login(StaffRole.ANALYST)
    wanted = {"month": MONTH, "city": "宁波", "value_tier": "high", "warned_by": "model"}
    # Ningbo (odd n), high (n % 3 == 0) and warned by the model (alone or with the rules: n % 3 in (1, 2)): none …
    assert customers_shown(client.get(WARNINGS, params=wanted).text) == []
    wanted["value_tier"] = "low"  # … low is n % 3 == 2, warned by the rules and the model together
    expected = [f"C{n:04d}" for n in range(90, 0, -1) if n % 2 == 1 and n % 3 == 2]
    assert customers_shown(client.get(WARNINGS, params=wanted).text) == expected
    by_signal = client.get(WARNINGS, params={"signal": "complaint", "lifecycle_stage": "warning"}).text
    assert customers_shown(by_signal) == [f"C{n:04d}" for n in range(88, 0, -4)]

    exported = client.get(WARNINGS, params=wanted | {"format": "csv"})
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    assert exported.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["月份", "分公司", "客户编码", "用户编码"]
    assert [r[2] for r in rows[1:]] == expected
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["风险价值（元）"] == "890.00" and first["流失概率"] == "0.89" and first["价值等级"] == "低价值"

    workbook = client.get(WARNINGS, params=wanted | {"format": "xlsx"})
    assert workbook.status_code == 200 and "spreadsheetml" in workbook.headers["content-type"]
    sheet = read_sheet(workbook.content)
    assert sheet[0][2] == "客户编码" and [r[2] for r in sheet[1:]] == expected
    assert float(sheet[1][sheet[0].index("风险价值（元）")]) == 890.0


def read_sheet(content: bytes) -> list[list[str]]:
    """The cell texts of the first worksheet, row by row (inline or shared strings, numbers as written)."""
    with zipfile.ZipFile(io.BytesIO(content)) as book:
        shared: list[str] = []
        if "xl/sharedStrings.xml" in book.namelist():
            root = ElementTree.fromstring(book.read("xl/sharedStrings.xml"))
            shared = ["".join(t.text or "" for t in si.iter(f"{{{SHEET_NS['x']}}}t")) for si in root]
        sheet = ElementTree.fromstring(book.read("xl/worksheets/sheet1.xml"))
    table = []
    for row in sheet.iterfind(".//x:sheetData/x:row", SHEET_NS):
        cells = []
        for cell in row.iterfind("x:c", SHEET_NS):
            text = "".join(t.text or "" for t in cell.iter(f"{{{SHEET_NS['x']}}}t"))
            value = cell.findtext("x:v", "", SHEET_NS)
            cells.append(shared[int(value)] if cell.get("t") == "s" else text or value)
        table.append(cells)
    return table


def test_a_month_without_a_list_shows_an_empty_state(client: TestClient, login: Login, store: AnalyticsStore) -> None:
    login(StaffRole.ANALYST)
    nothing = client.get(WARNINGS)
    assert nothing.status_code == 200 and "warnings-empty-month" in nothing.text and "warnings-csv" not in nothing.text
    for month in ("2025-01", "2026-13", "x"):
        page = client.get(WARNINGS, params={"month": month})
        assert page.status_code == 200 and "warnings-empty-month" in page.text
    empty_csv = client.get(WARNINGS, params={"format": "csv"})
    assert empty_csv.status_code == 200 and len(empty_csv.content.decode("utf-8-sig").splitlines()) == 1
    reports = client.get(REPORTS)
    assert reports.status_code == 200 and "reports-empty" in reports.text and "published-none" in reports.text


def features(sub: str, billed: int, *, left: bool = False, tenure: int = 30) -> dict[str, Any]:
    status = "terminated" if left else "active"
    return {"subscriber_id": sub, "customer_code": f"K{sub}", "billed_fen": billed, "tenure_months": tenure,
            "terminated_in_month": left, "subscriber_status": status, "brand": "天翼"}  # fmt: skip


def test_the_reports_chart_churn_revenue_retention_and_the_models_quality_beside_the_rules(
    client: TestClient, login: Login, store: AnalyticsStore
) -> None:
    # Four months of 10 lines; line n leaves in month n (1…3); month 4 adds nothing. Scores rank line 1 riskiest.
    months = ["2026-01", "2026-02", "2026-03", "2026-04"]
    for m, month in enumerate(months):
        lines = [features(f"{n}", 1_000, left=n == m, tenure=6 * n) for n in range(m, 10)]
        write(store, month, "subscriber_features", schemas.SUBSCRIBER_FEATURES, lines)
        scores = [{"subscriber_id": f"{n}", "churn_probability": (10 - n) / 10} for n in range(m + 1, 10)]
        write(store, month, "churn_scores", schemas.CHURN_SCORES, scores)
    write(store, "2026-01", "base", schemas.BASE, [{"subscriber_id": f"{n}", "city": "温州"} for n in range(10)])
    out_of_time = {"roc_auc": 0.812, "pr_auc": 0.3, "top_decile_lift": 4.2, "top_decile_capture": 0.42}
    metrics = {"out_of_time": out_of_time, "rules_out_of_time": {"top_decile_capture": 0.19}}
    model = {"format": "telcocrm-churn-model", "training_window": "2025-01..2025-09", "metrics": metrics}
    path = published_model_path(get_settings().data_dir)
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(model), encoding="utf-8")
    login(StaffRole.ANALYST)
    page = client.get(REPORTS, params={"month": "2026-01"})
    assert page.status_code == 200
    for chart in ("chart-churn-rate", "chart-revenue-retention", "chart-model-quality"):
        assert f'id="{chart}-title"' in page.text
    january = re.search(r'<tr data-month="2026-01">(.*?)</tr>', page.text, re.S)
    february = re.search(r'<tr data-month="2026-02">(.*?)</tr>', page.text, re.S)
    assert january and february
    assert "10.00%" in january.group(1)  # 1 of 10 lines left
    # February: 9 lines, 1 left; January billed 10,000 fen, February billed 9,000 to the same customers.
    assert "11.11%" in february.group(1) and cny(10_000) in february.group(1) and "90.0%" in february.group(1)
    by_city = page.text[page.text.index('data-testid="churn-by-city"') :].split("</table>")[0]
    assert "温州" in by_city and "10.00%" in by_city
    quality = page.text[page.text.index('data-testid="model-quality"') :].split("</table>")[0]
    # 2026-01 is the only month with three later months: 9 scored lines (1…9), lines 1, 2 and 3 left within them;
    # mean predicted (0.9 + … + 0.1) / 9 = 50%; the model's riskiest line (1) is one of the 3 leavers; no rules file.
    assert re.findall(r'data-month="([^"]+)"', quality) == ["2026-01"]
    cells = re.findall(r'<td class="num mono">([^<]*)</td>', quality)
    assert cells == ["9", "3", "50.00%", "33.33%", "33.3%", "—"]
    published = page.text[page.text.index('data-testid="published-quality"') :].split("</table>")[0]
    assert "0.812" in published and "42.0%" in published and "19.0%" in published
    english = client.get(REPORTS, params={"lang": "en"}).text
    assert "Churn rate per month" in english and "Predicted against actual churn" in english
