"""Regulation records: added by admins, never changed, read by the efficiency branch."""

from __future__ import annotations

from datetime import date
from typing import Any

import asyncpg

from domain.regulation import Regulation, RegulationParameters, RegulationRecord, in_force


class RegulationConflict(Exception):
    """The legal reference and version exist already with different content."""


def _record(row: asyncpg.Record) -> RegulationRecord:
    return RegulationRecord(
        legal_reference=row["legal_reference"],
        version=row["version"],
        effective_from=row["effective_from"],
        effective_to=row["effective_to"],
        parameters=RegulationParameters.model_validate(row["parameters"]),
        created_by=row["created_by"],
        created_at=row["created_at"],
    )


def _same(stored: RegulationRecord, submitted: Regulation) -> bool:
    fields = set(Regulation.model_fields)
    return stored.model_dump(include=fields) == submitted.model_dump(include=fields)


async def add_regulation(
    pool: asyncpg.Pool, regulation: Regulation, created_by: str
) -> tuple[RegulationRecord, bool]:
    """Store a record; return it and whether it is new.

    The same record twice is not an error (a retried request): the stored one comes back.
    The caller has admitted ``regulation`` (``domain.bounds.admit``), as the API route does.
    """
    parameters: dict[str, Any] = regulation.parameters.model_dump(mode="json")
    row = await pool.fetchrow(
        """INSERT INTO regulations (legal_reference, version, effective_from, effective_to,
                                    parameters, created_by)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (legal_reference, version) DO NOTHING
           RETURNING *""",
        regulation.legal_reference,
        regulation.version,
        regulation.effective_from,
        regulation.effective_to,
        parameters,
        created_by,
    )
    if row is not None:
        return _record(row), True
    existing = await get_regulation(pool, regulation.legal_reference, regulation.version)
    assert existing is not None  # rows are never deleted
    if not _same(existing, regulation):
        raise RegulationConflict(
            f"version {regulation.version} of this legal reference exists with other content"
        )
    return existing, False


async def get_regulation(
    pool: asyncpg.Pool, legal_reference: str, version: str
) -> RegulationRecord | None:
    row = await pool.fetchrow(
        "SELECT * FROM regulations WHERE legal_reference = $1 AND version = $2",
        legal_reference,
        version,
    )
    return _record(row) if row else None


async def list_regulations(
    pool: asyncpg.Pool, *, in_force_on: date | None = None
) -> list[RegulationRecord]:
    """Every record, oldest in force first (or those in force on a day)."""
    rows = await pool.fetch(
        """SELECT * FROM regulations
           WHERE $1::date IS NULL
              OR (effective_from <= $1 AND (effective_to IS NULL OR effective_to >= $1))
           ORDER BY effective_from, legal_reference, version""",
        in_force_on,
    )
    return [_record(r) for r in rows]


async def regulation_in_force(pool: asyncpg.Pool, day: date) -> RegulationRecord | None:
    """The record that permits efficiency retirement on ``day``, if any.

    Records are never changed: a later version of the same legal reference replaces the
    earlier ones, so an admin ends or revokes a record by adding a version with an
    ``effective_to``. Only each reference's newest version counts.
    """
    rows = await pool.fetch(
        """SELECT DISTINCT ON (legal_reference) *
           FROM regulations
           ORDER BY legal_reference, created_at DESC, version DESC"""
    )
    chosen = in_force((_record(r) for r in rows), day)
    return chosen if isinstance(chosen, RegulationRecord) else None
