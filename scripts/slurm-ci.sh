#!/usr/bin/env bash
# A real single-node Slurm cluster for tests, without systemd, everything under one folder.
#   scripts/slurm-ci.sh up DIR [--no-dbd]   start munged (own key and socket), mariadbd + slurmdbd (so sacct
#                                           works; --no-dbd leaves them out), slurmctld and slurmd; DIR must
#                                           not exist yet or be empty. Prints `export SLURM_CONF=...`.
#   scripts/slurm-ci.sh down DIR            stop exactly the daemons this script started in DIR (by the PIDs
#                                           it recorded, each checked against its command line), newest first.
#   scripts/slurm-ci.sh check               exit 0 when the Slurm, munge and MariaDB programs are installed.
# Ports: SLURM_CI_PORT (default 6817; slurmd +1, slurmdbd +2, MariaDB +3). Needs root (slurmd runs jobs as
# their user). Daemons run in the foreground in the background, so $! is the daemon itself.
set -Eeuo pipefail

PROGRAMS=(munged munge unmunge slurmctld slurmd slurmdbd sbatch squeue sacct scancel sinfo mariadbd mariadb-install-db mariadb)

check() {
  local missing=()
  for p in "${PROGRAMS[@]}"; do command -v "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "slurm-ci: not installed: ${missing[*]}; install with: apt-get install -y --no-install-recommends slurmctld slurmd slurm-client munge slurmdbd mariadb-server" >&2
    return 1
  fi
}

alive() { [ -r "/proc/$1/stat" ] && [ "$(awk '{print $3}' "/proc/$1/stat")" != Z ]; }
pid_of() { local pid _; read -r pid _ <"$B/run/$1.pid"; echo "$pid"; }
# wait_for NAME SECONDS CMD...: retries CMD (each try at most 5 s) until it succeeds; gives up after SECONDS,
# or at once when the daemon NAME has exited (its log then says why).
wait_for() {
  local name=$1 deadline=$(( $(date +%s) + $2 )); shift 2
  while [ "$(date +%s)" -lt "$deadline" ]; do
    timeout 5 "$@" >/dev/null 2>&1 && return 0
    alive "$(pid_of "$name")" || { echo "slurm-ci: $name exited; see $B/log/$name.out" >&2; return 1; }
    sleep 0.1
  done
  echo "slurm-ci: $name did not get ready within $2 s; see $B/log/$name.out" >&2
  return 1
}

# start NAME CMD...: runs CMD in the background, records its PID and command name in DIR/run/NAME.pid.
start() {
  local name=$1; shift
  "$@" >"$B/log/$name.out" 2>&1 &
  echo "$! $(basename "$1")" >"$B/run/$name.pid"
}

write_conf() {
  local host cpus mem_mb
  host=$(hostname -s)
  cpus=$(nproc)
  mem_mb=$(( $(awk '/MemTotal/{print $2}' /proc/meminfo) / 1024 - 512 ))
  local acct="AccountingStorageType=accounting_storage/none"
  if [ "$DBD" = 1 ]; then
    acct="AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=127.0.0.1
AccountingStoragePort=$((PORT + 2))
AccountingStoragePass=$B/run/munge.socket"
  fi
  cat >"$B/etc/slurm.conf" <<CONF
ClusterName=avuci
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$B/run/munge.socket
StateSaveLocation=$B/state
SlurmdSpoolDir=$B/spool
SlurmctldPidFile=$B/run/slurmctld.pidfile
SlurmdPidFile=$B/run/slurmd.pidfile
SlurmctldLogFile=$B/log/slurmctld.log
SlurmdLogFile=$B/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
MinJobAge=600
KillWait=5
JobCompType=jobcomp/filetxt
JobCompLoc=$B/log/jobcomp.txt
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=5
$acct
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
  if [ "$DBD" = 1 ]; then
    cat >"$B/etc/slurmdbd.conf" <<CONF
AuthType=auth/munge
AuthInfo=socket=$B/run/munge.socket
DbdHost=localhost
DbdAddr=127.0.0.1
DbdPort=$((PORT + 2))
SlurmUser=root
LogFile=$B/log/slurmdbd.log
PidFile=$B/run/slurmdbd.pidfile
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$((PORT + 3))
StorageLoc=slurm_acct_db
StorageUser=slurm
StoragePass=avu-ci-only
CONF
    chmod 600 "$B/etc/slurmdbd.conf"
  fi
}

up() {
  check
  [ "$(id -u)" = 0 ] || { echo "slurm-ci: must run as root (slurmd starts jobs as their user)" >&2; return 1; }
  mkdir -p "$B"
  [ -z "$(ls -A "$B")" ] || { echo "slurm-ci: $B is not empty; give up a fresh folder" >&2; return 1; }
  # If anything below fails, stop what did start.
  trap 'echo "slurm-ci: up failed; logs in $B/log" >&2; tail -n 5 "$B"/log/* >&2 2>/dev/null || true; down' ERR
  mkdir -p "$B/etc" "$B/state" "$B/spool" "$B/log" "$B/run" "$B/munge"
  chmod 700 "$B/munge"
  write_conf
  export SLURM_CONF="$B/etc/slurm.conf"

  # munge with its own key and socket, so nothing of the machine's /etc/munge or /run/munge is touched.
  dd if=/dev/urandom of="$B/munge/munge.key" bs=1024 count=1 status=none
  chmod 400 "$B/munge/munge.key"
  start munged munged --foreground --force --socket="$B/run/munge.socket" --key-file="$B/munge/munge.key" \
    --pid-file="$B/munge/munged.pidfile" --log-file="$B/log/munged.log" --seed-file="$B/munge/munged.seed"
  wait_for munged 20 bash -c 'munge -S "$1" -n | unmunge -S "$1"' _ "$B/run/munge.socket"

  if [ "$DBD" = 1 ]; then
    mariadb-install-db --no-defaults --user=root --datadir="$B/mysql" --auth-root-authentication-method=socket \
      >"$B/log/mariadb-install.log" 2>&1
    start mariadbd mariadbd --no-defaults --user=root --datadir="$B/mysql" --socket="$B/run/mysqld.sock" \
      --pid-file="$B/run/mysqld.pidfile" --port=$((PORT + 3)) --bind-address=127.0.0.1 --skip-name-resolve \
      --log-error="$B/log/mysqld.err" --innodb-buffer-pool-size=32M
    wait_for mariadbd 60 mariadb-admin --no-defaults --socket="$B/run/mysqld.sock" ping
    mariadb --no-defaults --socket="$B/run/mysqld.sock" -e "CREATE DATABASE slurm_acct_db;
      CREATE USER 'slurm'@'127.0.0.1' IDENTIFIED BY 'avu-ci-only';
      GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';"
    start slurmdbd slurmdbd -D # reads slurmdbd.conf beside $SLURM_CONF
    wait_for slurmdbd 60 bash -c 'echo >"/dev/tcp/127.0.0.1/$1"' _ $((PORT + 2))
  fi
  start slurmctld slurmctld -D -i
  start slurmd slurmd -D
  wait_for slurmctld 60 bash -c '[ "$(sinfo -h -o %T)" = idle ]'
  alive "$(pid_of slurmd)" || { echo "slurm-ci: slurmd exited; see $B/log/slurmd.out" >&2; false; }
  if [ "$DBD" = 1 ]; then
    # slurmctld registers the cluster with slurmdbd on start; sacct answers once it has.
    wait_for slurmdbd 60 bash -c 'sacctmgr -n -P list cluster format=cluster | grep -qx avuci'
  fi
  trap - ERR
  echo "export SLURM_CONF=$(printf '%q' "$B/etc/slurm.conf")"
}

# stop NAME: SIGTERM to the recorded PID if it is still the program recorded, then wait for it to go.
stop() {
  local f="$B/run/$1.pid" pid comm
  [ -f "$f" ] || return 0
  read -r pid comm <"$f"
  if alive "$pid" && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "${comm:0:15}" ]; then
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$(( $(date +%s) + 20 ))
    while alive "$pid" && [ "$(date +%s)" -lt "$deadline" ]; do sleep 0.1; done
    if alive "$pid"; then
      echo "slurm-ci: $1 ($pid) still running 20 s after SIGTERM; sending SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$f"
}

down() {
  trap - ERR
  for d in slurmd slurmctld slurmdbd mariadbd munged; do stop "$d"; done
}

cmd=${1:-}
case "$cmd" in
  check) check ;;
  up | down)
    B=${2:?usage: slurm-ci.sh up|down DIR}
    B=$(realpath -m "$B")
    PORT=${SLURM_CI_PORT:-6817}
    DBD=1
    [ "${3:-}" = --no-dbd ] && DBD=0
    export SLURM_CONF="$B/etc/slurm.conf"
    "$cmd"
    ;;
  *) echo "usage: slurm-ci.sh up DIR [--no-dbd] | down DIR | check" >&2; exit 2 ;;
esac
