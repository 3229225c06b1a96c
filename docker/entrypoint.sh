#!/bin/sh
# Entrypoint for every role of the Assent image (web, worker, beat, one-off commands).
#
#   WAIT_FOR_DB=true|false        wait for the database in DATABASE_URL first (default: true;
#                                 skipped anyway unless DATABASE_URL is PostgreSQL)
#   DB_WAIT_TIMEOUT=<seconds>     give up after this long (default: 60)
#   RUN_MIGRATIONS=true|false     run `manage.py migrate` before the command (default: false;
#                                 docker-compose.yml turns it on for the web service only, so
#                                 exactly one container migrates)
#
# Then it execs the command, so gunicorn / celery run as PID 1 and receive the stop signal.
set -eu

is_true() {
    case "$(printf '%s' "${1:-}" | tr '[:upper:]' '[:lower:]')" in
        1 | true | yes | on) return 0 ;;
        *) return 1 ;;
    esac
}

if is_true "${WAIT_FOR_DB:-true}"; then
    case "${DATABASE_URL:-}" in
        postgres* | postgis*)
            echo "entrypoint: waiting for PostgreSQL (up to ${DB_WAIT_TIMEOUT:-60}s)..."
            python - <<'PY'
import os
import sys
import time

import environ
import psycopg

config = environ.Env.db_url_config(os.environ["DATABASE_URL"])
timeout = float(os.environ.get("DB_WAIT_TIMEOUT", "60"))
deadline = time.monotonic() + timeout
while True:
    try:
        psycopg.connect(
            dbname=config.get("NAME") or None,
            user=config.get("USER") or None,
            password=config.get("PASSWORD") or None,
            host=config.get("HOST") or None,
            port=config.get("PORT") or None,
            connect_timeout=3,
        ).close()
    except psycopg.OperationalError as exc:
        if time.monotonic() >= deadline:
            print(f"entrypoint: PostgreSQL not reachable after {timeout:g}s: {exc}", file=sys.stderr)
            sys.exit(1)
        time.sleep(1)
    else:
        print("entrypoint: PostgreSQL is up.")
        break
PY
            ;;
    esac
fi

if is_true "${RUN_MIGRATIONS:-false}"; then
    echo "entrypoint: applying migrations..."
    python manage.py migrate --noinput
fi

exec "$@"
