#!/usr/bin/env bash
# End-to-end training checks with the release binary:
#  1. the copy task learns (accuracy measured at 4 hash rounds) and `eval` reproduces it;
#  2. a run sent SIGTERM mid-way, then resumed, prints the same progress as an uninterrupted run;
#  3. a small text model's bits/byte fall; `train --from` fine-tunes a small text model with dropout
#     on, its loss falls, and SIGTERM + --resume prints the same progress as an uninterrupted run;
#  4. failure paths: NaN loss keeps the last checkpoint, resume without a checkpoint, clobbering a
#     run, bad data files, a full disk (a real ENOSPC on a 1000 KiB tmpfs; skipped, with mount's
#     reason, where mounting is refused) — one line, non-zero exit.
# Usage: REFORMER_TUI_BIN=path/to/reformer-tui scripts/e2e_train.sh
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=$(cd "$(dirname "${REFORMER_TUI_BIN:-.build/release/reformer-tui}")" && pwd)/$(basename "${REFORMER_TUI_BIN:-.build/release/reformer-tui}")
REPO=$(pwd)
WORK=$(mktemp -d)
cleanup() { mountpoint -q "$WORK/full" 2>/dev/null && umount "$WORK/full"; rm -rf "$WORK"; }
trap cleanup EXIT
[ -n "${KEEP_WORK:-}" ] && trap - EXIT && echo "work: $WORK"
cd "$WORK"
failures=0
pass() { echo "ok   $1"; }
fail() { echo "FAIL $1"; failures=$((failures + 1)); }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
# wait_log SECONDS FILE REGEX PID: until FILE has a line matching REGEX (grep -E); returns 1 at the
# deadline or when PID has ended without it (then the caller prints what it saw).
wait_log() {
    local deadline=$(( $(now_ms) + $1 * 1000 )) file=$2 pattern=$3 pid=$4
    until grep -qE -- "$pattern" "$file" 2>/dev/null; do
        kill -0 "$pid" 2>/dev/null || { grep -qE -- "$pattern" "$file" 2>/dev/null; return; }
        [ "$(now_ms)" -ge "$deadline" ] && return 1
        sleep 0.05
    done
}

# --- 1. the copy task learns ----------------------------------------------------------------------
if "$BIN" train --task copy --steps 300 --seed 3 --checkpoint learn --log-every 100 >learn.log 2>&1; then
    acc=$(grep '^done:' learn.log | sed 's/.*final accuracy \([0-9.]*\).*/\1/')
    if awk "BEGIN{exit !($acc >= 0.95)}"; then pass "copy task learns: $(grep '^done:' learn.log)"; else fail "copy accuracy $acc < 0.95"; cat learn.log; fi
else
    fail "copy training"; cat learn.log
fi
if "$BIN" eval --model learn --task copy --hashes 4 --hash-seeds 2 >eval.log 2>&1 && grep -q '^accuracy ' eval.log; then
    acc=$(grep '^accuracy ' eval.log | cut -d' ' -f2)
    if awk "BEGIN{exit !($acc >= 0.95)}"; then pass "eval at 4 hashes, 2 draws: accuracy $acc"; else fail "eval accuracy $acc"; cat eval.log; fi
else
    fail "eval"; cat eval.log
fi
"$BIN" eval --model learn --task copy --hashes 1 >eval1.log 2>&1 && grep -q '^loss ' eval1.log && pass "eval at 1 hash: $(grep '^accuracy' eval1.log)" || { fail "eval --hashes 1"; cat eval1.log; }

# --- 2. SIGTERM + resume = uninterrupted -----------------------------------------------------------
common=(train --task copy --steps 240 --seed 4 --log-every 10)
"$BIN" "${common[@]}" --checkpoint A >A.log 2>&1 || { fail "uninterrupted run"; cat A.log; }
# Compare every 10th step's loss and accuracy, the evaluations and the final line (timings dropped).
progress() { grep -hE '^(step [0-9]*0/|eval step|done:)' "$@" | sed -E 's/ tok\/s .*//; s/, [0-9.]+ min of training//; s/; checkpoint .*//' | sort -u; }
# interrupted_run LABEL REFERENCE_LOG DIR PATTERN ARGS...: runs `ARGS --checkpoint DIR`, sends SIGTERM once
# its log has a line matching PATTERN (chosen well before the end, so it interrupts for real), resumes
# with --resume, and compares the progress of both parts with the uninterrupted REFERENCE_LOG.
interrupted_run() {
    local label=$1 reference=$2 dir=$3 pattern=$4; shift 4
    "$BIN" "$@" --checkpoint "$dir" >"$dir-1.log" 2>&1 &
    local pid=$!
    if ! wait_log 300 "$dir-1.log" "$pattern" "$pid"; then fail "${label}SIGTERM: no '$pattern' line in 300 s"; cat "$dir-1.log"; fi
    kill -TERM "$pid"
    wait "$pid"
    local status=$?
    if [ "$status" -eq 0 ] && grep -q '^interrupted at step' "$dir-1.log"; then
        pass "${label}SIGTERM: exit 0, $(grep '^interrupted' "$dir-1.log")"
    else
        fail "${label}SIGTERM exit $status"; cat "$dir-1.log"
    fi
    "$BIN" "$@" --checkpoint "$dir" --resume >"$dir-2.log" 2>&1 || { fail "${label}resume"; cat "$dir-2.log"; }
    if diff <(progress "$reference") <(progress "$dir-1.log" "$dir-2.log") >"$dir-diff.log" && grep -q '^done:' "$dir-2.log"; then
        pass "${label}resumed run matches the uninterrupted one ($(progress "$reference" | wc -l) lines compared)"
    else
        fail "${label}resumed run differs"; cat "$dir-diff.log"
    fi
}
interrupted_run "" A.log B '^step [5-9]0/' "${common[@]}"

# --- 3. text: bits per byte fall ----------------------------------------------------------------
cat >text-config.json <<'JSON'
{"architectures": ["ReformerModelWithLMHead"], "is_decoder": true, "attn_layers": ["local", "lsh"],
 "hidden_size": 64, "num_attention_heads": 2, "attention_head_size": 32, "feed_forward_size": 128,
 "vocab_size": 256, "axial_pos_embds": true, "axial_pos_shape": [16, 16], "axial_pos_embds_dim": [16, 48],
 "axial_norm_std": 0.02, "max_position_embeddings": 256, "lsh_attn_chunk_length": 32, "local_attn_chunk_length": 32,
 "num_hashes": 2, "num_buckets": 8, "hidden_dropout_prob": 0.0, "local_attention_probs_dropout_prob": 0.0,
 "lsh_attention_probs_dropout_prob": 0.0, "hidden_act": "relu", "eos_token_id": null}
JSON
if "$BIN" train --task text --config text-config.json --data "$REPO/assets/text/commonplace.txt" --steps 150 \
    --checkpoint text --log-every 50 >text.log 2>&1; then
    first=$(grep -m1 '^step 1/' text.log | sed 's/.* bpb \([0-9.]*\).*/\1/')
    final=$(grep '^done:' text.log | sed 's/.*final bits\/byte \([0-9.]*\).*/\1/')
    if awk "BEGIN{exit !($final < $first - 1.0)}"; then pass "text bits/byte fall: $first → $final"; else fail "text bpb $first → $final"; cat text.log; fi
else
    fail "text training"; cat text.log
fi

# --- 3a. a SentencePiece text run: --tokenizer encodes the file once, spiece.model kept in the folder
sed 's/"vocab_size": 256/"vocab_size": 400/' text-config.json >spm-config.json
SPM_MODEL="$REPO/Tests/ReformerEngineTests/Fixtures/spm/bpe-nfkc.model"
if "$BIN" train --task text --config spm-config.json --tokenizer "$SPM_MODEL" --data "$REPO/assets/text/commonplace.txt" \
    --steps 110 --checkpoint spmrun --log-every 10 >spm.log 2>&1 && cmp -s "$SPM_MODEL" spmrun/spiece.model \
    && grep -qE "^step 110/110 .* bpt " spm.log; then
    pass "text run with a SentencePiece tokenizer: bits per token logged, spiece.model saved beside the weights"
else
    fail "SentencePiece text run"; cat spm.log
fi
if "$BIN" eval --model spmrun --data "$REPO/assets/text/commonplace.txt" --length 256 >spmeval.log 2>&1 && grep -qE '^bits_per_token [0-9.]+$' spmeval.log \
    && "$BIN" sample --model spmrun --prompt "The " --tokens 8 --seed 1 >spmsample.log 2>&1 && [ -s spmsample.log ]; then
    pass "the SentencePiece run's folder tokenizes by itself: eval --data ($(grep bits_per_token spmeval.log)), sample"
else
    fail "SentencePiece run folder"; cat spmeval.log spmsample.log
fi

# --- 3b. fine-tuning with dropout: train --from, SIGTERM + --resume = uninterrupted ----------------
# A preset whose schedule suits a few dozen steps, with every dropout probability 0.1 in its config: the
# base model trains on it, and fine-tuning takes the base's config (dropout included) from its folder.
mkdir -p ft-assets/presets/text
sed 's/"hidden_dropout_prob": 0.0/"hidden_dropout_prob": 0.1/; s/"local_attention_probs_dropout_prob": 0.0/"local_attention_probs_dropout_prob": 0.1/; s/"lsh_attention_probs_dropout_prob": 0.0/"lsh_attention_probs_dropout_prob": 0.1/' \
    text-config.json >ft-assets/presets/text/config.json
cat >ft-assets/presets/text/train.json <<'JSON'
{"task": "text", "steps": 80, "batch_size": 2, "learning_rate": 0.002, "warmup_steps": 5, "schedule": "cosine",
 "min_learning_rate": 0.0002, "beta2": 0.98, "clip_norm": 1.0, "eval_every": 20, "eval_batches": 2,
 "checkpoint_every": 0, "text": {"validation_fraction": 0.1}}
JSON
corpus="$REPO/assets/text/commonplace.txt"
if REFORMER_TUI_ASSETS=$WORK/ft-assets "$BIN" train --task text --data "$corpus" --steps 20 --checkpoint ftbase --log-every 20 >ftbase.log 2>&1 \
    && grep -q '^dropout: hidden 0.1, local attention 0.1, LSH attention 0.1' ftbase.log; then
    pass "base text model with dropout 0.1: $(grep '^done:' ftbase.log | sed 's/; checkpoint.*//')"
else
    fail "base text model with dropout"; cat ftbase.log
fi
ft=(train --from ftbase --task text --data "$corpus" --seed 5 --log-every 5)
export REFORMER_TUI_ASSETS=$WORK/ft-assets
"$BIN" "${ft[@]}" --checkpoint ftA >ftA.log 2>&1 || { fail "fine-tuning run"; cat ftA.log; }
first=$(grep -m1 '^step 1/' ftA.log | sed 's/.* loss \([0-9.]*\) .*/\1/')
final=$(grep '^done:' ftA.log | sed 's/.*, loss \([0-9.]*\);.*/\1/')
if grep -q '^fine-tuning: from ftbase' ftA.log && grep -q '^dropout: hidden 0.1' ftA.log && [ -n "$first" ] && [ -n "$final" ] \
    && awk "BEGIN{exit !($final < $first - 0.3)}"; then
    pass "train --from with dropout: loss $first (step 1) → $final (final evaluation)"
else
    fail "train --from: loss '$first' → '$final'"; cat ftA.log
fi
interrupted_run "fine-tuning with dropout: " ftA.log ftB '^step (2|3)[05]/80' "${ft[@]}"
if "$BIN" eval --model ftA >fteval.log 2>&1 && grep -qE '^bits_per_byte [0-9.]+$' fteval.log; then
    pass "eval of the fine-tuned folder: $(grep '^bits_per_byte' fteval.log)"
else
    fail "eval of the fine-tuned folder"; cat fteval.log
fi
unset REFORMER_TUI_ASSETS

# --- eval --data: a whole file in consecutive windows ---------------------------------------------
# 1000 bytes at the text model's 256 positions: windows of 256, 256, 256, 232 → 1000 − 4 predictions.
head -c 1000 "$REPO/assets/text/commonplace.txt" >score.txt
if "$BIN" eval --model text --data score.txt >score.log 2>score.err && grep -q '4 windows of 256, 996 predictions' score.log \
    && grep -qE '^loss [0-9.]+$' score.log && grep -qE '^bits_per_byte [0-9.]+$' score.log && [ ! -s score.err ]; then
    pass "eval --data: $(head -1 score.log | cut -d, -f3-5), $(grep bits_per_byte score.log)"
else
    fail "eval --data"; cat score.log score.err
fi
head -c 256 "$REPO/assets/text/commonplace.txt" >exact.txt
if "$BIN" eval --model text --data exact.txt >exact.log 2>&1 && grep -q '1 window of 256, 255 predictions' exact.log; then
    pass "eval --data: a file of exactly N tokens is one window of N − 1 predictions"
else
    fail "eval --data on exactly 256 bytes"; cat exact.log
fi
if "$BIN" eval --model text --data score.txt --length 100 >len.log 2>&1 && grep -q '10 windows of 100, 990 predictions' len.log; then
    pass "eval --data --length 100: 10 windows, 990 predictions"
else
    fail "eval --data --length 100"; cat len.log
fi

# --- sampling -----------------------------------------------------------------------------------
# The copy model continues "0 w 0" with w, with and without the cache.
w="5 17 99 3 42 8 120 64 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23"
for mode in "" "--no-cache"; do
    got=$("$BIN" sample --model learn --prompt-ids "0 $w 0" --tokens 31 --temperature 0 $mode 2>&1)
    if [ "$got" = "$w" ]; then pass "sample ${mode:-(cached)}: 0 w 0 → w"; else fail "sample ${mode:-(cached)}: got '$got'"; fi
done
if "$BIN" eval --model learn --task copy --generate >gen.log 2>&1 && grep -q '^generation_accuracy' gen.log; then
    pass "eval --generate: $(grep '^generation_accuracy' gen.log)"
else
    fail "eval --generate"; cat gen.log
fi
# Streaming: the first bytes are readable while the process still runs.
"$BIN" sample --model text --prompt "The " --tokens 300 --no-cache --seed 3 >stream.out 2>stream.err &
spid=$!
# Streamed when the first bytes are on disk while the process is still alive: the process is
# stopped (SIGSTOP) the moment they are seen, so "still running" is read with the process frozen.
seen_while_running=no
deadline=$(( $(now_ms) + 120000 ))
while kill -0 "$spid" 2>/dev/null && [ "$(now_ms)" -lt "$deadline" ]; do
    if [ -s stream.out ]; then
        kill -STOP "$spid" 2>/dev/null
        if [ -d "/proc/$spid" ] && ! grep -qE '^State:[[:space:]]+Z' "/proc/$spid/status" 2>/dev/null \
            && ! grep -q "reached the model's maximum length" stream.err; then
            seen_while_running=yes
        fi
        kill -CONT "$spid" 2>/dev/null
        break
    fi
    sleep 0.01
done
wait "$spid"
if [ "$seen_while_running" = yes ]; then pass "sample streams: output readable before the process ended ($(wc -c <stream.out) bytes in all)"; else fail "sample did not stream"; fi
if grep -q "reached the model's maximum length 256" stream.err; then pass "sample stops at the maximum length: $(cat stream.err)"; else fail "no max-length line: $(cat stream.err)"; fi
expect_error_status() {   # like expect_error below, for argument errors too (exit status non-zero, one line naming the problem)
    local name=$1 fragment=$2; shift 2
    "$@" >out.log 2>err.log
    local status=$?
    if [ "$status" -ne 0 ] && grep -qF -- "$fragment" err.log; then pass "$name: $(head -1 err.log)"; else fail "$name: exit $status, $(cat err.log)"; fi
}
expect_error_status "sample: empty prompt" "empty" "$BIN" sample --model text --prompt ""
head -c 300 "$REPO/assets/text/commonplace.txt" >long-prompt.txt
expect_error_status "sample: prompt longer than the model" "maximum length is 256" "$BIN" sample --model text --prompt-file long-prompt.txt
expect_error_status "sample: missing checkpoint" "does not exist" "$BIN" sample --model no-such-model --prompt "x"
expect_error_status "sample: negative temperature" "temperature" "$BIN" sample --model text --prompt "x" --temperature=-1
expect_error_status "sample: top-p outside (0, 1]" "top-p" "$BIN" sample --model text --prompt "x" --top-p 1.5
expect_error_status "sample: ids outside the vocabulary" "outside the vocabulary" "$BIN" sample --model learn --prompt-ids "0 128"

# --- memory against depth, through the bench command (ledger figures, not timings) ----------------
if "$BIN" bench --only memory --mems-length 256 --length 256 --depths 2 8 >bench.log 2>&1; then
    w2=$(awk '$1 == 2 && $2 == "reversible" {print $4}' bench.log); w8=$(awk '$1 == 8 && $2 == "reversible" {print $4}' bench.log)
    s2=$(awk '$1 == 2 && $2 == "stored" {print $4}' bench.log); s8=$(awk '$1 == 8 && $2 == "stored" {print $4}' bench.log)
    # 6 more layers: the stored twin keeps 6 × (X1, X2) = 6 × 2 × 256 × 256 × 4 B = 3 MiB more; reversible keeps
    # only bucket ids (6 × 4 heads × 2 rounds × 256 × 4 B = 48 KiB; the table rounds to 0.1 MiB).
    if awk "BEGIN{exit !($w8 - $w2 <= 0.15 && $s8 - $s2 >= 2.5)}"; then
        pass "bench memory: reversible working set $w2 → $w8 MiB (2 → 8 layers), stored $s2 → $s8 MiB"
    else
        fail "bench memory: reversible $w2 → $w8, stored $s2 → $s8"; cat bench.log
    fi
else
    fail "bench memory"; cat bench.log
fi

# MEM-S (part 1 of bench memory) at 256 tokens: the working-set slopes, MiB per added layer. The standard
# stack stores (X1, X2) per layer: 2 × 256 × 128 × 4 B = 0.25 MiB; the reversible ones keep only bucket ids.
slope() { awk -F': ' -v v="$1" 'index($0, "  " v " ") == 1 && $2 ~ /^-?[0-9.]+ \/ -?[0-9.]+ \/ / {split($2, s, " / "); print s[2]}' bench.log; }
sa=$(slope "(a)"); sb=$(slope "(b)"); sc=$(slope "(c)")
if [ -n "$sa" ] && [ -n "$sb" ] && [ -n "$sc" ] && awk "BEGIN{exit !($sa >= 0.2 && $sb <= 0.05 && $sc <= 0.05)}"; then
    pass "bench memory MEM-S: working-set slopes standard $sa, reversible $sb, Reformer $sc MiB per layer"
else
    fail "bench memory MEM-S: slopes '$sa' '$sb' '$sc'"; cat bench.log
fi

# bench attention (SPEED-S) on a smaller grid (1024 tokens per step): the table, four verdict lines and
# the JSON records run end to end (timings are not judged here).
if "$BIN" bench --only attention --quick --tokens-per-step 1024 --json attention.json >attention.log 2>&1 \
    && [ "$(grep -cE '^\([abcd]\) (pass|fail) ' attention.log)" -eq 4 ] && [ "$(grep -c '^  1024/1 ' attention.log)" -eq 3 ] \
    && [ "$(grep -oE '"benchmark": *"attention"' attention.json | wc -l)" -eq 30 ]; then
    pass "bench attention: 3 lengths × 5 variants, layer and model, verdicts (a)–(d), 30 JSON records"
else
    fail "bench attention"; cat attention.log
fi

# bench gemm/train run and write their records (a smoke run: figures are not judged here).
if "$BIN" bench --only train --lengths 256 --json bench.json >benchtrain.log 2>&1 && [ "$(grep -c '^  bench-6x256' benchtrain.log)" -eq 3 ] \
    && grep -q '"tokens_per_second"' bench.json && grep -q '"cpu_model"' bench.json; then
    pass "bench train: 3 configurations at 256 tokens, JSON records with the machine"
else
    fail "bench train"; cat benchtrain.log
fi

# --- 4. failure paths ------------------------------------------------------------------------------
expect_error() {
    local name=$1 fragment=$2; shift 2
    "$@" >out.log 2>err.log
    local status=$?
    if [ "$status" -eq 1 ] && [ "$(wc -l <err.log)" -eq 1 ] && grep -qF -- "$fragment" err.log; then
        pass "$name: $(cat err.log)"
    else
        fail "$name: exit $status, stderr: $(cat err.log)"
    fi
}
expect_error "resume without a checkpoint" "holds no checkpoint" "$BIN" train --task copy --checkpoint nothing-here --resume
expect_error "refuse to overwrite a run" "already holds a checkpoint" "$BIN" train --task copy --checkpoint A --steps 5
mkdir notes && echo "keep me" >notes/keep.txt && echo "a file" >plain.txt
expect_error "refuse a folder with other files" "not a checkpoint" "$BIN" train --task copy --checkpoint notes --steps 5
[ "$(cat notes/keep.txt)" = "keep me" ] && [ ! -e notes.lock ] || fail "the refused run touched notes/: $(ls -A notes)"
expect_error "refuse a file as the checkpoint folder" "is a file" "$BIN" train --task copy --checkpoint plain.txt --steps 5
: >empty.txt
expect_error "empty data file" "empty.txt" "$BIN" train --task text --config text-config.json --data empty.txt --checkpoint t1
head -c 300 "$REPO/assets/text/commonplace.txt" >short.txt
expect_error "data shorter than one window" "short.txt" "$BIN" train --task text --config text-config.json --data short.txt --checkpoint t2
expect_error "missing data file" "no-such-file.txt" "$BIN" train --task text --config text-config.json --data no-such-file.txt --checkpoint t3
expect_error "eval --data: empty file" "empty.txt" "$BIN" eval --model text --data empty.txt
expect_error "eval --data: a folder" "is a folder" "$BIN" eval --model text --data "$WORK"
expect_error "eval --data: missing file" "no-such-file.txt" "$BIN" eval --model text --data no-such-file.txt
printf 'x' >one.txt
expect_error "eval --data: one token" "at least 2" "$BIN" eval --model text --data one.txt
expect_error "eval --length beyond the model's positions" "max_position_embeddings 256" "$BIN" eval --model text --data short.txt --length 257
# --data and --prompt-file, each bad kind: one line and exit 1 (issue 18, item 8).
mkdir -p a-folder
printf 'ok \xff\xfe then plain text long enough for a window of the SentencePiece run %.0s' $(seq 1 40) >latin1.txt
expect_error "train --data: a folder" "is a folder" "$BIN" train --task text --config text-config.json --data a-folder --checkpoint t7
expect_error "train --data: not UTF-8 for SentencePiece" "not valid UTF-8 at byte 3" \
    "$BIN" train --task text --config spm-config.json --tokenizer "$SPM_MODEL" --data latin1.txt --checkpoint t8
expect_error "eval --data: not UTF-8 for SentencePiece" "not valid UTF-8 at byte 3" "$BIN" eval --model spmrun --data latin1.txt
expect_error "sample --prompt-file: empty" "empty.txt" "$BIN" sample --model text --prompt-file empty.txt
expect_error "sample --prompt-file: a folder" "is a folder" "$BIN" sample --model text --prompt-file a-folder
expect_error "sample --prompt-file: missing" "no-such-file.txt" "$BIN" sample --model text --prompt-file no-such-file.txt
expect_error "sample --prompt-file: not UTF-8 for SentencePiece" "not valid UTF-8 at byte 3" \
    "$BIN" sample --model spmrun --prompt-file latin1.txt --tokens 2
if [ "$(id -u)" -ne 0 ]; then  # root reads any file: the unreadable cases need another user
    cp short.txt unreadable.txt && chmod 000 unreadable.txt
    expect_error "train --data: unreadable" "cannot be read" "$BIN" train --task text --config text-config.json --data unreadable.txt --checkpoint t9
    expect_error "eval --data: unreadable" "cannot be read" "$BIN" eval --model text --data unreadable.txt
    expect_error "sample --prompt-file: unreadable" "cannot be read" "$BIN" sample --model text --prompt-file unreadable.txt
else
    echo "skip: unreadable --data and --prompt-file (running as root, which reads any file)"
fi
expect_error "train --from into its own folder" "is the --from folder" "$BIN" train --from text --task text --data "$REPO/assets/text/commonplace.txt" --checkpoint text/
expect_error "train --from a model without a text tokenizer" "no text tokenizer for vocabulary 128" \
    "$BIN" train --from learn --task text --data "$REPO/assets/text/commonplace.txt" --checkpoint t5
expect_error "train --from a missing folder" "no-such-model" "$BIN" train --from no-such-model --task text --data "$REPO/assets/text/commonplace.txt" --checkpoint t6
expect_error "resume with another --from" "was fine-tuned from ftbase" "$BIN" train --from text --task text --checkpoint ftA --resume
sed 's/"num_hashes": 2/"num_hashes": 0/' text-config.json >bad-config.json
expect_error "config the engine cannot train" "num_hashes" "$BIN" train --task text --config bad-config.json --data "$REPO/assets/text/commonplace.txt" --checkpoint t4

mkdir -p nan/presets/copy
cp "$REPO/assets/presets/copy/config.json" nan/presets/copy/
sed 's/"learning_rate": [0-9.e-]*/"learning_rate": 1e30/; s/"checkpoint_every": [0-9]*/"checkpoint_every": 1/; s/"warmup_steps": [0-9]*/"warmup_steps": 0/' \
    "$REPO/assets/presets/copy/train.json" >nan/presets/copy/train.json
REFORMER_TUI_ASSETS=$WORK/nan "$BIN" train --task copy --steps 20 --checkpoint nanrun --log-every 1 >nan.log 2>nan.err
status=$?
if [ "$status" -ne 0 ] && grep -q "not finite" nan.err && "$BIN" eval --model nanrun --task copy >/dev/null 2>&1; then
    pass "NaN loss stops the run, last checkpoint (step $(grep -o '"step" : [0-9]*' nanrun/trainer_state.json | tail -1 | grep -o '[0-9]*$')) still loads: $(cat nan.err)"
else
    fail "NaN handling (exit $status): $(cat nan.err)"
fi

mkdir -p full every/presets/copy
cp "$REPO/assets/presets/copy/config.json" every/presets/copy/
sed 's/"checkpoint_every": [0-9]*/"checkpoint_every": 1/' "$REPO/assets/presets/copy/train.json" >every/presets/copy/train.json
if mount -t tmpfs -o size=1000k tmpfs full 2>mount.err; then
    # One checkpoint of the copy model (~0.6 MB with optimizer moments) fits; a second beside it cannot.
    REFORMER_TUI_ASSETS=$WORK/every "$BIN" train --task copy --steps 5 --checkpoint full/run >full.log 2>full.err
    status=$?
    saved=$(grep -o '"step" : [0-9]*' full/run/trainer_state.json 2>/dev/null | tail -1 | grep -o '[0-9]*$')
    # One stderr line with the system's reason; the step-1 checkpoint loads; neither the staging folder
    # nor the lock file is left behind.
    if [ "$status" -eq 1 ] && [ "$saved" = "1" ] && [ "$(wc -l <full.err)" -eq 1 ] && grep -q "No space left on device" full.err \
        && "$BIN" eval --model full/run --task copy >/dev/null 2>&1 \
        && [ -z "$(ls -d full/.run.saving-* 2>/dev/null)" ] && [ ! -e full/run.lock ]; then
        pass "full disk: exit $status, checkpoint of step $saved intact and loadable: $(cat full.err)"
    else
        fail "full disk: exit $status, saved step '$saved', left: $(ls -A full | tr '\n' ' '), stderr: $(cat full.err)"
    fi
    umount full
else
    echo "skip full-disk check (cannot mount a tmpfs here: $(head -1 mount.err))"
fi

echo "e2e_train: $failures failure(s)"
[ "$failures" -eq 0 ]
