#!/usr/bin/env bash
# The sync-overhead, collective, accuracy, cluster and cnn-speed suites of scripts/bench.sh (see there).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$SYNCBN_ROOT"
suite="$1"; shift
syncbn_build
date_tag="$(date +%Y-%m-%d)"
mkdir -p bench/results
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

header() {
  echo "- machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -m), $(java -version 2>&1 | head -1)"
  echo "- commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$([[ -n "$(git status --porcelain --untracked-files=no -- . ":!bench/results" 2>/dev/null)" ]] && echo " (with uncommitted changes)")"
  echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
}

# what else ran on the machine at the start: load average and the busiest other processes
beside() {
  echo "- beside it: load average $(cut -d' ' -f1-3 /proc/loadavg); busiest other processes (%CPU since start, command):"
  ps -eo pcpu=,comm= --sort=-pcpu | grep -v -e ' ps$' -e ' java$' | head -5 | sed 's/^ */  - /'
}

# field NAME FILE: the last value of a numeric JSON field in a metrics.jsonl
field() { grep -o "\"$1\":[0-9.eE-]*" "$2" | tail -1 | cut -d: -f2; }

case "$suite" in
sync-overhead)
  out="bench/results/${date_tag}-sync-overhead.md"
  {
    echo "# Per-step overhead of bn.mode=sync over local on local[2] ($date_tag)"
    echo
    echo "- command: \`scripts/bench.sh sync-overhead\`"
    header
    echo "- each cell: one epoch of a slice (MLP: 256 steps of 2 x b; CNN: 16 steps), rounds of 32 (MLP) or 16 (CNN) steps"
    echo "- samples/s counts training rounds only; 'steps only' leaves out the round overhead (stage launch,"
    echo "  state transfer, merge), which is the same for both modes; overhead = local / sync - 1"
    echo
    echo "| model | batch/worker | local samples/s | sync samples/s | overhead | local steps-only | sync steps-only | steps-only overhead |"
    echo "|---|---|---|---|---|---|---|---|"
  } > "$out"
  for model in mlp cnn; do
    job=jobs/fashion-$model.conf
    for b in 8 32 64 128; do
      if [[ $model == mlp ]]; then n=$((512 * b)); k=32; else n=$((32 * b)); k=16; fi
      declare -A rate steps
      for mode in local sync; do
        scripts/syncbn train "$job" --set train.epochs=1 --set train.workers=2 --set train.batchPerWorker=$b \
          --set data.maxTrainExamples=$n --set data.maxTestExamples=500 --set train.stepsPerRound=$k \
          --set bn.mode=$mode --out "$work/$model-$b-$mode" > /dev/null 2> "$work/$model-$b-$mode.err"
        m="$work/$model-$b-$mode/metrics.jsonl"
        rate[$mode]=$(field samples_per_sec "$m")
        steps[$mode]=$(awk -v r="${rate[$mode]}" -v f="$(field round_overhead_fraction "$m")" 'BEGIN { printf "%.1f", r / (1 - f) }')
      done
      awk -v m=$model -v b=$b -v l="${rate[local]}" -v s="${rate[sync]}" -v ls="${steps[local]}" -v ss="${steps[sync]}" \
        'BEGIN { printf "| %s | %d | %.0f | %.0f | %+.1f%% | %.0f | %.0f | %+.1f%% |\n", m, b, l, s, 100 * (l / s - 1), ls, ss, 100 * (ls / ss - 1) }' >> "$out"
    done
  done
  ;;
cost-model)
  # the cost model of a step and a round (org.syncbn.bench.SyncCostModel) fitted to the newest allreduce and
  # security results; optional: the measured compute ms of one MLP step and one ResNet-20 step
  ar=$(ls bench/results/*-allreduce.md | tail -1); sec=$(ls bench/results/*-collective-security.md | tail -1)
  out="bench/results/${date_tag}-cost-model.md"
  syncbn_java_cmd org.syncbn.bench.SyncCostModel
  {
    echo "# Cost model of a step and a round on the worker mesh ($date_tag)"
    echo
    echo "- command: \`scripts/bench.sh cost-model $*\` (org.syncbn.bench.SyncCostModel $ar $sec $(nproc) $*)"
    header
    echo "- the model and its fit are in the class's javadoc; the discussion is below the tables"
    echo
    "${SYNCBN_JAVA[@]}" "$ar" "$sec" "$(nproc)" "$@" 2> "$work/cm.err"
  } > "$out"
  ;;
driver-bytes)
  # bytes of task results the driver receives per training round, W = 2, 4, 8, from Spark's event log
  # ("Result Size" of every task of the rounds' barrier stages): with the round-end merge on the mesh only
  # rank 0 sends the state, so the figure should not grow with W. MLP of fashion-mlp.conf, Adam, a global
  # batch of 64, 2 rounds of 5 steps.
  out="bench/results/${date_tag}-driver-bytes.md"
  {
    echo "# Bytes the driver receives per training round ($date_tag)"
    echo
    echo "- command: \`scripts/bench.sh driver-bytes\`"
    header
    beside
    echo "- jobs/fashion-mlp.conf (235,530 parameters, Adam), W workers x 64/W, 640 examples, rounds of 5 steps;"
    echo "  figures: the summed 'Result Size' of the W tasks of each round's stage in Spark's event log"
    echo
    echo "| W | rounds | bytes per round (each round) | MB per round |"
    echo "|---|---|---|---|"
  } > "$out"
  for w in 2 4 8; do
    ev="$work/events-$w"; mkdir -p "$ev"
    JAVA_TOOL_OPTIONS="-Dspark.eventLog.enabled=true -Dspark.eventLog.dir=file://$ev" \
      scripts/syncbn train jobs/fashion-mlp.conf --set train.workers=$w --set train.batchPerWorker=$((64 / w)) \
      --set data.maxTrainExamples=640 --set data.maxTestExamples=200 --set train.epochs=1 --set train.stepsPerRound=5 \
      --out "$work/run-$w" > /dev/null 2> "$work/run-$w.err"
    python3 - "$(ls "$ev"/local-* | head -1)" "$w" >> "$out" <<'PY'
import collections, json, sys
size = collections.defaultdict(int); tasks = collections.defaultdict(int)
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["Event"] == "SparkListenerTaskEnd" and e.get("Task Metrics"):
        s = e["Stage ID"]; size[s] += e["Task Metrics"]["Result Size"]; tasks[s] += 1
w = int(sys.argv[2])
rounds = sorted(s for s in size if tasks[s] == w and size[s] > 100000)   # evaluation stages carry KBs
print("| %d | %d | %s | %.2f |" % (w, len(rounds), ", ".join(str(size[s]) for s in rounds),
      sum(size[s] for s in rounds) / max(1, len(rounds)) / 1e6))
PY
  done
  ;;
sync-modes)
  # train.sync = gradients vs parameters at the same K, and parameters at K = 1 (before gradients, the
  # only exact setting), for the MLP and the ResNet job on local[2]; the three run in turn, twice,
  # so drift of the shared machine hits all three alike; the table gives each one's median.
  # The MLP runs a whole epoch by default: on a 100-step slice half the time was a fresh JVM's
  # warm-up (the JIT reaching AES-GCM's intrinsics: bench/results/2026-12-01-crypto-warmup.md).
  reps="${1:-2}"; mlp_n="${2:-60000}"
  out="bench/results/${date_tag}-sync-modes.md"
  {
    echo "# Samples/s of train.sync = gradients vs parameters on local[2] ($date_tag)"
    echo
    echo "- command: \`scripts/bench.sh sync-modes $reps $mlp_n\`"
    header
    beside
    echo "- MLP: jobs/fashion-mlp.conf (2 x 64, sync BN, Adam), $mlp_n examples = $(( (mlp_n + 127) / 128 )) steps; ResNet: jobs/fashion-resnet.conf"
    echo "  (ResNet-20, 2 x 32, sync BN, Adam), 1,920 examples = 30 steps; one epoch each, evaluation on 500 test examples"
    echo "- samples/s counts training rounds only (not evaluation); 'steps only' leaves out the round overhead"
    echo "  (stage launch, state transfer, merge); each figure the median of $reps runs, the three settings interleaved"
    echo
    echo "| model | setting | samples/s | steps-only samples/s | vs parameters K=47 |"
    echo "|---|---|---|---|---|"
  } > "$out"
  ratios=""
  for model in mlp resnet; do
    if [[ $model == mlp ]]; then n=$mlp_n; else n=1920; fi
    declare -A runs=() stepsonly=()
    for rep in $(seq "$reps"); do
      for setting in parameters-47 gradients-47 parameters-1; do
        sync="${setting%-*}"; k="${setting#*-}"
        dir="$work/$model-$setting-$rep"
        scripts/syncbn train "jobs/fashion-$model.conf" --set train.epochs=1 --set train.workers=2 \
          --set data.maxTrainExamples=$n --set data.maxTestExamples=500 --set train.stepsPerRound=$k \
          --set train.sync=$sync --out "$dir" > /dev/null 2> "$dir.err"
        r=$(field samples_per_sec "$dir/metrics.jsonl")
        runs[$setting]+="$r "
        stepsonly[$setting]+="$(awk -v r="$r" -v f="$(field round_overhead_fraction "$dir/metrics.jsonl")" 'BEGIN { printf "%.1f", r / (1 - f) }') "
      done
    done
    median() { tr ' ' '\n' | grep . | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
    base=$(echo "${runs[parameters-47]}" | median)
    for setting in parameters-47 gradients-47 parameters-1; do
      m=$(echo "${runs[$setting]}" | median)
      s=$(echo "${stepsonly[$setting]}" | median)
      awk -v model=$model -v set="${setting%-*} K=${setting#*-}" -v m="$m" -v s="$s" -v b="$base" -v all="${runs[$setting]}" \
        'BEGIN { printf "| %s | %s | %.0f (runs: %s) | %.0f | %.2fx |\n", model, set, m, all, s, m / b }' >> "$out"
    done
    # the runs of one repetition ran back to back: their ratios move less with the machine's load
    ratios+="$(awk -v model=$model -v p="${runs[parameters-47]}" -v g="${runs[gradients-47]}" -v one="${runs[parameters-1]}" 'BEGIN {
      n = split(p, P, " "); split(g, G, " "); split(one, O, " ")
      for (i = 1; i <= n; i++) { a = a sprintf("%s%.2f", i > 1 ? ", " : "", G[i] / P[i]); c = c sprintf("%s%.2f", i > 1 ? ", " : "", G[i] / O[i]) }
      printf "| %s | %s | %s |\n", model, a, c }')"$'\n'
  done
  {
    echo
    echo "Per repetition (runs of one repetition ran back to back):"
    echo
    echo "| model | gradients / parameters K=47 | gradients / parameters K=1 |"
    echo "|---|---|---|"
    printf '%s' "$ratios"
  } >> "$out"
  ;;
resnet)
  # ResNet-20 on Fashion-MNIST (jobs/fashion-resnet.conf, 21 BN layers, 2 x 32): sync vs local on local[2],
  # interleaved, and one JVM (DL4J fit, batch 32, one native thread); then the test accuracy after
  # a fixed number of epochs with sync BN on 4 workers x 16.
  reps="${1:-2}"; epochs="${2:-2}"
  n=3200
  out="bench/results/${date_tag}-resnet.md"
  {
    echo "# ResNet-20 on Fashion-MNIST: SyncBN cost, one JVM, accuracy ($date_tag)"
    echo
    echo "- command: \`scripts/bench.sh resnet $reps $epochs\`"
    header
    beside
    echo "- jobs/fashion-resnet.conf (ResNet-20, 21 BN layers: 42 collectives per step under sync, float, Adam 1e-3),"
    echo "  $n training examples, batch 32 per worker, local[2], one epoch per run, rounds of 47 steps;"
    echo "  samples/s counts training rounds only; each figure the median of $reps runs, sync and local interleaved"
    echo
    echo "| setting | samples/s | steps-only samples/s | runs |"
    echo "|---|---|---|---|"
  } > "$out"
  declare -A runs=() stepsonly=()
  for rep in $(seq "$reps"); do
    for mode in sync local; do
      dir="$work/resnet-$mode-$rep"
      scripts/syncbn train jobs/fashion-resnet.conf --set train.epochs=1 --set train.workers=2 \
        --set train.batchPerWorker=32 --set data.maxTrainExamples=$n --set data.maxTestExamples=500 \
        --set bn.mode=$mode --out "$dir" > /dev/null 2> "$dir.err"
      r=$(field samples_per_sec "$dir/metrics.jsonl")
      runs[$mode]+="$r "
      stepsonly[$mode]+="$(awk -v r="$r" -v f="$(field round_overhead_fraction "$dir/metrics.jsonl")" 'BEGIN { printf "%.1f", r / (1 - f) }') "
    done
  done
  median() { tr ' ' '\n' | grep . | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
  for mode in sync local; do
    echo "| bn.mode=$mode, local[2] | $(echo "${runs[$mode]}" | median) | $(echo "${stepsonly[$mode]}" | median) | ${runs[$mode]}|" >> "$out"
  done
  syncbn_java_cmd org.syncbn.bench.BenchMain
  single=$(OMP_NUM_THREADS=1 "${SYNCBN_JAVA[@]}" single jobs/fashion-resnet.conf --set train.epochs=1 \
    --set train.batchPerWorker=32 --set data.maxTrainExamples=$n --set data.maxTestExamples=500 \
    --set bn.mode=local 2> "$work/single.err" | sed -n 's/.*samples_per_sec=\([0-9.]*\).*/\1/p' | tail -1)
  echo "| one JVM, DL4J fit, batch 32, one native thread | $single | | 1 |" >> "$out"
  s=$(echo "${runs[sync]}" | median); l=$(echo "${runs[local]}" | median)
  ss=$(echo "${stepsonly[sync]}" | median); ls=$(echo "${stepsonly[local]}" | median)
  awk -v s="$s" -v l="$l" -v ss="$ss" -v ls="$ls" -v one="$single" 'BEGIN {
    printf "\nsync costs %+.1f%% of local (steps only: %+.1f%%); local[2] with sync runs at %.2fx one JVM on one core\n", 100 * (l / s - 1), 100 * (ls / ss - 1), s / one }' >> "$out"
  dir="$work/resnet-accuracy"
  scripts/syncbn train jobs/fashion-resnet.conf --set train.epochs=$epochs --set train.workers=4 \
    --set train.batchPerWorker=16 --set bn.mode=sync --out "$dir" > /dev/null 2> "$dir.err"
  {
    echo
    echo "Accuracy, sync BN, 4 workers x 16 (local[4] on these cores), all 60,000 training examples, $epochs epochs:"
    echo
    echo "| epoch | test accuracy | samples/s |"
    echo "|---|---|---|"
    grep '"epoch"' "$dir/metrics.jsonl" | sed -E 's/.*"epoch":([0-9]+).*"test_accuracy":([0-9.]+).*"samples_per_sec":([0-9.]+).*/| \1 | \2 | \3 |/'
  } >> "$out"
  ;;
collective)
  out="bench/results/${date_tag}-collective-latency.md"
  syncbn_java_cmd org.syncbn.bench.CollectiveLatencyBench
  {
    echo "# TCP all-reduce latency on loopback ($date_tag)"
    echo
    echo "- command: \`scripts/bench.sh collective\` (org.syncbn.bench.CollectiveLatencyBench)"
    header
    beside
    echo "- W members are threads of one JVM talking over loopback sockets (full mesh, frames authenticated); payload 2C+1 doubles as SyncBN"
    echo
    "${SYNCBN_JAVA[@]}" 2>/dev/null
  } > "$out"
  ;;
allreduce)
  out="bench/results/${date_tag}-allreduce.md"
  syncbn_java_cmd org.syncbn.bench.AllReduceBandwidthBench
  {
    echo "# All-reduce bandwidth on loopback vs the bandwidth-optimal model ($date_tag)"
    echo
    echo "- command: \`scripts/bench.sh allreduce $*\` (org.syncbn.bench.AllReduceBandwidthBench $*)"
    header
    beside
    echo "- W members are threads of one JVM, full mesh on 127.0.0.1; allReduceSum(float[]) of the buffer, large"
    echo "  path (pipelined direct reduce-scatter + all-gather, 64 KB chunks); median of 5 timed batches after warm-up"
    echo "- model = 2(W-1)/W * n / B, B = one loopback TCP stream (writer + reader thread) measured in this run;"
    echo "  aggregate copy / B = bytes all members moved per second (2(W-1) n / t) over B; then the same on an emulated link"
    echo
    "${SYNCBN_JAVA[@]}" "$@" 2>/dev/null
  } > "$out"
  cat "$out"
  ;;
crypto-warmup)
  # The first all-reduces of a fresh JVM with the CompileCommand of conf/spark-defaults.conf (the
  # AES-GCM classes compiled at 1/100 of the thresholds) and without it, fresh JVMs taking turns.
  reps="${1:-3}"
  out="bench/results/${date_tag}-crypto-warmup.md"
  syncbn_java_cmd org.syncbn.bench.AllReduceWarmupBench
  without=()
  for a in "${SYNCBN_JAVA[@]}"; do [[ $a == -XX:CompileCommand=* ]] || without+=("$a"); done
  declare -A ms=() total=()
  for rep in $(seq "$reps"); do
    for mode in with without; do
      if [[ $mode == with ]]; then cmd=("${SYNCBN_JAVA[@]}"); else cmd=("${without[@]}"); fi
      res=$("${cmd[@]}" 2>/dev/null)
      while read -r _ b first last t; do ms[$mode,$b]+="$t "; done < <(grep '^BLOCK' <<< "$res")
      total[$mode]+="$(awk '/^TOTAL/ { print $2 }' <<< "$res") "
    done
  done
  median() { tr ' ' '\n' | grep . | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
  {
    echo "# The first all-reduces of a fresh JVM: AES-GCM before and after the JIT ($date_tag)"
    echo
    echo "- command: \`scripts/bench.sh crypto-warmup $reps\` (org.syncbn.bench.AllReduceWarmupBench, defaults)"
    header
    beside
    echo "- W = 2 members (threads of one JVM, loopback mesh, frames encrypted: the job default), allReduceSum of"
    echo "  235,531 floats (the MLP's gradient, 942 KB) 300 times in blocks of 25; ms per sum of each block, the median of"
    echo "  $reps fresh JVMs per setting, the two settings taking turns"
    echo "- with: the options of conf/spark-defaults.conf, including"
    echo "  \`-XX:CompileCommand=CompileThresholdScaling,com.sun.crypto.provider.*::*,0.01\`; without: the same less the CompileCommand"
    echo
    echo "| operations | without: ms per sum | with: ms per sum | without / with |"
    echo "|---|---|---|---|"
    for b in $(seq 0 11); do
      a=$(echo "${ms[without,$b]}" | median); c=$(echo "${ms[with,$b]}" | median)
      awk -v b="$b" -v a="$a" -v c="$c" 'BEGIN { printf "| %d-%d | %.2f | %.2f | %.1fx |\n", b * 25 + 1, (b + 1) * 25, a, c, a / c }'
    done
    a=$(echo "${total[without]}" | median); c=$(echo "${total[with]}" | median)
    echo
    echo "Whole JVM run (mesh setup + 300 sums), median ms: without $a, with $c."
  } > "$out"
  cat "$out"
  ;;
security)
  out="bench/results/${date_tag}-collective-security.md"
  syncbn_java_cmd org.syncbn.bench.CollectiveSecurityBench
  {
    echo "# What authenticating (and encrypting) the collectives costs ($date_tag)"
    echo
    echo "- command: \`scripts/bench.sh security $*\` (org.syncbn.bench.CollectiveSecurityBench $*)"
    header
    beside
    echo
    "${SYNCBN_JAVA[@]}" "$@" 2>/dev/null
  } > "$out"
  cat "$out"
  ;;
accuracy)
  job="jobs/fashion-mlp.conf"
  if [[ $# -gt 0 && "$1" != -* ]]; then job="$1"; shift; fi
  epochs=10; target=0.89; sets=()
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --epochs) epochs="$2"; shift 2 ;;
      --target) target="$2"; shift 2 ;;
      --set) sets+=(--set "$2"); shift 2 ;;
      *) echo "bench.sh accuracy: unknown argument $1" >&2; exit 2 ;;
    esac
  done
  name="$(basename "$job" .conf)"
  out="bench/results/${date_tag}-accuracy-${name}.md"
  start=$(date +%s)
  scripts/syncbn train "$job" --set train.epochs="$epochs" ${sets[@]+"${sets[@]}"} --out "$work/run" > /dev/null 2> "$work/run.err" \
    || { tail -5 "$work/run.err" >&2; exit 1; }
  wall=$(( $(date +%s) - start ))
  {
    echo "# Accuracy of $job ($date_tag)"
    echo
    echo "- command: \`scripts/bench.sh accuracy $job --epochs $epochs --target $target ${sets[*]+${sets[*]}}\`"
    header
    echo "- wall time of the whole run (JVM start, data, training, evaluation): ${wall} s"
    echo
    echo "| epoch | test accuracy | test loss | train loss | samples/s | training time so far (s) |"
    echo "|---|---|---|---|---|---|"
    sed -E 's/.*"epoch":([0-9]+).*"train_loss":([0-9.eE-]+).*"test_loss":([0-9.eE-]+).*"test_accuracy":([0-9.]+).*"samples_per_sec":([0-9.]+).*"elapsed_sec":([0-9.]+).*/| \1 | \4 | \3 | \2 | \5 | \6 |/' "$work/run/metrics.jsonl"
    echo
    sed -E 's/.*"epoch":([0-9]+).*"test_accuracy":([0-9.]+).*"elapsed_sec":([0-9.]+).*/\1 \2 \3/' "$work/run/metrics.jsonl" \
      | awk -v t="$target" '$2 >= t && !done { printf "First epoch with test accuracy >= %s: %d (training time %.0f s).\n", t, $1, $3; done = 1 }
          END { if (!done) printf "Test accuracy did not reach %s within the run.\n", t }'
    echo
    echo "Resolved spec:"
    echo
    echo '```'
    grep -o '"spec" : ".*"' "$work/run/provenance.json" | sed -e 's/^"spec" : "//' -e 's/"$//' -e 's/\\n/\n/g'
    echo '```'
  } > "$out"
  ;;
cluster)
  # The default job (2 epochs, one native thread per worker) on local[W] and on a standalone
  # cluster of this machine (scripts/local-cluster.sh, client deploy mode), side by side.
  out="bench/results/${date_tag}-cluster.md"
  version="$(sed -n 's/^version=//p' target/classes/org/syncbn/version.properties)"
  mvn -B -q -DskipTests compile jar:jar   # the thin jar of exactly this code
  export SYNCBN_CLUSTER_STATE="$work/cluster"
  port=$(( 20000 + RANDOM % 20000 ))
  scripts/local-cluster.sh start --workers 4 --cores 1 --memory 3g --port "$port" --webui-port $((port + 1)) > /dev/null
  trap 'scripts/local-cluster.sh stop > /dev/null; rm -rf "$work"' EXIT
  sets=(--set train.epochs=2 --set train.threadsPerWorker=1)
  # per-round seconds of epoch 2 from metrics.jsonl's round_sec
  rsec() { grep '"epoch":2' "$1" | grep -o "\"$2\":[0-9.eE-]*" | tail -1 | cut -d: -f2 || echo NaN; }
  {
    echo "# The default job on a standalone cluster vs local[W] ($date_tag)"
    echo
    echo "- command: \`scripts/bench.sh cluster\`"
    header
    echo "- job: jobs/fashion-mlp.conf (sync BN, 64 per worker, K = 47 steps per round), 2 epochs, train.threadsPerWorker = 1"
    echo "- cluster: scripts/local-cluster.sh, 4 workers x 1 core on this machine, client deploy mode, thin application jar;"
    echo "  local: scripts/syncbn train (embedded local[W]); figures from epoch 2 in metrics.jsonl"
    echo "- per-round seconds (RoundReport.Overhead): broadcast = creating the state broadcast on the driver; task setup ="
    echo "  the slowest task's time outside its steps (fetching + loading the state, meeting peers); launch+collect ="
    echo "  stage wall time minus the slowest task (scheduling, task and result serialisation and transfer); merge = driver averaging"
    echo
    echo "| W | master | samples/s | round (s) | steps (s) | broadcast | task setup | launch+collect | merge | test acc | params = local[W] |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|"
  } > "$out"
  for w in 2 4; do
    scripts/syncbn train jobs/fashion-mlp.conf "${sets[@]}" --set train.workers=$w --out "$work/local-$w" > /dev/null 2> "$work/local-$w.err" \
      || { tail -5 "$work/local-$w.err" >&2; exit 1; }
    SYNCBN_JOB_JAR="target/syncbn-spark-$version.jar" scripts/submit.sh jobs/fashion-mlp.conf "${sets[@]}" --set train.workers=$w \
      --out "$work/cluster-$w" > /dev/null 2> "$work/cluster-$w.err" || { tail -5 "$work/cluster-$w.err" >&2; exit 1; }
    same=yes
    for e in coefficients.bin updaterState.bin; do
      cmp -s <(unzip -p "$work/local-$w/model.zip" $e) <(unzip -p "$work/cluster-$w/model.zip" $e) || same=no
    done
    for m in local cluster; do
      f="$work/$m-$w/metrics.jsonl"
      round=$(rsec "$f" round); b=$(rsec "$f" broadcast); t=$(rsec "$f" task_setup); l=$(rsec "$f" launch_collect); g=$(rsec "$f" merge)
      awk -v w=$w -v m="$([[ $m == local ]] && echo "local[$w]" || echo "standalone")" -v s="$(field samples_per_sec "$f")" \
        -v r="$round" -v b="$b" -v t="$t" -v l="$l" -v g="$g" -v a="$(field test_accuracy "$f")" -v same="$([[ $m == local ]] && echo "-" || echo $same)" \
        'BEGIN { printf "| %d | %s | %.0f | %.2f | %.2f | %.3f | %.3f | %.3f | %.3f | %.4f | %s |\n", w, m, s, r, r - b - t - l - g, b, t, l, g, a, same }' >> "$out"
    done
  done
  ;;
cnn-speed)
  # DL4J (plain, and with the project's fast convolutions on libnd4j's ops and on oneDNN 2.5.2) and
  # PyTorch side by side in this one run, one native thread per process, float, Adam: ResNet-20 and
  # the fashion-cnn network in one process; then the fashion-cnn job on local[2] (scripts/syncbn
  # train, sync BN) against PyTorch DDP with 2 processes on the same Fashion-MNIST slice. PyTorch
  # rows only where python3-torch is installed. Optional arguments: passes (default 1) of the whole
  # sequence, one after the other, each cell reporting its best pass (the one least disturbed by
  # other processes on a shared machine); the examples of the job's slice (default 25600: 200 steps;
  # DDP leaves out 3 warm-up steps, the job's first round carries the JVM's warm-up, which a slice
  # of 6400, 50 steps, mostly measures).
  passes="${1:-1}"
  out="bench/results/${date_tag}-cnn-speed.md"
  data="${SYNCBN_DATA:-/usr/share/datasets/fashion-mnist}"
  examples="${2:-25600}"
  off="-Dsyncbn.conv.onednn=false"
  syncbn_java_cmd org.syncbn.bench.CnnSpeedBench
  have_torch=no
  /usr/bin/python3 -c 'import torch' 2> /dev/null && have_torch=yes
  # dl4j JVM_OPTS ARGS...: one CnnSpeedBench JVM with extra JVM options
  dl4j() { local opts="$1"; shift
    # shellcheck disable=SC2086
    OMP_NUM_THREADS=1 "${SYNCBN_JAVA[0]}" $opts "${SYNCBN_JAVA[@]:1}" "$@" 2> "$work/dl4j.err" | grep -E '^(BENCH|NATIVE)' \
      || { tail -5 "$work/dl4j.err" >&2; exit 1; }; }
  torch() { OMP_NUM_THREADS=1 /usr/bin/python3 bench/cnn_speed_torch.py "$@" 2> "$work/torch.err" | grep '^BENCH' || { tail -5 "$work/torch.err" >&2; exit 1; }; }
  rate() { grep '^BENCH' | tail -1 | sed -E 's/.*samples_per_sec=([0-9.]+).*/\1/'; }
  cpu_rate() { grep '^BENCH' | tail -1 | sed -E 's/.*samples_per_cpu_sec=([0-9.]+).*/\1/'; }
  best() { awk -v a="${1:-0}" -v b="$2" 'BEGIN { print (b + 0 > a + 0 ? b : a) }'; }
  job() {   # job TAG [env assignments...]: one epoch of the fashion-cnn job on local[2], into $work/job-TAG
    local tag="$1"; shift
    rm -rf "$work/job-$tag"
    env "$@" scripts/syncbn train jobs/fashion-cnn.conf --set train.epochs=1 --set data.maxTrainExamples=$examples \
      --set data.maxTestExamples=1000 --set "data.dir=\"$data\"" --out "$work/job-$tag" > /dev/null 2> "$work/job-$tag.err" \
      || { tail -5 "$work/job-$tag.err" >&2; exit 1; }; }
  declare -A r c
  load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
  beside > "$work/beside.txt"
  for pass in $(seq 1 "$passes"); do
    for net in resnet20 fashion-cnn; do
      batch=32; [[ $net == fashion-cnn ]] && batch=64
      for v in dl4j ops fast sync; do
        bn=dl4j
        case $v in dl4j) opts=""; conv=dl4j ;; ops) opts="$off"; conv=fast ;; fast) opts=""; conv=fast ;;
          sync) opts=""; conv=fast; bn=sync ;; esac
        dl4j "$opts" net=$net batch=$batch conv=$conv bn=$bn > "$work/$net-$v.txt"
        r[$net-$v]=$(best "${r[$net-$v]:-}" "$(rate < "$work/$net-$v.txt")")
        c[$net-$v]=$(best "${c[$net-$v]:-}" "$(cpu_rate < "$work/$net-$v.txt")")
      done
      if [[ $have_torch == yes ]]; then
        torch single --net $net --batch $batch > "$work/$net-torch.txt"
        r[$net-torch]=$(best "${r[$net-torch]:-}" "$(rate < "$work/$net-torch.txt")")
        c[$net-torch]=$(best "${c[$net-torch]:-}" "$(cpu_rate < "$work/$net-torch.txt")")
      fi
    done
    job onednn
    r[job]=$(best "${r[job]:-}" "$(field samples_per_sec "$work/job-onednn/metrics.jsonl")")
    job ops JAVA_TOOL_OPTIONS="$off"
    r[job-ops]=$(best "${r[job-ops]:-}" "$(field samples_per_sec "$work/job-ops/metrics.jsonl")")
    job generic SYNCBN_NATIVE=generic
    r[job-generic]=$(best "${r[job-generic]:-}" "$(field samples_per_sec "$work/job-generic/metrics.jsonl")")
    if [[ $have_torch == yes ]]; then
      torch ddp --data "$data" --workers 2 --batch 64 --examples $examples > "$work/ddp.txt"
      r[ddp]=$(best "${r[ddp]:-}" "$(rate < "$work/ddp.txt")")
    fi
  done
  for k in resnet20-torch fashion-cnn-torch ddp; do [[ -n "${r[$k]:-}" ]] || r[$k]=NaN; [[ -n "${c[$k]:-}" ]] || c[$k]=NaN; done
  {
    echo "# CNN training speed: DL4J vs PyTorch on this CPU ($date_tag)"
    echo
    echo "- command: \`scripts/bench.sh cnn-speed $passes $examples\`"
    header
    echo "- load average at the start: $load_before; at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
    cat "$work/beside.txt"
    echo "- DL4J native build: $(grep -h '^NATIVE' "$work"/*-fast.txt | head -1 | cut -d' ' -f2-)"
    echo "- PyTorch: $([[ $have_torch == yes ]] && /usr/bin/python3 -c 'import torch; print(torch.__version__, "(oneDNN", torch.backends.mkldnn.is_available(), ")")' || echo "not installed (apt-get install python3-torch)")"
    echo "- single process: random 1x28x28 inputs, float, Adam 1e-3, one native thread (OMP_NUM_THREADS=1), median"
    echo "  of 3 repeats of 30 steps after 5 warm-up steps (org.syncbn.bench.CnnSpeedBench, bench/cnn_speed_torch.py),"
    echo "  best of $passes pass(es). 'DL4J' is plain DL4J 1.0.0-M2; 'fast' the same network through"
    echo "  org.syncbn.conv.FastConvolutions, on libnd4j's conv2d ops (oneDNN 2.3 on this build: $off, the route"
    echo "  before oneDNN 2.5.2) and on oneDNN 2.5.2 (the default where it loads). cpu: samples per second of the"
    echo "  training thread's CPU time, which moves less with the machine's load than wall time. 'SyncBN' is 'fast'"
    echo "  with the project's SyncBatchNormalization (bn=sync, local collective; its fused kernels) in place of DL4J's BN."
    echo "- job: jobs/fashion-cnn.conf (sync BN, fast convolutions, 2 workers x 64, local[2], one thread per worker), one epoch of the"
    echo "  first $examples training images, samples/s of the training rounds; PyTorch: DistributedDataParallel, 2 processes,"
    echo "  gloo, plain BatchNorm (SyncBatchNorm refuses CPU tensors), the same images, batch 64 per process"
    echo "- machine shared with other work: compare the ratios of this one run, not figures across runs"
    echo
    echo "| network | batch | DL4J | fast, libnd4j ops | fast, oneDNN 2.5.2 | SyncBN | PyTorch | oneDNN 2.5.2 / libnd4j ops | oneDNN 2.5.2 / PyTorch | SyncBN / PyTorch |"
    echo "|---|---|---|---|---|---|---|---|---|---|"
    for net in resnet20 fashion-cnn; do
      batch=32; [[ $net == fashion-cnn ]] && batch=64
      for kind in wall cpu; do
        if [[ $kind == wall ]]; then d=${r[$net-dl4j]} o=${r[$net-ops]} f=${r[$net-fast]} s=${r[$net-sync]} t=${r[$net-torch]}
        else d=${c[$net-dl4j]} o=${c[$net-ops]} f=${c[$net-fast]} s=${c[$net-sync]} t=${c[$net-torch]}; fi
        awk -v n=$net -v b=$batch -v k=$kind -v d="$d" -v o="$o" -v f="$f" -v s="$s" -v t="$t" \
          'BEGIN { printf "| %s (%s samples/s) | %d | %.1f | %.1f | %.1f | %.1f | %s | %.2fx | %s | %s |\n", n, k, b, d, o, f, s, (t == "NaN" ? "-" : t), f / o, (t == "NaN" ? "-" : sprintf("%.2fx", f / t)), (t == "NaN" ? "-" : sprintf("%.2fx", s / t)) }'
      done
    done
    echo
    echo "| job | samples/s | vs PyTorch DDP |"
    echo "|---|---|---|"
    awk -v j="${r[job]}" -v o="${r[job-ops]}" -v g="${r[job-generic]}" -v t="${r[ddp]}" 'BEGIN {
      printf "| fashion-cnn, syncbn train, local[2], ND4J build chosen for this CPU, convolutions on oneDNN 2.5.2 | %.1f | %s |\n", j, (t == "NaN" ? "-" : sprintf("%.2fx", j / t))
      printf "| the same, -Dsyncbn.conv.onednn=false (libnd4j ops: the route before oneDNN 2.5.2) | %.1f | %s |\n", o, (t == "NaN" ? "-" : sprintf("%.2fx", o / t))
      printf "| the same as the first, SYNCBN_NATIVE=generic (ND4J generic build; convolutions still on oneDNN 2.5.2) | %.1f | %s |\n", g, (t == "NaN" ? "-" : sprintf("%.2fx", g / t))
      if (t != "NaN") printf "| PyTorch DDP, 2 processes | %.1f | 1.00x |\n", t }'
  } > "$out"
  ;;
hostile)
  # the default job undisturbed, then under attack on every port it listens on (one run each, the same
  # spec, one native thread per worker), the parameters compared bit for bit; what authentication
  # costs per round; collective.encrypt true vs false on the MLP at W = 2 and 4
  out="bench/results/${date_tag}-hostile.md"
  job=jobs/fashion-mlp.conf
  threads="${1:-4}"
  syncbn_java_cmd org.syncbn.bench.HostileBench
  hb=("${SYNCBN_JAVA[@]}")
  secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
  {
    echo "# The default job under attack on every port it listens on ($date_tag)"
    echo
    echo "- command: \`scripts/bench.sh hostile $*\` (attack threads: $threads)"
    header
    beside
  } > "$work/head.md"
  echo "bench hostile: undisturbed run ..." >&2
  t0=$(date +%s.%N)
  scripts/syncbn train "$job" --set train.threadsPerWorker=1 --out "$work/calm" > /dev/null 2> "$work/calm.err" \
    || { tail -5 "$work/calm.err" >&2; exit 1; }
  calm=$(secs "$t0" "$(date +%s.%N)")
  echo "bench hostile: the same run under attack ..." >&2
  t0=$(date +%s.%N)
  scripts/syncbn train "$job" --set train.threadsPerWorker=1 --out "$work/attacked" > /dev/null 2> "$work/attacked.err" &
  pid=$!
  "${hb[@]}" attack "$pid" "$threads" > "$work/attack.md" 2> "$work/attack.err" || { tail -5 "$work/attack.err" >&2; exit 1; }
  set +e; wait "$pid"; rc=$?; set -e
  attacked=$(secs "$t0" "$(date +%s.%N)")
  [[ $rc -eq 0 ]] || { echo "bench hostile: the attacked run exited $rc:" >&2; tail -5 "$work/attacked.err" >&2; exit 1; }
  equal="$("${hb[@]}" compare "$work/calm/model.zip" "$work/attacked/model.zip" 2>/dev/null)"
  beside > "$work/beside-end.md"
  round_sec="$(grep -o '"round":[0-9.eE-]*}' "$work/calm/metrics.jsonl" | tail -1 | sed 's/[^0-9.eE-]//g')"
  echo "bench hostile: costs per round ..." >&2
  "${hb[@]}" costs 2 256,128 47 "$round_sec" > "$work/costs.md" 2>/dev/null
  echo "bench hostile: collective.encrypt on and off, W = 2 and 4 ..." >&2
  declare -A rate
  one_epoch=(--set train.epochs=1 --set train.threadsPerWorker=1)
  # rate KEY DIR: appends DIR's samples/s (training rounds only) to cell KEY
  rate_of() { rate[$1]="${rate[$1]:-} $(field samples_per_sec "$2/metrics.jsonl")"; }
  for w in 2 4; do
    i=0
    for enc in true false false true true false; do   # three each, interleaved: the load of a shared machine drifts
      i=$((i + 1))
      scripts/syncbn train "$job" "${one_epoch[@]}" --set train.workers=$w --set collective.encrypt=$enc \
        --out "$work/enc-$w-$enc-$i" > /dev/null 2> "$work/enc.err" || { tail -5 "$work/enc.err" >&2; exit 1; }
      rate_of "enc-$w-$enc" "$work/enc-$w-$enc-$i"
    done
  done
  echo "bench hostile: spark.authenticate on and off (embedded) ..." >&2
  i=0
  for auth in true false false true true false; do
    i=$((i + 1))
    JAVA_TOOL_OPTIONS="-Dspark.authenticate=$auth" scripts/syncbn train "$job" "${one_epoch[@]}" \
      --out "$work/auth-$auth-$i" > /dev/null 2> "$work/auth.err" || { tail -5 "$work/auth.err" >&2; exit 1; }
    rate_of "auth-$auth" "$work/auth-$auth-$i"
  done
  echo "bench hostile: spark.network.crypto.enabled on and off (standalone cluster of this machine) ..." >&2
  version="$(sed -n 's/^version=//p' target/classes/org/syncbn/version.properties)"
  mvn -B -q -DskipTests compile jar:jar   # the thin jar of exactly this code
  export SYNCBN_CLUSTER_STATE="$work/cluster"
  port=$(( 20000 + RANDOM % 20000 ))
  scripts/local-cluster.sh start --workers 2 --cores 1 --memory 3g --port "$port" --webui-port $((port + 1)) > /dev/null
  trap 'scripts/local-cluster.sh stop > /dev/null; rm -rf "$work"' EXIT
  (umask 077; echo "spark.network.crypto.enabled true" > "$work/crypto.properties"; : > "$work/plain.properties")
  i=0
  for crypto in true false false true true false; do
    i=$((i + 1))
    props="$work/plain.properties"; [[ $crypto == true ]] && props="$work/crypto.properties"
    SYNCBN_SPARK_PROPERTIES="$props" SYNCBN_JOB_JAR="target/syncbn-spark-$version.jar" scripts/submit.sh "$job" \
      "${one_epoch[@]}" --out "$work/crypto-$crypto-$i" > /dev/null 2> "$work/crypto.err" || { tail -5 "$work/crypto.err" >&2; exit 1; }
    rate_of "crypto-$crypto" "$work/crypto-$crypto-$i"
  done
  scripts/local-cluster.sh stop > /dev/null
  trap 'rm -rf "$work"' EXIT
  {
    cat "$work/head.md"
    echo "- at the end: $(sed -n 's/^- beside it: //p' "$work/beside-end.md" | cut -d';' -f1)"
    echo "- job: $job as it stands (3 epochs of 60,000 examples, 2 workers x 64, sync BN, 47 steps per round), embedded"
    echo "  local[2] Spark with spark.authenticate (the default now), train.threadsPerWorker = 1; wall time of the whole"
    echo "  scripts/syncbn train process, JVM start and evaluation included"
    echo
    echo "| run | wall s | exit |"
    echo "|---|---|---|"
    echo "| undisturbed | $calm | 0 |"
    echo "| under attack | $attacked | $rc |"
    echo
    awk -v a="$calm" -v b="$attacked" 'BEGIN { printf "Under attack / undisturbed: %.2fx (target: at most 3x). ", b / a }'
    echo "$equal."
    echo
    cat "$work/attack.md"
    echo "Refused: the server closed the connection or refused the client (Spark: no driver endpoint without its"
    echo "secret); accepted: it went on as with a member (none may be). Idle connections are closed by the collectives"
    echo "after their 3 s handshake deadline; Spark keeps an unauthenticated idle connection until its own idle timeout"
    echo "(spark.network.timeout, 120 s) or the end of the job. 'Port gone first': a mesh listener lives only until its"
    echo "round's mesh is up, a few ms."
    echo
    cat "$work/costs.md"
    echo "Settings on and off, the default job for one epoch per run, three runs per setting interleaved (on, off, off,"
    echo "on, on, off), samples/s of the training rounds (median, and every run):"
    echo
    echo "| setting | where | on: median samples/s (runs) | off: median samples/s (runs) | on / off |"
    echo "|---|---|---|---|---|"
    cell() {   # cell NAME WHERE ON-RUNS OFF-RUNS
      awk -v n="$1" -v w="$2" -v t="$3" -v f="$4" 'function med(s,   a, n, i, j, x) { n = split(s, a, " ")
          for (i = 2; i <= n; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
          return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
        function runs(s,   a, n, i, o) { n = split(s, a, " "); o = ""; for (i = 1; i <= n; i++) o = o (i > 1 ? ", " : "") sprintf("%.0f", a[i]); return o }
        BEGIN { printf "| %s | %s | %.0f (%s) | %.0f (%s) | %.3f |\n", n, w, med(t), runs(t), med(f), runs(f), med(t) / med(f) }'
    }
    cell "collective.encrypt" "embedded local[2], W = 2" "${rate[enc-2-true]}" "${rate[enc-2-false]}"
    cell "collective.encrypt" "embedded local[4], W = 4" "${rate[enc-4-true]}" "${rate[enc-4-false]}"
    cell "spark.authenticate" "embedded local[2], W = 2" "${rate[auth-true]}" "${rate[auth-false]}"
    cell "spark.network.crypto.enabled (with spark.authenticate)" "standalone cluster here, 2 workers x 1 core, W = 2" \
      "${rate[crypto-true]}" "${rate[crypto-false]}"
  } > "$out"
  ;;
esac
cat "$out"
