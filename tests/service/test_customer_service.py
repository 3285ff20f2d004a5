"""Customer services on the real database: create, change, cancel, merge, split, authenticate, search."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from telcocrm.customers import merging, repository, service
from telcocrm.customers.rules import is_valid_customer_code
from telcocrm.customers.schemas import CertificateIn, CustomerCreate, CustomerUpdate, ProfileIn, SplitRequest
from telcocrm.db.types import utc_now
from telcocrm.errors import Conflict, InvalidInput, Locked, NotAuthenticated, NotFound
from telcocrm.models import AuditRecord, Customer, CustomerHistory, Subscriber
from telcocrm.models.enums import CertificateType, CustomerKind, CustomerStatus, HistoryAction
from telcocrm.staff.rules import Viewer
from tests.factories import make_account, make_line, make_person, resident_id, wrong_check_digit


def count(db: Session, model: type) -> int:
    return int(db.execute(select(func.count()).select_from(model)).scalar_one())


def test_create_gives_a_valid_code_and_a_history_entry(db: Session, admin: Viewer) -> None:
    customer = make_person(db, admin, "李娜")
    db.commit()
    assert is_valid_customer_code(customer.code)
    entries = repository.history_of(db, customer)
    assert [e.action for e in entries] == [HistoryAction.CREATE]
    assert entries[0].actor == "test"


def test_bad_certificate_writes_nothing_and_spends_no_code(db: Session, admin: Viewer) -> None:
    data = CustomerCreate(
        kind=CustomerKind.PERSON,
        name="王芳",
        certificate=CertificateIn(type=CertificateType.RESIDENT_ID, number=wrong_check_digit(resident_id())),
    )
    with pytest.raises(InvalidInput) as error:
        service.create_customer(db=db, viewer=admin, data=data)
    assert error.value.field == "certificate.number"
    db.rollback()
    assert count(db, Customer) == 0
    first = make_person(db, admin)
    assert first.code.startswith("00000000001")


def test_certificate_held_by_another_customer_is_refused(db: Session, admin: Viewer) -> None:
    number = resident_id()
    for name in ("甲", "乙"):
        data = CustomerCreate(
            kind=CustomerKind.PERSON,
            name=name,
            certificate=CertificateIn(type=CertificateType.RESIDENT_ID, number=number),
        )
        if name == "甲":
            holder = service.create_customer(db=db, viewer=admin, data=data)
            db.commit()
        else:
            with pytest.raises(Conflict, match=holder.code):
                service.create_customer(db=db, viewer=admin, data=data)


def test_change_keeps_code_and_records_before_and_after(db: Session, admin: Viewer) -> None:
    customer = make_person(db, admin, "赵强")
    code = customer.code
    service.change_customer(
        db=db,
        viewer=admin,
        code=code,
        data=CustomerUpdate(name="赵小强", profile=ProfileIn(contact_phone="13900001111")),
    )
    db.commit()
    change = repository.history_of(db, customer)[0]
    assert change.action is HistoryAction.CHANGE
    assert change.before and change.before["name"] == "赵强"
    assert change.after and change.after["name"] == "赵小强" and change.after["code"] == code


def test_cancel_refused_while_lines_live_then_releases_certificate(db: Session, admin: Viewer) -> None:
    customer = make_person(db, admin)
    line = make_line(db, admin, customer, make_account(db, admin, customer))
    with pytest.raises(Conflict, match=line.subscriber_code):
        service.cancel_customer(db=db, viewer=admin, code=customer.code)
    line.status = line.status.TERMINATED
    service.cancel_customer(db=db, viewer=admin, code=customer.code)
    db.commit()
    assert customer.status is CustomerStatus.CANCELLED
    assert repository.active_certificates(db, customer.id) == []


def test_search_finds_a_cancelled_customer_by_its_released_certificate(db: Session, admin: Viewer) -> None:
    customer = make_person(db, admin)
    number = repository.active_certificates(db, customer.id)[0].cert_number
    service.cancel_customer(db=db, viewer=admin, code=customer.code)
    db.commit()
    found = repository.search(db, number)
    assert (found.customers, found.matched_by) == ([customer], "number")


def test_merge_moves_everything_and_old_code_finds_survivor(db: Session, admin: Viewer) -> None:
    a, b = make_person(db, admin, "陈明"), make_person(db, admin, "陈明")
    make_line(db, admin, a, make_account(db, admin, a))
    line_b = make_line(db, admin, b, make_account(db, admin, b))
    merging.merge_customers(db=db, viewer=admin, survivor_code=a.code, merged_code=b.code)
    db.commit()
    assert repository.get_by_code(db, b.code).code == a.code
    assert {s.subscriber_code for s in repository.subscribers_of(db, a.id)} >= {line_b.subscriber_code}
    assert len(repository.accounts_of(db, a.id)) == 2
    assert len(repository.active_certificates(db, a.id)) == 2
    actions = {e.action for e in repository.history_of(db, a)}
    assert {HistoryAction.CREATE, HistoryAction.MERGE, HistoryAction.MERGED_AWAY} <= actions


def test_merge_into_itself_is_refused(db: Session, admin: Viewer) -> None:
    a = make_person(db, admin)
    with pytest.raises(InvalidInput) as error:
        merging.merge_customers(db=db, viewer=admin, survivor_code=a.code, merged_code=a.code)
    assert error.value.field == "merged_code"


def test_chained_merges_point_straight_at_the_last_survivor(db: Session, admin: Viewer) -> None:
    a, b, c = (make_person(db, admin) for _ in range(3))
    merging.merge_customers(db=db, viewer=admin, survivor_code=b.code, merged_code=c.code)
    merging.merge_customers(db=db, viewer=admin, survivor_code=a.code, merged_code=b.code)
    db.commit()
    assert repository.get_exact(db, c.code).merged_into_code == a.code
    assert repository.get_by_code(db, c.code).id == a.id


def test_split_moves_chosen_lines_and_opens_an_account_when_shared(db: Session, admin: Viewer) -> None:
    father = make_person(db, admin, "刘建国")
    shared = make_account(db, admin, father)
    keep, give = make_line(db, admin, father, shared), make_line(db, admin, father, shared)
    request = SplitRequest(
        subscriber_codes=[give.subscriber_code],
        new_customer=CustomerCreate(
            kind=CustomerKind.PERSON,
            name="刘洋",
            certificate=CertificateIn(type=CertificateType.RESIDENT_ID, number=resident_id()),
        ),
    )
    outcome = merging.split_customer(db=db, viewer=admin, code=father.code, request=request)
    db.commit()
    assert outcome.moved_subscribers == [give.subscriber_code]
    assert len(outcome.new_accounts) == 1 and outcome.moved_accounts == []
    daughter_lines = repository.subscribers_of(db, outcome.customer.id)
    assert [s.subscriber_code for s in daughter_lines] == [give.subscriber_code]
    assert repository.account_by_code(db, outcome.new_accounts[0]).customer_id == outcome.customer.id
    assert keep.account_id == shared.id


def test_split_naming_someone_elses_line_is_refused_and_writes_nothing(db: Session, admin: Viewer) -> None:
    a, b = make_person(db, admin), make_person(db, admin)
    other = make_line(db, admin, b, make_account(db, admin, b))
    db.commit()
    customers_before = count(db, Customer)
    request = SplitRequest(
        subscriber_codes=[other.subscriber_code],
        new_customer=CustomerCreate(
            kind=CustomerKind.PERSON,
            name="新",
            certificate=CertificateIn(type=CertificateType.RESIDENT_ID, number=resident_id()),
        ),
    )
    with pytest.raises(InvalidInput) as error:
        merging.split_customer(db=db, viewer=admin, code=a.code, request=request)
    assert error.value.field == "subscriber_codes"
    db.rollback()
    assert count(db, Customer) == customers_before


def test_authenticate_by_certificate_or_password_and_lock_after_five(db: Session, admin: Viewer) -> None:
    customer = make_person(db, admin, password="123456")
    cert = repository.active_certificates(db, customer.id)[0]
    db.commit()
    shown = CertificateIn(type=cert.cert_type, number=cert.cert_number)
    assert service.authenticate_customer(db=db, code=customer.code, certificate=shown, password=None) == "certificate"
    assert service.authenticate_customer(db=db, code=customer.code, certificate=None, password="123456") == "password"
    for _ in range(5):
        with pytest.raises(NotAuthenticated):
            service.authenticate_customer(db=db, code=customer.code, certificate=None, password="wrong")
        db.commit()
    with pytest.raises(Locked):
        service.authenticate_customer(db=db, code=customer.code, certificate=None, password="123456")
    later = utc_now() + timedelta(minutes=31)
    assert service.authenticate_customer(db=db, code=customer.code, certificate=None, password="123456", now=later)


def test_search_by_code_certificate_number_service_number_and_chinese_prefix(db: Session, admin: Viewer) -> None:
    customer = make_person(db, admin, "欧阳修远")
    make_person(db, admin, "欧阳娜")
    make_person(db, admin, "王欧阳")
    line = make_line(db, admin, customer, make_account(db, admin, customer), number="13712345678")
    cert = repository.active_certificates(db, customer.id)[0]
    db.commit()
    assert repository.search(db, customer.code).customers == [customer]
    assert repository.search(db, cert.cert_number).customers == [customer]
    assert repository.search(db, line.service_number).customers == [customer]
    by_name = repository.search(db, "欧阳")
    assert by_name.total == 2 and by_name.matched_by == "name"
    assert repository.search(db, "欧阳%").total == 0  # a wildcard is text, not a pattern


def test_unknown_code_is_not_found(db: Session) -> None:
    with pytest.raises(NotFound):
        repository.get_by_code(db, "000000000000")


def test_history_is_append_only(db: Session, admin: Viewer) -> None:
    customer = make_person(db, admin)
    db.commit()
    entry = db.execute(select(CustomerHistory).where(CustomerHistory.customer_id == customer.id)).scalar_one()
    entry.note = "tampered"
    with pytest.raises(RuntimeError, match="append-only"):
        db.flush()


def test_every_change_is_audited(db: Session, admin: Viewer) -> None:
    make_person(db, admin)
    db.commit()
    actions = db.execute(select(AuditRecord.action)).scalars().all()
    assert "customer.create" in actions
    assert count(db, Subscriber) == 0
