#!/usr/bin/env bash
# Where a training step's time goes: `perf record` of bench-6x256 training steps (the bench's own
# child mode: one warm-up and three measured steps), grouped into matmul, attention kernels,
# hashing/sort/gather/merge, elementwise, optimizer and runtime by symbol name.
#
# Usage: scripts/profile_step.sh [LENGTH] [HASHES] [ALTERNATING 0|1]     (default 4096 2 0)
#        REFORMER_TUI_BIN=path/to/reformer-tui scripts/profile_step.sh 16384
#        PROFILE_ARGS="bench --only memory --length 4096 --single 6:reversible" scripts/profile_step.sh
#          (any reformer-tui arguments instead; this one is one step, and older builds have it too)
# Needs perf (Debian: linux-perf) and kernel.perf_event_paranoid ≤ 2. Not part of `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${REFORMER_TUI_BIN:-.build/release/reformer-tui}
LENGTH=${1:-4096}; HASHES=${2:-2}; ALT=${3:-0}
command -v perf >/dev/null || { echo "profile_step: perf is not installed (Debian: apt-get install linux-perf)"; exit 1; }
[ -x "$BIN" ] || { echo "profile_step: no binary at $BIN (run make build)"; exit 1; }
DATA=$(mktemp -d)
trap 'rm -rf "$DATA"' EXIT
read -r -a ARGS <<<"${PROFILE_ARGS:-bench --single-train $LENGTH:$HASHES:$ALT}"
perf record -F 999 -o "$DATA/perf.data" -- "$BIN" "${ARGS[@]}" >"$DATA/out" 2>"$DATA/err" \
    || { echo "profile_step: perf record failed: $(tail -1 "$DATA/err")"; exit 1; }
echo "profile: reformer-tui ${ARGS[*]} → $(grep '^result' "$DATA/out" | cut -d' ' -f2) s (under perf)"
perf report -i "$DATA/perf.data" --no-children --sort dso,symbol --stdio -g none 2>/dev/null | awk '
    /^#/ || !/%/ { next }
    {
        pct = $1; sub(/%/, "", pct)
        line = $0
        if (line ~ /sgemm|sgemv|_oncopy|_otcopy|_incopy|_itcopy|_beta|openblas|blas_thread|gemm/) cat = "matmul (OpenBLAS sgemm)"
        else if (line ~ /AdamW|GradientNorms/) cat = "optimizer (AdamW, clipping norms)"
        else if (line ~ /initialized|Random|SplitMix|__cos|__sin|do_lookup/) cat = "setup (model init, data; outside the timed steps)"
        else if (line ~ /ChunkAttention|expf|exp_|__exp|softmax/) cat = "attention kernels (scores mask softmax)"
        else if (line ~ /LSHAttention|LSHHashing|LocalAttention|AttentionWorkspace|BucketPlan|normalizeKeys|Sort|sort/) cat = "hashing, sort, gather, scatter, merge"
        else if (line ~ /LayerNorm|FeedForward|Activation|relu|gelu|Embedding|CrossEntropy|addColumnSums|ReformerModel|LayerContext|memcpy|memmove|memset|ieee754_log|ieee754_exp|__logf|exp@@/) cat = "elementwise (LayerNorm, FF activation, residual, embeddings, loss, copies)"
        else if (line ~ /dispatch|swift_|pthread|futex|\[kernel|\[k\]|sched|clear_page|page_fault/) cat = "runtime, threads, kernel"
        else cat = "other"
        share[cat] += pct; total += pct
    }
    END { for (c in share) printf "%6.1f%%  %s\n", share[c], c | "sort -rn"; }'
