"""foundation customers accounts subscribers staff audit

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-22 19:34:33.871067
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "audit_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=60), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("resource_type", sa.String(length=40), nullable=False),
        sa.Column("resource_id", sa.String(length=40), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_record")),
    )
    with op.batch_alter_table("audit_record", schema=None) as batch_op:
        batch_op.create_index("ix_audit_record_actor_at", ["actor", "at"], unique=False)
        batch_op.create_index("ix_audit_record_resource", ["resource_type", "resource_id"], unique=False)

    op.create_table(
        "code_counter",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("next_value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_code_counter")),
    )
    code_counter = sa.table("code_counter", sa.column("name", sa.String), sa.column("next_value", sa.Integer))
    op.bulk_insert(
        code_counter,
        [{"name": name, "next_value": 1} for name in ("customer", "account", "subscriber")],
    )
    op.create_table(
        "customer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "person",
                "organisation",
                name="customer_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "active",
                "merged",
                "cancelled",
                name="customer_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("merged_into_code", sa.String(length=16), nullable=True),
        sa.Column("password_hash", sa.String(length=200), nullable=True),
        sa.Column("failed_auth_count", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer")),
        sa.UniqueConstraint("code", name=op.f("uq_customer_code")),
    )
    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.create_index("ix_customer_merged_into_code", ["merged_into_code"], unique=False)
        batch_op.create_index(
            "ix_customer_name", ["name"], unique=False, postgresql_ops={"name": "varchar_pattern_ops"}
        )

    op.create_table(
        "staff_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=60), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "administrator",
                "analyst",
                "phone_manager",
                "account_manager",
                "store_clerk",
                name="staff_role",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failed_login_count", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_user")),
        sa.UniqueConstraint("username", name=op.f("uq_staff_user_username")),
    )
    op.create_table(
        "billing_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_code", sa.String(length=20), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "account_type",
            sa.Enum(
                "individual",
                "family_primary",
                "family_secondary",
                "group_master",
                "group_sub",
                name="account_type",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("parent_account_id", sa.Integer(), nullable=True),
        sa.Column(
            "payment_method",
            sa.Enum(
                "cash",
                "bank_collection",
                "prepaid",
                "agent_buyout",
                "contract_cycle",
                name="payment_method",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "active",
                "closed",
                name="account_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"], name=op.f("fk_billing_account_customer_id_customer")),
        sa.ForeignKeyConstraint(
            ["parent_account_id"],
            ["billing_account.id"],
            name=op.f("fk_billing_account_parent_account_id_billing_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_account")),
        sa.UniqueConstraint("account_code", name=op.f("uq_billing_account_account_code")),
    )
    with op.batch_alter_table("billing_account", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_billing_account_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_billing_account_parent_account_id"), ["parent_account_id"], unique=False)

    op.create_table(
        "certificate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column(
            "cert_type",
            sa.Enum(
                "resident_id",
                "household_register",
                "military_id",
                "armed_police_id",
                "passport",
                "retired_officer",
                "hk_macau_taiwan_permit",
                "business_licence",
                "organisation_code",
                "unified_social_credit",
                name="certificate_type",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("cert_number", sa.String(length=40), nullable=False),
        sa.Column("cert_address", sa.String(length=300), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"], name=op.f("fk_certificate_customer_id_customer")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificate")),
    )
    with op.batch_alter_table("certificate", schema=None) as batch_op:
        batch_op.create_index("ix_certificate_cert_number", ["cert_number"], unique=False)
        batch_op.create_index(batch_op.f("ix_certificate_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(
            "uq_certificate_active_number",
            ["cert_type", "cert_number"],
            unique=True,
            sqlite_where=sa.text("active"),
            postgresql_where=sa.text("active"),
        )

    op.create_table(
        "customer_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("customer_code", sa.String(length=16), nullable=False),
        sa.Column(
            "action",
            sa.Enum(
                "create",
                "change",
                "merge",
                "merged_away",
                "split",
                "split_from",
                "cancel",
                name="history_action",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_customer_history_customer_id_customer")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_history")),
    )
    with op.batch_alter_table("customer_history", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customer_history_customer_id"), ["customer_id"], unique=False)

    op.create_table(
        "customer_profile",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("contact_phone", sa.String(length=20), nullable=True),
        sa.Column("contact_email", sa.String(length=200), nullable=True),
        sa.Column("contact_address", sa.String(length=300), nullable=True),
        sa.Column("province", sa.String(length=40), nullable=True),
        sa.Column("city", sa.String(length=40), nullable=True),
        sa.Column("preferred_channel", sa.String(length=20), nullable=True),
        sa.Column("contact_time", sa.String(length=40), nullable=True),
        sa.Column("do_not_disturb", sa.Boolean(), nullable=False),
        sa.Column("occupation", sa.String(length=60), nullable=True),
        sa.Column("income_band", sa.String(length=20), nullable=True),
        sa.Column("education", sa.String(length=30), nullable=True),
        sa.Column("hobbies", sa.JSON(), nullable=True),
        sa.Column("source", sa.String(length=40), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_customer_profile_customer_id_customer")
        ),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_customer_profile")),
    )
    op.create_table(
        "customer_relation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("related_customer_id", sa.Integer(), nullable=False),
        sa.Column(
            "relation_type",
            sa.Enum(
                "parent_organisation",
                "family_member",
                "guarantor",
                "decision_maker",
                "handler",
                name="relation_type",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_customer_relation_customer_id_customer")
        ),
        sa.ForeignKeyConstraint(
            ["related_customer_id"],
            ["customer.id"],
            name=op.f("fk_customer_relation_related_customer_id_customer"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_relation")),
    )
    with op.batch_alter_table("customer_relation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customer_relation_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_customer_relation_related_customer_id"), ["related_customer_id"], unique=False
        )

    op.create_table(
        "subscriber",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscriber_code", sa.String(length=20), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column(
            "product",
            sa.Enum(
                "mobile",
                "fixed",
                "broadband",
                "e8_bundle",
                "e6_bundle",
                "iptv",
                "dedicated_line",
                name="product",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("service_number", sa.String(length=32), nullable=False),
        sa.Column("install_address", sa.String(length=300), nullable=True),
        sa.Column(
            "ownership_type",
            sa.Enum(
                "owned",
                "public",
                "corporate",
                "rented",
                name="ownership_type",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "active",
                "suspended",
                "terminated",
                name="subscriber_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("activated_date", sa.Date(), nullable=False),
        sa.Column("terminated_date", sa.Date(), nullable=True),
        sa.Column("contract_end_date", sa.Date(), nullable=True),
        sa.Column("channel_code", sa.String(length=32), nullable=True),
        sa.Column("staff_code", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["billing_account.id"], name=op.f("fk_subscriber_account_id_billing_account")
        ),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"], name=op.f("fk_subscriber_customer_id_customer")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriber")),
        sa.UniqueConstraint("subscriber_code", name=op.f("uq_subscriber_subscriber_code")),
    )
    with op.batch_alter_table("subscriber", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_subscriber_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_subscriber_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index("ix_subscriber_service_number", ["service_number"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("subscriber", schema=None) as batch_op:
        batch_op.drop_index("ix_subscriber_service_number")
        batch_op.drop_index(batch_op.f("ix_subscriber_customer_id"))
        batch_op.drop_index(batch_op.f("ix_subscriber_account_id"))

    op.drop_table("subscriber")
    with op.batch_alter_table("customer_relation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_relation_related_customer_id"))
        batch_op.drop_index(batch_op.f("ix_customer_relation_customer_id"))

    op.drop_table("customer_relation")
    op.drop_table("customer_profile")
    with op.batch_alter_table("customer_history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_history_customer_id"))

    op.drop_table("customer_history")
    with op.batch_alter_table("certificate", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_certificate_active_number", sqlite_where=sa.text("active"), postgresql_where=sa.text("active")
        )
        batch_op.drop_index(batch_op.f("ix_certificate_customer_id"))
        batch_op.drop_index("ix_certificate_cert_number")

    op.drop_table("certificate")
    with op.batch_alter_table("billing_account", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_billing_account_parent_account_id"))
        batch_op.drop_index(batch_op.f("ix_billing_account_customer_id"))

    op.drop_table("billing_account")
    op.drop_table("staff_user")
    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.drop_index("ix_customer_name", postgresql_ops={"name": "varchar_pattern_ops"})
        batch_op.drop_index("ix_customer_merged_into_code")

    op.drop_table("customer")
    op.drop_table("code_counter")
    with op.batch_alter_table("audit_record", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_record_resource")
        batch_op.drop_index("ix_audit_record_actor_at")

    op.drop_table("audit_record")
