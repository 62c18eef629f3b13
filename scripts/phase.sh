# Sourced by scripts/deps, setup, test, package and chroot-test: run each step
# quietly, print one line per phase with its wall time, keep the details in a
# log file ($BT_LOG, default ./build-logs/<script>.log).  On failure the log's
# last lines are shown and the script stops.  BT_VERBOSE=1 shows everything.
# shellcheck shell=bash
bt_log_init() {
  local name=$1
  if [ -z "${BT_LOG:-}" ]; then
    local dir=${BT_LOG_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/build-logs}
    mkdir -p "$dir"
    BT_LOG=$dir/$name.log
    : >"$BT_LOG"
  fi
  export BT_LOG
}

# phase "description" command args...
phase() {
  local what=$1; shift
  local t0 t1 rc=0
  t0=$(date +%s)
  if [ "${BT_VERBOSE:-0}" = 1 ]; then
    echo "== $what"
    "$@" 2>&1 | tee -a "$BT_LOG" || rc=${PIPESTATUS[0]}
  else
    printf '%-58s ' "$what" >&2
    echo "== $what" >>"$BT_LOG"
    "$@" >>"$BT_LOG" 2>&1 || rc=$?
  fi
  t1=$(date +%s)
  if [ "$rc" -eq 0 ]; then
    [ "${BT_VERBOSE:-0}" = 1 ] && echo "== $what: ok ($((t1 - t0)) s)" >&2 || echo "ok  $((t1 - t0)) s" >&2
  else
    [ "${BT_VERBOSE:-0}" = 1 ] || echo "FAILED after $((t1 - t0)) s (exit $rc)" >&2
    echo "---- last lines of $BT_LOG:" >&2
    tail -n 40 "$BT_LOG" >&2
    return "$rc"
  fi
}
