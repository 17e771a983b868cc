#!/usr/bin/env bash
# Each ND4J 1.0.0-M2 native build on this CPU, side by side in one run: is it correct here
# (org.syncbn.bench.NativeSelfCheck: float training vs double), and how fast are ResNet-20 and the
# fashion-cnn network (org.syncbn.bench.CnnSpeedBench, CNN_ARGS adds settings such as conv=fast) and
# libnd4j's conv2d/conv2d_bp ops on ResNet-20's convolutions (org.syncbn.bench.ConvOpTiming).
#   bench/native-builds.sh > table.md
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/env.sh"
cd "$SYNCBN_ROOT"
syncbn_build
export OMP_NUM_THREADS=1
mkdir -p target/natives
for ext in -avx2 -avx512 -onednn -onednn-avx2; do
  jar="target/natives/nd4j-native-1.0.0-M2-linux-x86_64$ext.jar"
  [[ -f "$jar" ]] || mvn -B -q -ntp dependency:copy -Dartifact="org.nd4j:nd4j-native:1.0.0-M2:jar:linux-x86_64$ext" \
    -DoutputDirectory=target/natives > /dev/null
done
run() {   # run EXT MAIN ARGS...: a JVM on native build EXT ("" = generic)
  local ext="$1"; shift
  local cp="target/classes:$(cat target/classpath.txt)"
  [[ -n "$ext" ]] && cp="$cp:target/natives/nd4j-native-1.0.0-M2-linux-x86_64$ext.jar"
  # shellcheck disable=SC2046
  java -Xmx4g $(syncbn_java_opts) -Dlog4j2.configurationFile=conf/log4j2.properties \
    -Dorg.bytedeco.javacpp.platform.extension="$ext" -cp "$cp" "$@" 2>&1
}
rate() { grep '^BENCH' | tail -1 | sed -E 's/.*samples_per_sec=([0-9.]+).*/\1/'; }
echo "- machine: $(nproc --all) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg) at start"
echo "- commit: $(git rev-parse --short HEAD)$([[ -n "$(git status --porcelain --untracked-files=no)" ]] && echo " (with uncommitted changes)"), date $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "- CnnSpeedBench settings: ${CNN_ARGS:-(defaults)}; 3 warm-up steps, median of 2 x 20 steps"
echo
echo "| build | loads and computes correctly (float vs double) | ResNet-20 samples/s | fashion-cnn samples/s | conv2d / conv2d_bp over ResNet-20's 19 3x3 convs (ms per step) |"
echo "|---|---|---|---|---|"
for ext in "" -avx2 -avx512 -onednn -onednn-avx2; do
  check="$(run "$ext" org.syncbn.bench.NativeSelfCheck || true)"
  ok="$(grep -o 'float_vs_double=[0-9.e+-]*' <<< "$check" || echo "failed: $(tail -1 <<< "$check")")"
  # shellcheck disable=SC2086
  res="$(run "$ext" org.syncbn.bench.CnnSpeedBench net=resnet20 warmup=3 steps=20 repeats=2 ${CNN_ARGS:-} | rate)"
  # shellcheck disable=SC2086
  cnn="$(run "$ext" org.syncbn.bench.CnnSpeedBench net=fashion-cnn batch=64 warmup=3 steps=20 repeats=2 ${CNN_ARGS:-} | rate)"
  ops="$(run "$ext" org.syncbn.bench.ConvOpTiming NCHW | sed -nE 's/^TOTAL.*conv2d ([0-9.]+) ms, conv2d_bp ([0-9.]+) ms/\1 \/ \2/p')"
  echo "| ${ext:-generic} | $ok | $res | $cnn | $ops |"
done
echo
echo "load $(cut -d' ' -f1-3 /proc/loadavg) at the end"
