#!/usr/bin/env bash
# Runs the whole test suite: unit and end-to-end tests on embedded Spark (surefire), then the
# integration tests on a real standalone cluster on this machine (failsafe, *IT.java: executors
# and drivers in their own JVMs, jobs submitted with scripts/submit.sh). Needs Fashion-MNIST in
# /usr/share/datasets/fashion-mnist (apt-get install dataset-fashion-mnist; .ci/run does it).
# Extra arguments go to Maven, e.g. scripts/test.sh -DskipITs for the unit tests alone.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$SYNCBN_ROOT"
mvn -B -ntp verify "$@"
