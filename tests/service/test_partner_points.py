"""Partner merchants' points files: checked whole, posted once, a batch sent again corrected (issue 4, item 1)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from telcocrm.errors import NotFound
from telcocrm.imports.problems import ImportRefused
from telcocrm.loyalty import ledger
from telcocrm.loyalty.partner_points import import_partner_points
from telcocrm.staff.rules import Viewer
from tests.factories import make_person

HEADER = "batch_id,merchant_code,customer_code,transaction_date,amount,points,reference\n"


def partner_file(folder: Path, *lines: str, name: str = "jiahe-2026-10.csv") -> Path:
    path = folder / name
    path.write_text(HEADER + "".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def two_customers(db: Session, admin: Viewer) -> tuple[str, str]:
    first, second = make_person(db, admin, "王芳"), make_person(db, admin, "李强")
    db.commit()
    return first.code, second.code


def balance(engine: Engine, code: str) -> int:
    with engine.connect() as conn:
        return ledger.balance_of(conn, customer_code=code)


def test_a_partner_file_posts_each_customers_points_once(
    clean_engine: Engine, db: Session, admin: Viewer, tmp_path: Path
) -> None:
    wang, li = two_customers(db, admin)
    path = partner_file(
        tmp_path,
        f"B202610,jiahe_mart,{wang},2026-10-03,128.50,128,T1",
        f"B202610,jiahe_mart,{wang},2026-10-19,20.00,20,T2",
        f"B202610,lvtu_hotels,{li},2026-10-21,560.00,1120,H9",
    )

    done = import_partner_points(path, "2026-10", engine=clean_engine, expiry_years=2)

    assert (done.transactions, done.awards) == (3, 2)
    assert (balance(clean_engine, wang), balance(clean_engine, li)) == (148, 1120)
    again = import_partner_points(path, "2026-10", engine=clean_engine, expiry_years=2)
    assert again.posting.earned_entries == 0, "the same file twice posts once"
    assert (balance(clean_engine, wang), balance(clean_engine, li)) == (148, 1120)
    with clean_engine.connect() as conn:
        entries = ledger.entries_of(conn, customer_code=wang)
    assert [e.source for e in entries] == ["partner:jiahe_mart:B202610"]
    assert entries[0].note is not None and "148.50" in entries[0].note  # what the batch spent, in CNY


def test_a_batch_sent_again_with_other_figures_is_corrected(
    clean_engine: Engine, db: Session, admin: Viewer, tmp_path: Path
) -> None:
    wang, _ = two_customers(db, admin)
    first = partner_file(tmp_path, f"B7,hangyu_air,{wang},2026-10-03,1000.00,500,F1")
    import_partner_points(first, "2026-10", engine=clean_engine, expiry_years=2)
    corrected = partner_file(tmp_path, f"B7,hangyu_air,{wang},2026-10-03,1000.00,300,F1", name="fixed.csv")
    other_batch = partner_file(tmp_path, f"B8,hangyu_air,{wang},2026-10-09,200.00,100,F2", name="b8.csv")

    import_partner_points(corrected, "2026-10", engine=clean_engine, expiry_years=2)
    import_partner_points(other_batch, "2026-10", engine=clean_engine, expiry_years=2)

    assert balance(clean_engine, wang) == 400, "batch B7 now counts 300, and batch B8 adds its own 100"


def test_a_file_with_a_fault_is_refused_whole_naming_line_and_field(
    clean_engine: Engine, db: Session, admin: Viewer, tmp_path: Path
) -> None:
    wang, li = two_customers(db, admin)
    path = partner_file(
        tmp_path,
        f"B1,jiahe_mart,{wang},2026-10-03,10.00,10,T1",  # fine on its own
        f"B1,unknown_shop,{wang},2026-10-03,10.00,10,T2",
        "B1,jiahe_mart,999999999999,2026-10-03,10.00,10,T3",
        f"B1,jiahe_mart,{li},2026-11-01,10.00,10,T4",
        f"B1,jiahe_mart,{li},2026-10-05,10.00,-5,T5",
        f"B1,jiahe_mart,{li},2026-10-05,10.00,5,T1",
    )

    with pytest.raises(ImportRefused) as refused:
        import_partner_points(path, "2026-10", engine=clean_engine, expiry_years=2)

    faults = {(p.line, p.field) for p in refused.value.problems}
    assert {(3, "merchant_code"), (4, "customer_code"), (5, "transaction_date"), (6, "points")} <= faults
    assert any(p.line == 7 for p in refused.value.problems), "a merchant's transaction number repeated"
    for code in (wang, li):  # nothing posted from the file: not even an account opened
        with pytest.raises(NotFound):
            balance(clean_engine, code)
