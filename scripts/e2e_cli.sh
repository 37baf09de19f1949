#!/usr/bin/env bash
# End-to-end checks of the reformer-tui binary (release build, as users run it):
#  1. inspect + compare reproduces every HF fixture in Tests/ReformerEngineTests/Fixtures;
#  2. bad input gives exit status 1 and exactly one line on stderr naming the file/field — no trap;
#  3. tokenize reproduces the sentencepiece fixtures (Fixtures/spm) and chooses tokenizers by folder.
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
for dir in "$FIXTURES"/*/; do
    name=$(basename "$dir")
    [ -f "$dir/expected.safetensors" ] || continue
    if "$BIN" inspect --model "$dir" --inputs "$dir/expected.safetensors" --out "$WORK/$name.out.safetensors" >"$WORK/log" 2>&1 \
        && "$BIN" compare --quiet "$dir/expected.safetensors" "$WORK/$name.out.safetensors" >>"$WORK/log" 2>&1; then
        pass "inspect reproduces $name ($(tail -1 "$WORK/log"))"
    else
        fail "inspect $name"; cat "$WORK/log"
    fi
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

# explore needs a terminal: through a pipe it says so and exits 2.
"$BIN" explore --task copy >"$WORK/out" 2>"$WORK/err" </dev/null
status=$?
if [ "$status" -eq 2 ] && grep -q "needs a terminal" "$WORK/err"; then pass "explore without a terminal: exit 2, $(cat "$WORK/err")"; else fail "explore without a terminal: exit $status $(cat "$WORK/err")"; fi

# --- 3. tokenize -------------------------------------------------------------------------------
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

echo "e2e_cli: $failures failure(s)"
[ "$failures" -eq 0 ]
