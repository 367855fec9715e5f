"""The ``exitcases`` command. Each subcommand imports its module only when it runs."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from datetime import datetime

from config.settings import Settings
from domain.people import USER_ROLES
from domain.window import parse_moment

Handler = Callable[[argparse.Namespace, Settings], int]


def _moment(text: str) -> datetime:
    """argparse's ``type=`` for --since/--until: it names the option in front of the message."""
    try:
        return parse_moment(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _positive(text: str) -> int:
    """argparse's ``type=`` for a count of at least 1."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number from 1 up, not {text!r}")
    return int(text)


def _dev(args: argparse.Namespace, settings: Settings) -> int:
    from exitcases.dev import run_dev

    return run_dev(settings)


def _worker(args: argparse.Namespace, settings: Settings) -> int:
    from worker import run_worker

    return run_worker(settings)


def _api(args: argparse.Namespace, settings: Settings) -> int:
    from api.server import serve

    return serve(settings)


def _migrate(args: argparse.Namespace, settings: Settings) -> int:
    import asyncio
    import json

    from config.runtime import database_url
    from store.migrate import migrate_url

    try:
        url = database_url(settings)
    except RuntimeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    applied = asyncio.run(migrate_url(url))
    print(json.dumps({"applied": applied}))
    return 0


def _temporal_setup(args: argparse.Namespace, settings: Settings) -> int:
    from service.namespace import setup_command

    return setup_command(settings)


def _users_add(args: argparse.Namespace, settings: Settings) -> int:
    from exitcases.users import add_user_command

    return add_user_command(args, settings)


def _users_list(args: argparse.Namespace, settings: Settings) -> int:
    from exitcases.users import list_users_command

    return list_users_command(args, settings)


def _users_revoke(args: argparse.Namespace, settings: Settings) -> int:
    from exitcases.users import revoke_user_command

    return revoke_user_command(args, settings)


def _officers_import(args: argparse.Namespace, settings: Settings) -> int:
    from exitcases.officers import import_command

    return import_command(args, settings)


def _compensation_quote(args: argparse.Namespace, settings: Settings) -> int:
    from exitcases.officers import quote_command

    return quote_command(args, settings)


def _audit(name: str) -> Handler:
    def handler(args: argparse.Namespace, settings: Settings) -> int:
        from exitcases import audit

        command: Handler = getattr(audit, f"{name}_command")
        return command(args, settings)

    return handler


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="exitcases", description="HR exit cases as durable Temporal workflows."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(
        name: str,
        handler: Handler,
        help_text: str,
        parent: argparse._SubParsersAction[argparse.ArgumentParser] = commands,
    ) -> argparse.ArgumentParser:
        sub = parent.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(handler=handler)
        return sub

    add("dev", _dev, "run the whole service on embedded defaults (or configured servers)")
    add("worker", _worker, "run a Temporal worker against the configured servers")
    add("api", _api, "run the HTTP API against the configured servers")
    add("migrate", _migrate, "apply database migrations (safe to run twice)")

    temporal = commands.add_parser("temporal", help="the Temporal namespace").add_subparsers(
        dest="temporal_command", required=True, metavar="COMMAND"
    )
    add(
        "setup",
        _temporal_setup,
        "create the namespace if missing and register the search attributes (safe to run twice)",
        temporal,
    )

    users = commands.add_parser("users", help="manage users and their tokens").add_subparsers(
        dest="users_command", required=True, metavar="COMMAND"
    )
    user_add = add("add", _users_add, "create a user and print its token once", users)
    user_add.add_argument("--name", required=True)
    user_add.add_argument("--role", required=True, choices=[role.value for role in USER_ROLES])
    user_add.add_argument("--tier", choices=["hr", "finance", "executive"])
    user_add.add_argument("--officer-id")
    user_add.add_argument("--email")
    user_add.add_argument("--json", action="store_true", help="print {user_id, token} as JSON")
    user_list = add("list", _users_list, "list users (never their tokens), oldest first", users)
    user_list.add_argument("--json", action="store_true", help="print a JSON array")
    user_revoke = add("revoke", _users_revoke, "revoke a user's token", users)
    user_revoke.add_argument("user_id")

    officers = commands.add_parser("officers", help="the officer roster").add_subparsers(
        dest="officers_command", required=True, metavar="COMMAND"
    )
    officers_import = add(
        "import", _officers_import, "load the roster CSV: all rows or none", officers
    )
    officers_import.add_argument("file", help="roster CSV file, or - for standard input")

    compensation = commands.add_parser(
        "compensation", help="what the scheme would pay an officer"
    ).add_subparsers(dest="compensation_command", required=True, metavar="COMMAND")
    quote = add(
        "quote", _compensation_quote, "print a compensation calculation as JSON", compensation
    )
    quote.add_argument("--officer-id", help="quote for an officer on the roster")
    quote.add_argument("--on", help="calculation date YYYY-MM-DD (default: earliest allowed)")
    quote.add_argument("--rank")
    quote.add_argument("--annual-pay")
    quote.add_argument("--date-of-birth")
    quote.add_argument("--service-start")
    quote.add_argument("--pension-scheme", choices=["1987", "2006", "2015"])
    quote.add_argument(
        "--pensionable-service-days",
        type=int,
        help="pensionable service in days on --service-as-of, from the pension records",
    )
    quote.add_argument("--service-as-of", help="the date of --pensionable-service-days")
    quote.add_argument("--policy", help="policy version (default: the current one)")

    audit = commands.add_parser("audit", help="the audit log").add_subparsers(
        dest="audit_command", required=True, metavar="COMMAND"
    )
    verify = add("verify", _audit("verify"), "check every hash chain; non-zero if broken", audit)
    verify.add_argument("--case", help="only this case")
    verify.add_argument(
        "--processes",
        type=_positive,
        help="processes checking the log, each a range of cases (default: "
        "EXITCASES_VERIFY_PROCESSES, else one per CPU core)",
    )
    export = add("export", _audit("export"), "write the audit log to stdout", audit)
    access = add("access", _audit("access"), "write the access log (who read which case)", audit)
    for sub in (export, access):
        sub.add_argument("--since", type=_moment, help="ISO 8601 moment with zone, inclusive")
        sub.add_argument("--until", type=_moment, help="ISO 8601 moment with zone, exclusive")
    export.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
    access.add_argument("--case", help="only reads of this case")
    redact = add("redact", _audit("redact"), "remove personal data of long-closed cases", audit)
    redact.add_argument("--older-than-days", type=int, help="default: EXITCASES_RETENTION_DAYS")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = Settings()
    from config.logging import configure_logging

    configure_logging(settings)
    handler: Handler = args.handler
    return handler(args, settings)


if __name__ == "__main__":
    sys.exit(main())
