#!/usr/bin/env bash
# Flake hunt: runs the e2e scripts RUNS times in a row while a headless training job loads the machine
# beside them, and prints `e2e stress: K of N runs passed`. A run passes when every script passes.
# Each failing run's output is kept in $STRESS_LOGS (default: a folder under the system's temp dir).
# Usage: REFORMER_TUI_BIN=path/to/reformer-tui RUNS=5 scripts/e2e_stress.sh [SCRIPT…]
#        (make test-e2e-stress RUNS=5 builds the release binary and passes the e2e scripts)
set -uo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
BIN=$(cd "$(dirname "${REFORMER_TUI_BIN:-.build/release/reformer-tui}")" && pwd)/$(basename "${REFORMER_TUI_BIN:-.build/release/reformer-tui}")
[ -x "$BIN" ] || { echo "e2e stress: no binary at $BIN"; exit 1; }
case $RUNS in ''|*[!0-9]*|0) echo "e2e stress: RUNS=$RUNS, expected a positive whole number"; exit 2;; esac
SCRIPTS=("$@")
[ ${#SCRIPTS[@]} -gt 0 ] || SCRIPTS=(scripts/e2e_cli.sh scripts/e2e_train.sh scripts/e2e_tmux.sh scripts/e2e_experiment.sh)
LOAD_DIR=$(mktemp -d)
LOGS=${STRESS_LOGS:-$(mktemp -d)}
mkdir -p "$LOGS"

# The load: one headless training run that outlasts the stress run, stopped at the end.
"$BIN" train --task copy --steps 100000000 --log-every 1000 --checkpoint "$LOAD_DIR/load-run" >"$LOAD_DIR/load.log" 2>&1 &
LOAD_PID=$!
stop_load() {
    kill -TERM "$LOAD_PID" 2>/dev/null
    for _ in $(seq 1 600); do kill -0 "$LOAD_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$LOAD_PID" 2>/dev/null
    wait "$LOAD_PID" 2>/dev/null
    rm -rf "$LOAD_DIR"
}
trap stop_load EXIT
echo "e2e stress: $RUNS run(s) of ${SCRIPTS[*]}, load: headless training (pid $LOAD_PID); logs of failing runs in $LOGS"

passed=0
for run in $(seq 1 "$RUNS"); do
    kill -0 "$LOAD_PID" 2>/dev/null || { echo "e2e stress: the load job ended early:"; tail -5 "$LOAD_DIR/load.log"; exit 1; }
    ok=1 started=$(date +%s) log="$LOGS/run-$run.log"
    : >"$log"
    for script in "${SCRIPTS[@]}"; do
        echo "== $script" >>"$log"
        if ! REFORMER_TUI_BIN="$BIN" SWIFT_BACKTRACE=interactive=no bash "$script" >>"$log" 2>&1; then
            ok=0
            echo "run $run: $script FAILED:"
            grep -E '^FAIL' "$log" | sed 's/^/    /'
        fi
    done
    if [ $ok = 1 ]; then
        passed=$((passed + 1))
        rm -f "$log"
        echo "run $run: passed ($(( $(date +%s) - started )) s)"
    else
        echo "run $run: failed ($(( $(date +%s) - started )) s), full output in $log"
    fi
done
echo "e2e stress: $passed of $RUNS runs passed"
[ "$passed" -eq "$RUNS" ]
