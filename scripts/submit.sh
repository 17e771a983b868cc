#!/usr/bin/env bash
# Submits a training job to a Spark cluster (standalone, YARN, Kubernetes) with spark-submit.
#
#   scripts/submit.sh <job.conf> [--master URL] [--deploy-mode client|cluster]
#                     [--set key=value ...] [--out DIR|URI] [--resume DIR|URI] [spark-submit options ...]
#
# The job is validated here and its resolved spec travels with the submission (the driver may
# run on a node that cannot see job.conf). Any other option goes to spark-submit unchanged, e.g.
# --executor-memory 4g, --conf spark.task.cpus=2, --queue q. What this script adds:
#   - conf/spark-defaults.conf (Java 17 flags for driver and executors) as the properties file;
#   - --executor-cores 1 unless given; spark.executorEnv.OMP_NUM_THREADS = executor cores /
#     tasks per executor (= spark.task.cpus) unless given;
#   - spark.cores.max (standalone) or spark.executor.instances (YARN, Kubernetes) for exactly the
#     train.workers task slots the barrier stages need, unless given;
#   - when --master is left out, the cluster of scripts/local-cluster.sh; for that cluster also
#     its authentication secret (from a file, never on the command line);
#   - in standalone cluster deploy mode, waiting for the driver to finish (exit code = its fate).
#
# Authentication (README "Security"). The local cluster's secret comes along by itself. Elsewhere
# turn Spark's on with spark-submit options; the job derives its collectives' secret from Spark's:
#   YARN        --conf spark.authenticate=true --conf spark.network.crypto.enabled=true
#               (Spark makes a secret per application and hands it to the executors through YARN;
#               an external shuffle service needs spark.authenticate in its own configuration too)
#   Kubernetes  --conf spark.authenticate=true --conf spark.network.crypto.enabled=true
#               (a secret per application, given to the executor pods in their environment; to keep it
#               out of the pod spec, mount a Kubernetes secret and name the file with
#               --conf spark.authenticate.secret.file=/mnt/secrets/spark-secret)
#   standalone  the secret the master and workers run with, in a properties file only you can read
#               (mode 600) named by SYNCBN_SPARK_PROPERTIES=FILE, holding "spark.authenticate true",
#               "spark.authenticate.secret ..." and "spark.network.crypto.enabled true"; this script
#               adds its lines to the submission's properties. Never --conf spark.authenticate.secret=...:
#               every user of the machine reads it in the process list.
# Outputs: --out (default runs/<name>-<time>/ under the current directory, made absolute): use a
# shared file system URI (hdfs://, s3a://) on a real cluster, where "local" means the driver's node.
#
# spark-submit: $SPARK_HOME/bin/spark-submit when SPARK_HOME is set, else SparkSubmit from the
# project's own Maven classpath. The application jar: $SYNCBN_JOB_JAR, default
# target/syncbn-spark-<version>-job.jar (built with mvn package when missing).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

die() { echo "submit: $*" >&2; exit 2; }

STATE="${SYNCBN_CLUSTER_STATE:-$SYNCBN_ROOT/.local-cluster}"
job="" master="" deploy="client" out="" resume="" executor_cores="" task_cpus="1" driver_memory=""
sets=() passthrough=() confs=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h|--help) sed -n '2,38p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --master) master="${2:?--master needs a value}"; shift 2 ;;
    --master=*) master="${1#*=}"; shift ;;
    --deploy-mode) deploy="${2:?--deploy-mode needs a value}"; shift 2 ;;
    --deploy-mode=*) deploy="${1#*=}"; shift ;;
    --set) sets+=(--set "${2:?--set needs key=value}"); shift 2 ;;
    --set=*) sets+=(--set "${1#*=}"); shift ;;
    --out) out="${2:?--out needs a value}"; shift 2 ;;
    --resume) resume="${2:?--resume needs a value}"; shift 2 ;;
    --executor-cores) executor_cores="${2:?--executor-cores needs a value}"; shift 2 ;;
    --driver-memory) driver_memory="${2:?--driver-memory needs a value}"; passthrough+=("$1" "$2"); shift 2 ;;
    --conf)
      kv="${2:?--conf needs key=value}"
      [[ "$kv" == spark.task.cpus=* ]] && task_cpus="${kv#*=}"
      confs+=("${kv%%=*}"); passthrough+=(--conf "$kv"); shift 2 ;;
    --*) # a spark-submit option; those taking a value take the next argument with them
      if [[ "$1" == *=* || $# -lt 2 || "$2" == --* ]]; then passthrough+=("$1"); shift
      else passthrough+=("$1" "$2"); shift 2; fi ;;
    *) [[ -z "$job" ]] || die "more than one job file: '$job' and '$1'"; job="$1"; shift ;;
  esac
done
[[ "$deploy" == client || "$deploy" == cluster ]] || die "--deploy-mode $deploy: expected client or cluster"
[[ -n "$job" || -n "$resume" ]] || die "missing job file (usage: scripts/submit.sh <job.conf> [--master URL] ...; --help)"
[[ -z "$out" || -z "$resume" ]] || die "--resume DIR continues in DIR; do not give --out as well"
[[ -z "$executor_cores" || "$executor_cores" =~ ^[1-9][0-9]*$ ]] || die "--executor-cores $executor_cores: expected an integer >= 1"
[[ "$task_cpus" =~ ^[1-9][0-9]*$ ]] || die "--conf spark.task.cpus=$task_cpus: expected an integer >= 1"
has_conf() { local c; for c in "${confs[@]+"${confs[@]}"}"; do [[ "$c" == "$1" ]] && return 0; done; return 1; }

local_cluster=false
if [[ -z "$master" ]]; then
  [[ -f "$STATE/master.url" ]] || die "no --master given and no local cluster in $STATE (scripts/local-cluster.sh start)"
  master="$(cat "$STATE/master.url")"
fi
if [[ -f "$STATE/master.url" && "$master" == "$(cat "$STATE/master.url")" ]]; then local_cluster=true; fi

syncbn_build
syncbn_java_cmd org.syncbn.cli.Main
# the job, validated here: a bad spec fails before any cluster time is spent
abs() { if [[ "$1" =~ ^[A-Za-z][A-Za-z0-9+.-]+: || "$1" == /* ]]; then echo "$1"; else echo "$PWD/$1"; fi; }
spec_args=()
workers=""
if [[ -n "$job" ]]; then
  mapfile -t info < <("${SYNCBN_JAVA[@]}" spec "$job" "${sets[@]+"${sets[@]}"}" --get name,train.workers --base64)
  [[ ${#info[@]} -eq 3 ]] || exit 2   # the spec command printed the one-line error
  workers="${info[1]}"
  spec_args=(--spec-base64 "${info[2]}")
  if [[ -z "$resume" && -z "$out" ]]; then out="runs/${info[0]}-$(date +%Y%m%d-%H%M%S)"; fi
elif [[ ${#sets[@]} -gt 0 ]]; then
  die "--set needs the job file (with --resume, the checkpoint's spec is used as stored)"
fi
if [[ -n "$resume" ]]; then target=(--resume "$(abs "$resume")"); else target=(--out "$(abs "$out")"); fi

# the properties file: our defaults plus what this submission adds (mode 600: it may hold a secret)
props="$(mktemp "${TMPDIR:-/tmp}/syncbn-submit-XXXXXX.properties")"
trap 'rm -f "$props"' EXIT
{
  cat "$SYNCBN_ROOT/conf/spark-defaults.conf"
  echo
  $local_cluster && cat "$STATE/spark.properties"
  if [[ -n "${SYNCBN_SPARK_PROPERTIES:-}" ]]; then
    [[ -r "$SYNCBN_SPARK_PROPERTIES" ]] || die "SYNCBN_SPARK_PROPERTIES=$SYNCBN_SPARK_PROPERTIES is not a readable file"
    echo
    cat "$SYNCBN_SPARK_PROPERTIES"
  fi
  cores="${executor_cores:-1}"
  echo "spark.executor.cores $cores"
  if ! has_conf spark.executorEnv.OMP_NUM_THREADS; then
    tasks_per_executor=$(( cores / task_cpus ))
    [[ $tasks_per_executor -ge 1 ]] || die "--executor-cores $cores is less than spark.task.cpus=$task_cpus"
    echo "spark.executorEnv.OMP_NUM_THREADS $(( cores / tasks_per_executor ))"
  fi
  if [[ -n "$workers" ]]; then
    if [[ "$master" == spark://* ]]; then
      has_conf spark.cores.max || echo "spark.cores.max $(( workers * task_cpus ))"
    elif [[ "$master" == yarn || "$master" == k8s://* ]]; then
      has_conf spark.executor.instances || echo "spark.executor.instances $(( (workers * task_cpus + cores - 1) / cores ))"
    fi
  fi
  if [[ "$master" == spark://* && "$deploy" == cluster ]]; then
    echo "spark.standalone.submit.waitAppCompletion true"
  fi
} > "$props"
chmod 600 "$props"

jar="${SYNCBN_JOB_JAR:-}"
if [[ -z "$jar" ]]; then
  version="$(sed -n 's/^version=//p' "$SYNCBN_ROOT/target/classes/org/syncbn/version.properties")"
  jar="$SYNCBN_ROOT/target/syncbn-spark-$version-job.jar"
  if [[ ! -f "$jar" || -n "$(find "$SYNCBN_ROOT/target/classes" -newer "$jar" -type f -print -quit)" ]]; then
    echo "submit: building the job jar (mvn package) ..." >&2
    (cd "$SYNCBN_ROOT" && mvn -B -q -DskipTests package) >&2 || die "mvn package failed"
  fi
fi
# a URL (hdfs://, s3a://, local:// on Kubernetes images) is the cluster's to fetch
[[ "$jar" =~ ^[A-Za-z][A-Za-z0-9+.-]+: || -f "$jar" ]] || die "application jar $jar does not exist"

submit_args=(--master "$master" --deploy-mode "$deploy" --properties-file "$props" --executor-cores "${executor_cores:-1}"
  --class org.syncbn.cli.Main --name "syncbn-${info[0]:-resume}" "${passthrough[@]+"${passthrough[@]}"}"
  "$jar" train "${spec_args[@]+"${spec_args[@]}"}" "${target[@]}")
echo "submit: $master ($deploy mode), job jar $jar, output ${target[1]}" >&2
log4j="-Dlog4j2.configurationFile=file:$SYNCBN_ROOT/conf/log4j2.properties"
if [[ -n "${SPARK_HOME:-}" ]]; then
  export SPARK_SUBMIT_OPTS="${SPARK_SUBMIT_OPTS:-} $log4j"
  submit=("$SPARK_HOME/bin/spark-submit")
else
  # SparkSubmit from the project's classpath. In client mode this JVM is the driver, so it needs
  # the Java 17 flags and the heap itself.
  # --driver-memory, else SYNCBN_HEAP or its default (scripts/env.sh)
  if [[ -n "${driver_memory:-}" ]]; then heap="-Xmx$driver_memory"; else heap="$(syncbn_heap_opts)" || exit 2; fi
  # shellcheck disable=SC2207
  submit=(java "$heap" $(syncbn_java_opts) "$log4j"
    -cp "$(cat "$SYNCBN_ROOT/target/classpath.txt")" org.apache.spark.deploy.SparkSubmit)
fi
if [[ "$master" != spark://* || "$deploy" != cluster ]]; then
  exec "${submit[@]}" "${submit_args[@]}"   # exec: the caller's PID is the client-mode driver's
fi
# Standalone cluster mode: Spark's client exits 0 whatever the driver's fate; it logs the final
# state (conf/log4j2.properties keeps that line), which decides this script's exit code.
log="$(mktemp "${TMPDIR:-/tmp}/syncbn-submit-XXXXXX.log")"
trap 'rm -f "$props" "$log"' EXIT
set +e
"${submit[@]}" "${submit_args[@]}" 2>&1 | tee "$log" >&2
rc=${PIPESTATUS[0]}
set -e
state="$(sed -n 's/.*State of driver \([^ ]*\) is \([A-Z]*\).*/\1 \2/p' "$log" | tail -1)"
echo "submit: driver ${state:-state unknown} (its log: stderr in the work dir of the worker that ran it)" >&2
[[ $rc -eq 0 ]] || exit "$rc"
[[ "${state#* }" == FINISHED ]] || exit 1
