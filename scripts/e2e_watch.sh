#!/usr/bin/env bash
# End-to-end checks of `reformer-tui watch DIR` in tmux at 160x48 with the release binary (issue 15
# item 5), through scripts/e2e_tmux_lib.sh. `watch` starts before its folder exists; then the run
# appears: a recorded HF Trainer run replayed at its recorded pace (scripts/replay_run.sh: partial
# files, the safetensors temp file and rename, rotation deletes), or one of our own headless runs as
# it trains. Every wait polls for exactly what the check after it reads and also fails at once when
# watch has exited or the screen reads like a crash ("fatal", "traceback", …): no state of the run may
# break it.
#   1 hf-single   (Fixtures/watch/hf-single: one process)
#   2 hf-torchrun (Fixtures/watch/hf-torchrun: torchrun --nproc_per_node 2, gloo)
#     each: "waiting: no such folder yet"; the status line's `step N/30` advances, each time within 2 s
#     of the event file growing; the curves are drawn
#     (train loss legend with a value, braille dots); the buckets panel names a checkpoint and an LSH
#     layer; the run ends `finished` with checkpoint-30 shown and "FINISHED — press q to quit";
#     q → exit 0, terminal restored. hf-single also: no training keys in the hint bar, `?` (latency
#     printed) shows the watch keys, `s` samples from checkpoint-30, `h` opens the explorer, Esc back.
#   3 own: `train --headless` on a tiny copy model, 300 steps, a checkpoint every 100: the same checks
#     (checkpoint "run (step N)", the accuracy curve), train exits 0.
#   4 (E2E_WATCH_BIG=N) a freshly initialised N-parameter-class checkpoint (config below, ~150M for
#     N=150) being loaded: `?` answered within 100 ms through tmux while the load runs.
# E2E_WATCH_LIVE_PYTHON=/path/to/python (torch, transformers, tensorboard): cases 1 and 2 run the real
# HF Trainer (scripts/record_hf_run.py train, single and torchrun 2-process) instead of the replay.
# Usage: REFORMER_TUI_BIN=path/to/reformer-tui scripts/e2e_watch.sh   (KEEP_WORK=1 keeps the folder)
set -uo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
BIN=$(cd "$(dirname "${REFORMER_TUI_BIN:-.build/release/reformer-tui}")" && pwd)/$(basename "${REFORMER_TUI_BIN:-.build/release/reformer-tui}")
FIXTURES="$REPO/Tests/ReformerEngineTests/Fixtures/watch"
E2E_COLS=160
E2E_ROWS=48
export LC_ALL=C.UTF-8   # tmux prints the pane as UTF-8 for a UTF-8 client; the greps below go byte for byte
source "$REPO/scripts/e2e_tmux_lib.sh"
CRASH='[Ff]atal|FATAL|[Tt]raceback|panic|Segmentation fault|Illegal instruction|core dumped|Backtrace'
BRAILLE=$'\xe2[\xa0-\xa3][\x80-\xbf]'   # U+2800–U+28FF: the braille dots the line charts draw

# alive: watch has not exited and nothing on the screen (history included) reads like a crash; else
# WAIT_MISSING says which.
alive() {
    local history
    history=$(cap -J -S -)
    if echo "$history" | grep -qE -- "$EXIT_LINE"; then WAIT_MISSING="(watch exited by itself)"; return 1; fi
    if echo "$history" | grep -qE -- "$CRASH"; then WAIT_MISSING="(crash text: $(echo "$history" | grep -oE -- "$CRASH" | head -1))"; return 1; fi
}
# watch_wait SECONDS REGEX…: until one capture shows every REGEX (left in PANE_NOW); gives up at once
# when `alive` fails.
watch_wait() {
    local deadline=$(( $(now_ms) + $1 * 1000 )) pattern missing; shift
    while :; do
        alive || return 1
        PANE_NOW=$(cap -J)
        missing=""
        for pattern in "$@"; do echo "$PANE_NOW" | LC_ALL=C grep -qE -- "$pattern" || { missing=$pattern; break; }; done
        [ -z "$missing" ] && return 0
        [ "$(now_ms)" -ge "$deadline" ] && { WAIT_MISSING=$missing; return 1; }
        sleep 0.05
    done
}
# watch_gone SECONDS REGEX: until the pane no longer shows REGEX (watch alive meanwhile).
watch_gone() {
    local deadline=$(( $(now_ms) + $1 * 1000 ))
    while cap | grep -qE -- "$2"; do
        alive || return 1
        [ "$(now_ms)" -ge "$deadline" ] && { WAIT_MISSING="'$2' still shown"; return 1; }
        sleep 0.05
    done
}
# expect NAME WHAT SECONDS REGEX…: watch_wait, then pass or fail (printing the pane).
expect() {
    local name=$1 what=$2 seconds=$3; shift 3
    if watch_wait "$seconds" "$@"; then pass "$name: $what"; return 0; fi
    fail "$name: $what — not seen within $seconds s: $WAIT_MISSING"; show; return 1
}
# watch_step_above SECONDS N: until the status line's step exceeds N (watch alive meanwhile).
watch_step_above() {
    local deadline=$(( $(now_ms) + $1 * 1000 )) s
    while :; do
        alive || return 1
        s=$(step_now)
        [ -n "$s" ] && [ "$s" -gt "$2" ] && return 0
        [ "$(now_ms)" -ge "$deadline" ] && { WAIT_MISSING="step still $s"; return 1; }
        sleep 0.1
    done
}
# key_latency KEY TEXT: sends KEY, polls every 10 ms until TEXT (fixed string) is on the pane; LATENCY
# is the time in ms (empty when TEXT did not come within 30 s).
key_latency() {
    local t0 deadline
    t0=$(now_ms)
    deadline=$(( t0 + 30000 ))
    tmux -L "$S" send-keys -t e2e "$1"
    until cap | grep -qF -- "$2"; do
        [ "$(now_ms)" -ge "$deadline" ] && { LATENCY=""; return 1; }
        sleep 0.01
    done
    LATENCY=$(( $(now_ms) - t0 ))
}

# step_latency NAME EVENTS_DIR: three times, from the moment the run's event file grows (a new log) to
# the status line's step changing; at most 2 s each (a log that adds no step, an evaluation's, only
# makes the measured time longer).
step_latency() {
    local name=$1 events=$2 file size s0 t0 ms deadline times="" worst=0 measured=0
    file=$(find "$events" -name 'events.out.tfevents.*' 2>/dev/null | sort | tail -1)
    [ -n "$file" ] || { fail "$name: no event file under $events"; return 1; }
    while [ "$measured" -lt 3 ]; do
        s0=$(step_now); size=$(stat -c %s "$file")
        deadline=$(( $(now_ms) + 60000 ))
        until [ "$(stat -c %s "$file")" -gt "$size" ] || [ "$(now_ms)" -ge "$deadline" ]; do sleep 0.01; done
        t0=$(now_ms)
        # The two-read counter (step_now): a capture taken mid-redraw is never read as a step.
        until [ "$(step_now)" -gt "$s0" ] 2>/dev/null || ! alive || [ "$(now_ms)" -ge "$deadline" ]; do sleep 0.02; done
        [ "$(now_ms)" -ge "$deadline" ] && break
        ms=$(( $(now_ms) - t0 ))
        times="$times $ms"
        [ "$ms" -gt "$worst" ] && worst=$ms
        measured=$((measured + 1))
    done
    if [ "$measured" = 3 ] && [ "$worst" -le 2000 ]; then
        pass "$name: the step on screen follows a new log within 2 s (ms:$times)"
    else
        fail "$name: the step on screen did not follow new logs within 2 s (ms:$times; ${WAIT_MISSING:-})"; show
    fi
}

# follow_run NAME TOTAL CHECKPOINT_RE LAST_CHECKPOINT EVENTS_DIR: the checks every run gets while it is written.
follow_run() {
    local name=$1 total=$2 checkpoint=$3 last=$4 events=$5 a
    STATUS="step [0-9]+/$total"
    expect "$name" "the step appears on the status line" 240 "WATCH .*$STATUS" || return 1
    a=$(step_now)
    if watch_step_above 120 "$a"; then pass "$name: the step advances (step $a → $(step_now)/$total)"; else fail "$name: the step stayed at $a"; show; return 1; fi
    step_latency "$name" "$events"
    expect "$name" "curves drawn (train loss with a value, braille dots)" 120 'train loss [0-9.]+' "$BRAILLE" || return 1
    expect "$name" "the buckets panel names the checkpoint and an LSH layer" 180 "│$checkpoint · layer [0-9]+/[0-9]+ LSH · head" || return 1
    expect "$name" "finished: step $total/$total, '$last' shown, FINISHED" 240 \
        "WATCH .*step $total/$total .*│ finished" "│$last · layer [0-9]+/[0-9]+ LSH" 'FINISHED — press q to quit' || return 1
}

# --- 1, 2: HF Trainer runs (replayed, or live with E2E_WATCH_LIVE_PYTHON) ----------------------------
hf_case() {
    local name=$1 nproc=$2 dir="$WORK/$1/out" writer how
    mkdir -p "$WORK/$name"
    start_case "$name" -- "$BIN" watch "$dir"
    expect "$name" "waits for a folder that does not exist yet" 60 'WATCH .*waiting: no such folder yet' || { end_case; return; }
    if [ -n "${E2E_WATCH_LIVE_PYTHON:-}" ]; then
        how="live HF Trainer run, $nproc process(es)"
        (cd "$WORK/$name" && exec "$E2E_WATCH_LIVE_PYTHON" "$REPO/scripts/record_hf_run.py" train --output-dir "$dir" --nproc "$nproc" \
            --master-port $((29600 + nproc))) >"$WORK/$name.run.log" 2>&1 &
    else
        how="replay of Fixtures/watch/$name"
        bash "$REPO/scripts/replay_run.sh" "$FIXTURES/$name" "$dir" 1 >"$WORK/$name.run.log" 2>&1 &
    fi
    writer=$!
    BACKGROUND_PIDS+=("$writer")
    echo "     $name: $how"
    if follow_run "$name" 30 'checkpoint-[0-9]+' checkpoint-30 "$dir/runs"; then
        if wait "$writer"; then pass "$name: the run's writer exited 0"; else fail "$name: the run's writer failed"; tail -20 "$WORK/$name.run.log"; fi
        expect "$name" "still up and finished after the run ended" 10 'FINISHED — press q to quit' "│checkpoint-30 · layer"
        [ "$name" = hf-single ] && keys_case "$name"
    fi
    tmux -L "$S" send-keys -t e2e q
    check_restored "$name" "q"
    end_case
}

# keys_case NAME: the watch key set on a finished run.
keys_case() {
    local name=$1 hints
    hints=$(cap | tail -1)
    if echo "$hints" | grep -qE 'Pause|Checkpoint|Eval hashes|space'; then fail "$name: training keys in the hint bar: $hints"; else pass "$name: hint bar without training keys ($hints)"; fi
    if key_latency '?' 'Watching a run' && watch_wait 10 'Watching a run' 'stop watching \(the run goes on\)'; then
        pass "$name: '?' shows the watch keys"
        echo "     key latency ('?' → help on screen, measured through tmux, 10 ms polling): $LATENCY ms"
        if echo "$PANE_NOW" | grep -qE 'pause / resume|write a checkpoint'; then fail "$name: help lists training keys"; show; fi
        tmux -L "$S" send-keys -t e2e Escape
        if watch_gone 30 'Watching a run'; then pass "$name: Esc closes the help"; else fail "$name: Esc did not close the help: $WAIT_MISSING"; show; fi
    else
        fail "$name: no watch help after '?'"; show
    fi
    tmux -L "$S" send-keys -t e2e s
    expect "$name" "s samples from checkpoint-30 (its second copy of the probe)" 60 'symbols right .* copy: prompt 0 w 0'
    tmux -L "$S" send-keys -t e2e h
    if expect "$name" "h opens the hashing explorer on checkpoint-30" 60 'Stage 1/6 · Vectors' 'explorer: checkpoint-30, layer 1 head 1 on the probe'; then
        tmux -L "$S" send-keys -t e2e Escape
        if watch_gone 30 'Stage [1-6]/6'; then expect "$name" "Esc returns to the panels" 30 'Training curves' '│checkpoint-30 · layer 1/2 LSH'
        else fail "$name: Esc did not leave the explorer: $WAIT_MISSING"; show; fi
    fi
}

hf_case hf-single 1
hf_case hf-torchrun 2

# --- 3: one of our own headless runs as it trains --------------------------------------------------
cat >"$WORK/tiny-copy.json" <<'EOF'
{
  "architectures": ["ReformerModelWithLMHead"], "model_type": "reformer", "is_decoder": true,
  "attn_layers": ["lsh", "local"], "hidden_size": 32, "feed_forward_size": 32, "num_attention_heads": 2,
  "attention_head_size": 16, "hidden_act": "relu", "vocab_size": 128, "pad_token_id": 0, "eos_token_id": null,
  "max_position_embeddings": 64, "axial_pos_embds": false, "lsh_attn_chunk_length": 8, "lsh_num_chunks_before": 1,
  "lsh_num_chunks_after": 0, "local_attn_chunk_length": 8, "local_num_chunks_before": 1, "local_num_chunks_after": 0,
  "num_buckets": 8, "num_hashes": 2, "hidden_dropout_prob": 0.0, "lsh_attention_probs_dropout_prob": 0.0,
  "local_attention_probs_dropout_prob": 0.0, "tie_word_embeddings": false
}
EOF
RUN="$WORK/own/run"
mkdir -p "$WORK/own"
start_case own -- "$BIN" watch "$RUN"
if expect own "waits for a folder that does not exist yet" 60 'WATCH .*waiting: no such folder yet'; then
    "$BIN" train --task copy --config "$WORK/tiny-copy.json" --steps 300 --checkpoint-every 100 --headless \
        --checkpoint "$RUN" --log-every 100 >"$WORK/own.train.log" 2>&1 &
    trainer=$!
    BACKGROUND_PIDS+=("$trainer")
    if follow_run own 300 'run \(step [0-9]+\)' 'run \(step 300\)' "$RUN.tb"; then
        if wait "$trainer"; then pass "own: train --headless exited 0"; else fail "own: train failed"; tail -5 "$WORK/own.train.log"; fi
        expect own "the accuracy curve from the run's own events" 10 'train acc [0-9.]+' 'loss · learning rate · grad norm · acc'
        [ -d "$RUN.tb" ] && ! ls "$RUN" | grep -qv -E '^(config.json|model.safetensors|optimizer.safetensors|trainer_state.json)$' \
            && pass "own: events in run.tb/, nothing else inside the checkpoint folder ($(ls "$RUN.tb" | wc -l) event file)" \
            || { fail "own: unexpected files: $(ls "$RUN" "$RUN.tb" 2>&1 | tr '\n' ' ')"; }
    fi
fi
tmux -L "$S" send-keys -t e2e q
check_restored own "q"
end_case

# --- 4: key latency while a big checkpoint loads (opt-in) -------------------------------------------
if [ -n "${E2E_WATCH_BIG:-}" ]; then
    # Hidden 1024, feed-forward 4096, vocabulary 258, 11.5M parameters a layer: 13 layers (158M in all)
    # at E2E_WATCH_BIG=150.
    layers=$(( ${E2E_WATCH_BIG} * 13 / 150 )); [ "$layers" -ge 1 ] || layers=1
    cat >"$WORK/big.json" <<EOF
{
  "architectures": ["ReformerModelWithLMHead"], "model_type": "reformer", "is_decoder": true,
  "attn_layers": [$(for i in $(seq 1 "$layers"); do printf '%s"%s"' "$([ "$i" -gt 1 ] && echo ,)" "$([ $((i % 2)) = 1 ] && echo lsh || echo local)"; done)],
  "hidden_size": 1024, "feed_forward_size": 4096, "num_attention_heads": 16, "attention_head_size": 64,
  "hidden_act": "relu", "vocab_size": 258, "pad_token_id": 0, "eos_token_id": null, "max_position_embeddings": 1024,
  "axial_pos_embds": false, "lsh_attn_chunk_length": 64, "local_attn_chunk_length": 64, "num_buckets": 16,
  "num_hashes": 2, "tie_word_embeddings": false
}
EOF
    out="$WORK/big/out"
    mkdir -p "$out"
    "$BIN" init --config "$WORK/big.json" --out "$WORK/big/staged" >"$WORK/big.init.log" 2>&1 || { fail "big: init failed"; cat "$WORK/big.init.log"; }
    echo '{"global_step": 10, "max_steps": 20, "log_history": []}' >"$WORK/big/staged/trainer_state.json"
    echo "     big: $(cat "$WORK/big.init.log"), $(du -h "$WORK/big/staged/model.safetensors" | cut -f1)"
    start_case big -- "$BIN" watch "$out"
    expect big "waiting" 60 'WATCH .*waiting' 
    mv "$WORK/big/staged" "$out/checkpoint-10"
    if expect big "loading checkpoint-10" 60 'loading checkpoint-10…'; then
        worst=0
        for i in 1 2 3 4 5; do
            if ! key_latency '?' 'Watching a run'; then fail "big: no help within 30 s of '?'"; show; break; fi
            still=$(cap | grep -c 'loading checkpoint-10…')
            [ "$LATENCY" -gt "$worst" ] && worst=$LATENCY
            echo "     big: '?' → help in $LATENCY ms (checkpoint still loading: $([ "$still" -gt 0 ] && echo yes || echo no))"
            tmux -L "$S" send-keys -t e2e Escape
            watch_gone 30 'Watching a run' || { fail "big: Esc did not close the help"; show; break; }
        done
        if [ "$worst" -lt 100 ]; then pass "big: key latency under 100 ms while loading (worst $worst ms, 10 ms polling)"; else fail "big: key latency $worst ms while loading"; fi
        expect big "the big checkpoint shown" 600 '│checkpoint-10 · layer 1/[0-9]+ LSH'
    fi
    tmux -L "$S" send-keys -t e2e q
    check_restored big "q"
    end_case
fi

if [ "$failures" -eq 0 ]; then echo "e2e_watch: all passed"; else echo "e2e_watch: $failures failure(s)"; fi
[ "$failures" -eq 0 ]
