"""A synthetic customer base of any size, written straight into PostgreSQL by set-based SQL.

The product's importer validates every row of a file before it writes anything, which is right for real
data but makes a million customers a matter of many minutes. Here the rows are derived from
`generate_series` in a handful of INSERT … SELECT statements (only the customer codes, which carry a
Damm check digit, are computed in Python and sent with COPY), so a million customers load in a few
minutes. The shape follows the demo data: about one customer in ten an organisation, 1–3 lines each,
one or two billing accounts, a profile for most, a relation for about one in three.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, func, select, text
from sqlalchemy.exc import DBAPIError

from telcocrm.customers.rules import customer_code
from telcocrm.db.migrate import upgrade
from telcocrm.models import Customer

CODE_BATCH = 50_000

# Every derived value is a pure function of the customer id, so a run is reproducible.
CUSTOMERS_SQL = """
INSERT INTO customer (id, code, kind, name, status, failed_auth_count, joined_at, created_at, changed_at)
SELECT c.id, c.code,
       CASE WHEN c.id % 10 = 0 THEN 'organisation' ELSE 'person' END,
       CASE WHEN c.id % 10 = 0
            THEN (ARRAY['北京','上海','广州','深圳','成都','杭州','南京','武汉'])[1 + c.id % 8]
                 || (ARRAY['华信','恒通','瑞丰','中科','天成','金桥','远航','博雅','新联'])[1 + (c.id / 10) % 9]
                 || (ARRAY['科技','贸易','物流','建设','咨询','医药'])[1 + (c.id / 90) % 6] || '有限公司'
            ELSE (ARRAY['王','李','张','刘','陈','杨','黄','赵','吴','周','徐','孙','马','朱','胡','郭'])[1 + c.id % 16]
                 || (ARRAY['伟','芳','娜','敏','静','丽','强','磊','军','洋','勇','艳','杰','娟','涛','明',
                           '超','秀英','华','建国','丹','萍','鹏','辉'])[1 + (c.id / 16) % 24]
       END,
       'active', 0,
       (DATE '2003-01-01' + (c.id * 37) % 8000) AT TIME ZONE 'Asia/Shanghai', now(), now()
FROM bench_code c
"""

CERTIFICATES_SQL = """
INSERT INTO certificate (customer_id, cert_type, cert_number, cert_address, active, created_at)
SELECT id,
       CASE WHEN id % 10 = 0 THEN 'unified_social_credit' ELSE 'resident_id' END,
       CASE WHEN id % 10 = 0 THEN '91' || lpad(id::text, 16, '0')
            ELSE '1101' || lpad(id::text, 13, '0') || (id % 10)::text END,
       '北京市朝阳区建国路' || (1 + id % 300)::text || '号',
       true, now()
FROM customer WHERE id <= :n
"""

PROFILES_SQL = """
INSERT INTO customer_profile (customer_id, contact_phone, contact_email, contact_address, province, city,
                              preferred_channel, contact_time, do_not_disturb, occupation, income_band, education,
                              hobbies, strategic, home_business, source, changed_at)
SELECT id,
       '1' || (3 + id % 7)::text || lpad(((id::bigint * 7919) % 1000000000)::text, 9, '0'),
       CASE WHEN id % 3 = 0 THEN 'c' || id::text || '@example.cn' END,
       '北京市朝阳区望京街' || (1 + id % 500)::text || '号院' || (1 + id % 20)::text || '栋',
       '北京市', '北京市',
       (ARRAY['sms','phone','email','letter'])[1 + id % 4],
       (ARRAY['工作日白天','晚上','周末'])[1 + id % 3],
       id % 17 = 0,
       (ARRAY['教师','工程师','医生','个体经营','公务员','学生'])[1 + id % 6],
       (ARRAY['below_3k','3k_to_8k','8k_to_20k','above_20k'])[1 + id % 4],
       (ARRAY['高中','本科','硕士'])[1 + id % 3],
       CAST((ARRAY['["读书"]','["旅游","摄影"]','[]'])[1 + id % 3] AS json),
       false, false,
       'import', now()
FROM customer WHERE id <= :n AND id % 10 <> 3
"""

# One account per customer (same id), a family secondary account for one person in five.
ACCOUNTS_SQL = """
INSERT INTO billing_account (id, account_code, customer_id, name, account_type, parent_account_id, payment_method,
                             status, created_at, changed_at)
SELECT id, 'A' || lpad(id::text, 11, '0'), id, name,
       CASE WHEN kind = 'organisation' THEN 'group_master' WHEN id % 5 = 1 THEN 'family_primary' ELSE 'individual' END,
       NULL,
       CASE WHEN kind = 'organisation' THEN 'contract_cycle'
            ELSE (ARRAY['prepaid','cash','bank_collection','agent_buyout'])[1 + id % 4] END,
       'active', now(), now()
FROM customer WHERE id <= :n
UNION ALL
SELECT :n + 1 + id / 5, 'A' || lpad((:n + 1 + id / 5)::text, 11, '0'), id, name || '（副）', 'family_secondary', id,
       'prepaid', 'active', now(), now()
FROM customer WHERE id <= :n AND id % 5 = 1 AND kind = 'person'
"""

SUBSCRIBERS_SQL = """
INSERT INTO subscriber (subscriber_code, customer_id, account_id, product, service_number, install_address,
                        ownership_type, status, activated_date, terminated_date, contract_end_date, channel_code,
                        staff_code, created_at, changed_at)
SELECT 'S' || lpad((c.id::bigint * 3 + line)::text, 11, '0'), c.id,
       CASE WHEN line = 3 AND c.id % 5 = 1 AND c.kind = 'person' THEN :n + 1 + c.id / 5 ELSE c.id END,
       CASE WHEN c.kind = 'organisation' THEN (ARRAY['dedicated_line','broadband','mobile'])[line]
            ELSE (ARRAY['mobile','broadband','iptv'])[line] END,
       CASE WHEN c.kind = 'organisation' AND line = 1 THEN 'BJDL' || lpad(c.id::text, 8, '0')
            WHEN line = 2 THEN 'ad' || lpad(c.id::text, 10, '0')
            WHEN line = 3 AND c.kind = 'person' THEN 'tv' || lpad(c.id::text, 10, '0')
            ELSE '1' || (3 + (c.id + line) % 7)::text
                 || lpad(((c.id::bigint * 104729 + line) % 1000000000)::text, 9, '0')
       END,
       CASE WHEN line > 1 THEN '北京市朝阳区望京街' || (1 + c.id % 500)::text || '号' END,
       'owned',
       CASE WHEN (c.id + line) % 20 = 0 THEN 'terminated' ELSE 'active' END,
       DATE '2010-01-01' + (c.id * 13 + line) % 5000,
       CASE WHEN (c.id + line) % 20 = 0 THEN DATE '2025-06-30' END,
       CASE WHEN line = 1 THEN DATE '2027-12-31' END,
       'BJ-ST-' || lpad((1 + c.id % 60)::text, 3, '0'),
       CASE WHEN c.id % 2 = 0 THEN 'BJ' || lpad((1 + c.id % 4000)::text, 5, '0') END,
       now(), now()
FROM customer c CROSS JOIN LATERAL generate_series(1, 1 + c.id % 3) AS line
WHERE c.id <= :n
"""

HISTORY_SQL = """
INSERT INTO customer_history (customer_id, customer_code, action, actor, at, after, note)
SELECT id, code, 'create', 'benchmark', created_at,
       json_build_object('code', code, 'kind', kind, 'name', name, 'status', 'active', 'merged_into_code', NULL),
       '基准测试数据 / benchmark data'
FROM customer WHERE id <= :n
"""

# A person in four is family of the next person; each organisation has the person before it as handler.
RELATIONS_SQL = """
INSERT INTO customer_relation (customer_id, related_customer_id, relation_type, created_at)
SELECT id, id + 1, 'family_member', now() FROM customer
WHERE id % 4 = 0 AND id % 10 <> 0 AND (id + 1) % 10 <> 0 AND id + 1 <= :n
UNION ALL
SELECT id, id - 1, 'handler', now() FROM customer WHERE kind = 'organisation' AND id <= :n
"""

STEPS = (
    ("customers", CUSTOMERS_SQL),
    ("certificates", CERTIFICATES_SQL),
    ("profiles", PROFILES_SQL),
    ("accounts", ACCOUNTS_SQL),
    ("subscribers", SUBSCRIBERS_SQL),
    ("history", HISTORY_SQL),
    ("relations", RELATIONS_SQL),
)
SEQUENCES = ("customer", "certificate", "billing_account", "subscriber", "customer_history", "customer_relation")
TABLES = ("customer", "certificate", "customer_profile", "billing_account", "subscriber", "customer_history",
          "customer_relation")  # fmt: skip


@dataclass(frozen=True)
class LoadOutcome:
    """How many customers the database holds and how long loading took (0 when they were there already)."""

    customers: int
    loaded: bool
    seconds: float


def count_customers(engine: Engine) -> int:
    """The number of customers in the database."""
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(Customer)).scalar_one())


def ensure_customers(engine: Engine, url: str, customers: int, *, log: bool = True) -> LoadOutcome:
    """Migrate, then load `customers` unless exactly that many are there; any other non-empty base is refused."""
    upgrade(url)
    present = count_customers(engine)
    if present == customers:
        return LoadOutcome(customers, loaded=False, seconds=0.0)
    if present:
        raise SystemExit(f"the database holds {present:,} customers, not {customers:,}: give an empty database")
    started = time.perf_counter()
    with engine.begin() as conn:
        _send_codes(conn, customers)
        for name, statement in STEPS:
            step_started = time.perf_counter()
            rows = conn.execute(text(statement), {"n": customers}).rowcount
            if log:
                print(f"  {name}: {rows:,} rows in {time.perf_counter() - step_started:.1f} s", flush=True)
        _finish(conn, customers)
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text(f"VACUUM ANALYZE {', '.join(TABLES)}"))
    return LoadOutcome(customers, loaded=True, seconds=time.perf_counter() - started)


def _send_codes(conn: Connection, customers: int) -> None:
    """Customer ids and codes (with their check digit) into a temporary table, by COPY."""
    conn.execute(text("CREATE TEMPORARY TABLE bench_code (id integer PRIMARY KEY, code varchar(16)) ON COMMIT DROP"))
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cursor, cursor.copy("COPY bench_code (id, code) FROM STDIN") as copy:
        for block in _code_blocks(customers):
            copy.write(block)


def _code_blocks(customers: int) -> Iterator[str]:
    for start in range(1, customers + 1, CODE_BATCH):
        stop = min(start + CODE_BATCH, customers + 1)
        yield "".join(f"{serial}\t{customer_code(serial)}\n" for serial in range(start, stop))


def _finish(conn: Connection, customers: int) -> None:
    """Move the sequences and the code counters past what was written, so new rows never collide."""
    for table in SEQUENCES:
        conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))
    conn.execute(
        text("UPDATE code_counter SET next_value = :next WHERE name IN ('customer', 'account', 'subscriber')"),
        {"next": 3 * customers + 10},
    )


PREWARM_SQL = """
SELECT coalesce(sum(pg_prewarm(c.oid)), 0) FROM pg_class c
WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'i')
"""


def prewarm(engine: Engine) -> int | None:
    """Read every table and index into PostgreSQL's shared buffers, as a server running for a while holds them.

    Returns the pages read, or None when pg_prewarm (a contrib extension) cannot be created here. Only pages
    that fit in shared_buffers stay: size it to the database (TELCOCRM_PG_OPTIONS, see with-postgres.sh).
    """
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_prewarm"))
            return int(conn.execute(text(PREWARM_SQL)).scalar_one())
    except DBAPIError:
        return None


def sample_codes(engine: Engine, count: int, seed: int) -> list[str]:
    """`count` customer codes picked at random (repeatably) from the whole base."""
    with engine.connect() as conn:
        conn.execute(text("SELECT setseed(:seed)"), {"seed": (seed % 1000) / 1000})
        rows = conn.execute(text("SELECT code FROM customer ORDER BY random() LIMIT :count"), {"count": count})
        return [row[0] for row in rows]
