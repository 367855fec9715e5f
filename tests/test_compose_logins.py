"""The script that creates the production logins, run as the postgres container would run it.

Against an embedded PostgreSQL cluster of its own: the script creates cluster-wide roles with
fixed names, which a shared server may have already.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import asyncpg
import pytest

from exitcases.local import embedded_postgres
from store.migrate import migrate_url
from store.pool import create_pool

if TYPE_CHECKING:  # imported at run time through exitcases.local only, which sets it up
    from embedded_postgres.utils import PostmasterInfo

SCRIPT = Path(__file__).resolve().parents[1] / "deploy" / "postgres" / "10-exitcases-logins.sh"


@pytest.fixture
def cluster_with_logins() -> Iterator[PostmasterInfo]:
    """Where a fresh cluster listens, after the script ran on it."""
    # Not pytest's tmp_path: its deep path would not fit PostgreSQL's socket path.
    data_dir = Path(tempfile.mkdtemp(prefix="exitcases-logins-"))
    server = embedded_postgres().get_server(data_dir / "pgdata", cleanup_mode="delete")
    try:
        postmaster = server.get_postmaster_info()
        where = {"PGHOST": str(postmaster.socket_dir or postmaster.hostname)}
        if postmaster.port is not None:
            where["PGPORT"] = str(postmaster.port)
        subprocess.run(
            ["sh", str(SCRIPT)],
            env=dict(os.environ)
            | where
            | {
                "POSTGRES_USER": "postgres",
                "POSTGRES_OWNER_PASSWORD": "owner-secret",
                "POSTGRES_SERVICE_PASSWORD": "service-secret",
            },
            check=True,
            capture_output=True,
            timeout=60,
        )
        yield postmaster
    finally:
        server._cleanup()
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.mark.slow
async def test_the_init_script_makes_an_owner_and_a_noinherit_service_login(
    cluster_with_logins: PostmasterInfo,
) -> None:
    def url(user: str) -> str:
        return cluster_with_logins.get_uri(user=user, database="exitcases")

    assert await migrate_url(url("exitcases_owner"))
    admin = await asyncpg.connect(cluster_with_logins.get_uri())
    try:
        roles = await admin.fetch(
            "SELECT rolname, rolcanlogin, rolinherit, rolsuper, rolpassword IS NOT NULL AS pw"
            " FROM pg_authid WHERE rolname LIKE 'exitcases%' ORDER BY rolname"
        )
        assert [tuple(role) for role in roles] == [
            ("exitcases_app", False, True, False, False),
            ("exitcases_owner", True, True, False, True),
            ("exitcases_service", True, False, False, True),
        ]
        owner = await admin.fetchval(
            "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'exitcases'"
        )
        assert owner == "exitcases_owner"
    finally:
        await admin.close()

    pool = await create_pool(url("exitcases_service"), max_size=1)
    try:
        async with pool.acquire() as connection:
            assert await connection.fetchval("SELECT count(*) FROM cases") == 0
            # Without the role the pool sets, the service login has no rights at all.
            await connection.execute("SET ROLE NONE")
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await connection.fetchval("SELECT count(*) FROM cases")
            await connection.execute("SET ROLE exitcases_app")
    finally:
        await pool.close()
