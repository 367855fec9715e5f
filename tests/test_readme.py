"""The README and the docs it points to stay true: the two commands exist, the command table
parses, and the configuration table is complete."""

from __future__ import annotations

from pathlib import Path

from config.settings import Settings
from exitcases.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
CONFIGURATION = (ROOT / "docs" / "configuration.md").read_text()
WALKTHROUGH = (ROOT / "docs" / "walkthrough.md").read_text()


def test_the_two_fresh_machine_commands_exist_and_ci_runs_the_tests() -> None:
    assert "./dev " in README and "./test " in README
    for script in ("dev", "test"):
        assert (ROOT / script).stat().st_mode & 0o111, f"{script} is not executable"
    assert "./test" in (ROOT / ".ci" / "run").read_text()


def test_every_setting_is_in_the_configuration_table() -> None:
    for name in Settings.model_fields:
        assert f"| `EXITCASES_{name.upper()}` |" in CONFIGURATION, name


def test_every_command_in_the_command_table_parses() -> None:
    parser = build_parser()
    for argv in (
        ["dev"],
        ["worker"],
        ["api"],
        ["migrate"],
        ["temporal", "setup"],
        ["users", "list"],
        ["users", "add", "--name", "N", "--role", "admin"],
        ["users", "list", "--json"],
        ["users", "revoke", "u_x"],
        ["officers", "import", "roster.csv"],
        ["compensation", "quote", "--officer-id", "OF1"],
    ):
        assert parser.parse_args(argv).handler is not None
        grouped = argv[0] in {"users", "officers", "compensation", "temporal"}
        command = " ".join(argv[:2] if grouped else argv[:1])
        assert f"exitcases {command}" in WALKTHROUGH, command
