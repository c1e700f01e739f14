#!/usr/bin/env bash
# Install (if missing) and start a local PostgreSQL for the test run, create the test
# role and database, and print the DATABASE_URL. Idempotent. Needs root (or sudo) the
# first time on a machine without PostgreSQL.
set -euo pipefail
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo -n "$@"; fi; }

if [ -z "$(ls /usr/lib/postgresql 2>/dev/null)" ]; then
  echo "installing PostgreSQL from Debian's packages" >&2
  as_root apt-get update -qq >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
fi
version=$(ls /usr/lib/postgresql | sort -n | tail -1)
if [ -z "$(pg_lsclusters -h 2>/dev/null)" ]; then
  as_root pg_createcluster "$version" main >&2
fi
read -r cl_version cl_name cl_port cl_status _ < <(pg_lsclusters -h | head -1)
if [ "$cl_status" != "online" ]; then
  as_root pg_ctlcluster "$cl_version" "$cl_name" start >&2
fi
for _ in $(seq 1 60); do
  pg_isready -q -h 127.0.0.1 -p "$cl_port" && break
  sleep 0.5
done
psql_admin() { as_root su postgres -c "psql -p $cl_port -v ON_ERROR_STOP=1 -qtAc \"$1\""; }
[ "$(psql_admin "SELECT 1 FROM pg_roles WHERE rolname='rwa'")" = 1 ] \
  || psql_admin "CREATE ROLE rwa LOGIN PASSWORD 'rwa' CREATEDB" >&2
[ "$(psql_admin "SELECT 1 FROM pg_database WHERE datname='rwa_test'")" = 1 ] \
  || psql_admin "CREATE DATABASE rwa_test OWNER rwa" >&2
echo "postgresql://rwa:rwa@127.0.0.1:${cl_port}/rwa_test"
