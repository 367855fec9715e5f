"""`exitcases officers import` and `exitcases compensation quote`."""

from __future__ import annotations

import argparse
import asyncio
import csv
import sys
from datetime import date, datetime
from pathlib import Path

from pydantic import ValidationError

from config.runtime import database_url
from config.settings import Settings
from domain.clock import LONDON
from domain.compensation import amount_problem, calculate
from domain.errors import CalculationError
from domain.notice import calculation_date
from domain.officer import Officer
from domain.policy import SchemePolicy, load_bundled_policy
from domain.roster import RosterError, parse_roster
from store import officers, policies
from store.pool import create_pool


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def import_command(args: argparse.Namespace, settings: Settings) -> int:
    try:
        text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text("utf-8-sig")
    except OSError as error:
        return _fail(f"cannot read {args.file}: {error.strerror}")
    try:
        roster = parse_roster(text, today=datetime.now(LONDON).date())
    except csv.Error:
        return _fail("the file is not well-formed CSV; nothing was imported")
    except RosterError as error:
        for problem in error.errors:
            print(f"line {problem.line}: {problem.field}: {problem.message}", file=sys.stderr)
        return _fail(f"{len({e.line for e in error.errors})} line(s) invalid; nothing was imported")

    async def run() -> officers.ImportResult:
        pool = await create_pool(database_url(settings))
        try:
            return await officers.upsert_officers(pool, roster)
        finally:
            await pool.close()

    result = asyncio.run(run())
    print(f"imported {len(roster)} officers: {result.created} created, {result.updated} updated")
    return 0


class NoDatabase(Exception):
    """Neither EXITCASES_DATABASE_URL nor a running `exitcases dev` names a database."""


def _officer_from_args(args: argparse.Namespace) -> Officer:
    return Officer.model_validate(
        {
            "officer_id": "quote",
            "name": "quote",
            "rank": args.rank,
            "date_of_birth": args.date_of_birth,
            "service_start": args.service_start,
            "annual_pay": args.annual_pay,
            "pension_scheme": args.pension_scheme,
            "pensionable_service_days": args.pensionable_service_days,
            "service_as_of": args.service_as_of,
        }
    )


async def _load(
    args: argparse.Namespace, settings: Settings
) -> tuple[Officer | None, SchemePolicy]:
    """The roster officer (if asked for) and the policy, from the database."""
    try:
        url = database_url(settings)
    except RuntimeError as error:
        raise NoDatabase(str(error)) from None
    pool = await create_pool(url)
    try:
        officer = await officers.get_officer(pool, args.officer_id) if args.officer_id else None
        if args.policy:
            policy = await policies.get_policy(pool, args.policy)
        else:
            policy = await policies.current_policy(pool) or load_bundled_policy()
        if policy is None:
            raise LookupError(f"there is no policy with version {args.policy}")
        if args.officer_id and officer is None:
            raise LookupError(f"officer {args.officer_id} is not on the roster")
        return officer, policy
    finally:
        await pool.close()


def _invalid(invalid: ValidationError) -> str:
    # Field errors name the option, missing (not given) apart from invalid (given, wrong); the
    # pension record's both-or-neither and calendar-time checks are the model's own (their
    # messages hold no value). No value given is echoed: pay and birth dates are personal.
    missing: list[str] = []
    wrong: list[str] = []
    for e in invalid.errors():
        if not e["loc"]:
            wrong.append(e["msg"].removeprefix("Value error, "))
            continue
        option = "--" + str(e["loc"][0]).replace("_", "-")
        (missing if e["input"] is None else wrong).append(option)
    parts = [f"missing {', '.join(missing)}"] if missing else []
    parts += [f"invalid {', '.join(wrong)}"] if wrong else []
    return "; ".join(parts)


def _with_pension_record(officer: Officer | None, args: argparse.Namespace) -> Officer | None:
    """The roster officer with the pension record given on the command line, if one is."""
    if officer is None or (args.pensionable_service_days is None and args.service_as_of is None):
        return officer
    return Officer.model_validate(
        officer.model_dump()
        | {
            "pensionable_service_days": args.pensionable_service_days,
            "service_as_of": args.service_as_of,
        }
    )


def quote_command(args: argparse.Namespace, settings: Settings) -> int:
    by_hand = [
        args.rank,
        args.annual_pay,
        args.date_of_birth,
        args.service_start,
        args.pension_scheme,
    ]
    if bool(args.officer_id) == any(by_hand):
        return _fail(
            "give either --officer-id or all of --rank --annual-pay --date-of-birth "
            "--service-start --pension-scheme"
        )
    try:
        on = date.fromisoformat(args.on) if args.on else None
    except ValueError:
        return _fail("--on must be a date in the form YYYY-MM-DD")
    try:
        officer = None if args.officer_id else _officer_from_args(args)
    except ValidationError as invalid:
        return _fail(_invalid(invalid))
    try:
        roster_officer, policy = asyncio.run(_load(args, settings))
        officer = officer or _with_pension_record(roster_officer, args)
    except ValidationError as invalid:
        return _fail(_invalid(invalid))
    except NoDatabase as error:
        if args.officer_id or args.policy:
            return _fail(str(error))
        # A quote by hand works without a running service, on the bundled default policy.
        policy = load_bundled_policy()
    except LookupError as error:
        return _fail(str(error))
    assert officer is not None
    today = datetime.now(LONDON).date()
    try:
        calculation = calculate(officer, on or calculation_date(None, today, policy), policy)
    except CalculationError as error:
        return _fail(str(error))
    if (problem := amount_problem(calculation)) is not None:
        return _fail(problem)
    print(calculation.model_dump_json(indent=2))
    return 0
