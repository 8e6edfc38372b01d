#!/usr/bin/env bash
# Makes sure PostgreSQL with PostGIS and Redis answer at DATABASE_URL / REDIS_URL.
# Uses them as they are when they answer; otherwise, on a Debian-like machine where we are
# root, installs what is missing with apt and starts it. Prints what it did.
# Usage: scripts/provision.sh [extra database name ...]   (each is created with PostGIS)
set -euo pipefail

DATABASE_URL="${DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/cyberspace}"
REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/0}"

say() { printf '[provision] %s\n' "$*"; }

read -r PGHOST PGPORT PGUSER PGDB < <(python3 - "$DATABASE_URL" <<'PY'
import sys
from urllib.parse import urlsplit
u = urlsplit(sys.argv[1])
print(u.hostname or "127.0.0.1", u.port or 5432, u.username or "postgres", (u.path or "/cyberspace").lstrip("/"))
PY
)
read -r REDIS_HOST REDIS_PORT < <(python3 - "$REDIS_URL" <<'PY'
import sys
from urllib.parse import urlsplit
u = urlsplit(sys.argv[1])
print(u.hostname or "127.0.0.1", u.port or 6379)
PY
)
export PGHOST PGPORT PGUSER

is_local() { [[ "$1" == "127.0.0.1" || "$1" == "localhost" || "$1" == "::1" ]]; }
can_apt() { command -v apt-get >/dev/null && [[ "$(id -u)" == "0" ]]; }
APT_UPDATED=0
apt_install() {
  can_apt || { say "cannot install $* (need apt-get as root); install it by hand"; exit 1; }
  if [[ $APT_UPDATED == 0 ]]; then apt-get update -qq; APT_UPDATED=1; fi
  say "installing $* with apt"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

pg_answers() { pg_isready -q -h "$PGHOST" -p "$PGPORT" 2>/dev/null; }

# --- PostgreSQL -------------------------------------------------------------------------
if command -v pg_isready >/dev/null && pg_answers; then
  say "PostgreSQL answers at $PGHOST:$PGPORT"
elif is_local "$PGHOST"; then
  command -v pg_ctlcluster >/dev/null || apt_install postgresql
  for cluster in $(ls /etc/postgresql 2>/dev/null); do
    say "starting PostgreSQL cluster $cluster/main"
    pg_ctlcluster --skip-systemctl-redirect "$cluster" main start 2>/dev/null || true
  done
  for _ in $(seq 1 30); do pg_answers && break; sleep 1; done
  pg_answers || { say "PostgreSQL does not answer at $PGHOST:$PGPORT"; exit 1; }
else
  say "PostgreSQL at $PGHOST:$PGPORT does not answer, and it is not local: giving up"; exit 1
fi

# --- PostGIS ----------------------------------------------------------------------------
has_postgis() {
  [[ "$(psql -d postgres -tAc "SELECT count(*) FROM pg_available_extensions WHERE name = 'postgis'")" == "1" ]]
}
if has_postgis; then
  say "PostGIS is available"
else
  major="$(psql -d postgres -tAc "SELECT current_setting('server_version_num')::int / 10000")"
  is_local "$PGHOST" || { say "PostGIS is missing on a remote server: install it there"; exit 1; }
  apt_install "postgresql-${major}-postgis-3"
  has_postgis || { say "PostGIS still unavailable after install"; exit 1; }
fi

for db in "$PGDB" "$@"; do
  if [[ "$(psql -d postgres -tAc "SELECT count(*) FROM pg_database WHERE datname = '$db'")" != "1" ]]; then
    say "creating database $db"
    createdb "$db"
  fi
  psql -q -d "$db" -c "CREATE EXTENSION IF NOT EXISTS postgis" >/dev/null
done
say "databases ready: $PGDB $*"

# --- Redis ------------------------------------------------------------------------------
redis_answers() { command -v redis-cli >/dev/null && [[ "$(redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null)" == "PONG" ]]; }
if redis_answers; then
  say "Redis answers at $REDIS_HOST:$REDIS_PORT"
elif is_local "$REDIS_HOST"; then
  command -v redis-server >/dev/null || apt_install redis-server
  say "starting Redis on $REDIS_PORT"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no >/dev/null
  for _ in $(seq 1 20); do redis_answers && break; sleep 0.5; done
  redis_answers || { say "Redis does not answer at $REDIS_HOST:$REDIS_PORT"; exit 1; }
else
  say "Redis at $REDIS_HOST:$REDIS_PORT does not answer, and it is not local: giving up"; exit 1
fi
