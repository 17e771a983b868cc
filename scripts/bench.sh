#!/usr/bin/env bash
# Benchmarks (not tests); each suite writes bench/results/<date>-<suite>.md.
#
#   scripts/bench.sh [throughput] [job.conf] [--epochs N] [--set key=value ...]
#       side by side on the same data and network:
#       (a) single-JVM DL4J MultiLayerNetwork.fit, OMP_NUM_THREADS=1, batch = train.batchPerWorker
#       (b) dl4j-spark ParameterAveragingTrainingMaster, fitPaths, local[W], W x batch, averaging every 5
#       (c) this project's job on local[W] (the job's own bn.mode), through scripts/syncbn train
#   scripts/bench.sh sync-overhead     samples/s of bn.mode=sync vs local, MLP and CNN, per-worker
#                                      batch 8, 32, 64, 128 on local[2]
#   scripts/bench.sh sync-modes [reps] [mlpExamples]
#                                      samples/s of train.sync = gradients vs parameters at K = 47 and
#                                      parameters at K = 1, MLP and ResNet-20 jobs on local[2]
#   scripts/bench.sh driver-bytes      bytes of task results the driver receives per round, W = 2, 4, 8 (event logs)
#   scripts/bench.sh cost-model [mlpStepMs resnetStepMs]
#                                      the cost model of a step and a round fitted to the newest allreduce and
#                                      security results, predictions for W = 16, 64, 256 on 10 and 25 Gbit/s
#   scripts/bench.sh resnet [reps] [epochs]
#                                      ResNet-20 (jobs/fashion-resnet.conf): sync vs local on local[2], one JVM,
#                                      accuracy after a fixed number of epochs with sync BN on 4 x 16
#   scripts/bench.sh collective        TCP all-reduce latency for 2, 4, 8 workers and BN payloads
#   scripts/bench.sh allreduce [maxMB] [minSecondsPerCell] [W,W,...] [MB/s,MB/s,...]
#                                      all-reduce bandwidth 64 KB .. 64 MB, W = 2, 4, 8, against the
#                                      ring model 2(W-1)/W n / B with B one loopback stream, this run;
#                                      then on emulated links of 50 and 200 MB/s per member (SendPacer)
#   scripts/bench.sh crypto-warmup [reps]
#                                      the first 300 gradient-sized all-reduces of a fresh JVM, with and
#                                      without the AES-GCM CompileCommand of conf/spark-defaults.conf
#   scripts/bench.sh security [iterations]
#                                      per-frame MAC / encryption cost, handshake cost per task and
#                                      round, mesh connect, BN all-reduce authenticated vs encrypted
#   scripts/bench.sh accuracy [job.conf] [--epochs N] [--target ACC] [--set key=value ...]
#                                      test accuracy per epoch and wall time to reach ACC
#   scripts/bench.sh cluster           the default job on a standalone cluster of this machine
#                                      (scripts/local-cluster.sh) vs local[W], W = 2 and 4, with the
#                                      per-round overhead split (broadcast, task setup, launch+collect, merge)
#   scripts/bench.sh cnn-speed [passes] [examples]
#                                      ResNet-20 and the fashion-cnn network: DL4J, DL4J with the project's
#                                      fast convolutions on libnd4j's ops and on oneDNN 2.5.2, and PyTorch
#                                      (when python3-torch is installed) side by side, one thread each
#                                      (samples/s of wall and of thread CPU time); the fashion-cnn job
#                                      (fast convolutions) on local[2] vs PyTorch DDP with 2 processes;
#                                      passes (default 1) of it all, each cell its best pass; examples:
#                                      the job's slice (default 25600)
#   scripts/bench.sh hostile [threads]  the default job undisturbed and under attack on every port it listens on
#                                      (bench/PortAttacker, 4 threads), parameters compared bit for bit;
#                                      authentication's cost per round; collective.encrypt on/off at W = 2, 4
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$SYNCBN_ROOT"
suite=throughput
case "${1:-}" in
  throughput|sync-overhead|sync-modes|cost-model|driver-bytes|resnet|collective|allreduce|crypto-warmup|security|accuracy|cluster|cnn-speed|hostile) suite="$1"; shift ;;
esac
if [[ "$suite" != throughput ]]; then
  exec bash "$SYNCBN_ROOT/scripts/bench-suites.sh" "$suite" "$@"
fi
job="jobs/fashion-mlp.conf"
if [[ $# -gt 0 && "$1" != -* ]]; then job="$1"; shift; fi
epochs=2
sets=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --epochs) epochs="$2"; shift 2 ;;
    --set) sets+=(--set "$2"); shift 2 ;;
    *) echo "bench.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
sets+=(--set "train.epochs=$epochs")
syncbn_build
syncbn_java_cmd org.syncbn.bench.BenchMain
base_cmd=("${SYNCBN_JAVA[@]}")
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "bench: (a) single JVM ..." >&2
OMP_NUM_THREADS=1 "${base_cmd[@]}" single "$job" "${sets[@]}" --set bn.mode=local 2>"$work/a.err" | tee "$work/a.out" >&2
echo "bench: (b) dl4j-spark ParameterAveragingTrainingMaster ..." >&2
OMP_NUM_THREADS=1 "${base_cmd[@]}" dl4j-spark "$job" "${sets[@]}" --set bn.mode=local 2>"$work/b.err" | tee "$work/b.out" >&2
echo "bench: ceiling: W single-JVM trainers at once in one JVM ..." >&2
OMP_NUM_THREADS=1 "${base_cmd[@]}" ceiling "$job" "${sets[@]}" --set bn.mode=local 2>"$work/x.err" | tee "$work/x.out" >&2
echo "bench: (c) syncbn train ..." >&2
scripts/syncbn train "$job" "${sets[@]}" --out "$work/c" 2>"$work/c.err" >&2
metrics_to_bench_lines() {   # epoch samples/s accuracy from metrics.jsonl, without jq or python
  sed -E 's/.*"epoch":([0-9]+).*"test_accuracy":([0-9.]+).*"samples_per_sec":([0-9.]+).*/BENCH c epoch=\1 samples_per_sec=\3 test_accuracy=\2/' "$1"
}
metrics_to_bench_lines "$work/c/metrics.jsonl" > "$work/c.out"

date_tag="$(date +%Y-%m-%d)"
out="bench/results/${date_tag}-throughput.md"
mkdir -p bench/results
{
  echo "# Throughput: single JVM vs dl4j-spark vs syncbn ($date_tag)"
  echo
  echo "- command: \`scripts/bench.sh $job --epochs $epochs ${sets[*]}\`"
  echo "- machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -m), $(java -version 2>&1 | head -1)"
  echo "- commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$([[ -n "$(git status --porcelain --untracked-files=no -- . ":!bench/results" 2>/dev/null)" ]] && echo " (with uncommitted changes)")"
  echo "- (a) single-JVM MultiLayerNetwork.fit, OMP_NUM_THREADS=1, bn.mode=local"
  echo "- (b) dl4j-spark ParameterAveragingTrainingMaster, fitPaths, local[W], averaging every 5, OMP_NUM_THREADS=1, bn.mode=local"
  echo "- (c) syncbn train on local[W], the job's bn.mode; samples/s counts training rounds only (not evaluation)"
  echo "- ceiling: W copies of (a) in W threads of one JVM at once, summed: what W workers can reach here with no Spark and no communication"
  echo
  echo "| system | epoch | samples/s | test accuracy |"
  echo "|---|---|---|---|"
  for f in a b x c; do
    sed -nE 's/^BENCH ([^ ]+) epoch=([0-9]+) samples_per_sec=([0-9.]+) test_accuracy=([0-9.]+)/| \1 | \2 | \3 | \4 |/p' "$work/$f.out" \
      | sed -E "s/^\| (single|dl4j-spark|ceiling|c) /| ($f) \1 /"
  done
  echo
  echo "Ratios (last epoch): $(awk -v a="$(tail -1 "$work/a.out" | sed -E 's/.*samples_per_sec=([0-9.]+).*/\1/')" \
      -v b="$(tail -1 "$work/b.out" | sed -E 's/.*samples_per_sec=([0-9.]+).*/\1/')" \
      -v c="$(tail -1 "$work/c.out" | sed -E 's/.*samples_per_sec=([0-9.]+).*/\1/')" \
      -v x="$(tail -1 "$work/x.out" | sed -E 's/.*samples_per_sec=([0-9.]+).*/\1/')" \
      'BEGIN { printf "(c)/(a) = %.2f, (c)/(b) = %.2f, ceiling/(a) = %.2f, (c)/ceiling = %.2f", c / a, c / b, x / a, c / x }')"
  echo
  echo "Round overhead of (c) per epoch (share of round time outside the workers' optimizer steps):"
  sed -E 's/.*"epoch":([0-9]+).*"round_overhead_fraction":([0-9.]+).*/- epoch \1: \2/' "$work/c/metrics.jsonl"
} > "$out"
cat "$out"
