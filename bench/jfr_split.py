#!/usr/bin/python3
"""Where a DL4J training thread spends its time, from a JFR recording (bench/results/*-cnn-profile.md).

  jfr_split.py RECORDING.jfr [--thread main] [--depth 1] [--within org.deeplearning4j.optimize.Solver.optimize]

JFR samples a thread in Java code (jdk.ExecutionSample) and while it sits in a native method
(jdk.NativeMethodSample, every 20 ms with settings=profile). ND4J runs all its kernels inside
JNI calls, so the native samples carry the time of the libnd4j/OpenBLAS work and their Java stack
says who asked for it. Each sample is attributed to
  - the innermost DL4J layer/vertex frame (org.deeplearning4j.nn.layers.* / graph.vertex.*):
    which layer and which phase (preOutput = forward, backpropGradient = backward), and
  - the innermost ND4J API frame below it (Convolution.im2col, BaseNDArray.mmuli, dup, ...),
and the table lists shares of the thread's samples inside --within (default: DL4J's optimizer
step, which leaves out start-up, network init and data creation), largest first. It also prints
the recording's GC pauses (jdk.GarbageCollection) as a share of its duration.
"""
import argparse
import collections
import json
import subprocess
import sys


def seconds(iso):
    hms = iso.split("T")[1].rstrip("Z")
    h, m, sec = hms.split(":")
    return int(h) * 3600 + int(m) * 60 + float(sec)


def duration(text):
    """JFR's JSON durations: 'PT0.001234S' (ISO 8601)."""
    t = text[2:-1] if text.startswith("PT") else text
    if "M" in t:
        m, t = t.split("M")
        return float(m) * 60 + float(t or 0)
    return float(t)


def frames(event):
    out = []
    for f in event["values"]["stackTrace"]["frames"]:
        m = f["method"]
        out.append(m["type"]["name"].replace("/", ".") + "." + m["name"])
    return out   # innermost first


def label(stack, depth):
    layer = next((f for f in stack if f.startswith("org.deeplearning4j.nn.layers.")
                  or f.startswith("org.deeplearning4j.nn.graph.vertex.")
                  or f.startswith("org.syncbn.")), None)
    api = []
    for f in stack:
        if f == layer:
            break
        if f.startswith("org.nd4j.linalg.") and not f.startswith("org.nd4j.linalg.cpu.nativecpu.bindings"):
            api.append(f.replace("org.nd4j.linalg.", ""))
    short = lambda f: ".".join(f.split(".")[-2:]) if f else "(no layer: optimizer, updater, data, JVM)"
    return short(layer), " < ".join(api[-depth:][::-1]) if api else "(java)"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("recording")
    p.add_argument("--thread", default="main")
    p.add_argument("--depth", type=int, default=1)
    p.add_argument("--top", type=int, default=30)
    p.add_argument("--within", default="org.deeplearning4j.optimize.Solver.optimize")
    a = p.parse_args()
    raw = subprocess.run(["jfr", "print", "--json", "--stack-depth", "200", "--events",
                          "jdk.ExecutionSample,jdk.NativeMethodSample,jdk.GarbageCollection",
                          a.recording], check=True, capture_output=True, text=True).stdout
    everything = json.loads(raw)["recording"]["events"]
    gcs = [e for e in everything if e["type"] == "jdk.GarbageCollection"]
    samples = [e for e in everything if e["type"] != "jdk.GarbageCollection"]
    events = [e for e in samples
              if e["values"]["sampledThread"]["javaName"] == a.thread and e["values"]["stackTrace"]
              and a.within in frames(e)]
    by_pair, by_layer = collections.Counter(), collections.Counter()
    for e in events:
        layer, api = label(frames(e), a.depth)
        by_pair[(layer, api)] += 1
        by_layer[layer] += 1
    n = len(events)
    print(f"{n} samples of thread {a.thread} inside {a.within}")
    if samples:
        times = sorted(e["values"]["startTime"] for e in samples)
        span = seconds(times[-1]) - seconds(times[0])
        pause = sum(duration(e["values"]["sumOfPauses"]) for e in gcs)
        print(f"GC: {len(gcs)} collections, {pause:.3f} s of pauses in {span:.1f} s of samples ({100 * pause / span:.2f}%)")
    print()
    print("| layer frame | share |\n|---|---|")
    for k, c in by_layer.most_common(a.top):
        print(f"| {k} | {100 * c / n:.1f}% |")
    print("\n| layer frame | ND4J call | share |\n|---|---|---|")
    for (layer, api), c in by_pair.most_common(a.top):
        print(f"| {layer} | {api} | {100 * c / n:.1f}% |")


if __name__ == "__main__":
    sys.exit(main())
