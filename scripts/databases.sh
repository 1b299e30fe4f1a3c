#!/usr/bin/env bash
# Installs and starts (or stops) the database servers the database-source
# tests read from, on 127.0.0.1 only:
#   PostgreSQL 15   postgres://datacontract@127.0.0.1:${DATACONTRACT_POSTGRES_PORT:-5433}/datacontract
#   MariaDB         mysql://datacontract@127.0.0.1:${DATACONTRACT_MARIADB_PORT:-3307}/datacontract
#
#   scripts/databases.sh start   # install if needed, create, start, wait until ready
#   scripts/databases.sh stop    # stop what start started
#   scripts/databases.sh env     # the variables the tests read, as `export` lines
#
# Each server is created fresh by every start, under $DATACONTRACT_DATABASES
# (default /var/tmp/datacontract-databases), and runs as an unprivileged
# user (`postgres` and `mysql`, which Debian's packages create, when this
# script runs as root). Passwords are checked even on loopback, so a test
# can give a wrong one; the test password is no secret: it guards nothing.
set -euo pipefail

DIR="${DATACONTRACT_DATABASES:-/var/tmp/datacontract-databases}"
PG_PORT="${DATACONTRACT_POSTGRES_PORT:-5433}"
PG_BIN="/usr/lib/postgresql/15/bin"
MARIADB_PORT="${DATACONTRACT_MARIADB_PORT:-3307}"
USER_NAME="datacontract"
PASSWORD="datacontract-test-password"

# Runs a command as PostgreSQL's unprivileged user.
as_server_user() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

install() {
  local missing=()
  [ -x "$PG_BIN/initdb" ] || missing+=(postgresql-15)
  command -v mariadb-install-db >/dev/null || missing+=(mariadb-server mariadb-client)
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "installing ${missing[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

# The certificate both servers present, from a throwaway CA: the tests
# check that TLS is verified against database_ca_file, and refused without it.
make_certificates() {
  "$(dirname "$0")/test_certificates.sh" "$DIR/tls"
}

# Copies the server's certificate and key into `folder`, readable by `owner`
# only, as both servers insist.
install_server_certificate() {
  local folder="$1" owner="$2"
  cp "$DIR/tls/server.pem" "$DIR/tls/server.key" "$folder/"
  chmod 600 "$folder/server.key"
  [ "$(id -u)" -ne 0 ] || chown "$owner": "$folder/server.pem" "$folder/server.key"
}

start_postgres() {
  local data="$DIR/postgres"
  rm -rf "$data"
  mkdir -p "$DIR"
  chmod 755 "$DIR"
  mkdir -p "$data"
  [ "$(id -u)" -ne 0 ] || chown postgres: "$data"
  local pwfile
  pwfile=$(mktemp)
  printf '%s\n' "$PASSWORD" >"$pwfile"
  chmod 644 "$pwfile"
  as_server_user "$PG_BIN/initdb" -D "$data" -U "$USER_NAME" --pwfile="$pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1
  rm -f "$pwfile"
  install_server_certificate "$data" postgres
  as_server_user "$PG_BIN/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -c port=$PG_PORT -c unix_socket_directories=$data -c fsync=off -c ssl=on -c ssl_cert_file=$data/server.pem -c ssl_key_file=$data/server.key" \
    start >/dev/null
  as_server_user "$PG_BIN/psql" -h "$data" -p "$PG_PORT" -U "$USER_NAME" -d postgres -qc \
    "CREATE DATABASE datacontract" >/dev/null
  echo "postgresql ready at 127.0.0.1:$PG_PORT"
}

start_mariadb() {
  local data="$DIR/mariadb"
  rm -rf "$data"
  mkdir -p "$data"
  local as_user=()
  if [ "$(id -u)" -eq 0 ]; then
    chown mysql: "$data"
    as_user=(--user=mysql)
  fi
  mariadb-install-db "${as_user[@]}" --datadir="$data" --auth-root-authentication-method=socket \
    --skip-test-db >"$DIR/mariadb-install.log" 2>&1
  cat >"$DIR/mariadb-init.sql" <<SQL
CREATE DATABASE datacontract;
CREATE USER '$USER_NAME'@'%' IDENTIFIED BY '$PASSWORD';
GRANT ALL PRIVILEGES ON *.* TO '$USER_NAME'@'%';
SQL
  chmod 644 "$DIR/mariadb-init.sql"
  install_server_certificate "$data" mysql
  /usr/sbin/mariadbd "${as_user[@]}" --datadir="$data" --bind-address=127.0.0.1 --port="$MARIADB_PORT" \
    --socket="$data/mariadb.sock" --pid-file="$data/mariadb.pid" --skip-name-resolve \
    --log-error="$data/server.log" --init-file="$DIR/mariadb-init.sql" \
    --ssl-cert="$data/server.pem" --ssl-key="$data/server.key" \
    --innodb-flush-log-at-trx-commit=0 --innodb-buffer-pool-size=256M >/dev/null 2>&1 &
  for _ in $(seq 1 120); do
    if mariadb-admin --socket="$data/mariadb.sock" -u root ping >/dev/null 2>&1 &&
      mariadb -h 127.0.0.1 -P "$MARIADB_PORT" -u "$USER_NAME" -p"$PASSWORD" -e "SELECT 1" datacontract >/dev/null 2>&1; then
      echo "mariadb ready at 127.0.0.1:$MARIADB_PORT"
      return
    fi
    sleep 0.5
  done
  echo "mariadb did not start; its log:" >&2
  tail -n 40 "$data/server.log" >&2
  exit 1
}

stop() {
  if [ -f "$DIR/postgres/postmaster.pid" ]; then
    as_server_user "$PG_BIN/pg_ctl" -D "$DIR/postgres" -m fast -w stop >/dev/null || true
  fi
  if [ -f "$DIR/mariadb/mariadb.pid" ]; then
    local pid
    pid=$(cat "$DIR/mariadb/mariadb.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 60); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.5
    done
  fi
}

print_env() {
  echo "export DATACONTRACT_POSTGRES_URL=postgres://$USER_NAME@127.0.0.1:$PG_PORT/datacontract"
  echo "export DATACONTRACT_MYSQL_URL=mysql://$USER_NAME@127.0.0.1:$MARIADB_PORT/datacontract"
  echo "export DATACONTRACT_DATABASES_TEST_PASSWORD=$PASSWORD"
  echo "export DATACONTRACT_DATABASES_TEST_CA=$DIR/tls/ca.pem"
}

case "${1:-}" in
  start) install; stop; make_certificates; start_postgres; start_mariadb ;;
  stop) stop ;;
  env) print_env ;;
  *) echo "usage: $0 start|stop|env" >&2; exit 2 ;;
esac
