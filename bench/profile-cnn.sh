#!/usr/bin/env bash
# The measurements behind bench/results/<date>-cnn-profile.md, run back to back in one go:
#   bench/profile-cnn.sh OUTDIR
# For each native build (generic, -onednn-avx2): ResNet-20 and the fashion-cnn network in plain
# DL4J under JFR (bench/jfr_split.py splits the main thread's samples by layer and ND4J call), a
# perf profile of native symbols (when perf can sample cpu-clock), the layer-setting matrix, the
# conv2d/conv2d_bp op coverage (oneDNN or libnd4j) and op timings; PyTorch when installed.
# Raw outputs go to OUTDIR.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/env.sh"
cd "$SYNCBN_ROOT"
out="${1:?usage: bench/profile-cnn.sh OUTDIR}"
mkdir -p "$out"
syncbn_build
export OMP_NUM_THREADS=1
# the classifier jars of the ND4J builds compared here (Maven Central, fetched once into target/natives)
mkdir -p target/natives
for ext in -avx2 -avx512 -onednn -onednn-avx2; do
  jar="target/natives/nd4j-native-1.0.0-M2-linux-x86_64$ext.jar"
  [[ -f "$jar" ]] || mvn -B -q -ntp dependency:copy -Dartifact="org.nd4j:nd4j-native:1.0.0-M2:jar:linux-x86_64$ext" \
    -DoutputDirectory=target/natives > /dev/null
done

# run EXT MAIN ARGS...: a JVM on native build EXT ("" = generic) with the extra JVM options in $JFR_OPTS
run() {
  local ext="$1"; shift
  local cp="target/classes:$(cat target/classpath.txt)"
  [[ -n "$ext" ]] && cp="$cp:target/natives/nd4j-native-1.0.0-M2-linux-x86_64$ext.jar"
  # shellcheck disable=SC2046,SC2086
  java -Xmx4g $(syncbn_java_opts) -Dlog4j2.configurationFile=conf/log4j2.properties ${JFR_OPTS:-} \
    -Dorg.bytedeco.javacpp.platform.extension="$ext" -cp "$cp" "$@"
}

uptime > "$out/load-before.txt"
for ext in "" -onednn-avx2; do
  tag="${ext#-}"; tag="${tag:-generic}"
  for net in resnet20 fashion-cnn; do
    batch=32; [[ $net == fashion-cnn ]] && batch=64
    JFR_OPTS="-XX:FlightRecorderOptions=stackdepth=512 -XX:StartFlightRecording=filename=$out/$net-$tag.jfr,settings=profile" \
      run "$ext" org.syncbn.bench.CnnSpeedBench net=$net batch=$batch warmup=3 steps=30 repeats=2 \
      > "$out/$net-$tag.txt" 2>&1
    /usr/bin/python3 bench/jfr_split.py "$out/$net-$tag.jfr" --top 25 > "$out/$net-$tag-split.md"
  done
  for setting in "format=NHWC" "mode=Truncate" "ws=NONE" "cache=DEVICE" "bias=true" "dtype=double"; do
    run "$ext" org.syncbn.bench.CnnSpeedBench net=resnet20 warmup=3 steps=15 repeats=2 $setting \
      2>&1 | grep '^BENCH' >> "$out/resnet20-settings-$tag.txt"
  done
  run "$ext" org.syncbn.bench.ConvOpTiming NCHW > "$out/conv-op-timing-$tag.txt" 2>&1
  DNNL_VERBOSE=1 run "$ext" org.syncbn.bench.ConvOpCoverage 2>&1 | awk -f bench/onednn_coverage.awk > "$out/conv-op-coverage-$tag.md"
done
if perf stat -e cpu-clock true > /dev/null 2>&1; then
  run "" org.syncbn.bench.CnnSpeedBench net=resnet20 warmup=3 steps=40 repeats=1 > "$out/perf-run.txt" 2>&1 &
  sleep 15
  pid="$(pgrep -f 'CnnSpeedBench net=resnet20 warmup=3 steps=40' | head -1)"
  perf record -e cpu-clock -F 499 -p "$pid" -o "$out/perf-generic.data" -- sleep 20 > /dev/null 2>&1 || true
  wait
  perf report -i "$out/perf-generic.data" --no-children --sort dso,symbol --stdio 2>/dev/null \
    | grep '%' | grep -v '^#' | head -30 > "$out/perf-generic-symbols.txt" || true
fi
if /usr/bin/python3 -c 'import torch' 2> /dev/null; then
  for net in resnet20 fashion-cnn; do
    batch=32; [[ $net == fashion-cnn ]] && batch=64
    /usr/bin/python3 bench/cnn_speed_torch.py single --net $net --batch $batch --steps 30 --repeats 2 \
      | grep '^BENCH' >> "$out/torch.txt"
  done
fi
uptime > "$out/load-after.txt"
