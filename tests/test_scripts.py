"""`./dev` and `./test` install into .venv only when pyproject.toml changed since the last time.

The scripts run in a copy of the project whose .venv has a pip that only records its calls
(and an `exitcases` and `pytest` that only say they ran), so no install happens here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

# Every test here runs the project's scripts as processes.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
ASSETS = "exitcases-assets"


def _project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    (project / "scripts").mkdir(parents=True)
    for name in ("dev", "test", "pyproject.toml", "scripts/ensure-venv"):
        shutil.copy2(ROOT / name, project / name)
    bin_dir = project / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "python").symlink_to(sys.executable)
    record = f'echo "$(basename "$0")${{*:+ $*}}" >>"{tmp_path / "calls"}"\n'
    for tool in ("pip", "exitcases", "exitcases-assets", "ruff", "mypy", "pytest"):
        (bin_dir / tool).write_text("#!/bin/sh\n" + record)
        (bin_dir / tool).chmod(0o755)
    # What the tests need from the machine (Chromium, Docker) is not this test's subject.
    machine = project / "scripts" / "ensure-test-machine"
    machine.write_text("#!/bin/sh\n" + record)
    machine.chmod(0o755)
    # Nor are the letters' system libraries: the script finds them installed or says which.
    letter_libs = project / "scripts" / "ensure-letter-libs"
    letter_libs.write_text("#!/bin/sh\n")
    letter_libs.chmod(0o755)
    return project


def _run(project: Path, script: str, *args: str) -> list[str]:
    calls = project.parent / "calls"
    calls.unlink(missing_ok=True)
    subprocess.run([str(project / script), *args], check=True, timeout=60, env=dict(os.environ))
    return calls.read_text().splitlines()


def test_dev_installs_again_only_when_pyproject_changes(tmp_path: Path) -> None:
    project = _project(tmp_path)
    install = "pip install --quiet --disable-pip-version-check -e .[local]"
    # The frontend files' step runs every time: it is quick when they are in place.
    assert _run(project, "dev") == [install, ASSETS, "exitcases dev"]
    assert _run(project, "dev") == [ASSETS, "exitcases dev"]

    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + "\n# a change\n")
    assert _run(project, "dev") == [install, ASSETS, "exitcases dev"]
    assert _run(project, "dev") == [ASSETS, "exitcases dev"]


def test_test_keeps_a_stamp_of_its_own_extras(tmp_path: Path) -> None:
    project = _project(tmp_path)
    _run(project, "dev")
    # The local extra installed does not make the test extras installed.
    install = "pip install --quiet --disable-pip-version-check -e .[test]"
    assert _run(project, "test")[0] == install
    checks = [ASSETS, "ensure-test-machine", "ruff check .", "ruff format --check .", "mypy"]
    checks.append("pytest")
    assert _run(project, "test") == checks
    assert _run(project, "dev") == [ASSETS, "exitcases dev"]


def test_the_fast_lane_needs_nothing_from_the_machine(tmp_path: Path) -> None:
    project = _project(tmp_path)
    _run(project, "test")
    checks = ["ruff check .", "ruff format --check .", "mypy"]
    fast = _run(project, "test", "-m", "not slow")
    assert fast == [ASSETS, *checks, "pytest -m not slow"]
    slow = _run(project, "test", "-m", "slow")
    assert slow == [ASSETS, "ensure-test-machine", *checks, "pytest -m slow"]
