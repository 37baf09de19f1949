#!/usr/bin/env bash
# End-to-end checks of the reformer-tui binary (release build, as users run it):
#  1. inspect + compare reproduces every HF fixture in Tests/ReformerEngineTests/Fixtures;
#  2. bad input (arguments too) gives exit status 1 and exactly one line on stderr naming the
#     file/field — no trap;
#  3. configs asking for absurd sizes, under a 3 GiB address-space limit: the same one line, refused
#     before anything is allocated;
#  4. the pytorch_model.bin fixtures load (inspect, sample) and broken ones fail the same way;
#  5. tokenize reproduces the sentencepiece fixtures (Fixtures/spm) and chooses tokenizers by folder.
# Usage: REFORMER_TUI_BIN=path/to/reformer-tui scripts/e2e_cli.sh
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=${REFORMER_TUI_BIN:-.build/release/reformer-tui}
FIXTURES=Tests/ReformerEngineTests/Fixtures
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
failures=0
pass() { echo "ok   $1"; }
fail() { echo "FAIL $1"; failures=$((failures + 1)); }

# --- 1. parity through the CLI ------------------------------------------------------------
# inspect_matches LABEL MODEL EXPECTED: inspect MODEL on EXPECTED's inputs, compare at the gates.
inspect_matches() {
    local out="$WORK/$(basename "$2").out.safetensors"
    if "$BIN" inspect --model "$2" --inputs "$3" --out "$out" >"$WORK/log" 2>&1 \
        && "$BIN" compare --quiet "$3" "$out" >>"$WORK/log" 2>&1; then
        pass "inspect reproduces $1 ($(tail -1 "$WORK/log"))"
    else
        fail "inspect $1"; cat "$WORK/log"
    fi
}
for dir in "$FIXTURES"/*/; do
    [ -f "$dir/expected.safetensors" ] || continue
    inspect_matches "$(basename "$dir")" "$dir" "$dir/expected.safetensors"
done

# --- 2. bad input ----------------------------------------------------------------------------
# expect_error NAME FRAGMENT... -- COMMAND...: exit 1, one stderr line containing every FRAGMENT.
expect_error() {
    local name=$1; shift
    local fragments=()
    while [ "$1" != "--" ]; do fragments+=("$1"); shift; done
    shift
    "$@" >"$WORK/out" 2>"$WORK/err"
    local status=$?
    local lines
    lines=$(wc -l <"$WORK/err")
    if [ "$status" -ne 1 ]; then fail "$name: exit status $status, expected 1"; cat "$WORK/err"; return; fi
    if [ "$lines" -ne 1 ]; then fail "$name: $lines stderr lines, expected 1"; cat "$WORK/err"; return; fi
    if ! grep -q '[^[:space:]]' "$WORK/err"; then fail "$name: the stderr line is empty"; return; fi
    for f in "${fragments[@]}"; do
        if ! grep -qF -- "$f" "$WORK/err"; then fail "$name: stderr lacks '$f': $(cat "$WORK/err")"; return; fi
    done
    pass "$name: $(cat "$WORK/err")"
}

# write_safetensors FILE HEADER DATABYTES: 8-byte little-endian header length, header, zero bytes.
write_safetensors() {
    local file=$1 header=$2 nbytes=$3 len=${#2}
    printf "$(printf '\\x%02x\\x%02x\\x%02x\\x%02x\\x00\\x00\\x00\\x00' $((len & 255)) $(((len >> 8) & 255)) $(((len >> 16) & 255)) $(((len >> 24) & 255)))" >"$file"
    printf '%s' "$header" >>"$file"
    head -c "$nbytes" /dev/zero >>"$file"
}

TINY="$FIXTURES/tiny-causal"
# inspect --full-attention evaluates every LSH layer without hashing (the oracle).
if "$BIN" inspect --model "$TINY" --inputs "$FIXTURES/tiny-causal/expected.safetensors" --out "$WORK/full.safetensors" --full-attention \
    >"$WORK/log" 2>&1 && grep -q ', 0 LSH layer(s) hashed' "$WORK/log"; then
    pass "inspect --full-attention hashes nothing: $(cut -c1-90 "$WORK/log")"
else
    fail "inspect --full-attention: $(cat "$WORK/log")"
fi

IN="$TINY/expected.safetensors"
ckpt() {  # ckpt NAME: a copy of tiny-causal to break
    rm -rf "$WORK/$1"; cp -r "$TINY" "$WORK/$1"; chmod -R u+w "$WORK/$1"; echo "$WORK/$1"
}

expect_error "missing checkpoint folder" "$WORK/nope" "does not exist" -- \
    "$BIN" inspect --model "$WORK/nope" --inputs "$IN" --out "$WORK/o.safetensors"
d=$(ckpt noweights); rm "$d/model.safetensors"
expect_error "missing weights" "model.safetensors" "does not exist" -- "$BIN" inspect --model "$d" --inputs "$IN" --out "$WORK/o.safetensors"
d=$(ckpt truncated); head -c 4000 "$TINY/model.safetensors" >"$d/model.safetensors"
expect_error "truncated checkpoint" "model.safetensors" -- "$BIN" inspect --model "$d" --inputs "$IN" --out "$WORK/o.safetensors"
d=$(ckpt short); head -c 5 "$TINY/model.safetensors" >"$d/model.safetensors"
expect_error "file shorter than the header length" "model.safetensors" -- "$BIN" inspect --model "$d" --inputs "$IN" --out "$WORK/o.safetensors"
d=$(ckpt pastend); printf '\xff\xff\x00\x00\x00\x00\x00\x00{}' >"$d/model.safetensors"
expect_error "header length past the end" "model.safetensors" "header" -- "$BIN" inspect --model "$d" --inputs "$IN" --out "$WORK/o.safetensors"
d=$(ckpt badjson); write_safetensors "$d/model.safetensors" '{"a": [1, 2' 0
expect_error "invalid header JSON" "model.safetensors" "JSON" -- "$BIN" inspect --model "$d" --inputs "$IN" --out "$WORK/o.safetensors"
d=$(ckpt overlap); write_safetensors "$d/model.safetensors" '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}' 12
expect_error "overlapping offsets" "model.safetensors" "overlap" -- "$BIN" inspect --model "$d" --inputs "$IN" --out "$WORK/o.safetensors"
d=$(ckpt range); write_safetensors "$d/model.safetensors" '{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}' 8
expect_error "out-of-range offsets" "model.safetensors" "(a)" "past the end" -- "$BIN" inspect --model "$d" --inputs "$IN" --out "$WORK/o.safetensors"
d=$(ckpt dtype); write_safetensors "$d/model.safetensors" '{"a":{"dtype":"F8_E4M3","shape":[4],"data_offsets":[0,4]}}' 4
expect_error "unknown dtype" "model.safetensors" "F8_E4M3" -- "$BIN" inspect --model "$d" --inputs "$IN" --out "$WORK/o.safetensors"
d=$(ckpt count); write_safetensors "$d/model.safetensors" '{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}' 8
expect_error "byte count does not match the shape" "model.safetensors" "(a)" "expected 3 elements" -- "$BIN" inspect --model "$d" --inputs "$IN" --out "$WORK/o.safetensors"
d=$(ckpt missingparam); sed -i 's/"local",/"lsh",/' "$d/config.json"
expect_error "missing parameter" "model.safetensors" "layers.0.attention.self_attention.query_key.weight" "is missing" -- \
    "$BIN" inspect --model "$d" --inputs "$IN" --out "$WORK/o.safetensors"
d=$(ckpt misshapen); sed -i 's/"feed_forward_size": 64/"feed_forward_size": 48/' "$d/config.json"
expect_error "misshapen parameter" "model.safetensors" "feed_forward" "expected [48, 32]" -- \
    "$BIN" inspect --model "$d" --inputs "$IN" --out "$WORK/o.safetensors"
d=$(ckpt axialdims); sed -i 's/"axial_pos_embds_dim": \[/"axial_pos_embds_dim": [8, /; s/^    16,$/    /' "$d/config.json"
python_free_axial=$(tr -d ' \n' <"$d/config.json" | grep -o '"axial_pos_embds_dim":\[[^]]*\]')
expect_error "axial dims not summing to hidden ($python_free_axial)" "config.json" "axial_pos_embds_dim" "hidden_size 32" -- \
    "$BIN" inspect --model "$d" --inputs "$IN" --out "$WORK/o.safetensors"
d=$(ckpt oddbuckets); sed -i 's/"num_buckets": 8/"num_buckets": 7/' "$d/config.json"
expect_error "odd bucket count" "config.json" "num_buckets" "even" -- "$BIN" inspect --model "$d" --inputs "$IN" --out "$WORK/o.safetensors"
d=$(ckpt kind); sed -i 's/"local",/"global",/' "$d/config.json"
expect_error "unknown attention kind" "config.json" "attn_layers" "global" -- "$BIN" inspect --model "$d" --inputs "$IN" --out "$WORK/o.safetensors"
d=$(ckpt badconfig); echo '{"hidden_size": ' >"$d/config.json"
expect_error "config.json not JSON" "config.json" "not valid JSON" -- "$BIN" inspect --model "$d" --inputs "$IN" --out "$WORK/o.safetensors"
# A model whose axial grid (4×4 = 16) is smaller than the 64-token input: build it with init.
cat >"$WORK/small-axial.json" <<'JSON'
{"architectures": ["ReformerModelWithLMHead"], "is_decoder": true, "attn_layers": ["local", "lsh"], "hidden_size": 32,
 "num_attention_heads": 2, "attention_head_size": 16, "feed_forward_size": 64, "vocab_size": 40,
 "axial_pos_shape": [4, 4], "axial_pos_embds_dim": [16, 16], "max_position_embeddings": 64,
 "lsh_attn_chunk_length": 8, "local_attn_chunk_length": 8, "num_buckets": 8, "num_hashes": 2, "hash_seed": 3}
JSON
"$BIN" init --config "$WORK/small-axial.json" --out "$WORK/small-axial" >/dev/null
expect_error "axial shape too small for the sequence" "small-axial/config.json" "axial_pos_shape" "covers 16 positions" "needs 64" -- \
    "$BIN" inspect --model "$WORK/small-axial" --inputs "$IN" --out "$WORK/o.safetensors"
sed 's/"vocab_size": 40/"vocab_size": 20/' "$WORK/small-axial.json" | sed 's/\[4, 4\]/[8, 8]/' >"$WORK/small-vocab.json"
"$BIN" init --config "$WORK/small-vocab.json" --out "$WORK/small-vocab" >/dev/null
expect_error "token ids outside the vocabulary" "input_ids" "outside the vocabulary 0..<20" -- \
    "$BIN" inspect --model "$WORK/small-vocab" --inputs "$IN" --out "$WORK/o.safetensors"
write_safetensors "$WORK/noids.safetensors" '{"labels":{"dtype":"I64","shape":[1,1],"data_offsets":[0,8]}}' 8
expect_error "inputs without input_ids" "noids.safetensors" "input_ids" "is missing" -- \
    "$BIN" inspect --model "$TINY" --inputs "$WORK/noids.safetensors" --out "$WORK/o.safetensors"
expect_error "output folder does not exist" "$WORK/missing-dir/o.safetensors" -- \
    "$BIN" inspect --model "$TINY" --inputs "$IN" --out "$WORK/missing-dir/o.safetensors"

# Argument errors: one line too (no usage text after it), exit 1.
expect_error "sample without a prompt" "give exactly one of --prompt" -- "$BIN" sample --model "$TINY"
expect_error "missing required option" "--model" -- "$BIN" inspect --inputs "$IN" --out "$WORK/o.safetensors"
expect_error "--max-memory not a size" "--max-memory" "512M" -- "$BIN" sample --model "$TINY" --prompt-ids "1 2" --max-memory lots
expect_error "--max-memory too small for the model" "more than the" "(--max-memory)" -- \
    "$BIN" sample --model "$TINY" --prompt-ids "1 2 3" --tokens 4 --max-memory 64K
expect_error "--max-memory too small for inspect" "(--max-memory)" -- \
    "$BIN" inspect --model "$TINY" --inputs "$IN" --out "$WORK/o.safetensors" --max-memory 256K

# --- 3. absurd sizes under a 3 GiB address-space limit -----------------------------------------
# Configs asking for sizes nothing can hold are refused with one line before any buffer exists:
# the config's own limits, the checkpoint's shapes, then the memory the process may use.
limited() { (ulimit -v 3145728 && exec "$@"); }
absurd() {  # absurd NAME SED-EDIT FRAGMENT...: inspect and sample on tiny-causal with its config.json edited
    local name=$1 edit=$2; shift 2
    local d; d=$(ckpt "absurd-$name"); sed -i "$edit" "$d/config.json"
    expect_error "inspect, $name (ulimit -v 3 GiB)" "$@" -- limited "$BIN" inspect --model "$d" --inputs "$IN" --out "$WORK/o.safetensors"
    expect_error "sample, $name (ulimit -v 3 GiB)" "$@" -- limited "$BIN" sample --model "$d" --prompt-ids "1 2 3" --tokens 4
}
absurd vocab 's/"vocab_size": 40/"vocab_size": 10000000000/' "config.json (vocab_size)" "10000000000" "TiB"
absurd vocab-1e9 's/"vocab_size": 40/"vocab_size": 1000000000/' "word_embeddings.weight" "expected [1000000000, 32]"
absurd hashes-1e9 's/"num_hashes": 2/"num_hashes": 1000000000/' "config.json (num_hashes)" "1000000000 rounds need" "RLIMIT_AS"
absurd hashes-2e40 's/"num_hashes": 2/"num_hashes": 1099511627776/' "config.json (num_hashes)" "1099511627776 rounds need"
absurd head-size 's/"attention_head_size": 16/"attention_head_size": 100000000/' "query.weight" "expected [200000000, 32]"
absurd buckets-2e40 's/"num_buckets": 8/"num_buckets": 1099511627776/' "config.json (num_buckets)" "1099511627776" "TiB"
absurd hidden 's/"hidden_size": 32/"hidden_size": 4611686018427387904/' "config.json (hidden_size)" "expected a smaller integer"
absurd axial-product 's/^    8,$/    4294967296,/; s/^    8$/    4294967296/' "config.json (axial_pos_shape)" "multiplies to more than"
absurd max-positions 's/"max_position_embeddings": 64/"max_position_embeddings": 1099511627776/' \
    "config.json (max_position_embeddings)" "positions are 32-bit"
# Shapes that match a config nothing can hold: only a fresh model has them (init allocates nothing first).
sed 's/"attention_head_size": 16/"attention_head_size": 100000000/' "$TINY/config.json" >"$WORK/head-size.json"
expect_error "init, attention_head_size 1e8 (ulimit -v 3 GiB)" "head-size.json (attention_head_size)" "100000000 features per head need" -- \
    limited "$BIN" init --config "$WORK/head-size.json" --out "$WORK/head-size"
[ -e "$WORK/head-size" ] && fail "init left a folder for a refused model"
# --- 4. pytorch_model.bin folders (Fixtures/torch, made by scripts/make_torch_fixtures.py) ----
TORCH="$FIXTURES/torch"
for name in hf-zip legacy-f32; do inspect_matches "tiny-causal from torch/$name" "$TORCH/$name" "$IN"; done
if "$BIN" sample --model "$TORCH/sharded-bf16" --prompt-ids "1 2 3" --tokens 4 --temperature 0 >"$WORK/out" 2>"$WORK/err"; then
    pass "sample from a sharded bf16 checkpoint: $(tr '\n' ' ' <"$WORK/out")"
else
    fail "sample from torch/sharded-bf16: $(cat "$WORK/err")"
fi
tckpt() {  # tckpt NAME SOURCE: a copy of Fixtures/torch/SOURCE to break
    rm -rf "$WORK/$1"; cp -r "$TORCH/$2" "$WORK/$1"; chmod -R u+w "$WORK/$1"; echo "$WORK/$1"
}
d=$(tckpt noweights-torch hf-zip); rm "$d/pytorch_model.bin"
expect_error "folder without any weight file" "model.safetensors" "does not exist" "pytorch_model.bin" "pytorch_model.bin.index.json" -- \
    "$BIN" inspect --model "$d" --inputs "$IN" --out "$WORK/o.safetensors"
d=$(tckpt truncated-zip hf-zip); head -c 60000 "$TORCH/hf-zip/pytorch_model.bin" >"$d/pytorch_model.bin"
expect_error "truncated zip checkpoint" "pytorch_model.bin" "end-of-central-directory" -- \
    "$BIN" inspect --model "$d" --inputs "$IN" --out "$WORK/o.safetensors"
d=$(tckpt truncated-legacy legacy-f32); head -c 80000 "$TORCH/legacy-f32/pytorch_model.bin" >"$d/pytorch_model.bin"
expect_error "truncated legacy checkpoint" "pytorch_model.bin" "legacy storage" "run past the end of the file" -- \
    "$BIN" sample --model "$d" --prompt-ids "1 2" --tokens 2
# Break the second central directory entry's signature (torch ends its zips with a zip64 end record,
# its locator and a plain end record; the zip64 record holds the directory's offset).
d=$(tckpt broken-directory hf-zip); f="$d/pytorch_model.bin"; size=$(stat -c %s "$f")
u() { od -An -t"u$2" -j "$1" -N "$2" "$f" | tr -d ' '; }  # u OFFSET WIDTH: little-endian unsigned
record=$(u $((size - 42 + 8)) 8); directory=$(u $((record + 48)) 8)
second=$((directory + 46 + $(u $((directory + 28)) 2) + $(u $((directory + 30)) 2) + $(u $((directory + 32)) 2)))
printf 'XXXX' | dd of="$f" bs=1 seek="$second" conv=notrunc status=none
expect_error "broken central directory" "pytorch_model.bin" "central directory entry 1" "broken central directory" -- \
    "$BIN" inspect --model "$d" --inputs "$IN" --out "$WORK/o.safetensors"
# A legacy-format file whose object pickle calls posix.system("touch …/pwned"): refused, nothing runs.
d=$(tckpt forbidden-global legacy-f32)
command="touch $d/pwned"; len=${#command}
{
    printf '\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.\x80\x02M\xe9\x03.\x80\x02}.\x80\x02cposix\nsystem\nX'
    printf "$(printf '\\x%02x\\x%02x\\x00\\x00' $((len & 255)) $((len >> 8)))"
    printf '%s\x85R.' "$command"
} >"$d/pytorch_model.bin"
expect_error "forbidden global in the pickle" "pytorch_model.bin" "legacy object pickle" "refuses global posix.system" -- \
    "$BIN" sample --model "$d" --prompt-ids "1 2" --tokens 2
if [ -e "$d/pwned" ]; then fail "the forbidden global ran: $d/pwned exists"; else pass "the forbidden global did not run"; fi
d=$(tckpt missing-shard sharded-bf16); rm "$d/pytorch_model-00002-of-00002.bin"
expect_error "shard named by the index but missing" "pytorch_model.bin.index.json" "pytorch_model-00002-of-00002.bin" "does not exist" -- \
    "$BIN" sample --model "$d" --prompt-ids "1 2" --tokens 2

# explore needs a terminal: through a pipe it says so and exits 2.
"$BIN" explore --task copy >"$WORK/out" 2>"$WORK/err" </dev/null
status=$?
if [ "$status" -eq 2 ] && grep -q "needs a terminal" "$WORK/err"; then pass "explore without a terminal: exit 2, $(cat "$WORK/err")"; else fail "explore without a terminal: exit $status $(cat "$WORK/err")"; fi

# --- 5. tokenize -------------------------------------------------------------------------------
SPM="$FIXTURES/spm"
# fixture_ids MODEL TEXT: the ids sentencepiece gave for TEXT (as the JSON spells it), space-separated.
fixture_ids() { grep -F "{\"text\": \"$2\"," "$SPM/$1.json" | sed 's/.*"ids": \[\([^]]*\)\].*/\1/' | tr -d ','; }
# expect_output NAME EXPECTED -- COMMAND...: exit 0, stdout exactly EXPECTED plus a newline, stderr empty.
expect_output() {
    local name=$1 expected=$2; shift 3
    "$@" >"$WORK/out" 2>"$WORK/err"
    local status=$?
    printf '%s\n' "$expected" >"$WORK/expected"
    if [ "$status" -eq 0 ] && cmp -s "$WORK/out" "$WORK/expected" && [ ! -s "$WORK/err" ]; then
        pass "$name: $(head -c 80 "$WORK/out" | tr '\n' ' ')"
    else
        fail "$name: exit $status, stdout '$(cat "$WORK/out")', expected '$expected', stderr '$(cat "$WORK/err")'"
    fi
}
for m in bpe-nfkc unigram-nfkc; do
    ids=$(fixture_ids "$m" "Hello world")
    expect_output "tokenize --text ($m)" "$ids" -- "$BIN" tokenize --tokenizer "$SPM/$m.model" --text "Hello world"
    expect_output "tokenize --decode ($m)" "Hello world" -- "$BIN" tokenize --tokenizer "$SPM/$m.model" --decode "$ids"
done
printf 'tabs\tand\ttabs\nnew\nlines\r\nand CRLF' >"$WORK/crlf.txt"
expect_output "tokenize --file keeps tabs and \\r\\n" "$(fixture_ids bpe-bytes 'tabs\tand\ttabs\nnew\nlines\r\nand CRLF')" -- \
    "$BIN" tokenize --tokenizer "$SPM/bpe-bytes.model" --file "$WORK/crlf.txt"
: >"$WORK/empty.txt"
expect_output "tokenize empty --text" "" -- "$BIN" tokenize --tokenizer "$SPM/unigram-nfkc.model" --text ""
expect_output "tokenize empty --file" "" -- "$BIN" tokenize --tokenizer "$SPM/unigram-nfkc.model" --file "$WORK/empty.txt"
expect_output "tokenize empty --decode" "" -- "$BIN" tokenize --tokenizer "$SPM/unigram-nfkc.model" --decode ""
# A checkpoint folder: its spiece.model is used; without one, vocab_size 258 means bytes + 2.
mkdir -p "$WORK/spm-ckpt" "$WORK/bytes-ckpt" "$WORK/other-ckpt"
sed 's/"vocab_size": 40/"vocab_size": 400/' "$TINY/config.json" >"$WORK/spm-ckpt/config.json"
cp "$SPM/bpe-nfkc.model" "$WORK/spm-ckpt/spiece.model"
expect_output "tokenize --model uses the folder's spiece.model" "$(fixture_ids bpe-nfkc "Hello world")" -- \
    "$BIN" tokenize --model "$WORK/spm-ckpt" --text "Hello world"
sed 's/"vocab_size": 40/"vocab_size": 258/' "$TINY/config.json" >"$WORK/bytes-ckpt/config.json"
expect_output "tokenize --model with vocab 258 is bytes + 2" "106 107 257" -- "$BIN" tokenize --model "$WORK/bytes-ckpt" --text $'hi\xff'
expect_output "tokenize --decode bytes + 2 skips 0 and 1" "hi" -- "$BIN" tokenize --model "$WORK/bytes-ckpt" --decode "0 106 1 107"
sed 's/"vocab_size": 40/"vocab_size": 320/' "$TINY/config.json" >"$WORK/other-ckpt/config.json"
expect_error "tokenize without a tokenizer" "no text tokenizer for vocabulary 320" "--tokenizer FILE" -- \
    "$BIN" tokenize --model "$WORK/other-ckpt" --text "hi"
expect_output "tokenize --tokenizer overrides the folder" "$(fixture_ids unigram-nfkc "Hello world")" -- \
    "$BIN" tokenize --model "$WORK/spm-ckpt" --tokenizer "$SPM/unigram-nfkc.model" --text "Hello world"
cp "$SPM/bpe-nfkc.model" "$WORK/other-ckpt/spiece.model"
expect_error "tokenizer larger than the vocabulary" "spiece.model" "has 400 pieces" "vocabulary of 320" -- \
    "$BIN" tokenize --model "$WORK/other-ckpt" --text "hi"
printf 'ok \xff\xfe' >"$WORK/latin1.txt"
expect_error "tokenize invalid UTF-8 file" "latin1.txt" "not valid UTF-8 at byte 3" -- \
    "$BIN" tokenize --tokenizer "$SPM/bpe-nfkc.model" --file "$WORK/latin1.txt"
expect_error "tokenize invalid UTF-8 --text" "--text" "not valid UTF-8 at byte 0" -- \
    "$BIN" tokenize --tokenizer "$SPM/bpe-nfkc.model" --text $'\xc0\xaf'
expect_error "tokenize --decode id outside the vocabulary" "token id 400" "0..<400" -- \
    "$BIN" tokenize --tokenizer "$SPM/bpe-nfkc.model" --decode "5 400"
expect_error "tokenize --decode not an id" "--decode" '"x7"' -- "$BIN" tokenize --tokenizer "$SPM/bpe-nfkc.model" --decode "5 x7"
head -c 20000 "$SPM/bpe-nfkc.model" >"$WORK/cut.model"
expect_error "truncated tokenizer file" "cut.model" "normalizer_spec" -- "$BIN" tokenize --tokenizer "$WORK/cut.model" --text "hi"
expect_error "missing tokenizer file" "$WORK/none.model" "does not exist" -- "$BIN" tokenize --tokenizer "$WORK/none.model" --text "hi"

# The tokenizer where text meets a model: sample and eval --data on a checkpoint with a spiece.model.
"$BIN" init --config "$WORK/spm-ckpt/config.json" --out "$WORK/spm-model" >/dev/null 2>"$WORK/err" || fail "init spm-model: $(cat "$WORK/err")"
cp "$SPM/bpe-nfkc.model" "$WORK/spm-model/spiece.model"
if "$BIN" sample --model "$WORK/spm-model" --prompt "Hello world" --tokens 12 --seed 2 >"$WORK/out" 2>"$WORK/err" && [ -s "$WORK/out" ] \
    && [ ! -s "$WORK/err" ] && ! grep -qE '^[0-9 ]+$' "$WORK/out"; then
    pass "sample --prompt through the folder's spiece.model: text out ($(head -c 40 "$WORK/out" | tr '\n' ' ')…)"
else
    fail "sample through spiece.model: exit $?, $(cat "$WORK/out" "$WORK/err")"
fi
printf 'Hello world. Hello again, world; and once more.\n' >"$WORK/hello.txt"
n=$("$BIN" tokenize --model "$WORK/spm-model" --file "$WORK/hello.txt" | wc -w)
if "$BIN" eval --model "$WORK/spm-model" --data "$WORK/hello.txt" >"$WORK/out" 2>"$WORK/err" \
    && grep -q "$n tokens (SentencePiece BPE" "$WORK/out" && grep -q "1 window of $n, $((n - 1)) predictions" "$WORK/out" \
    && grep -qE '^bits_per_token [0-9.]+$' "$WORK/out"; then
    pass "eval --data with SentencePiece: $n tokens, one window, $(grep bits_per_token "$WORK/out")"
else
    fail "eval --data with SentencePiece: $(cat "$WORK/out" "$WORK/err")"
fi
expect_error "sample: a prompt of only unknown pieces" "prompt" "<unk>" -- \
    "$BIN" sample --model "$WORK/spm-model" --prompt "ЖЖЖ" --tokens 2
expect_error "eval --data: not UTF-8 for SentencePiece" "latin1.txt" "not valid UTF-8" -- \
    "$BIN" eval --model "$WORK/spm-model" --data "$WORK/latin1.txt"
"$BIN" init --config "$WORK/other-ckpt/config.json" --out "$WORK/no-tokenizer" >/dev/null 2>&1
expect_error "sample: text prompt without a tokenizer" "no text tokenizer for vocabulary 320" "--prompt-ids" -- \
    "$BIN" sample --model "$WORK/no-tokenizer" --prompt "hi" --tokens 2

echo "e2e_cli: $failures failure(s)"
[ "$failures" -eq 0 ]
