#!/usr/bin/env bash
# End-to-end smoke of `reformer-tui experiment copy` (the paper's Table 2) with the release binary:
#  1. bad input: --tier, --seeds, --steps → one line on stderr naming the argument, non-zero exit;
#  2. the quick tier, one seed, 300 steps per model, headless with --report: the grid is complete
#     (20 cells in results.json, no "·" in the printed grid), R1 holds, results.md and the report's
#     section are written, every LSH cell hashed; the time it took is printed;
#  3. the same --out again: refused without --resume (one line);
#  4. SIGTERM during the second model: exit 0 and "interrupted"; --resume with other --steps is refused
#     naming --steps; --resume completes the grid, continuing the model from its checkpoint and
#     re-evaluating nothing.
# The dashboard itself is checked in scripts/e2e_tmux.sh (case 12).
# Usage: REFORMER_TUI_BIN=path/to/reformer-tui scripts/e2e_experiment.sh   (KEEP_WORK=1 keeps the folder)
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=$(cd "$(dirname "${REFORMER_TUI_BIN:-.build/release/reformer-tui}")" && pwd)/$(basename "${REFORMER_TUI_BIN:-.build/release/reformer-tui}")
[ -x "$BIN" ] || { echo "FAIL no binary at $BIN"; exit 1; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
[ -n "${KEEP_WORK:-}" ] && trap - EXIT && echo "work: $WORK"
cd "$WORK"
failures=0
pass() { echo "ok   $1"; }
fail() { echo "FAIL $1"; failures=$((failures + 1)); }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# expect_error NAME FRAGMENT -- CMD…: non-zero exit, exactly one stderr line containing FRAGMENT.
expect_error() {
    local name=$1 fragment=$2; shift 3
    "$@" >out.txt 2>err.txt
    local status=$? lines
    lines=$(wc -l <err.txt)
    if [ "$status" -ne 0 ] && [ "$lines" -eq 1 ] && grep -qF -- "$fragment" err.txt; then
        pass "$name: exit $status, $(cat err.txt)"
    else
        fail "$name: exit $status, $lines stderr line(s), expected one containing '$fragment'"; cat err.txt out.txt
    fi
}
# cells DIR: measured cells in DIR/results.json.
cells() { grep -c '"accuracy"' "$1/results.json" 2>/dev/null || echo 0; }
# grid_complete LOG: the printed median grid has 4 rows and no unmeasured "·" cell.
grid_complete() {
    [ "$(grep -cE '^(Full|LSH-[124]) ' "$1")" -eq 4 ] && ! grep -E '^(Full|LSH-[124]) ' "$1" | sed 's/│.*//' | grep -q '·'
}

# --- 1. bad input ---------------------------------------------------------------------------------
expect_error "bad --tier" "--tier" -- "$BIN" experiment copy --tier medium --out bad-tier
expect_error "bad --seeds" "--seeds" -- "$BIN" experiment copy --seeds 0 --out bad-seeds
expect_error "bad --steps" "--steps" -- "$BIN" experiment copy --steps 0 --out bad-steps
expect_error "--resume without an experiment" "holds no experiment" -- "$BIN" experiment copy --resume --out nothing-here
[ ! -e bad-tier ] && [ ! -e bad-seeds ] && pass "bad input creates no folder" || fail "bad input left a folder behind"

# --- 2. the quick tier, one seed, 300 steps -----------------------------------------------------
t0=$(now_ms)
"$BIN" experiment copy --tier quick --seeds 1 --steps 300 --out smoke --headless --report report/table2.md >smoke.log 2>&1
status=$?
seconds=$(( ($(now_ms) - t0) / 1000 ))
if [ "$status" -eq 0 ] && [ "$(cells smoke)" -eq 20 ] && grid_complete smoke.log; then
    pass "quick tier, 1 seed, --steps 300: grid complete (20 cells) in ${seconds} s"
    sed -n '/^ours:/,/^time:/p' smoke.log
else
    fail "quick tier smoke: exit $status, $(cells smoke) cells"; tail -30 smoke.log
fi
if grep -qE '^R1 pass full→full [0-9.]+% \(≥ 99%\)$' smoke.log; then pass "R1 holds: $(grep '^R1 ' smoke.log)"; else fail "R1: $(grep '^R1 ' smoke.log)"; fi
[ "$(grep -cE '^R[1-6] (pass|fail|report) ' smoke.log)" -eq 6 ] && pass "six verdict lines R1–R6" || fail "verdict lines: $(grep -E '^R[1-6] ' smoke.log)"
# Every LSH cell of every model really hashed with its column's rounds.
if grep -q '"hashes" : 8' smoke/results.json && [ "$(grep -c '"hashes" : 0' smoke/results.json)" -eq 4 ]; then
    pass "results.json: 4 full-attention cells, the LSH cells hashed (LSH-8 cells have 8 rounds)"
else
    fail "results.json hash rounds"; grep '"hashes"' smoke/results.json | sort | uniq -c
fi
if [ -f smoke/results.md ] && grep -q '| Full | ' smoke/results.md && [ -f smoke/seed0/lsh4/trainer_state.json ] && [ -f smoke/seed0/full/model.safetensors ]; then
    pass "results.md and the four checkpoints (seed0/full … seed0/lsh4) written"
else
    fail "results.md or checkpoints missing"; ls -R smoke | head -30
fi
if grep -q '<!-- experiment-copy:quick:begin -->' report/table2.md && grep -q '<!-- experiment-copy:quick:end -->' report/table2.md \
    && grep -q 'reformer-tui experiment copy --tier quick --seeds 1 --steps 300' report/table2.md; then
    pass "--report: report/table2.md has the quick section with the command"
else
    fail "--report"; cat report/table2.md 2>/dev/null | head -20
fi

# --- 3. no clobbering -------------------------------------------------------------------------------
expect_error "clobber" "already exists" -- "$BIN" experiment copy --steps 300 --out smoke --headless

# --- 4. SIGTERM mid-run, then --resume ----------------------------------------------------------
# Few steps: this checks the bookkeeping, not the learning. Checkpoints come every 200 steps in the
# preset, so the stop must save the model itself.
"$BIN" experiment copy --steps 120 --out killed --headless >killed1.log 2>&1 &
pid=$!
# SIGTERM only once model 2 (LSH-1) is between steps 20 and 119 of 120, polled with a deadline.
deadline=$(( $(date +%s) + 600 ))
until grep -qE '^seed 0 · LSH-1 \(model 2/4\) step ([2-9][0-9]|1[01][0-9])/120' killed1.log; do
    if ! kill -0 "$pid" 2>/dev/null || [ "$(date +%s)" -ge "$deadline" ]; then
        fail "SIGTERM: model 2 never reached steps 20-119 (process ended or 600 s passed)"; tail -5 killed1.log; break
    fi
    sleep 0.05
done
kill -TERM "$pid"
wait "$pid"
status=$?
if [ "$status" -eq 0 ] && grep -q '^interrupted: seed 0 · LSH-1 at step' killed1.log && [ "$(cells killed)" -eq 5 ]; then
    pass "SIGTERM in model 2: exit 0, $(grep '^interrupted: seed' killed1.log | cut -c1-60)…, 5 cells kept"
else
    fail "SIGTERM: exit $status, $(cells killed) cells"; tail -5 killed1.log
fi
expect_error "--resume with other --steps" "--steps" -- "$BIN" experiment copy --steps 200 --out killed --resume --headless
expect_error "--resume with another tier" "--tier" -- "$BIN" experiment copy --tier hard --out killed --resume --headless
"$BIN" experiment copy --out killed --resume --headless >killed2.log 2>&1
status=$?
if [ "$status" -eq 0 ] && [ "$(cells killed)" -eq 20 ] && grid_complete killed2.log; then
    pass "--resume completes the grid (20 cells)"
else
    fail "--resume: exit $status, $(cells killed) cells"; tail -20 killed2.log
fi
if grep -qE '^model 2/4: seed 0 · LSH-1 .*resuming at step [1-9]' killed2.log && ! grep -q '^model 1/4' killed2.log \
    && ! grep -q '^eval seed 0 · Full ' killed2.log; then
    pass "resume continued LSH-1 from its checkpoint ($(grep -oE 'resuming at step [0-9]+' killed2.log)); Full neither retrained nor re-evaluated"
else
    fail "resume repeated work"; grep -E '^(model|eval)' killed2.log | head
fi
grep -q '"--resume"\|--resume' killed/results.json && pass "results.json records both commands" || fail "results.json commands"

if [ "$failures" -eq 0 ]; then echo "e2e_experiment: all passed"; else echo "e2e_experiment: $failures failure(s)"; fi
[ "$failures" -eq 0 ]
