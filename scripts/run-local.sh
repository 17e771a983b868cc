#!/usr/bin/env bash
# Trains the default job (jobs/fashion-mlp.conf, or the job given) on an embedded local[W] Spark.
#   scripts/run-local.sh [job.conf] [--data DIR] [train options: --set k=v ... --out DIR]
# Makes sure Fashion-MNIST is present first: installs Debian's dataset-fashion-mnist when running
# as root and the files are missing; otherwise says exactly what to do.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$SYNCBN_ROOT"

job="jobs/fashion-mlp.conf"
if [[ $# -gt 0 && "$1" != -* ]]; then job="$1"; shift; fi
data=""
args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --data) data="${2:?--data needs a directory}"; shift 2 ;;
    --data=*) data="${1#--data=}"; shift ;;
    *) args+=("$1"); shift ;;
  esac
done

files=(train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz)
have_all() { local d="$1" f; for f in "${files[@]}"; do [[ -f "$d/$f" ]] || return 1; done; }

if [[ -n "$data" ]]; then
  have_all "$data" || { echo "run-local: $data lacks one of: ${files[*]}" >&2; exit 2; }
else
  data=/usr/share/datasets/fashion-mnist
  if ! have_all "$data"; then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
      echo "run-local: Fashion-MNIST missing; installing Debian's dataset-fashion-mnist ..." >&2
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist >&2
    else
      echo "run-local: Fashion-MNIST is not in $data. Either run" >&2
      echo "    sudo apt-get install dataset-fashion-mnist" >&2
      echo "or download the four files (${files[*]}) into a directory and pass --data DIR." >&2
      exit 2
    fi
  fi
fi

exec "$SYNCBN_ROOT/scripts/syncbn" train "$job" --set "data.dir=\"$data\"" ${args[@]+"${args[@]}"}
