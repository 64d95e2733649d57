#!/usr/bin/env bash
# Plugboard test entry point: prepares the real parts the tests use (Docker engine with an offline
# busybox image, PostgreSQL, bubblewrap, Node.js interop peers) and then runs `dotnet test`.
#
# Runs as root on a fresh Debian 12 machine with the .NET 10 SDK and Node.js 20, without stdin.
# Idempotent: a second run finds everything in place and goes straight to the tests.
#
# Environment:
#   PLUGBOARD_TEST_FILTER   passed to `dotnet test --filter` when set (e.g. "FullyQualifiedName~Protocol").
#   PLUGBOARD_SKIP_SETUP=1  skip the machine set-up and only run the tests (against what an earlier
#                           run set up).
# Exports for the tests:
#   PLUGBOARD_TEST_POSTGRES connection string of the plugboard_test database.
#   PLUGBOARD_TEST_DOCKER_IMAGE  the offline busybox image (plugboard/busybox:test).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

readonly APT_PACKAGES=(docker.io postgresql bubblewrap python3 python3-jsonschema busybox-static iproute2 procps psmisc chromium)
readonly DOCKER_IMAGE="plugboard/busybox:test"
readonly DOCKERD_LOG="/var/log/plugboard-dockerd.log"
readonly PG_ROLE="plugboard"
readonly PG_PASSWORD="plugboard"
readonly PG_DATABASE="plugboard_test"
readonly NODE_PEERS_DIR="$repo_root/tests/interop/node"
readonly SETUP_LOCK="/var/lock/plugboard-test-setup.lock"

export DEBIAN_FRONTEND=noninteractive
export DOTNET_CLI_TELEMETRY_OPTOUT=1
export DOTNET_NOLOGO=1
export DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

step() { printf '==> %s\n' "$*"; }
note() { printf '    %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------------------------------------
# apt packages
# ---------------------------------------------------------------------------------------------
is_installed() {
  [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" == "install ok installed" ]]
}

install_apt_packages() {
  local missing=() pkg
  for pkg in "${APT_PACKAGES[@]}"; do
    is_installed "$pkg" || missing+=("$pkg")
  done
  if ((${#missing[@]} == 0)); then
    step "apt packages present (${APT_PACKAGES[*]})"
    return
  fi
  step "installing apt packages: ${missing[*]}"
  # No init system here: keep package scripts from starting services (dockerd with default
  # options, for one); this script starts them itself with the options the tests need.
  local policy=/usr/sbin/policy-rc.d own_policy=0
  if [[ ! -e "$policy" ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    own_policy=1
  fi
  local apt_opts=(-o DPkg::Lock::Timeout=600 -o Dpkg::Use-Pty=0 -q)
  local rc=0
  {
    apt-get "${apt_opts[@]}" update >/tmp/plugboard-apt.log 2>&1 &&
      apt-get "${apt_opts[@]}" install -y --no-install-recommends "${missing[@]}" >>/tmp/plugboard-apt.log 2>&1
  } </dev/null || rc=$?
  ((own_policy)) && rm -f "$policy"
  if ((rc != 0)); then
    tail -n 40 /tmp/plugboard-apt.log >&2
    die "apt-get failed (log: /tmp/plugboard-apt.log); check the package names and the Debian mirror"
  fi
  note "installed (log: /tmp/plugboard-apt.log)"
}

# ---------------------------------------------------------------------------------------------
# Docker engine and the offline test image
# ---------------------------------------------------------------------------------------------
docker_answers() { timeout 10 docker info >/dev/null 2>&1; }

# is_live PID [NAME]: PID is a running (not zombie) process, called NAME when given. PID 1 on these
# machines may be slow to reap, so a killed daemon can linger as a zombie that `kill -0` still finds.
is_live() {
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null || true)"
  [[ -n "$stat" ]] || return 1
  [[ -z "${2:-}" || "$stat" == *"($2) "* ]] || return 1
  stat="${stat##*) }"
  [[ "${stat:0:1}" != Z ]]
}

# The pid in FILE, when that process is alive and called NAME.
live_pid_from() {
  local pid
  pid="$(cat "$1" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] && is_live "$pid" "$2" && echo "$pid"
}

start_dockerd() {
  if docker_answers; then
    step "dockerd already answering"
    return
  fi
  step "starting dockerd (vfs storage, no iptables, no bridge)"
  local pidfile=/var/run/docker.pid dockerd_pid=""
  if [[ -f "$pidfile" ]]; then
    dockerd_pid="$(live_pid_from "$pidfile" dockerd || true)"
    if [[ -n "$dockerd_pid" ]]; then
      # A dockerd is alive but not answering yet (still starting): give it the same wait below.
      note "dockerd pid $dockerd_pid is running; waiting for it"
    else
      note "removing stale $pidfile"
      rm -f "$pidfile"
    fi
  fi
  if [[ -z "$dockerd_pid" ]]; then
    # dockerd's managed containerd: a pid file naming a dead (or zombie) process makes dockerd wait
    # for a containerd that never answers, so clear it and its sockets.
    local containerd_dir=/var/run/docker/containerd
    if [[ -f "$containerd_dir/containerd.pid" ]] &&
      [[ -z "$(live_pid_from "$containerd_dir/containerd.pid" containerd || true)" ]]; then
      note "removing stale containerd state in $containerd_dir"
      rm -f "$containerd_dir/containerd.pid" "$containerd_dir"/containerd*.sock*
    fi
    # setsid + nohup: dockerd outlives this script (the tests and later runs reuse it).
    # 9>&- : do not hand the set-up lock down to the daemon.
    setsid nohup dockerd --storage-driver=vfs --iptables=false --bridge=none \
      >>"$DOCKERD_LOG" 2>&1 </dev/null 9>&- &
    dockerd_pid=$!
    note "dockerd pid $dockerd_pid (log: $DOCKERD_LOG)"
  fi
  local deadline=$((SECONDS + 60))
  until docker_answers; do
    local problem=""
    if ! is_live "$dockerd_pid"; then
      problem="dockerd (pid $dockerd_pid) exited"
    elif ((SECONDS >= deadline)); then
      problem="dockerd did not answer 'docker info' within 60 s"
    fi
    if [[ -n "$problem" ]]; then
      echo "---- tail of $DOCKERD_LOG ----" >&2
      tail -n 40 "$DOCKERD_LOG" >&2 || true
      die "$problem; see $DOCKERD_LOG"
    fi
    sleep 1
  done
  note "dockerd is up ($(docker version --format '{{.Server.Version}}' 2>/dev/null || echo '?'))"
}

build_test_image() {
  if docker image inspect "$DOCKER_IMAGE" >/dev/null 2>&1; then
    step "docker image $DOCKER_IMAGE present"
    return
  fi
  step "building offline docker image $DOCKER_IMAGE from busybox-static"
  local busybox=/bin/busybox
  [[ -x "$busybox" ]] || die "$busybox missing; is busybox-static installed?"
  local work
  work="$(mktemp -d /tmp/plugboard-busybox.XXXXXX)"
  local root="$work/rootfs"
  mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,root,home/sandbox,proc,sys,dev,var/tmp}
  chmod 1777 "$root/tmp" "$root/var/tmp"
  chmod 700 "$root/root"
  cp "$busybox" "$root/bin/busybox"
  # One symlink per applet, at the path busybox prefers (bin/, sbin/, usr/bin/, usr/sbin/).
  local applet
  if "$busybox" --list-full >/dev/null 2>&1; then
    while IFS= read -r applet; do
      [[ -z "$applet" || "$applet" == bin/busybox ]] && continue
      mkdir -p "$root/$(dirname "$applet")"
      ln -sf /bin/busybox "$root/$applet"
    done < <("$busybox" --list-full)
  else
    while IFS= read -r applet; do
      [[ -z "$applet" || "$applet" == busybox ]] && continue
      ln -sf busybox "$root/bin/$applet"
    done < <("$busybox" --list)
  fi
  cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
sandbox:x:1000:1000:sandbox:/home/sandbox:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
  cat >"$root/etc/group" <<'EOF'
root:x:0:
sandbox:x:1000:
nogroup:x:65534:
EOF
  chown 1000:1000 "$root/home/sandbox"
  tar -C "$root" --numeric-owner -cf "$work/rootfs.tar" .
  docker import \
    --change 'CMD ["/bin/sh"]' \
    --change 'ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin' \
    --message "Plugboard offline test image (busybox-static)" \
    "$work/rootfs.tar" "$DOCKER_IMAGE" >/dev/null
  rm -rf "$work"
  docker run --rm --network none "$DOCKER_IMAGE" /bin/sh -c 'id sandbox >/dev/null && echo ok' >/dev/null ||
    die "the imported image $DOCKER_IMAGE does not run; see $DOCKERD_LOG"
  note "built and smoke-tested $DOCKER_IMAGE"
}

# ---------------------------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------------------------
as_postgres() { (cd / && runuser -u postgres -- "$@"); }

start_postgres() {
  local line version cluster port status
  line="$(pg_lsclusters --no-header 2>/dev/null | head -n 1 || true)"
  if [[ -z "$line" ]]; then
    version="$(ls /usr/lib/postgresql/ 2>/dev/null | sort -V | tail -n 1)"
    [[ -n "$version" ]] || die "no PostgreSQL server found under /usr/lib/postgresql; is postgresql installed?"
    step "creating PostgreSQL $version cluster 'main'"
    pg_createcluster "$version" main >/dev/null 9>&- || die "pg_createcluster $version main failed"
    line="$(pg_lsclusters --no-header | head -n 1)"
  fi
  read -r version cluster port status _ <<<"$line"
  if [[ "$status" != online* ]]; then
    step "starting PostgreSQL $version/$cluster on port $port"
    pg_ctlcluster "$version" "$cluster" start 9>&- ||
      die "pg_ctlcluster $version $cluster start failed; see /var/log/postgresql/postgresql-$version-$cluster.log"
  else
    step "PostgreSQL $version/$cluster running on port $port"
  fi
  local deadline=$((SECONDS + 30))
  until pg_isready -q -h 127.0.0.1 -p "$port"; do
    ((SECONDS < deadline)) || die "PostgreSQL on port $port not ready after 30 s"
    sleep 0.5
  done

  if [[ "$(as_postgres psql -p "$port" -XtAc "SELECT 1 FROM pg_roles WHERE rolname = '$PG_ROLE'")" != 1 ]]; then
    note "creating role $PG_ROLE"
    as_postgres psql -p "$port" -Xq -v ON_ERROR_STOP=1 \
      -c "CREATE ROLE $PG_ROLE LOGIN CREATEDB PASSWORD '$PG_PASSWORD'"
  fi
  if [[ "$(as_postgres psql -p "$port" -XtAc "SELECT 1 FROM pg_database WHERE datname = '$PG_DATABASE'")" != 1 ]]; then
    note "creating database $PG_DATABASE"
    as_postgres psql -p "$port" -Xq -v ON_ERROR_STOP=1 -c "CREATE DATABASE $PG_DATABASE OWNER $PG_ROLE"
  fi
  PGPASSWORD="$PG_PASSWORD" psql -h 127.0.0.1 -p "$port" -U "$PG_ROLE" -d "$PG_DATABASE" -XtAc 'SELECT 1' >/dev/null ||
    die "cannot log in to $PG_DATABASE as $PG_ROLE over TCP on port $port; check pg_hba.conf"
  export PLUGBOARD_TEST_POSTGRES="Host=127.0.0.1;Port=$port;Username=$PG_ROLE;Password=$PG_PASSWORD;Database=$PG_DATABASE"
  note "PLUGBOARD_TEST_POSTGRES=$PLUGBOARD_TEST_POSTGRES"
}

# ---------------------------------------------------------------------------------------------
# Node.js interop peers
# ---------------------------------------------------------------------------------------------
install_node_folder() {
  local dir="$1" rel="${1#"$repo_root"/}"
  [[ -f "$dir/package.json" ]] || return 0
  local modules="$dir/node_modules"
  if [[ -d "$modules" && ! "$dir/package.json" -nt "$modules" &&
    ! ( -f "$dir/package-lock.json" && "$dir/package-lock.json" -nt "$modules" ) ]]; then
    step "node packages in $rel up to date"
    return
  fi
  local cmd=install
  [[ -f "$dir/package-lock.json" ]] && cmd=ci
  step "npm $cmd in $rel"
  (cd "$dir" && npm "$cmd" --no-audit --no-fund --loglevel=error </dev/null 9>&-) ||
    die "npm $cmd failed in $dir"
  touch "$modules"
}

# Every folder of Node packages the tests use: the interop peers, the WeCom crypto reference, the MCP servers.
install_node_peers() {
  local dir
  for dir in "$NODE_PEERS_DIR" "$repo_root/tests/Plugboard.Plugins.WeComBot.Tests/node" "$repo_root/tests/Plugboard.Mcp.Tests/node"; do
    install_node_folder "$dir"
  done
}

# ---------------------------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------------------------
if [[ "${PLUGBOARD_SKIP_SETUP:-0}" != 1 ]]; then
  [[ "$(id -u)" == 0 ]] || die "run as root (the set-up installs packages and starts dockerd and PostgreSQL)"
  # Serialize set-up between concurrent runs on the same machine (apt, dockerd, initdb).
  exec 9>"$SETUP_LOCK"
  flock -w 1200 9 || die "another scripts/test.sh set-up holds $SETUP_LOCK for over 20 minutes"
  install_apt_packages
  start_dockerd
  build_test_image
  start_postgres
  install_node_peers
  exec 9>&-
elif [[ -z "${PLUGBOARD_TEST_POSTGRES:-}" ]] && command -v pg_lsclusters >/dev/null; then
  # Set-up skipped: still point the tests at the database an earlier run prepared.
  pg_port="$(pg_lsclusters --no-header 2>/dev/null | awk 'NR == 1 { print $3 }')"
  if [[ -n "$pg_port" ]]; then
    export PLUGBOARD_TEST_POSTGRES="Host=127.0.0.1;Port=$pg_port;Username=$PG_ROLE;Password=$PG_PASSWORD;Database=$PG_DATABASE"
  fi
fi
export PLUGBOARD_TEST_DOCKER_IMAGE="$DOCKER_IMAGE"

step "dotnet test Runtime.sln -c Release"
test_args=(test Runtime.sln -c Release --logger "console;verbosity=normal")
if [[ -n "${PLUGBOARD_TEST_FILTER:-}" ]]; then
  note "filter: $PLUGBOARD_TEST_FILTER"
  test_args+=(--filter "$PLUGBOARD_TEST_FILTER")
fi
test_log="$(mktemp /tmp/plugboard-dotnet-test.XXXXXX.log)"
set +e
dotnet "${test_args[@]}" </dev/null 2>&1 | tee "$test_log"
status=${PIPESTATUS[0]}
set -e

# One closing line with the totals over all test assemblies. With the normal-verbosity console
# logger VSTest ends each assembly's run with a block (zero counts are left out):
#   Total tests: 12
#        Passed: 11
#       Skipped: 1
#    Total time: 1.2 Seconds
awk '
  /^Total tests: / { in_block = 1; runs++; next }
  in_block && /^ +Passed: +[0-9]+ *$/  { p += $2; next }
  in_block && /^ +Failed: +[0-9]+ *$/  { f += $2; next }
  in_block && /^ +Skipped: +[0-9]+ *$/ { s += $2; next }
  { in_block = 0 }
  END { if (runs > 0) printf "dotnet-test: %d passed, %d failed, %d skipped\n", p, f, s }
' "$test_log"
rm -f "$test_log"
exit "$status"
