#!/usr/bin/env bash
# Replays a recorded training run (scripts/record_hf_run.py) into a folder, operation by operation at
# the recorded pace: directories made, bytes appended or written in place, zero-filled content,
# truncations, renames, mode changes, deletions — so a watcher sees the half-written files and the
# rotation deletes the real run produced.
# Usage: scripts/replay_run.sh FIXTURE_DIR OUT_DIR [SPEED]
#   SPEED > 1 replays faster (2 = twice as fast); 0 replays without waiting.
#   REPLAY_PROGRESS=FILE: the number of operations applied so far is written to FILE after each one.
set -euo pipefail
fixture=$1 out=$2 speed=${3:-1}
ops="$fixture/ops.tsv" blobs="$fixture/blobs.bin"
[ -f "$ops" ] && [ -f "$blobs" ] || { echo "replay: $fixture has no ops.tsv and blobs.bin" >&2; exit 1; }
mkdir -p "$out"

blob() { dd if="$blobs" bs=65536 skip="$1" count="$2" iflag=skip_bytes,count_bytes status=none; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# The pace in thousandths (integer arithmetic from here on: awk's %d stops at 2^31 on some systems).
per_mille=$(awk -v k="$speed" 'BEGIN { printf "%d", k * 1000 }')
start=$(now_ms)
applied=0
while IFS=$'\t' read -r ms op path a b c; do
    if [ "$per_mille" -gt 0 ]; then
        due=$(( start + ms * 1000 / per_mille ))
        wait=$(( due - $(now_ms) ))
        if [ "$wait" -gt 0 ]; then sleep "$(awk -v w="$wait" 'BEGIN { printf "%.3f", w / 1000 }')"; fi
    fi
    target="$out/$path"
    case $op in
        mkdir) mkdir -p "$target" ;;
        append) if [ "$b" -eq 0 ]; then : >>"$target"; else blob "$a" "$b" >>"$target"; fi ;;
        write) blob "$b" "$c" | dd of="$target" bs=65536 seek="$a" oflag=seek_bytes conv=notrunc status=none ;;
        zeros) if [ "$a" -eq 0 ]; then : >>"$target"; else head -c "$a" /dev/zero >>"$target"; fi ;;
        truncate) truncate -s "$a" "$target" ;;
        rename) mv -f -T "$target" "$out/$a" ;;
        chmod) chmod "$a" "$target" ;;
        rm) rm -f "$target" ;;
        rmdir) rmdir "$target" ;;
        *) echo "replay: unknown operation '$op' in $ops" >&2; exit 1 ;;
    esac
    applied=$((applied + 1))
    if [ -n "${REPLAY_PROGRESS:-}" ]; then echo "$applied" >"$REPLAY_PROGRESS"; fi
done <"$ops"
