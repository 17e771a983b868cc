#!/usr/bin/env bash
# A real Spark standalone cluster on this machine (127.0.0.1), from the project's Maven jars: one
# Master and N Workers in their own JVMs, each Worker launching executors (and, in cluster deploy
# mode, drivers) as further JVMs. RPC is authenticated with a secret generated at start.
#
#   scripts/local-cluster.sh start [--workers N] [--cores C] [--memory M] [--port P] [--webui-port U]
#   scripts/local-cluster.sh stop
#   scripts/local-cluster.sh status
#   scripts/local-cluster.sh stop-worker I | start-worker I      (I = 1..N: take one worker away with its
#                                                                executors, as if its machine failed; bring it back)
#
# State (PIDs, logs, work dirs, the secret, spark.properties for submitters) lives in
# $SYNCBN_CLUSTER_STATE (default .local-cluster/ in the project). scripts/submit.sh picks the
# master URL and the secret up from there. stop kills only the processes this script started
# (and the executors/drivers their workers launched), never another Spark on the machine.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

STATE="${SYNCBN_CLUSTER_STATE:-$SYNCBN_ROOT/.local-cluster}"
mkdir -p "$STATE"
STATE="$(cd "$STATE" && pwd)"

die() { echo "local-cluster: $*" >&2; exit 2; }

usage() { sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

# alive PIDFILE: the PID in the file runs and is one of ours (its command line names the state dir)
alive() {
  local f="$1" pid
  [[ -f "$f" ]] || return 1
  pid="$(cat "$f")"
  [[ -n "$pid" && -r "/proc/$pid/cmdline" ]] || return 1
  { tr '\0' ' ' < "/proc/$pid/cmdline"; } 2>/dev/null | grep -qF -- "$STATE"
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# master_json: the master's own view (its web UI's /json endpoint), fetched with bash alone
master_json() {
  local port
  port="$(cat "$STATE/webui.port")"
  exec 3<>"/dev/tcp/127.0.0.1/$port" || return 1
  printf 'GET /json/ HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
  sed '1,/^\r\{0,1\}$/d' <&3
  exec 3<&-
}

json_num() { grep -o "\"$1\" *: *[0-9]*" | head -1 | grep -o '[0-9]*$'; }

# daemon NAME MAINCLASS ARGS...: starts a JVM in the background with its log and PID file in $STATE
daemon() {
  local name="$1" main="$2"
  shift 2
  # the classpath holds the dependency jars, not target/classes: our code reaches the
  # executors only through the submitted application jar, as on a real cluster
  SPARK_SCALA_VERSION=2.12 SPARK_HOME="$STATE/spark-home" SPARK_DIST_CLASSPATH="$(cat "$SYNCBN_ROOT/target/classpath.txt")" \
    nohup java -Xmx512m $(syncbn_java_opts) -Dsyncbn.cluster="$STATE" \
    -Dlog4j2.configurationFile="file:$SYNCBN_ROOT/conf/log4j2.properties" \
    -cp "$(cat "$SYNCBN_ROOT/target/classpath.txt")" "$main" "$@" \
    > "$STATE/logs/$name.log" 2>&1 < /dev/null &
  echo $! > "$STATE/$name.pid"
}

start_worker() {
  local i="$1"
  alive "$STATE/worker-$i.pid" && die "worker $i is already running (PID $(cat "$STATE/worker-$i.pid"))"
  mkdir -p "$STATE/work/worker-$i"
  daemon "worker-$i" org.apache.spark.deploy.worker.Worker "$(cat "$STATE/master.url")" \
    --host 127.0.0.1 --webui-port 0 --cores "$(cat "$STATE/cores")" --memory "$(cat "$STATE/memory")" \
    --work-dir "$STATE/work/worker-$i" --properties-file "$STATE/spark.properties"
}

# wait_workers N: until the master counts N alive workers (60 s)
wait_workers() {
  local n="$1" have=0
  for _ in $(seq 1 240); do
    have="$(master_json 2>/dev/null | json_num aliveworkers || true)"
    [[ "${have:-0}" -ge "$n" ]] && return 0
    sleep 0.25
  done
  die "only ${have:-0} of $n workers registered with the master within 60 s (logs: $STATE/logs/)"
}

cmd_start() {
  local workers=2 cores=1 memory=4g port=7077 webui=8080
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --workers) workers="${2:?--workers needs a value}"; shift 2 ;;
      --cores) cores="${2:?--cores needs a value}"; shift 2 ;;
      --memory) memory="${2:?--memory needs a value}"; shift 2 ;;
      --port) port="${2:?--port needs a value}"; shift 2 ;;
      --webui-port) webui="${2:?--webui-port needs a value}"; shift 2 ;;
      *) die "start: unknown option '$1' (see --help)" ;;
    esac
  done
  [[ "$workers" =~ ^[1-9][0-9]*$ ]] || die "start: --workers $workers: expected an integer >= 1"
  [[ "$cores" =~ ^[1-9][0-9]*$ ]] || die "start: --cores $cores: expected an integer >= 1"
  [[ "$memory" =~ ^[1-9][0-9]*[mMgG]$ ]] || die "start: --memory $memory: expected a size like 2g or 512m"
  alive "$STATE/master.pid" && die "a cluster from $STATE is already running (master PID $(cat "$STATE/master.pid")): stop it first"
  port_free "$port" || die "start: port $port is in use (--port P picks another)"
  port_free "$webui" || die "start: port $webui is in use (--webui-port U picks another)"
  syncbn_build

  rm -rf "$STATE/logs" "$STATE/work" "$STATE/spark-home" "$STATE"/worker-*.pid
  mkdir -p "$STATE/logs" "$STATE/work" "$STATE/spark-home/jars"
  (umask 077; head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$STATE/secret")
  (umask 077; {
    echo "spark.authenticate true"
    echo "spark.authenticate.secret $(cat "$STATE/secret")"
  } > "$STATE/spark.properties")
  echo "spark://127.0.0.1:$port" > "$STATE/master.url"
  echo "$webui" > "$STATE/webui.port"
  echo "$workers" > "$STATE/workers"
  echo "$cores" > "$STATE/cores"
  echo "$memory" > "$STATE/memory"

  daemon master org.apache.spark.deploy.master.Master --host 127.0.0.1 --port "$port" --webui-port "$webui" \
    --properties-file "$STATE/spark.properties"
  for _ in $(seq 1 120); do
    master_json > /dev/null 2>&1 && break
    kill -0 "$(cat "$STATE/master.pid")" 2>/dev/null || die "the master exited at start: $(tail -3 "$STATE/logs/master.log")"
    sleep 0.25
  done
  for i in $(seq 1 "$workers"); do start_worker "$i"; done
  wait_workers "$workers"
  echo "local-cluster: master $(cat "$STATE/master.url") (web UI http://127.0.0.1:$webui), $workers workers x $cores cores, $memory each; state in $STATE"
}

# stop_pid PIDFILE: TERM, then KILL after 15 s
stop_pid() {
  local f="$1" pid
  if alive "$f"; then
    pid="$(cat "$f")"
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 60); do alive "$f" || break; sleep 0.25; done
    alive "$f" && kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$f"
}

# executors and drivers that our workers launched (their classpath names our SPARK_HOME)
children() {
  local p
  for p in /proc/[0-9]*; do
    [[ -r "$p/cmdline" ]] || continue
    # (a process may end between the test and the read: its error is not ours to print)
    if { tr '\0' ' ' < "$p/cmdline"; } 2>/dev/null | grep -qF -- "$STATE/spark-home/jars"; then echo "${p#/proc/}"; fi
  done
}

cmd_stop() {
  local f pids
  for f in "$STATE"/worker-*.pid; do [[ -e "$f" ]] && stop_pid "$f"; done
  stop_pid "$STATE/master.pid"
  pids="$(children)"
  if [[ -n "$pids" ]]; then
    # shellcheck disable=SC2086
    kill -KILL $pids 2>/dev/null || true
  fi
  echo "local-cluster: stopped (state in $STATE)"
}

cmd_status() {
  if ! alive "$STATE/master.pid"; then
    echo "local-cluster: not running (state $STATE)"
    return 3
  fi
  local json i
  # the top-level totals follow the per-worker list, from "aliveworkers" on
  json="$(master_json | tr -d '\n' | sed 's/.*\("aliveworkers"\)/\1/')" || { echo "local-cluster: master PID $(cat "$STATE/master.pid") runs but its web UI does not answer"; return 1; }
  echo "master      $(cat "$STATE/master.url")  (PID $(cat "$STATE/master.pid"), web UI http://127.0.0.1:$(cat "$STATE/webui.port"))"
  echo "workers     $(json_num aliveworkers <<< "$json") alive"
  echo "cores       $(json_num cores <<< "$json") total, $(json_num coresused <<< "$json") used, $(( $(json_num cores <<< "$json") - $(json_num coresused <<< "$json") )) free"
  echo "memory      $(json_num memory <<< "$json") MB total, $(json_num memoryused <<< "$json") MB used"
  echo "apps        $(grep -o '"activeapps" *: *\[[^]]*' <<< "$json" | grep -o '"id" *: *"[^"]*"' | wc -l) running"
  for i in $(seq 1 "$(cat "$STATE/workers")"); do
    if alive "$STATE/worker-$i.pid"; then echo "worker-$i    PID $(cat "$STATE/worker-$i.pid")"; else echo "worker-$i    stopped"; fi
  done
}

case "${1:-}" in
  start) shift; cmd_start "$@" ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  stop-worker)
    [[ "${2:-}" =~ ^[1-9][0-9]*$ ]] || die "stop-worker: expected a worker number, got '${2:-}'"
    stop_pid "$STATE/worker-$2.pid"
    # like a machine going away: also the executors this worker launched. A Worker that gets TERM
    # while it is launching an executor can leave that child running, orphaned but still serving
    # the application; its working directory is under this worker's work dir.
    for p in /proc/[0-9]*; do
      if [[ "$(readlink "$p/cwd" 2>/dev/null)" == "$STATE/work/worker-$2/"* ]]; then kill -KILL "${p#/proc/}" 2>/dev/null || true; fi
    done
    echo "local-cluster: worker $2 stopped" ;;
  start-worker)
    [[ "${2:-}" =~ ^[1-9][0-9]*$ ]] || die "start-worker: expected a worker number, got '${2:-}'"
    alive "$STATE/master.pid" || die "start-worker: the cluster is not running"
    start_worker "$2"; echo "local-cluster: worker $2 started" ;;
  -h|--help|help) usage ;;
  *) usage >&2; exit 2 ;;
esac
