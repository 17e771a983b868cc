#!/usr/bin/env bash
# One scheduled retrain, for cron, systemd timers and other schedulers:
#
#   scripts/retrain.sh <job.conf> [syncbn retrain options: --set key=value, --date YYYY-MM-DD, --force, ...]
#
# Runs `syncbn retrain` from the project directory ($SYNCBN_WORKDIR if set), so relative paths in
# the job file (retrain.registry = "registry") mean the same thing whatever directory cron starts
# in. The whole output goes to $SYNCBN_RETRAIN_LOGS/<job>-<UTC time>.log (default logs/retrain/);
# stdout gets one summary line (cron mails it). The exit code is syncbn retrain's:
#   0 candidate promoted to CURRENT
#   3 CURRENT kept: the gate rejected the candidate, or the snapshot was already trained (skipped)
#   2 bad input (spec, arguments, missing/corrupt/empty snapshot): nothing stored, CURRENT untouched
#   1 failure, including another retrain of the same model still running (its lock is held)
# A crash or kill at any moment leaves CURRENT naming a complete model; just run again.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

if [[ $# -lt 1 || "$1" == -h || "$1" == --help ]]; then
  sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  [[ $# -ge 1 ]] && exit 0 || exit 2
fi
job="$1"; shift
[[ -f "$job" ]] || { echo "retrain: job file not found: $job" >&2; exit 2; }
job="$(cd "$(dirname "$job")" && pwd)/$(basename "$job")"

cd "${SYNCBN_WORKDIR:-$SYNCBN_ROOT}" || { echo "retrain: cannot enter ${SYNCBN_WORKDIR:-$SYNCBN_ROOT}" >&2; exit 1; }
logs="${SYNCBN_RETRAIN_LOGS:-logs/retrain}"
mkdir -p "$logs" || exit 1
log="$logs/$(basename "$job" .conf)-$(date -u +%Y%m%dT%H%M%SZ).log"

"$SYNCBN_ROOT/scripts/syncbn" retrain "$job" "$@" > "$log" 2>&1
code=$?
case "$code" in
  0) meaning="promoted" ;;
  3) meaning="CURRENT kept" ;;
  2) meaning="bad input" ;;
  *) meaning="failed" ;;
esac
# the result line (promoted:/kept:/skipped:) or the error line, whichever the run printed
detail="$(grep -E '^(promoted|kept|skipped|error):' "$log" | tail -n 1)"
echo "retrain $(basename "$job"): exit $code ($meaning)${detail:+: $detail} [log $log]"
exit "$code"
