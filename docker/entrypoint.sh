#!/bin/sh
# Container entrypoint: migrate the database named by DATABASE_URL, then run the command (by default
# `scorecard serve`). Set MIGRATE_ON_START=0 when several replicas start at once and you migrate
# separately (`docker run --rm IMAGE scorecard migrate`).
set -eu
if [ "${1:-}" = "scorecard" ] && [ "${2:-}" = "serve" ] && [ "${MIGRATE_ON_START:-1}" != "0" ]; then
    scorecard migrate
fi
exec "$@"
