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

import asyncio
import hashlib
import json
import re
import sys
from asyncio.subprocess import PIPE
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import asyncpg
import orjson
from pydantic import BaseModel

from store import case_queries
from store.case_queries import AuditEvent
from store.pool import Connection, create_pool
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


# A number orjson would not read and write back as Python's json does: one with a fraction or an
# exponent (a float: json writes 1e-07 where orjson writes 1e-7) or of 19 digits or more (orjson
# reads an integer beyond 64 bits as a float). Looked for wherever a JSON value can start but the
# very first character (stored_canonical looks at that), so none is missed; a string that merely
# looks like one sends its event down the slower path.
_NOT_ORJSON_SAFE = re.compile(r"[\[:,]\s*-?(?:\d+[.eE]|\d{19})")


def stored_canonical(row: asyncpg.Record | Sequence[Any]) -> bytes:
    """:func:`canonical`, byte for byte, of an event as read from the database: the values of
    :data:`HASHED_FIELDS` in that order (more may follow), ``details`` as jsonb's text.

    Verify's time is mostly this, and it is faster (verify: 8.2 s of CPU a million events, from
    19):  orjson writes what ``json.dumps``
    writes (keys sorted at every level, no whitespace, UTF-8) for every JSON value but the
    numbers above, which take :func:`canonical` itself, as does a year before 1000 (strftime
    writes it with fewer than four digits). tests/audit/test_canonical.py holds the two to
    the same bytes on generated events.
    """
    details, moment = row[9], row[10]
    if (
        moment.tzinfo is UTC
        and moment.year >= 1000
        and details[:1] in "{["  # a document that is one number is not looked for above
        and not _NOT_ORJSON_SAFE.search(details)
    ):
        try:
            # Written out rather than zipped with HASHED_FIELDS: a third of the time.
            fields = {
                "case_id": row[0],
                "seq": row[1],
                "action": row[2],
                "actor_user_id": row[3],
                "actor_role": row[4],
                "on_behalf_of": row[5],
                "from_state": row[6],
                "to_state": row[7],
                "reason": row[8],
                "details": orjson.loads(details),
                # isoformat writes +00:00 after the six digits of the microseconds.
                "occurred_at": moment.isoformat(timespec="microseconds")[:-6] + "Z",
                "prev_hash": row[11],
            }
            return orjson.dumps(fields, option=orjson.OPT_SORT_KEYS)
        except (orjson.JSONDecodeError, orjson.JSONEncodeError):
            pass  # beyond orjson (nested over 254 deep, say): json does it, as canonical does
    event = dict(zip(HASHED_FIELDS, row, strict=False))
    event["details"] = json.loads(details)
    return canonical(event)


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


# A scheme's own events (an invitation run started) belong to no case: they form a chain of
# their own under this id, which no case id can take (case ids start EX-).
SCHEME_CHAIN_PREFIX = "scheme:"


def scheme_chain(scheme: str) -> str:
    return SCHEME_CHAIN_PREFIX + scheme


async def append_scheme_event(connection: Connection, scheme: str, event: dict[str, Any]) -> None:
    """Append an event to the scheme's chain, inside the caller's transaction, as the next seq.

    A scheme keeps no version to number its events by (as a case does), so the number is the
    chain's length so far, read under the chain's lock; the caller writes it once (its own row
    written in the same transaction says whether this is the first time).
    """
    case_id = scheme_chain(scheme)
    await connection.execute("SELECT pg_advisory_xact_lock(hashtext('audit:' || $1))", case_id)
    seq = await connection.fetchval(
        "SELECT coalesce(max(seq), 0) + 1 FROM audit_events WHERE case_id = $1", case_id
    )
    await append_event(connection, event | {"case_id": case_id, "seq": seq})


async def scheme_events(pool: asyncpg.Pool, schemes: list[str], limit: int) -> list[AuditEvent]:
    """The newest events of the schemes' own chains, newest first."""
    rows = await pool.fetch(
        f"SELECT {case_queries.AUDIT_COLUMNS} FROM audit_events "  # noqa: S608 - constant columns
        "WHERE case_id = ANY($1::text[]) ORDER BY occurred_at DESC, event_id DESC LIMIT $2",
        [scheme_chain(s) for s in schemes],
        limit,
    )
    return [AuditEvent.model_validate(dict(r)) for r in rows]


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


# The hashed fields in their order, details as jsonb's text (as stored_canonical takes them), hash.
_VERIFY_COLUMNS = (
    ", ".join("details::text" if name == "details" else name for name in HASHED_FIELDS) + ", hash"
)
# A verify process must have this many events to check before a second one is worth starting:
# a process takes about 0.3 s of CPU to start, what one verifies 40,000 events in.
EVENTS_PER_PROCESS = 100_000
# Events sampled to cut the log into ranges: enough for ranges within a few percent of equal.
_SPLIT_SAMPLE = 50_000
_SNAPSHOT_ID = re.compile(r"[0-9A-F]+-[0-9A-F]+(-[0-9]+)?")


async def verify(
    pool: asyncpg.Pool,
    case_id: str | None = None,
    *,
    database_url: str | None = None,
    processes: int = 1,
    events_per_process: int = EVENTS_PER_PROCESS,
    prefetch: int = 5000,
) -> VerifyReport:
    """Check every chain (or one case's) and report the first broken event of each broken case.

    Per case: seq runs 1..n with no gap, each prev_hash is the hash of the event before it
    (GENESIS for seq 1), each hash recomputes from the event's fields, and the chain is as long
    as the read model's count of the case's transitions (a cut-off tail leaves no gap).
    Streams the log through a server-side cursor in one read-only snapshot: memory stays flat.

    With ``processes`` above 1 (and ``database_url`` for the others to connect with), the log
    is cut into that many ranges of case ids, about equal in events, each checked by a process
    of its own in the same snapshot (``pg_export_snapshot``), this one included; the report is
    the one a single process makes, in the same order. One case, or a log with fewer than
    ``events_per_process`` events a process, is checked here alone.
    """
    if processes > 1 and database_url is None:
        raise ValueError("verifying in several processes needs the database URL they connect to")
    async with (
        pool.acquire() as connection,
        connection.transaction(readonly=True, isolation="repeatable_read"),
    ):
        bounds: list[str] = []
        if case_id is None and processes > 1:
            bounds = await range_bounds(connection, processes, events_per_process)
        if not bounds:
            return _report([await _verify_range(connection, None, None, case_id, prefetch)])
        assert database_url is not None  # checked above: bounds need processes > 1
        # Valid while this transaction lasts, which outlives every process that imports it.
        snapshot = await connection.fetchval("SELECT pg_export_snapshot()")
        others = [
            asyncio.ensure_future(_verify_elsewhere(database_url, snapshot, lower, upper, prefetch))
            for lower, upper in zip(bounds, [*bounds[1:], None], strict=True)
        ]
        try:
            first = await _verify_range(connection, None, bounds[0], None, prefetch)
            return _report([first, *await asyncio.gather(*others)])
        finally:
            for other in others:  # when one range failed: stop the rest, and their processes
                other.cancel()
            await asyncio.gather(*others, return_exceptions=True)


async def range_bounds(
    connection: Connection, processes: int, events_per_process: int
) -> list[str]:
    """Case ids that cut the log into ranges of about equal numbers of events (each bound the
    first case of a range: no case is cut); none when one process should do it all."""
    estimate: float = await connection.fetchval(
        "SELECT reltuples FROM pg_class WHERE oid = 'audit_events'::regclass"
    )
    if estimate < 0:  # never analysed: sample everything
        parts, percent = processes, 100.0
    else:
        parts = min(processes, int(estimate // max(events_per_process, 1)))
        percent = min(100.0, 100.0 * _SPLIT_SAMPLE / max(estimate, 1.0))
    if parts < 2:
        return []
    found: list[str | None] | None = await connection.fetchval(
        "SELECT percentile_disc($1::float8[]) WITHIN GROUP (ORDER BY case_id) "
        "FROM audit_events TABLESAMPLE SYSTEM ($2)",
        [k / parts for k in range(1, parts)],
        percent,
    )
    # A sample with fewer cases than ranges repeats a bound: the ranges between are empty.
    return list(dict.fromkeys(bound for bound in found or [] if bound is not None))


class RangeRequest(BaseModel):
    """What a verify process is handed (on its standard input: the URL may hold a password)."""

    database_url: str
    snapshot: str
    lower: str
    upper: str | None
    prefetch: int


async def _verify_elsewhere(
    database_url: str, snapshot: str, lower: str, upper: str | None, prefetch: int
) -> VerifyPart:
    """One range in a process of its own (store/verify_process.py), started afresh rather than
    through multiprocessing, which would import the caller's main module again."""
    request = RangeRequest(
        database_url=database_url, snapshot=snapshot, lower=lower, upper=upper, prefetch=prefetch
    )
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "store.verify_process", stdin=PIPE, stdout=PIPE
    )
    try:
        output, _ = await child.communicate(request.model_dump_json().encode())
    finally:
        if child.returncode is None:  # cancelled: another range failed
            child.kill()
            await child.wait()
    if child.returncode != 0:
        raise RuntimeError(f"a verify process exited with status {child.returncode}")
    return VerifyPart.model_validate_json(output)


async def verify_in_snapshot(request: RangeRequest) -> VerifyPart:
    """One range of case ids, in the snapshot another process exported (its transaction open)."""
    # Interpolated below (SET takes no parameters): only ever an id PostgreSQL made.
    if not _SNAPSHOT_ID.fullmatch(request.snapshot):
        raise ValueError("not a snapshot id")
    pool = await create_pool(request.database_url, min_size=1, max_size=1)
    try:
        async with (
            pool.acquire() as connection,
            connection.transaction(readonly=True, isolation="repeatable_read"),
        ):
            await connection.execute(f"SET TRANSACTION SNAPSHOT '{request.snapshot}'")
            return await _verify_range(
                connection, request.lower, request.upper, None, request.prefetch
            )
    finally:
        await pool.close()


class VerifyPart(BaseModel):
    """What one range of the log (or one case) verified to, for _report to put together."""

    cases: int = 0
    events: int = 0
    breaks: list[Break] = []
    # Cases the read model counts transitions of and the log has no event of: (id, count).
    emptied: list[tuple[str, int]] = []


def _report(parts: list[VerifyPart]) -> VerifyReport:
    """The parts in case order, then the cases whose every event is gone, as one process has
    always reported them."""
    report = VerifyReport(
        cases=sum(p.cases for p in parts),
        events=sum(p.events for p in parts),
        breaks=[b for p in parts for b in p.breaks],
    )
    for case_id, recorded in sorted(e for p in parts for e in p.emptied):
        report.cases += 1
        report.breaks.append(_cut_tail(case_id, 0, recorded))
    return report


async def _verify_range(
    connection: Connection,
    lower: str | None,
    upper: str | None,
    case_id: str | None,
    prefetch: int,
) -> VerifyPart:
    """The chains of the cases with ids in [lower, upper) (or of the one case), in the snapshot
    of the connection's transaction."""
    conditions, values = [], []
    for operator, value in ((">=", lower), ("<", upper), ("=", case_id)):
        if value is not None:
            values.append(value)
            conditions.append(f"case_id {operator} ${len(values)}")
    where = " AND ".join(conditions) or "true"
    chains = _Chains()
    cursor = await connection.cursor(
        f"SELECT {_VERIFY_COLUMNS} FROM audit_events "  # noqa: S608 - constant fragments
        f"WHERE {where} ORDER BY case_id, seq",
        *values,
    )
    while rows := await cursor.fetch(prefetch):
        # The read model's count of each case's transitions (of a scheme's audited runs), for
        # the chains in these rows only: memory stays flat however many cases there are.
        counted = await connection.fetch(
            "SELECT case_id, version FROM audit_chain_lengths WHERE case_id = ANY($1::text[])",
            list({row[0] for row in rows}),
        )
        chains.check(rows, {r["case_id"]: r["version"] for r in counted})
    chains.finish()
    # Cases (schemes with audited runs) whose every event is gone.
    emptied = await connection.fetch(
        f"SELECT case_id, version FROM audit_chain_lengths c "  # noqa: S608
        f"WHERE {where} AND version > 0 "
        "AND NOT EXISTS (SELECT 1 FROM audit_events e WHERE e.case_id = c.case_id)",
        *values,
    )
    return VerifyPart(
        cases=chains.cases,
        events=chains.events,
        breaks=chains.breaks,
        emptied=[(r["case_id"], r["version"]) for r in emptied],
    )


class _Chains:
    """Follows chains through rows in (case_id, seq) order, batch after batch."""

    def __init__(self) -> None:
        self.cases = 0
        self.events = 0
        self.breaks: list[Break] = []
        self.case_id: str | None = None
        self.expected_seq = 1
        self.previous = GENESIS
        self.broken = False
        self.recorded: int | None = None

    def check(self, rows: list[asyncpg.Record], counted: dict[str, int]) -> None:
        # The loop every event goes through: state in locals, columns by position.
        breaks, cases = self.breaks, self.cases
        case_id, expected_seq, previous = self.case_id, self.expected_seq, self.previous
        broken, recorded = self.broken, self.recorded
        for row in rows:
            if row[0] != case_id:
                if case_id is not None:
                    self._end(case_id, expected_seq - 1, recorded, broken)
                case_id, expected_seq, previous, broken = row[0], 1, GENESIS, False
                recorded = counted.get(case_id)
                cases += 1
            if broken:
                continue
            problem, seq = None, row[1]
            if seq != expected_seq:
                # Name the missing event, not the one after the gap.
                problem = f"seq gap: missing before seq {seq} (an event was deleted)"
                seq = expected_seq
            elif row[11] != previous:
                problem = "prev_hash mismatch (an event was reordered or inserted)"
            elif hashlib.sha256(stored_canonical(row)).hexdigest() != row[12]:
                problem = "hash mismatch (a field was changed)"
            if problem is not None:
                breaks.append(Break(case_id=row[0], seq=seq, problem=problem))
                broken = True
            expected_seq, previous = row[1] + 1, row[12]
        self.cases, self.events = cases, self.events + len(rows)
        self.case_id, self.expected_seq, self.previous = case_id, expected_seq, previous
        self.broken, self.recorded = broken, recorded

    def finish(self) -> None:
        if self.case_id is not None:
            self._end(self.case_id, self.expected_seq - 1, self.recorded, self.broken)

    def _end(self, case_id: str, last_seq: int, recorded: int | None, broken: bool) -> None:
        """The read model counts the case's transitions, in the same transaction as each event:
        a chain that ends short of that count lost its tail, which leaves no gap to see."""
        if not broken and recorded is not None and last_seq < recorded:
            self.breaks.append(_cut_tail(case_id, last_seq, recorded))


def _cut_tail(case_id: str, last_seq: int, recorded: int) -> Break:
    return Break(
        case_id=case_id,
        seq=last_seq + 1,
        problem=f"seq gap: the case recorded {recorded} events, the log ends at "
        f"seq {last_seq} (events deleted)",
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
