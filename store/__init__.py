"""PostgreSQL: the connection pool, migrations and one repository module per table group."""
