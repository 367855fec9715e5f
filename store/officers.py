"""The officer roster in PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from domain.officer import Officer
from store.pool import Connection

Executor = asyncpg.Pool | Connection

_COLUMNS = (
    "officer_id, name, rank, date_of_birth, service_start, annual_pay, pension_scheme, "
    "misconduct_pending, sex, ethnicity, disability, pensionable_service_days, service_as_of"
)


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int


async def upsert_officers(pool: asyncpg.Pool, officers: list[Officer]) -> ImportResult:
    """Insert or update every officer in one transaction: all rows or none."""
    async with pool.acquire() as connection, connection.transaction():
        existing = await connection.fetchval(
            "SELECT count(*) FROM officers WHERE officer_id = ANY($1::text[])",
            [o.officer_id for o in officers],
        )
        await connection.executemany(
            f"""INSERT INTO officers ({_COLUMNS})
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
                ON CONFLICT (officer_id) DO UPDATE SET
                    name = EXCLUDED.name, rank = EXCLUDED.rank,
                    date_of_birth = EXCLUDED.date_of_birth,
                    service_start = EXCLUDED.service_start, annual_pay = EXCLUDED.annual_pay,
                    pension_scheme = EXCLUDED.pension_scheme,
                    misconduct_pending = EXCLUDED.misconduct_pending, sex = EXCLUDED.sex,
                    ethnicity = EXCLUDED.ethnicity, disability = EXCLUDED.disability,
                    pensionable_service_days = EXCLUDED.pensionable_service_days,
                    service_as_of = EXCLUDED.service_as_of,
                    updated_at = now(), redacted_at = NULL""",  # noqa: S608 (a constant column list)
            [
                (
                    o.officer_id,
                    o.name,
                    o.rank.value,
                    o.date_of_birth,
                    o.service_start,
                    o.annual_pay,
                    o.pension_scheme.value,
                    o.misconduct_pending,
                    o.sex,
                    o.ethnicity,
                    o.disability,
                    o.pensionable_service_days,
                    o.service_as_of,
                )
                for o in officers
            ],
        )
    return ImportResult(created=len(officers) - existing, updated=existing)


async def same_id_but_case(executor: Executor, officer_id: str) -> str | None:
    """The roster's id that differs from ``officer_id`` only in upper and lower case, if exactly
    one does: what someone who typed "of1003" for OF1003 meant."""
    rows = await executor.fetch(
        "SELECT officer_id FROM officers WHERE lower(officer_id) = lower($1) LIMIT 2", officer_id
    )
    return rows[0]["officer_id"] if len(rows) == 1 else None


async def get_officer(executor: Executor, officer_id: str) -> Officer | None:
    # A redacted officer (retention) no longer has the data a case needs: as if not on the roster.
    row = await executor.fetchrow(
        f"SELECT {_COLUMNS} FROM officers WHERE officer_id = $1 AND redacted_at IS NULL",  # noqa: S608
        officer_id,
    )
    return Officer.model_validate(dict(row)) if row else None
