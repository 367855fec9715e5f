"""`exitcases officers import` and `exitcases compensation quote`, run as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import asyncpg
import pytest

from tests.helpers.processes import run_cli

# Every test here runs `exitcases` as a process.
pytestmark = pytest.mark.slow

HEADER = (
    "officer_id,name,rank,date_of_birth,service_start,annual_pay,pension_scheme,misconduct_pending"
)


def exitcases(
    database_url: str, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess:
    env = os.environ | {"EXITCASES_DATABASE_URL": database_url, "EXITCASES_LOG_FORMAT": "json"}
    return run_cli(*args, env=env, stdin=stdin)


async def test_import_is_all_or_nothing_and_reimport_updates(
    database_url: str, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(
        f"{HEADER}\n"
        "CLI1,Jo Bloggs,superintendent,1975-03-02,1999-09-01,78500.00,2006,false\n"
        "CLI2,Sam Jones,chief_inspector,1980-01-31,2003-02-01,65000,2015,false\n"
        "CLI3,Kim Lee,sergeant,1980-13-01,2003-02-01,-1,2015,false\n"
    )
    bad = exitcases(database_url, "officers", "import", str(roster))
    assert bad.returncode == 2
    assert "line 4: date_of_birth" in bad.stderr and "line 4: annual_pay" in bad.stderr
    assert "Kim" not in bad.stderr
    count = "SELECT count(*) FROM officers WHERE officer_id LIKE 'CLI%'"
    assert await pool.fetchval(count) == 0

    good = "\n".join(roster.read_text().splitlines()[:3])
    ok = exitcases(database_url, "officers", "import", "-", stdin=good)
    assert ok.returncode == 0, ok.stderr
    assert "2 created, 0 updated" in ok.stdout
    again = exitcases(database_url, "officers", "import", "-", stdin=good.replace("78500", "79000"))
    assert "0 created, 2 updated" in again.stdout
    pay = await pool.fetchval("SELECT annual_pay FROM officers WHERE officer_id = 'CLI1'")
    assert str(pay) == "79000.00"


def test_quote_by_hand_prints_the_working_as_json(database_url: str) -> None:
    quote = exitcases(
        database_url,
        "compensation",
        "quote",
        "--rank",
        "superintendent",
        "--annual-pay",
        "52000.00",
        "--date-of-birth",
        "1976-01-01",
        "--service-start",
        "2006-09-30",
        "--pension-scheme",
        "2015",
        "--on",
        "2026-09-30",
    )
    assert quote.returncode == 0, quote.stderr
    result = json.loads(quote.stdout)
    # Exactly 20 years (20 whole years, 0 days): 3 weeks x 1,000 x 20 = 60,000.
    assert result["amount"] == "60000.00" and result["tariff"] == "60000.00"
    assert result["cap"] == "78000.00" and result["payable"] is True
    assert result["pension_age_reached"] is False and result["years"] == "20.000000"
    assert (result["years_completed"], result["remaining_days"]) == (20, 0)
    assert result["service_source"] == "service_start"


async def test_pension_record_columns_import_and_quote(
    database_url: str, pool: asyncpg.Pool
) -> None:
    """CLP1 joined 1990-01-01 but has 7,000 days' pensionable service on 2026-01-01; on
    2026-09-30 (272 days later) 7,272 days = 19 years 337 days; 3 weeks x 1,000 x 7,272/365 =
    59,769.86 on 52,000 a year (calendar time would give 36 years, capped at 78,000)."""
    header = f"{HEADER},pensionable_service_days,service_as_of"
    bad = exitcases(
        database_url,
        "officers",
        "import",
        "-",
        stdin=f"{header}\n"
        "CLP1,A B,superintendent,1970-01-01,1990-01-01,52000,2015,false,-3,2026-01-01\n"
        "CLP2,C D,superintendent,1970-01-01,1990-01-01,52000,2015,false,100,\n"
        "CLP3,E F,superintendent,1970-01-01,1990-01-01,52000,2015,false,100,2999-01-01\n"
        "CLP4,G H,superintendent,1970-01-01,2020-01-01,52000,2015,false,9000,2021-01-01\n",
    )
    assert bad.returncode == 2
    assert "line 2: pensionable_service_days" in bad.stderr
    assert "line 3: row: give both" in bad.stderr
    assert "line 4: service_as_of: is in the future" in bad.stderr
    assert "line 5: row: pensionable_service_days must not be more than" in bad.stderr
    good = (
        f"{header}\n"
        "CLP1,A B,superintendent,1970-01-01,1990-01-01,52000,2015,false,7000,2026-01-01\n"
    )
    assert exitcases(database_url, "officers", "import", "-", stdin=good).returncode == 0
    stored = await pool.fetchrow(
        "SELECT pensionable_service_days, service_as_of FROM officers WHERE officer_id = 'CLP1'"
    )
    assert stored["pensionable_service_days"] == 7000
    quote = exitcases(
        database_url, "compensation", "quote", "--officer-id", "CLP1", "--on", "2026-09-30"
    )
    assert quote.returncode == 0, quote.stderr
    result = json.loads(quote.stdout)
    assert result["service_source"] == "pension_record" and result["amount"] == "59769.86"
    by_option = exitcases(
        database_url,
        "compensation",
        "quote",
        *("--officer-id", "CLP1", "--on", "2026-09-30"),
        *("--pensionable-service-days", "7100", "--service-as-of", "2026-01-01"),
    )
    assert by_option.returncode == 0, by_option.stderr
    # 7,372 days: 3,000 x 7,372/365 = 60,591.78.
    assert json.loads(by_option.stdout)["amount"] == "60591.78"
    half = exitcases(
        database_url,
        "compensation",
        "quote",
        *("--officer-id", "CLP1", "--pensionable-service-days", "10"),
    )
    assert half.returncode == 2 and "give both" in half.stderr


async def test_quote_for_a_roster_officer_under_full_service(
    database_url: str, pool: asyncpg.Pool
) -> None:
    roster = f"{HEADER}\nCLI9,Old Hand,superintendent,1960-01-01,1990-01-01,90000,1987,false\n"
    assert exitcases(database_url, "officers", "import", "-", stdin=roster).returncode == 0
    quote = exitcases(
        database_url, "compensation", "quote", "--officer-id", "CLI9", "--on", "2026-06-01"
    )
    assert quote.returncode == 0, quote.stderr
    result = json.loads(quote.stdout)
    assert result["payable"] is False and result["amount"] == "0.00"


def test_quote_refuses_unclear_requests(database_url: str) -> None:
    neither = exitcases(database_url, "compensation", "quote")
    assert neither.returncode == 2 and "either --officer-id" in neither.stderr
    unknown = exitcases(database_url, "compensation", "quote", "--officer-id", "NOPE")
    assert unknown.returncode == 2 and "not on the roster" in unknown.stderr
    bad_pay = exitcases(
        database_url,
        "compensation",
        "quote",
        "--rank",
        "superintendent",
        "--annual-pay",
        "lots",
        "--date-of-birth",
        "1976-01-01",
        "--service-start",
        "2006-09-30",
        "--pension-scheme",
        "2015",
    )
    assert bad_pay.returncode == 2
    assert "error: invalid --annual-pay" in bad_pay.stderr and "lots" not in bad_pay.stderr
    partly = exitcases(
        database_url,
        "compensation",
        "quote",
        *("--rank", "superintendent", "--annual-pay", "lots"),
    )
    assert partly.returncode == 2
    assert (
        "missing --date-of-birth, --service-start, --pension-scheme; invalid --annual-pay"
        in partly.stderr
    )
    too_much = exitcases(
        database_url,
        "compensation",
        "quote",
        *("--rank", "superintendent", "--annual-pay", "9000000.00"),
        *("--date-of-birth", "1976-01-01", "--service-start", "1996-09-30"),
        *("--pension-scheme", "2015", "--on", "2026-09-30"),
    )
    assert too_much.returncode == 2 and "over the most a case may carry" in too_much.stderr
