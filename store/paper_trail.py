"""A case's paper trail beside the workflow: evidence files, staff notes and the officer's
representative. Each table is append-only (migration 0018): rows are added, never changed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg
from pydantic import BaseModel

from domain.evidence import MAX_FILES_PER_CASE, AttachedTo


class TooManyFiles(Exception):
    """The case holds :data:`~domain.evidence.MAX_FILES_PER_CASE` files already."""


class Evidence(BaseModel):
    """One attached file, without its content."""

    evidence_id: int
    case_id: str
    attached_to: AttachedTo
    filename: str
    media_type: str
    size_bytes: int
    sha256: str
    added_by: str
    added_role: str
    on_behalf_of: str | None
    added_at: datetime


class Note(BaseModel):
    note_id: int
    case_id: str
    author: str
    author_role: str
    text: str
    added_at: datetime


class Nomination(BaseModel):
    """A nomination in force, or its withdrawal (``representative_id`` None)."""

    nomination_id: int
    case_id: str
    representative_id: str | None
    by_user_id: str
    at: datetime


_EVIDENCE = (
    "evidence_id, case_id, attached_to, filename, media_type, size_bytes, sha256, added_by, "
    "added_role, on_behalf_of, added_at"
)


async def add_evidence(
    pool: asyncpg.Pool,
    *,
    case_id: str,
    attached_to: AttachedTo,
    filename: str,
    media_type: str,
    content: bytes,
    sha256: str,
    added_by: str,
    added_role: str,
    on_behalf_of: str | None,
) -> Evidence:
    """Store one file, unless the case is full (:class:`TooManyFiles`, nothing stored)."""
    async with pool.acquire() as connection, connection.transaction():
        # Two uploads at once must not both take the case's last place.
        await connection.execute(
            "SELECT pg_advisory_xact_lock(hashtext('evidence:' || $1))", case_id
        )
        held = await connection.fetchval(
            "SELECT count(*) FROM evidence WHERE case_id = $1", case_id
        )
        if held >= MAX_FILES_PER_CASE:
            raise TooManyFiles
        row = await connection.fetchrow(
            f"""INSERT INTO evidence (case_id, attached_to, filename, media_type, size_bytes,
                                      sha256, content, added_by, added_role, on_behalf_of)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                RETURNING {_EVIDENCE}""",  # noqa: S608 - constant column list
            case_id,
            attached_to.value,
            filename,
            media_type,
            len(content),
            sha256,
            content,
            added_by,
            added_role,
            on_behalf_of,
        )
    assert row is not None  # INSERT ... RETURNING returns its row
    return Evidence.model_validate(dict(row))


async def list_evidence(pool: asyncpg.Pool, case_id: str) -> list[Evidence]:
    rows = await pool.fetch(
        f"SELECT {_EVIDENCE} FROM evidence WHERE case_id = $1 ORDER BY evidence_id",  # noqa: S608
        case_id,
    )
    return [Evidence.model_validate(dict(r)) for r in rows]


async def evidence_file(
    pool: asyncpg.Pool, case_id: str, evidence_id: int
) -> tuple[Evidence, bytes] | None:
    row = await pool.fetchrow(
        f"SELECT {_EVIDENCE}, content FROM evidence "  # noqa: S608 - constant column list
        "WHERE case_id = $1 AND evidence_id = $2",
        case_id,
        evidence_id,
    )
    if row is None:
        return None
    fields = dict(row)
    return Evidence.model_validate(fields), bytes(fields.pop("content"))


async def add_note(
    pool: asyncpg.Pool, *, case_id: str, author: str, author_role: str, text: str
) -> Note:
    row = await pool.fetchrow(
        """INSERT INTO case_notes (case_id, author, author_role, text) VALUES ($1, $2, $3, $4)
           RETURNING note_id, case_id, author, author_role, text, added_at""",
        case_id,
        author,
        author_role,
        text,
    )
    assert row is not None  # INSERT ... RETURNING returns its row
    return Note.model_validate(dict(row))


async def list_notes(pool: asyncpg.Pool, case_id: str) -> list[Note]:
    rows = await pool.fetch(
        """SELECT note_id, case_id, author, author_role, text, added_at FROM case_notes
           WHERE case_id = $1 ORDER BY note_id""",
        case_id,
    )
    return [Note.model_validate(dict(r)) for r in rows]


async def record_nomination(
    pool: asyncpg.Pool, *, case_id: str, representative_id: str | None, by_user_id: str
) -> Nomination:
    """Nominate ``representative_id`` for the case, or withdraw the nomination (None)."""
    row = await pool.fetchrow(
        """INSERT INTO case_representatives (case_id, representative_id, by_user_id)
           VALUES ($1, $2, $3)
           RETURNING nomination_id, case_id, representative_id, by_user_id, at""",
        case_id,
        representative_id,
        by_user_id,
    )
    assert row is not None  # INSERT ... RETURNING returns its row
    return Nomination.model_validate(dict(row))


async def current_nomination(pool: asyncpg.Pool, case_id: str) -> Nomination | None:
    """The case's latest nomination row (a withdrawal included), or None if never nominated."""
    row = await pool.fetchrow(
        """SELECT nomination_id, case_id, representative_id, by_user_id, at
           FROM case_representatives WHERE case_id = $1
           ORDER BY nomination_id DESC LIMIT 1""",
        case_id,
    )
    return Nomination.model_validate(dict(row)) if row else None


async def nominations(pool: asyncpg.Pool, case_id: str) -> list[Nomination]:
    rows = await pool.fetch(
        """SELECT nomination_id, case_id, representative_id, by_user_id, at
           FROM case_representatives WHERE case_id = $1 ORDER BY nomination_id""",
        case_id,
    )
    return [Nomination.model_validate(dict(r)) for r in rows]


async def represents(pool: asyncpg.Pool, representative_id: str, case_id: str) -> bool:
    """Whether the case's nomination in force names ``representative_id``."""
    nomination = await current_nomination(pool, case_id)
    return nomination is not None and nomination.representative_id == representative_id


# -- subject access ---------------------------------------------------------------------------


async def officer_record(pool: asyncpg.Pool, officer_id: str) -> dict[str, Any] | None:
    row = await pool.fetchrow("SELECT * FROM officers WHERE officer_id = $1", officer_id)
    return dict(row) if row else None


async def officer_case_ids(pool: asyncpg.Pool, officer_id: str) -> list[str]:
    rows = await pool.fetch(
        "SELECT case_id FROM cases WHERE officer_id = $1 ORDER BY created_at, case_id", officer_id
    )
    return [r["case_id"] for r in rows]


async def officer_invitations(pool: asyncpg.Pool, officer_id: str) -> list[dict[str, Any]]:
    """The schemes that invited the officer: when, by which run, and when reminded."""
    rows = await pool.fetch(
        """SELECT scheme, run_id, invited_by, invited_at, reminded_at FROM scheme_invitations
           WHERE officer_id = $1 ORDER BY invited_at, scheme""",
        officer_id,
    )
    return [dict(r) for r in rows]


async def access_entries(
    pool: asyncpg.Pool, case_ids: list[str], endpoints: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """Reads of the cases, and reads logged under an ``endpoint`` named here (what belongs to
    no case, such as an invitation letter, is logged under its scheme with an endpoint that
    names the officer)."""
    rows = await pool.fetch(
        """SELECT access_id, user_id, role, case_id, endpoint, at FROM access_log
           WHERE case_id = ANY($1::text[]) OR endpoint = ANY($2::text[])
           ORDER BY at, access_id""",
        case_ids,
        list(endpoints),
    )
    return [dict(r) for r in rows]


async def unattached(pool: asyncpg.Pool, case_id: str, hashes: list[str]) -> list[str]:
    """Those of ``hashes`` that are the SHA-256 of no file attached to the case."""
    rows = await pool.fetch(
        "SELECT DISTINCT sha256 FROM evidence WHERE case_id = $1 AND sha256 = ANY($2::text[])",
        case_id,
        hashes,
    )
    found = {r["sha256"] for r in rows}
    return [h for h in dict.fromkeys(hashes) if h not in found]
