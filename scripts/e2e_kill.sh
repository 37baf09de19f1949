#!/usr/bin/env bash
# End-to-end kill campaign and checkpoint lock with the release binary (issue 18, items 5 and 6):
#  1. `train` on a small copy preset (batch 8, a checkpoint every 3 steps) is SIGKILLed KILLS times at
#     seeded random moments: each round waits for a random step's progress line, then a random few
#     milliseconds (some kills land mid-save). After each kill: the folder, when it exists, loads with
#     `eval --model`; its saved step is a checkpoint step; the only staging folder left, if any, is the
#     killed process's (the next writer removes it as it takes the lock); the stale lock file does not
#     stop the next run, which resumes (or starts afresh while no checkpoint exists yet). The last
#     resume runs to the end, and its final evaluation equals an uninterrupted run's, with no staging
#     folder or lock file left.
#  2. the lock: while a `train` runs, a second `train` (fresh or --resume) and an `experiment` into its
#     folder refuse with exit 1 and one stderr line naming the folder and the holder's pid, touching
#     nothing; `eval` reads the folder meanwhile; after SIGKILL of the holder, `train --resume` proceeds.
#  3. `experiment copy` SIGKILLed once mid-cell (while the LSH-8 cell of the first model is measured):
#     results.json holds exactly the cells logged before the kill and the model checkpoint loads;
#     --resume completes the grid (20 cells).
# Every wait polls for the exact condition acted on, with a deadline of DEADLINE seconds.
# Usage: REFORMER_TUI_BIN=path/to/reformer-tui scripts/e2e_kill.sh
#        (KILL_SEED=N other moments, KILLS=N more kills, KEEP_WORK=1 keeps the folder)
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=$(cd "$(dirname "${REFORMER_TUI_BIN:-.build/release/reformer-tui}")" && pwd)/$(basename "${REFORMER_TUI_BIN:-.build/release/reformer-tui}")
[ -x "$BIN" ] || { echo "FAIL no binary at $BIN"; exit 1; }
REPO=$(pwd)
WORK=$(mktemp -d)
children=()
cleanup() {
    for p in "${children[@]}"; do kill -KILL "$p" 2>/dev/null; done
    rm -rf "$WORK"
}
trap cleanup EXIT
[ -n "${KEEP_WORK:-}" ] && trap 'for p in "${children[@]}"; do kill -KILL "$p" 2>/dev/null; done' EXIT && echo "work: $WORK"
cd "$WORK"
SEED=${KILL_SEED:-18}
KILLS=${KILLS:-10}
DEADLINE=${DEADLINE:-90}
STEPS=120
EVERY=3
failures=0
pass() { echo "ok   $1"; }
fail() { echo "FAIL $1"; failures=$((failures + 1)); }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
started=$(now_ms)

# The preset: the copy model, small batches, a checkpoint every $EVERY steps, evaluation only at the end.
mkdir -p assets/presets/copy
cp "$REPO/assets/presets/copy/config.json" assets/presets/copy/
cat >assets/presets/copy/train.json <<JSON
{"task": "copy", "copy": {"word_length": 31}, "steps": $STEPS, "batch_size": 8, "learning_rate": 0.001,
 "warmup_steps": 10, "beta1": 0.9, "beta2": 0.98, "epsilon": 1e-9, "eval_every": 0, "eval_sequences": 64,
 "checkpoint_every": $EVERY, "log_every_seconds": 1.0, "seed": 7}
JSON
export REFORMER_TUI_ASSETS=$WORK/assets

# wait_for PATTERN FILE PID: 0 once FILE has a line matching PATTERN; 1 when PID ends first or the deadline passes.
wait_for() {
    local deadline=$(( $(date +%s) + DEADLINE ))
    until grep -qE -- "$1" "$2" 2>/dev/null; do
        if ! kill -0 "$3" 2>/dev/null; then grep -qE -- "$1" "$2" 2>/dev/null; return; fi
        [ "$(date +%s)" -lt "$deadline" ] || return 1
        sleep 0.01
    done
}
# wait_file PATH PID: like wait_for, for a file to exist.
wait_file() {
    local deadline=$(( $(date +%s) + DEADLINE ))
    until [ -e "$1" ]; do
        kill -0 "$2" 2>/dev/null || { [ -e "$1" ]; return; }
        [ "$(date +%s)" -lt "$deadline" ] || return 1
        sleep 0.01
    done
}
# saved_step DIR: the step of the checkpoint in DIR (the top-level "step" sorts after the history's).
saved_step() { grep -o '"step" : [0-9]*' "$1/trainer_state.json" 2>/dev/null | tail -1 | grep -o '[0-9]*$'; }
# staging DIR: the staging folders beside DIR.
staging() { (cd "$(dirname "$1")" && ls -Ad ".$(basename "$1").saving-"* 2>/dev/null); }
# final LOG: the final evaluation and summary, timings dropped.
final() { grep -E '^(eval step|done:)' "$1" | sed -E 's/, [0-9.]+ min of training//; s/; checkpoint .*//'; }
# refused NAME FOLDER PID CMD…: exit 1, exactly one stderr line naming FOLDER and PID.
refused() {
    local name=$1 folder=$2 holder=$3; shift 3
    "$@" >refused.out 2>refused.err
    local status=$?
    if [ "$status" -eq 1 ] && [ "$(wc -l <refused.err)" -eq 1 ] && grep -qF "$folder: is in use by process $holder" refused.err; then
        pass "$name: $(cat refused.err)"
    else
        fail "$name: exit $status, stderr: $(cat refused.err)"
    fi
}

# --- 1. the kill campaign ---------------------------------------------------------------------
"$BIN" train --task copy --checkpoint reference --headless >reference.log 2>&1 || { fail "uninterrupted reference run"; cat reference.log; }
RANDOM=$SEED
kills=0 resumes=0 fresh=0 mid_save=0 before_first=0 moments=()
for round in $(seq 1 "$KILLS"); do
    before=$(saved_step campaign); before=${before:-0}
    target=$(( before + 1 + RANDOM % 6 ))
    delay=$(( RANDOM % 40 ))
    args=(train --task copy --checkpoint campaign --log-every 1 --headless)
    if [ -d campaign ]; then args+=(--resume); resumes=$((resumes + 1)); else fresh=$((fresh + 1)); fi
    "$BIN" "${args[@]}" >run$round.log 2>&1 &
    pid=$!
    children+=("$pid")
    if ! wait_for "^step $target/" run$round.log "$pid"; then
        fail "round $round: no 'step $target/' line from pid $pid (saved step $before)"; tail -5 run$round.log
        kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
        break
    fi
    sleep "$(printf '0.%03d' "$delay")"
    kill -KILL "$pid"
    wait "$pid" 2>/dev/null
    status=$?
    if [ "$status" -ne 137 ]; then fail "round $round: pid $pid ended with $status before the kill"; tail -3 run$round.log; break; fi
    kills=$((kills + 1))
    moments+=("$target+${delay}ms")
    if [ "$before" -gt 0 ] && ! grep -q "^checkpoint: campaign (resuming at step $before)" run$round.log; then
        fail "round $round: the run did not resume at step $before: $(grep '^checkpoint:' run$round.log)"
    fi
    after=$(saved_step campaign)
    left=$(staging campaign)
    [ -n "$left" ] && mid_save=$((mid_save + 1))
    if [ -n "$left" ] && [ "$left" != ".campaign.saving-$pid" ]; then
        fail "round $round: staging folders of earlier runs were not cleaned up: $left"
    fi
    if [ -d campaign ]; then
        if ! "$BIN" eval --model campaign --task copy >eval$round.log 2>&1; then
            fail "round $round: eval --model campaign after the kill at step $target+${delay}ms: $(cat eval$round.log)"
        elif [ -z "$after" ] || [ $((after % EVERY)) -ne 0 ] || [ "$after" -lt "$before" ]; then
            fail "round $round: saved step '$after' after '$before' is not a checkpoint step"
        fi
        if [ "$(cat campaign.lock 2>/dev/null)" != "$pid" ]; then fail "round $round: campaign.lock does not hold the killed pid $pid"; fi
    else
        before_first=$((before_first + 1))   # killed before its first checkpoint was complete: no folder at all
    fi
done
"$BIN" train --task copy --checkpoint campaign --resume --headless >last.log 2>&1
status=$?
resumes=$((resumes + 1))
if [ "$status" -eq 0 ] && [ "$kills" -ge 8 ] && [ "$(saved_step campaign)" = "$STEPS" ] && [ -n "$(final reference.log)" ] \
    && [ "$(final last.log)" = "$(final reference.log)" ]; then
    pass "kill campaign (seed $SEED): $kills SIGKILLs at steps ${moments[*]}, $mid_save left a staging folder, $before_first came before the first checkpoint; $resumes resumes + $fresh fresh starts; the last resume ends like the uninterrupted run: $(final last.log | tail -1)"
else
    fail "kill campaign: last resume exit $status, $kills kills, saved step $(saved_step campaign); ours: $(final last.log | tr '\n' ' '); reference: $(final reference.log | tr '\n' ' ')"
    tail -5 last.log
fi
if [ -z "$(staging campaign)" ] && [ ! -e campaign.lock ] && [ ! -e reference.lock ]; then
    pass "after the campaign: no staging folder, no lock file"
else
    fail "left behind: $(staging campaign) $(ls campaign.lock reference.lock 2>/dev/null)"
fi

echo "     (campaign: $(( ($(now_ms) - started) / 1000 )) s)"
# --- 2. the lock ----------------------------------------------------------------------------------
"$BIN" train --task copy --checkpoint held --steps 100000 --log-every 1 --headless >held1.log 2>&1 &
holder=$!
children+=("$holder")
if wait_file held/trainer_state.json "$holder"; then
    refused "second train --resume" held "$holder" "$BIN" train --task copy --checkpoint held --resume --headless
    refused "second train (fresh, trailing slash)" held "$holder" "$BIN" train --task copy --checkpoint held/ --headless
    refused "experiment into the folder" held "$holder" "$BIN" experiment copy --out held --steps 3 --headless
    [ ! -e held/results.json ] && [ ! -e held/experiment.log ] && pass "the refused writers left nothing in held/" || fail "refused writers wrote into held/: $(ls held)"
    if "$BIN" eval --model held --task copy >held-eval.log 2>&1; then
        pass "eval reads the folder while it is trained: $(grep '^accuracy' held-eval.log)"
    else
        fail "eval while training: $(cat held-eval.log)"
    fi
else
    fail "the holder wrote no checkpoint"; tail -5 held1.log
fi
kill -KILL "$holder"
wait "$holder" 2>/dev/null
stale=$(cat held.lock 2>/dev/null)
at=$(saved_step held)
"$BIN" train --task copy --checkpoint held --resume --steps $(( ${at:-0} + 2 )) --headless >held2.log 2>held2.err
status=$?
if [ "$stale" = "$holder" ] && [ "$status" -eq 0 ] && grep -q "^checkpoint: held (resuming at step $at)" held2.log \
    && [ "$(saved_step held)" = "$(( at + 2 ))" ] && [ ! -e held.lock ]; then
    pass "after SIGKILL of pid $holder (its held.lock left behind), train --resume proceeds: step $at → $(saved_step held)"
else
    fail "resume after the holder's death: exit $status, lock held '$stale', saved $at → $(saved_step held): $(cat held2.err)"
fi

echo "     (campaign and lock: $(( ($(now_ms) - started) / 1000 )) s)"
# --- 3. experiment copy killed mid-cell -----------------------------------------------------------
"$BIN" experiment copy --steps 12 --out exp --headless >exp1.log 2>&1 &
pid=$!
children+=("$pid")
# The lock is taken before the first line; once the first model's full-attention cell is logged, its
# LSH-8 cell (3 draws of 8 rounds, the slowest) is under way.
if wait_for '^experiment copy: ' exp1.log "$pid"; then
    refused "second experiment into the same --out" exp "$pid" "$BIN" experiment copy --out exp --resume --headless
fi
if wait_for '^eval seed 7 · Full with Full:' exp1.log "$pid"; then
    kill -KILL "$pid"
    wait "$pid" 2>/dev/null
    status=$?
    logged=$(grep -c '^eval seed ' exp1.log)
    saved=$(grep -c '"accuracy"' exp/results.json 2>/dev/null)
    if [ "$status" -eq 137 ] && [ "$saved" = "$logged" ] && [ "$saved" -lt 20 ] && "$BIN" eval --model exp/seed7/full --task copy >exp-eval.log 2>&1; then
        pass "experiment SIGKILLed mid-cell: results.json holds the $saved cell(s) logged, seed7/full loads ($(grep '^accuracy' exp-eval.log))"
    else
        fail "experiment kill: exit $status, $saved cell(s) saved, $logged logged: $(cat exp-eval.log 2>/dev/null)"; tail -5 exp1.log
    fi
    "$BIN" experiment copy --out exp --resume --headless >exp2.log 2>&1
    status=$?
    if [ "$status" -eq 0 ] && [ "$(grep -c '"accuracy"' exp/results.json)" -eq 20 ] && ! grep -q '^model 1/4' exp2.log && [ ! -e exp.lock ] \
        && [ -z "$(find exp -name '*.lock' -o -name '.*.saving-*')" ]; then
        pass "experiment --resume completes the grid (20 cells) without retraining the first model; no lock file or staging folder left"
    else
        fail "experiment --resume: exit $status, $(grep -c '"accuracy"' exp/results.json) cells"; tail -5 exp2.log
    fi
else
    fail "experiment: no first cell logged"; tail -5 exp1.log
    kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
fi

echo "e2e_kill: $(( ($(now_ms) - started) / 1000 )) s, $failures failure(s)"
[ "$failures" -eq 0 ]
