#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL server: started from the machine's binaries (Debian's
# postgresql package is installed when they are missing), on a free loopback port with its own data folder,
# and stopped and removed afterwards whatever the command's outcome.
# Usage: scripts/with-postgres.sh COMMAND [ARGS…]   (the command sees TELCOCRM_TEST_DATABASE_URL)
# TELCOCRM_PG_OPTIONS adds server settings, e.g. TELCOCRM_PG_OPTIONS="-c shared_buffers=2GB" for the HTTP benchmark.
set -euo pipefail

find_bin() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    [ -x "$dir/initdb" ] && { echo "$dir"; return 0; }
  done
  return 1
}

bin=$(find_bin || true)
if [ -z "$bin" ]; then
  echo "PostgreSQL server binaries missing: installing Debian's postgresql package" >&2
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  bin=$(find_bin)
fi

# initdb refuses to run as root: run the server as the postgres user when we are root.
as_pg() {
  if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
data=$(mktemp -d /tmp/telcocrm-pg.XXXXXX)
[ "$(id -u)" = 0 ] && chown postgres:postgres "$data"
cleanup() {
  as_pg "$bin/pg_ctl" -D "$data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$data"
}
trap cleanup EXIT

as_pg "$bin/initdb" -D "$data" -U telcocrm --auth=trust -E UTF8 --locale=C.UTF-8 --lc-collate=C >/dev/null  # code-point order, compared byte-wise (README)
as_pg "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w \
  -o "-p $port -k $data -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 ${TELCOCRM_PG_OPTIONS:-}" \
  start >/dev/null
as_pg "$bin/createdb" -h 127.0.0.1 -p "$port" -U telcocrm telcocrm

export TELCOCRM_TEST_DATABASE_URL="postgresql+psycopg://telcocrm@127.0.0.1:$port/telcocrm"
echo "throwaway PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on port $port" >&2
"$@"
