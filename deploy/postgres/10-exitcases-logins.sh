#!/bin/sh
# Run by the postgres container, as its superuser, when it initialises an empty data directory
# (docker-compose.yml mounts this directory at /docker-entrypoint-initdb.d). For a data
# directory made before, run the same statements by hand once.
#
# The two logins of docs/audit.md "Production: two logins": the owner runs migrations
# and owns the tables; the service login (API, worker) is a NOINHERIT member of exitcases_app,
# so it has no rights until the pool sets that role, and even then none to change the audit
# log or disable its triggers.
set -eu
psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname postgres \
    -v owner_password="$POSTGRES_OWNER_PASSWORD" \
    -v service_password="$POSTGRES_SERVICE_PASSWORD" <<'SQL'
CREATE ROLE exitcases_app NOLOGIN;
CREATE ROLE exitcases_owner LOGIN PASSWORD :'owner_password';
CREATE ROLE exitcases_service LOGIN NOINHERIT PASSWORD :'service_password' IN ROLE exitcases_app;
CREATE DATABASE exitcases OWNER exitcases_owner;
SQL
