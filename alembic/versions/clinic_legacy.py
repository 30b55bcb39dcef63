"""clinic_legacy: the clinic back office's `auth` schema before its integration plan.

Clinics, their staff and the audit log, in the shape the source system had (ARCHITECTURE section
5), so that legacy data loads into exactly these columns. The clinic keeps its own identity: staff
are `auth.sys_usuarios` rows with bigint keys, and nothing here references `public.users`.

The audit log is range-partitioned by month on timestamp_accion, with partitions for 2024-12 ..
2025-12 and no default partition, so the legacy system refused any audit row dated outside those
months; its primary key is (id_log, timestamp_accion) because a partitioned table's key must
contain the partition key. Month bounds are UTC midnights.

The downgrade drops the schema's tables and their rows: before this revision the clinic's data
was not in this database; so do the ledger's accounts of an import of it (`therapy-db import`)
and the rows that import set aside. It also drops `auth.audit_log_overflow`, the table in which
the `clinic_integration` downgrade keeps audit rows this shape cannot hold.

Revision ID: clinic_legacy
Revises: platform
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from app.toolkit import ddl

revision: str = "clinic_legacy"
down_revision: str | Sequence[str] | None = "platform"
branch_labels: str | Sequence[str] | None = ("clinic",)
depends_on: str | Sequence[str] | None = None

# What the downgrade cannot give back (app/toolkit/data_loss.py): a downgrade that would
# destroy rows of these refuses unless told to. Table -> the condition of its rows that are lost.
LOST_ON_DOWNGRADE = {  # the clinic's data was not here before
    "auth.*": "true",
    "public.import_rejects": "context = 'clinic'",
}

NOW = sa.text("now()")
TRUE = sa.text("true")

STAFF_ROLES = ("Admin", "Podologo", "Recepcion")
LEGACY_AUDIT_ACTIONS = (
    "INSERT",
    "UPDATE",
    "DELETE",
    "LOGIN_EXITOSO",
    "LOGIN_FALLIDO",
    "LOGIN_USUARIO_INACTIVO",
    "LOGOUT",
    "PASSWORD_CHANGE",
)
# The months the legacy audit log had partitions for: (year, month) of 2024-12 .. 2025-12.
LEGACY_AUDIT_MONTHS = [(2024, 12), *((2025, month) for month in range(1, 13))]


def month_partition(year: int, month: int) -> tuple[str, str, str]:
    """The partition of one month: its name and its bounds as UTC timestamps."""
    following = (year + 1, 1) if month == 12 else (year, month + 1)
    return (
        f"audit_log_{year}_{month:02d}",
        f"{year}-{month:02d}-01 00:00:00+00",
        f"{following[0]}-{following[1]:02d}-01 00:00:00+00",
    )


def upgrade() -> None:
    op.create_table(
        "clinicas",
        sa.Column("id_clinica", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("nombre", sa.Text(), nullable=False),
        sa.Column("rfc", sa.String(length=13), nullable=True),
        sa.Column("activa", sa.Boolean(), server_default=TRUE, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.PrimaryKeyConstraint("id_clinica", name=op.f("pk_clinicas")),
        schema="auth",
    )

    op.create_table(
        "sys_usuarios",
        sa.Column("id_usuario", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("nombre_usuario", sa.Text(), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("rol", sa.Text(), nullable=False),
        sa.Column("activo", sa.Boolean(), server_default=TRUE, nullable=False),
        sa.Column("clinica_id", sa.BigInteger(), nullable=True),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("last_login", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failed_login_attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.CheckConstraint(
            "length(nombre_usuario) BETWEEN 3 AND 50",
            name=op.f("ck_sys_usuarios_nombre_usuario_length"),
        ),
        sa.CheckConstraint(f"rol IN {STAFF_ROLES}", name=op.f("ck_sys_usuarios_rol")),
        sa.ForeignKeyConstraint(
            ["clinica_id"],
            ["auth.clinicas.id_clinica"],
            name=op.f("fk_sys_usuarios_clinica_id_clinicas"),
        ),
        sa.PrimaryKeyConstraint("id_usuario", name=op.f("pk_sys_usuarios")),
        sa.UniqueConstraint("email", name=op.f("uq_sys_usuarios_email")),
        sa.UniqueConstraint("nombre_usuario", name=op.f("uq_sys_usuarios_nombre_usuario")),
        schema="auth",
    )
    op.create_index(
        op.f("ix_sys_usuarios_clinica_id"), "sys_usuarios", ["clinica_id"], schema="auth"
    )

    op.create_table(
        "audit_log",
        sa.Column("id_log", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("tabla_afectada", sa.Text(), nullable=False),
        sa.Column("registro_id", sa.BigInteger(), nullable=False),
        sa.Column("accion", sa.Text(), nullable=False),
        sa.Column("usuario_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "timestamp_accion", sa.DateTime(timezone=True), server_default=NOW, nullable=False
        ),
        sa.Column("datos_anteriores", postgresql.JSONB(), nullable=True),
        sa.Column("datos_nuevos", postgresql.JSONB(), nullable=True),
        sa.Column("ip_address", postgresql.INET(), nullable=True),
        sa.CheckConstraint(f"accion IN {LEGACY_AUDIT_ACTIONS}", name=op.f("ck_audit_log_accion")),
        sa.ForeignKeyConstraint(
            ["usuario_id"],
            ["auth.sys_usuarios.id_usuario"],
            name=op.f("fk_audit_log_usuario_id_sys_usuarios"),
        ),
        sa.PrimaryKeyConstraint("id_log", "timestamp_accion", name=op.f("pk_audit_log")),
        schema="auth",
        postgresql_partition_by="RANGE (timestamp_accion)",
    )
    for year, month in LEGACY_AUDIT_MONTHS:
        name, starts, ends = month_partition(year, month)
        op.execute(
            f"CREATE TABLE auth.{name} PARTITION OF auth.audit_log "
            f"FOR VALUES FROM ('{starts}') TO ('{ends}')"
        )
    # Indexes on the partitioned table: PostgreSQL builds one on every partition.
    op.create_index(
        op.f("ix_audit_log_tabla_afectada_registro_id"),
        "audit_log",
        ["tabla_afectada", "registro_id"],
        schema="auth",
    )
    op.create_index(op.f("ix_audit_log_usuario_id"), "audit_log", ["usuario_id"], schema="auth")
    op.create_index(
        op.f("ix_audit_log_timestamp_accion"),
        "audit_log",
        [sa.text("timestamp_accion DESC")],
        schema="auth",
    )


def downgrade() -> None:
    ddl.forget_import("clinic")
    op.execute("DROP TABLE IF EXISTS auth.audit_log_overflow")
    op.drop_table("audit_log", schema="auth")  # and its partitions
    op.drop_table("sys_usuarios", schema="auth")
    op.drop_table("clinicas", schema="auth")
