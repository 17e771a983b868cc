#!/usr/bin/env bash
# Runs the whole test suite (unit + end-to-end on embedded Spark). Needs Fashion-MNIST in
# /usr/share/datasets/fashion-mnist (apt-get install dataset-fashion-mnist; .ci/run does it).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$SYNCBN_ROOT"
mvn -B -ntp test "$@"
