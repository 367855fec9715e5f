"""GET /v1/reports/equality on a database holding the synthetic roster of 720 officers
(tests/helpers/equality.py): the figures the store reads match those the domain makes of the
same roster (tests/domain/test_equality.py checks those against an independent count), only HR
managers and auditors see them, and every view is in the access log.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from domain.equality import SUPPRESSED, ReportKind
from domain.people import Role
from store import equality
from store.cases import insert_submitted
from store.officers import upsert_officers
from store.schemes import link_case
from tests.helpers.api import API_POLICY, Api, Stack, add_user
from tests.helpers.equality import AS_OF, Truth, case_views, report_of, synthetic_roster
from tests.helpers.officers import officer

ROSTER = synthetic_roster()
SCHEME = "ves-2026"
API_POLICY_RANKS = {r.value for r in API_POLICY.eligible_ranks}


async def _load(stack: Stack, roster: list[Truth]) -> None:
    pool = stack.pool
    await upsert_officers(pool, [t.officer for t in roster])
    # As `exitcases audit redact` leaves them (store/audit.py).
    await pool.execute(
        """UPDATE officers SET sex = NULL, ethnicity = NULL, disability = NULL,
               date_of_birth = NULL, redacted_at = now() WHERE officer_id = ANY($1::text[])""",
        [t.officer.officer_id for t in roster if t.redacted],
    )
    await pool.executemany(
        """INSERT INTO scheme_invitations (scheme, officer_id, run_id, invited_by, invited_at)
           VALUES ($1, $2, 'synthetic', 'u_hr', '2026-02-02T09:00:00Z')""",
        [(SCHEME, t.officer.officer_id) for t in roster if t.invited],
    )
    async with pool.acquire() as connection, connection.transaction():
        for truth in roster:
            for view in case_views(truth):
                await insert_submitted(connection, view)
                if view.kind.value == ReportKind.VOLUNTARY_EXIT.value:
                    await link_case(connection, view.case_id, SCHEME)


@pytest_asyncio.fixture(loop_scope="session")
async def equality_api(scheme_api: Api) -> AsyncIterator[Api]:
    api = scheme_api
    response = await api.as_("admin").post(
        "/v1/schemes",
        json={
            "name": SCHEME,
            "policy_version": API_POLICY.version,
            "application_opens": "2026-01-05",
            "application_closes": "2026-06-30",
            "budget": "25000000.00",
        },
    )
    assert response.status_code == 201, response.text
    await _load(api.stack, ROSTER)
    yield api


def _figures(report: dict[str, Any]) -> dict[tuple[str, str, str], Any]:
    return {
        (d["dimension"], s["stage"], f["group"]): (f["count"], f["rate"], f["below_four_fifths"])
        for d in report["dimensions"]
        for s in d["stages"]
        for f in [*s["groups"], s["total"]]
    }


async def test_the_report_reads_what_the_roster_and_the_cases_say(equality_api: Api) -> None:
    api = equality_api
    for kind in ReportKind:
        response = await api.as_("hr_manager").get(
            "/v1/reports/equality", params={"kind": kind.value, "to": AS_OF.isoformat()}
        )
        assert response.status_code == 200, response.text
        report = response.json()
        assert report["as_of"] == AS_OF.isoformat()
        assert report["scheme"] == (SCHEME if kind is ReportKind.VOLUNTARY_EXIT else None)
        expected = report_of(kind, ROSTER).model_dump(mode="json")
        assert _figures(report) == _figures(expected)
        assert "not a legal test" in report["note"]

    # One figure counted here too: efficiency proposals of officers on the roster.
    proposed = sum(1 for t in ROSTER if t.proposed)
    assert _figures(report)["sex", "proposed", "total"][0] == proposed


async def test_a_report_reads_the_roster_and_the_cases_as_of_one_moment(
    equality_api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An officer who joins the roster while a report is being read, after it read the cases
    and before it counted the rest of the roster, is not in that report: it reads one
    snapshot, not each statement's own."""
    api = equality_api
    people = equality._people
    newcomer = officer(officer_id="OFJOINED1")

    async def people_then_someone_joins(*args: Any) -> Any:
        found = await people(*args)
        await upsert_officers(api.stack.pool, [newcomer])  # its own connection, committed
        return found

    monkeypatch.setattr(equality, "_people", people_then_someone_joins)
    params = {"kind": "efficiency_retirement", "to": AS_OF.isoformat()}
    during = await api.as_("auditor").get("/v1/reports/equality", params=params)
    assert during.status_code == 200, during.text
    assert _figures(during.json())["sex", "pool", "total"][0] == len(ROSTER)

    monkeypatch.undo()
    after = await api.as_("auditor").get("/v1/reports/equality", params=params)
    assert _figures(after.json())["sex", "pool", "total"][0] == len(ROSTER) + 1


async def test_the_period_limits_the_cases_and_invitations(equality_api: Api) -> None:
    # The synthetic cases were opened on 2 March 2026 and invitations made on 2 February.
    response = await equality_api.as_("auditor").get(
        "/v1/reports/equality", params={"from": "2026-03-03", "to": "2026-06-30"}
    )
    assert response.status_code == 200, response.text
    figures = _figures(response.json())
    pool = sum(1 for t in ROSTER if t.officer.rank.value in API_POLICY_RANKS)
    assert figures["sex", "pool", "total"][0] == pool
    assert figures["sex", "applied", "total"][0] == 0
    assert figures["sex", "invited", "total"][0] == 0
    within = await equality_api.as_("auditor").get(
        "/v1/reports/equality", params={"from": "2026-02-02", "to": "2026-03-02"}
    )
    assert _figures(within.json())["sex", "applied", "total"][0] == sum(
        1 for t in ROSTER if t.applied
    )
    backwards = await equality_api.as_("auditor").get(
        "/v1/reports/equality", params={"from": "2026-03-03", "to": "2026-03-02"}
    )
    assert backwards.status_code == 422
    # The ends of the calendar are days like any other.
    widest = await equality_api.as_("auditor").get(
        "/v1/reports/equality", params={"from": "0001-01-01", "to": "9999-12-31"}
    )
    assert widest.status_code == 200, widest.text


async def test_the_csv_download_carries_the_same_figures(equality_api: Api) -> None:
    api = equality_api
    response = await api.as_("auditor").get(
        "/v1/reports/equality", params={"format": "csv", "to": AS_OF.isoformat()}
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0][:4] == ["dimension", "group", "stage", "count"]
    expected = _figures(report_of(ReportKind.VOLUNTARY_EXIT, ROSTER).model_dump(mode="json"))
    for dimension, group, stage, count, *_ in rows[1:-1]:
        assert count == str(expected[dimension, stage, group][0])
    assert any(r[3] == SUPPRESSED for r in rows)
    assert "not a legal test" in rows[-1][3]


async def test_only_hr_managers_and_auditors_see_it_and_each_view_is_logged(
    equality_api: Api,
) -> None:
    api = equality_api
    for role in ("caseworker", "approver_executive", "admin"):
        response = await api.as_(role).get("/v1/reports/equality")
        assert response.status_code == 403, role
        assert "equality report" in response.json()["detail"]
    officer = await add_user(
        api.stack.pool, "Officer", Role.OFFICER, officer_id=ROSTER[0].officer.officer_id
    )
    assert (await api.as_(officer).get("/v1/reports/equality")).status_code == 403
    before = await api.stack.pool.fetchval("SELECT count(*) FROM access_log")
    assert (await api.as_("hr_manager").get("/v1/reports/equality")).status_code == 200
    efficiency = await api.as_("auditor").get(
        "/v1/reports/equality", params={"kind": "efficiency_retirement", "format": "csv"}
    )
    assert efficiency.status_code == 200
    logged = await api.stack.pool.fetch(
        "SELECT role, case_id, endpoint FROM access_log ORDER BY access_id OFFSET $1", before
    )
    assert [(r["role"], r["case_id"], r["endpoint"]) for r in logged] == [
        ("hr_manager", f"equality:voluntary_exit:{SCHEME}", "GET /v1/reports/equality"),
        ("auditor", "equality:efficiency_retirement", "GET /v1/reports/equality"),
    ]
    unknown = await api.as_("hr_manager").get("/v1/reports/equality?scheme=no-such")
    assert unknown.status_code == 404
