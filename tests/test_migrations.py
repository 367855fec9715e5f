import asyncpg

from store.migrate import bundled_migrations, migrate


async def test_second_run_applies_nothing(database_url: str) -> None:
    connection = await asyncpg.connect(database_url)
    try:
        assert await migrate(connection) == []
        recorded = await connection.fetch("SELECT number FROM schema_migrations ORDER BY number")
        assert [r["number"] for r in recorded] == [m.number for m in bundled_migrations()]
    finally:
        await connection.close()
