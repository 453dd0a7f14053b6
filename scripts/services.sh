# Shared by scripts/test and scripts/bench: starts throw-away services by PID and stops them on
# exit. Source it after setting ROOT; call start_postgres / start_smtp_sink / start_pcscd.
# Debian's python3 (the one on PATH may be another).
PY=/usr/bin/python3

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

WORK=$(mktemp -d /tmp/eimza-test.XXXXXX)
chmod 755 "$WORK"
PG_STARTED=""
SMTP_STARTED=""
PCSCD_STARTED=""
PGBIN=""
AS_PG=()

cleanup() {
  local status=$?
  if [ -n "$PCSCD_STARTED" ]; then
    kill "$PCSCD_STARTED" 2>/dev/null || true
    wait "$PCSCD_STARTED" 2>/dev/null || true
  fi
  if [ -n "$SMTP_STARTED" ]; then
    kill "$SMTP_STARTED" 2>/dev/null || true
  fi
  if [ -n "$PG_STARTED" ]; then
    "${AS_PG[@]}" "$PGBIN/pg_ctl" -D "$WORK/pg" -m immediate -w stop >/dev/null 2>&1 || kill -9 "$PG_STARTED" 2>/dev/null || true
  fi
  rm -rf "$WORK"
  exit $status
}
trap cleanup EXIT INT TERM

start_postgres() {
  PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  mkdir -p "$WORK/pg" "$WORK/pgsock"
  if [ "$(id -u)" -eq 0 ]; then
    # initdb refuses to run as root.
    chown postgres:postgres "$WORK/pg" "$WORK/pgsock"
    AS_PG=(runuser -u postgres --)
  fi
  "${AS_PG[@]}" "$PGBIN/initdb" -D "$WORK/pg" -U postgres -A trust -E UTF8 --no-sync >"$WORK/initdb.log" 2>&1 \
    || { cat "$WORK/initdb.log"; return 1; }
  local port
  port=$(free_port)
  "${AS_PG[@]}" "$PGBIN/pg_ctl" -D "$WORK/pg" -l "$WORK/pgsock/postgres.log" -w -t 60 \
    -o "-p $port -k $WORK/pgsock -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
    start >/dev/null || { cat "$WORK/pgsock/postgres.log"; return 1; }
  PG_STARTED=$(head -n 1 "$WORK/pg/postmaster.pid")
  export EIMZA_TEST_PG_URL="postgres://postgres@127.0.0.1:$port/postgres"
  # For the fault suite's restart of the cluster.
  export EIMZA_TEST_PG_DATA="$WORK/pg" EIMZA_TEST_PGBIN="$PGBIN"
  echo "eimza: PostgreSQL (pid $PG_STARTED) on port $port"
}

# A real SMTP server that keeps every message in a Maildir the tests read.
start_smtp_sink() {
  local port
  port=$(free_port)
  "$PY" "$ROOT/tests/smtp_sink.py" --port "$port" --maildir "$WORK/mail" >"$WORK/smtp.log" 2>&1 &
  SMTP_STARTED=$!
  for _ in $(seq 1 100); do
    grep -q ready "$WORK/smtp.log" 2>/dev/null && break
    sleep 0.1
  done
  grep -q ready "$WORK/smtp.log" || { cat "$WORK/smtp.log"; return 1; }
  export EIMZA_TEST_SMTP_PORT=$port EIMZA_TEST_MAILDIR="$WORK/mail"
  echo "eimza: SMTP sink (pid $SMTP_STARTED) on port $port"
}


# Without procps or iproute2, which a bare Debian may lack.
process_running() {
  local d
  for d in /proc/[0-9]*; do
    # A zombie has no executable any more: it does not count.
    [ "$(cat "$d/comm" 2>/dev/null)" = "$1" ] && [ -n "$(readlink "$d/exe" 2>/dev/null)" ] && return 0
  done
  return 1
}
listening() { grep -qiE "^ *[0-9]+: [0-9A-F]+:$(printf '%04X' "$1") [0-9A-F]+:0000 0A" /proc/net/tcp /proc/net/tcp6 2>/dev/null; }

# pcscd with the vsmartcard-vpcd driver: two virtual readers on a free pair of TCP ports, where
# the tests' virtual AKİS card connects. pcscd has one socket per machine, so when one already
# runs (a developer's own), the tests use its default vpcd readers instead of starting another.
start_pcscd() {
  local name="eimza sanal okuyucu" port
  if process_running pcscd; then
    export EIMZA_TEST_VPCD="Virtual PCD 00 00=35963;Virtual PCD 00 01=35964"
    echo "eimza: using the pcscd that already runs (vpcd readers on 35963/35964)"
    return
  fi
  # vpcd listens on PORT and PORT+1: find a free pair.
  while :; do
    port=$(free_port)
    "$PY" -c 'import socket,sys; s=socket.socket(); s.bind(("0.0.0.0", int(sys.argv[1])))' $((port + 1)) 2>/dev/null && break
  done
  mkdir -p "$WORK/readers"
  printf 'FRIENDLYNAME "%s"\nDEVICENAME   /dev/null:0x%X\nLIBPATH      /usr/lib/pcsc/drivers/serial/libifdvpcd.so\nCHANNELID    0x%X\n' \
    "$name" "$port" "$port" >"$WORK/readers/vpcd"
  # Never --apdu: it would log every APDU, PINs included. Never --auto-exit: it quits when idle.
  pcscd --foreground --config "$WORK/readers" </dev/null >"$WORK/pcscd.log" 2>&1 &
  PCSCD_STARTED=$!
  for _ in $(seq 1 100); do
    [ -S /run/pcscd/pcscd.comm ] && listening $((port + 1)) && break
    sleep 0.1
  done
  [ -S /run/pcscd/pcscd.comm ] || { cat "$WORK/pcscd.log"; return 1; }
  export EIMZA_TEST_VPCD="$name 00 00=$port;$name 00 01=$((port + 1))"
  echo "eimza: pcscd (pid $PCSCD_STARTED) with virtual readers on ports $port and $((port + 1))"
}
