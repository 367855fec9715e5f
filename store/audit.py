"""The audit log's tamper evidence, its verification, the access log and retention.

Each event's ``hash`` is the SHA-256 (hex) of its canonical form: a JSON object of the fields
in :data:`HASHED_FIELDS`, keys sorted, no whitespace, UTF-8, ``occurred_at`` as UTC
``YYYY-MM-DDTHH:MM:SS.ffffffZ``, and ``prev_hash`` the hash of the case's previous event (64
zeros for its first). scripts/audit-verify.py recomputes it with nothing but Python's standard
library, as an auditor would.

Personal data stays out of the hashed fields by design (ids, states, amounts and dates of the
case, never a name, a date of birth or pay), so redacting it after the retention period leaves
every chain verifiable.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import asyncpg
from pydantic import BaseModel

from store import case_queries
from store.case_queries import AuditEvent
from store.pool import Connection
from store.safe_csv import CsvLines

GENESIS = "0" * 64
HASHED_FIELDS = (
    "case_id",
    "seq",
    "action",
    "actor_user_id",
    "actor_role",
    "on_behalf_of",
    "from_state",
    "to_state",
    "reason",
    "details",
    "occurred_at",
    "prev_hash",
)


def timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(event: dict[str, Any]) -> bytes:
    fields = {name: event[name] for name in HASHED_FIELDS}
    if isinstance(fields["occurred_at"], datetime):
        fields["occurred_at"] = timestamp(fields["occurred_at"])
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def event_hash(event: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(event)).hexdigest()


async def append_event(connection: Connection, event: dict[str, Any]) -> bool:
    """Append one event to its case's chain, inside the caller's transaction.

    Returns False when (case_id, seq) is already recorded: a retried write lands once.
    """
    case_id, seq = event["case_id"], event["seq"]
    if event["occurred_at"].tzinfo is None:
        raise ValueError("occurred_at needs a zone: the chain hashes the UTC instant")
    # One writer per chain at a time, even for a case's very first event.
    await connection.execute("SELECT pg_advisory_xact_lock(hashtext('audit:' || $1))", case_id)
    # jsonb normalises what it stores (key order, number forms: 1e16 comes back 10000000000000000):
    # hash the details exactly as the database will hand them back, so verify recomputes them.
    found = await connection.fetchrow(
        """SELECT EXISTS (SELECT 1 FROM audit_events WHERE case_id = $1 AND seq = $2) AS present,
                  (SELECT hash FROM audit_events WHERE case_id = $1 AND seq = $2 - 1) AS prev_hash,
                  $3::jsonb AS details""",
        case_id,
        seq,
        event["details"],
    )
    assert found is not None  # a SELECT without FROM returns one row
    if found["present"]:
        return False
    prev_hash = GENESIS if seq == 1 else found["prev_hash"]
    if prev_hash is None:
        # Events of a case are written in order, so the predecessor's write is still to come:
        # refuse (the activity retries) rather than start a chain that could never verify.
        raise RuntimeError(f"audit event {seq} of {case_id} arrived before event {seq - 1}")
    details = found["details"]
    row = event | {"details": details, "prev_hash": prev_hash}
    status = await connection.execute(
        """INSERT INTO audit_events (case_id, seq, action, actor_user_id, actor_role,
                                     on_behalf_of, from_state, to_state, reason, details,
                                     occurred_at, prev_hash, hash)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
           ON CONFLICT (case_id, seq) DO NOTHING""",
        case_id,
        seq,
        row["action"],
        row["actor_user_id"],
        row["actor_role"],
        row["on_behalf_of"],
        row["from_state"],
        row["to_state"],
        row["reason"],
        details,
        row["occurred_at"],
        prev_hash,
        event_hash(row),
    )
    # The lock makes a conflict impossible; the clause is the table's own guarantee besides.
    return status == "INSERT 0 1"


class Break(BaseModel):
    """The first broken event of one case's chain. Ids and numbers only: no personal data."""

    case_id: str
    seq: int
    problem: str

    def __str__(self) -> str:
        return f"case {self.case_id} event seq {self.seq}: {self.problem}"


class VerifyReport(BaseModel):
    cases: int = 0
    events: int = 0
    breaks: list[Break] = []

    @property
    def clean(self) -> bool:
        return not self.breaks


_VERIFY_COLUMNS = ", ".join(HASHED_FIELDS) + ", hash"


async def verify(
    pool: asyncpg.Pool, case_id: str | None = None, *, prefetch: int = 5000
) -> VerifyReport:
    """Check every chain (or one case's) and report the first broken event of each broken case.

    Per case: seq runs 1..n with no gap, each prev_hash is the hash of the event before it
    (GENESIS for seq 1), each hash recomputes from the event's fields, and the chain is as long
    as the read model's count of the case's transitions (a cut-off tail leaves no gap).
    Streams the log through a server-side cursor in one read-only snapshot: memory stays flat.
    """
    report = VerifyReport()
    query = (
        f"SELECT {_VERIFY_COLUMNS} FROM audit_events "  # noqa: S608 - constant column list
        "WHERE $1::text IS NULL OR case_id = $1 ORDER BY case_id, seq"
    )
    current: str | None = None
    expected_seq, previous, broken = 1, GENESIS, False
    async with (
        pool.acquire() as connection,
        connection.transaction(readonly=True, isolation="repeatable_read"),
    ):
        # Same snapshot as the log: a transition committed meanwhile is in both or in neither.
        versions = await _read_model_versions(connection, case_id)
        async for record in connection.cursor(query, case_id, prefetch=prefetch):
            row = dict(record)
            report.events += 1
            if row["case_id"] != current:
                if current is not None:
                    _check_end(
                        report, current, expected_seq - 1, versions.pop(current, None), broken
                    )
                current, expected_seq, previous, broken = row["case_id"], 1, GENESIS, False
                report.cases += 1
            if broken:
                continue
            problem, seq = None, row["seq"]
            if seq != expected_seq:
                # Name the missing event, not the one after the gap.
                problem = f"seq gap: missing before seq {seq} (an event was deleted)"
                seq = expected_seq
            elif row["prev_hash"] != previous:
                problem = "prev_hash mismatch (an event was reordered or inserted)"
            elif event_hash(row) != row["hash"]:
                problem = "hash mismatch (a field was changed)"
            if problem is not None:
                report.breaks.append(Break(case_id=row["case_id"], seq=seq, problem=problem))
                broken = True
            expected_seq, previous = row["seq"] + 1, row["hash"]
        if current is not None:
            _check_end(report, current, expected_seq - 1, versions.pop(current, None), broken)
    # Cases the read model knows of whose every event is gone.
    for missing, recorded in sorted(versions.items()):
        _check_end(report, missing, 0, recorded, False)
    return report


async def _read_model_versions(connection: Connection, case_id: str | None) -> dict[str, int]:
    rows = await connection.fetch(
        "SELECT case_id, version FROM cases WHERE $1::text IS NULL OR case_id = $1", case_id
    )
    return {r["case_id"]: r["version"] for r in rows}


def _check_end(
    report: VerifyReport, case_id: str, last_seq: int, recorded: int | None, broken: bool
) -> None:
    """The read model counts the case's transitions, in the same transaction as each event: a
    chain that ends short of that count lost its tail, which leaves no gap to see."""
    if broken or recorded is None or last_seq >= recorded:
        return
    if last_seq == 0:
        report.cases += 1
    report.breaks.append(
        Break(
            case_id=case_id,
            seq=last_seq + 1,
            problem=f"seq gap: the case recorded {recorded} events, the log ends at "
            f"seq {last_seq} (events deleted)",
        )
    )


# -- access log ------------------------------------------------------------------------------

# The case of a decoded payload sealed before payloads carried their case id (api/routes/codec).
UNKNOWN_CASE = "unknown"


async def record_access(
    pool: asyncpg.Pool, *, user_id: str, role: str, case_id: str, endpoint: str
) -> None:
    await pool.execute(
        "INSERT INTO access_log (user_id, role, case_id, endpoint) VALUES ($1, $2, $3, $4)",
        user_id,
        role,
        case_id,
        endpoint,
    )


class AccessEntry(BaseModel):
    """One read of a case by a member of staff."""

    access_id: int
    user_id: str
    role: str
    case_id: str
    endpoint: str
    at: datetime


async def stream_access(
    pool: asyncpg.Pool,
    *,
    case_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> AsyncIterator[dict[str, Any]]:
    query = (
        "SELECT access_id, user_id, role, case_id, endpoint, at FROM access_log "
        "WHERE ($1::text IS NULL OR case_id = $1) "
        "AND ($2::timestamptz IS NULL OR at >= $2) AND ($3::timestamptz IS NULL OR at < $3) "
        "ORDER BY at, access_id"
    )
    async with pool.acquire() as connection, connection.transaction(readonly=True):
        async for row in connection.cursor(query, case_id, since, until, prefetch=1000):
            yield dict(row)


# -- retention -------------------------------------------------------------------------------

REDACTED = "[redacted]"


async def redact_closed_cases(pool: asyncpg.Pool, *, older_than: timedelta) -> int:
    """Remove personal data of officers whose cases all closed longer ago than ``older_than``.

    The roster row keeps the officer id and rank (reports by rank stay possible) and loses the
    name, date of birth, pay, misconduct flag and equality data; the read model's case views
    lose the calculation's working (age, pay). Audit events are untouched, and verify stays
    clean. Returns the number of officers redacted.
    """
    cutoff = datetime.now(UTC) - older_than
    async with pool.acquire() as connection, connection.transaction():
        officer_ids = await connection.fetch(
            """SELECT o.officer_id FROM officers o
               WHERE o.redacted_at IS NULL
                 AND EXISTS (SELECT 1 FROM cases c WHERE c.officer_id = o.officer_id)
                 AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.officer_id = o.officer_id
                                  AND (c.is_open OR c.updated_at > $1))""",
            cutoff,
        )
        ids = [r["officer_id"] for r in officer_ids]
        if not ids:
            return 0
        await connection.execute(
            """UPDATE officers SET name = $2, date_of_birth = NULL, annual_pay = NULL,
                   misconduct_pending = NULL, sex = NULL, ethnicity = NULL, disability = NULL,
                   pensionable_service_days = NULL, service_as_of = NULL,
                   redacted_at = now()
               WHERE officer_id = ANY($1::text[])""",
            ids,
            REDACTED,
        )
        # The case view keeps the facts of the case (states, dates, amounts, approvals) and
        # loses the calculation's working (age, pay) and the free text people wrote about
        # themselves: the statement, answers to questions, assessments and representations.
        await connection.execute(
            """UPDATE cases SET view = view
                   || jsonb_build_object(
                        'calculation', NULL,
                        'application', view->'application' || jsonb_build_object(
                            'statement', CASE WHEN view #> '{application,statement}' = 'null'
                                              THEN NULL ELSE $2::text END),
                        'info_requests', (
                            SELECT coalesce(jsonb_agg(r || jsonb_build_object(
                                       'question', $2::text,
                                       'answer', CASE WHEN r->'answer' = 'null'
                                                      THEN NULL ELSE $2::text END)
                                   ORDER BY n), '[]'::jsonb)
                            FROM jsonb_array_elements(view->'info_requests')
                                 WITH ORDINALITY AS t(r, n)))
                   || CASE WHEN jsonb_typeof(view->'efficiency') = 'object' THEN
                        jsonb_build_object('efficiency', view->'efficiency' || jsonb_build_object(
                            'proposal', view #> '{efficiency,proposal}' || jsonb_build_object(
                                'critical_skills', $2::text, 'performance', $2::text),
                            'representations', (
                                SELECT coalesce(jsonb_agg(r || jsonb_build_object('text', $2::text)
                                                          ORDER BY n), '[]'::jsonb)
                                FROM jsonb_array_elements(view #> '{efficiency,representations}')
                                     WITH ORDINALITY AS t(r, n))))
                      ELSE '{}'::jsonb END
               WHERE officer_id = ANY($1::text[])""",
            ids,
            REDACTED,
        )
    return len(ids)


# -- export formats ----------------------------------------------------------------------------


class ExportFormat(StrEnum):
    JSONL = "jsonl"
    CSV = "csv"


CSV_COLUMNS = list(AuditEvent.model_fields)


async def _jsonl(events: AsyncIterator[AuditEvent]) -> AsyncIterator[str]:
    async for event in events:
        yield event.model_dump_json() + "\n"


async def _csv(events: AsyncIterator[AuditEvent]) -> AsyncIterator[str]:
    lines = CsvLines()
    # The header leaves with the first row, so the first chunk still waits on the database
    # (the API reads it before answering 200).
    header = lines.line(CSV_COLUMNS)
    async for event in events:
        row = event.model_dump(mode="json")
        row["details"] = json.dumps(row["details"], sort_keys=True)
        # One chunk per row: the reader sees progress, and memory stays flat.
        yield header + lines.line(row[c] for c in CSV_COLUMNS)
        header = ""
    if header:
        yield header


def render_export(events: AsyncIterator[AuditEvent], fmt: ExportFormat) -> AsyncIterator[str]:
    """Events as JSON lines or as CSV (header row; ``details`` as JSON), chunk by chunk.

    JSON lines carry every field exactly, so chains verify from them; CSV cells that a
    spreadsheet would run as formulas are neutralised (store/safe_csv.py).
    """
    return _jsonl(events) if fmt is ExportFormat.JSONL else _csv(events)


def export(
    pool: asyncpg.Pool,
    since: datetime | None = None,
    until: datetime | None = None,
    fmt: ExportFormat = ExportFormat.JSONL,
) -> AsyncIterator[str]:
    """The audit log in [since, until), in time order, as JSON lines or CSV, streamed through a
    server-side cursor: a million events export in constant memory."""
    return render_export(case_queries.stream_audit(pool, since=since, until=until), fmt)


async def export_access(
    pool: asyncpg.Pool,
    *,
    case_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> AsyncIterator[str]:
    """The access log as JSON lines, in time order."""
    async for row in stream_access(pool, case_id=case_id, since=since, until=until):
        yield AccessEntry.model_validate(row).model_dump_json() + "\n"
