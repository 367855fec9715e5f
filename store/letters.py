"""Letter template sets and the documents (letters) cases produced. Both tables are append-only.

Template sets work as policies do: the newest is current and applies to new cases; a case
keeps the version it started with. A document is stored once per (case, kind, audit seq).
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import TypeVar

import asyncpg
from pydantic import BaseModel

from domain.documents import LetterKind, LetterRef, document_id
from domain.letters import DEFAULT_VERSION, TemplateSet, default_templates
from store.pool import Connection
from store.versions import add_version

Info = TypeVar("Info", bound=BaseModel)

Executor = asyncpg.Pool | Connection
PDF = "application/pdf"


async def add_templates(pool: asyncpg.Pool, templates: TemplateSet, created_by: str) -> bool:
    """Store a new version; False when the identical set is already stored under it."""
    return await add_version(
        pool,
        """INSERT INTO letter_templates (version, templates, created_by) VALUES ($1, $2, $3)
           ON CONFLICT (version) DO NOTHING RETURNING true""",
        (templates.version, templates.templates, created_by),
        lambda connection: get_templates(connection, templates.version),
        templates,
    )


async def get_templates(executor: Executor, version: str) -> TemplateSet | None:
    found = await executor.fetchval(
        "SELECT templates FROM letter_templates WHERE version = $1", version
    )
    if found is None:
        if version == DEFAULT_VERSION:
            # Cases that started before any set was stored use the shipped wording.
            return default_templates()
        return None
    return TemplateSet(version=version, templates=found)


class TemplateVersion(BaseModel):
    version: str
    created_by: str
    created_at: datetime


async def list_templates(executor: Executor) -> list[TemplateVersion]:
    rows = await executor.fetch(
        "SELECT version, created_by, created_at FROM letter_templates ORDER BY created_at, version"
    )
    return [TemplateVersion(**dict(r)) for r in rows]


async def current_version(pool: asyncpg.Pool) -> str:
    """The version new cases start under, storing the shipped default first if none is."""
    version = await pool.fetchval(
        "SELECT version FROM letter_templates ORDER BY created_at DESC, version DESC LIMIT 1"
    )
    if version is not None:
        return str(version)
    await add_templates(pool, default_templates(), "system")
    return DEFAULT_VERSION


# -- documents ---------------------------------------------------------------------------------


class DocumentInfo(BaseModel):
    """A stored letter without its content."""

    document_id: str
    case_id: str
    kind: LetterKind
    seq: int
    template_version: str
    media_type: str
    sha256: str
    size: int
    created_at: datetime

    def ref(self) -> LetterRef:
        return LetterRef(
            kind=self.kind,
            document_id=self.document_id,
            seq=self.seq,
            sha256=self.sha256,
            template_version=self.template_version,
        )


_INFO = (
    "document_id, case_id, kind, seq, template_version, media_type, sha256, "
    "octet_length(content) AS size, created_at"
)


async def find_document(
    executor: Executor, case_id: str, kind: LetterKind, seq: int
) -> DocumentInfo | None:
    row = await executor.fetchrow(
        f"SELECT {_INFO} FROM documents WHERE case_id = $1 AND kind = $2 AND seq = $3",  # noqa: S608
        case_id,
        kind.value,
        seq,
    )
    return DocumentInfo(**dict(row)) if row is not None else None


async def store_document(
    pool: asyncpg.Pool,
    *,
    case_id: str,
    kind: LetterKind,
    seq: int,
    template_version: str,
    content: bytes,
) -> DocumentInfo:
    """Store the letter for this occasion once, and return the one stored.

    A retried activity renders again (PDFs carry their creation time, so the bytes differ); the
    first write wins and every caller gets that one back, with its hash.
    """
    await pool.execute(
        """INSERT INTO documents (case_id, document_id, kind, seq, template_version, media_type,
                                  sha256, content)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT DO NOTHING""",
        case_id,
        document_id(kind, seq),
        kind.value,
        seq,
        template_version,
        PDF,
        hashlib.sha256(content).hexdigest(),
        content,
    )
    stored = await find_document(pool, case_id, kind, seq)
    assert stored is not None
    return stored


async def list_documents(executor: Executor, case_id: str) -> list[DocumentInfo]:
    rows = await executor.fetch(
        f"SELECT {_INFO} FROM documents WHERE case_id = $1 ORDER BY seq, kind",  # noqa: S608
        case_id,
    )
    return [DocumentInfo(**dict(r)) for r in rows]


async def document_content(
    executor: Executor, case_id: str, document: str
) -> tuple[DocumentInfo, bytes] | None:
    row = await executor.fetchrow(
        f"SELECT {_INFO}, content FROM documents "  # noqa: S608
        "WHERE case_id = $1 AND document_id = $2",
        case_id,
        document,
    )
    return None if row is None else _with_content(DocumentInfo, row)


# -- invitation letters ------------------------------------------------------------------------


class InvitationLetterInfo(BaseModel):
    """A stored invitation letter without its content: one per officer and scheme."""

    scheme: str
    officer_id: str
    template_version: str
    media_type: str
    sha256: str
    size: int
    created_at: datetime


_INVITATION_INFO = (
    "scheme, officer_id, template_version, media_type, sha256, "
    "octet_length(content) AS size, created_at"
)


async def store_invitation_letters(
    connection: Connection, scheme: str, template_version: str, contents: dict[str, bytes]
) -> None:
    """Inside the transaction that records the invitations: the first letter kept wins."""
    await connection.executemany(
        """INSERT INTO invitation_letters (scheme, officer_id, template_version, media_type,
                                           sha256, content)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING""",
        [
            (scheme, officer_id, template_version, PDF, hashlib.sha256(pdf).hexdigest(), pdf)
            for officer_id, pdf in contents.items()
        ],
    )


async def list_invitation_letters(
    executor: Executor, officer_id: str
) -> list[InvitationLetterInfo]:
    rows = await executor.fetch(
        f"SELECT {_INVITATION_INFO} FROM invitation_letters "  # noqa: S608
        "WHERE officer_id = $1 ORDER BY created_at, scheme",
        officer_id,
    )
    return [InvitationLetterInfo(**dict(r)) for r in rows]


async def invitation_letter_content(
    executor: Executor, scheme: str, officer_id: str
) -> tuple[InvitationLetterInfo, bytes] | None:
    row = await executor.fetchrow(
        f"SELECT {_INVITATION_INFO}, content FROM invitation_letters "  # noqa: S608
        "WHERE scheme = $1 AND officer_id = $2",
        scheme,
        officer_id,
    )
    return None if row is None else _with_content(InvitationLetterInfo, row)


def _with_content(model: type[Info], row: asyncpg.Record) -> tuple[Info, bytes]:
    """A stored letter's row as its description and, apart, its bytes."""
    fields = dict(row)
    content: bytes = fields.pop("content")
    return model(**fields), content
