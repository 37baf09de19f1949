#!/usr/bin/env python3
"""Side by side: HuggingFace's Reformer and reformer-tui training bench-6x256 (PERFORMANCE.md).

`make bench-peers` runs this inside a virtual environment with torch and transformers. For every
length and configuration it measures HF's ReformerModelWithLMHead and ours in alternation (HF, ours,
HF, ours, …, so the machine's noise hits both), each measurement in a fresh process so its peak RSS
is its own: one warm-up training step, then the median of three. A training step is forward,
cross-entropy over all positions (causal shift), backward and one Adam step, at batch 1.

    python scripts/bench_peers.py --ours .build/release/reformer-tui --lengths 1024 4096

bench-6x256: causal byte LM, vocabulary 256, hidden 256, 4 heads × 64, feed-forward 1024 (ReLU,
chunks of 1024 positions), 6 LSH layers (or local/LSH alternating), 2 hashes (also 4), LSH chunk 64
with one chunk of look-back, num_buckets = L/64 set explicitly, axial positions (√L, √L) with
dims (64, 192), dropout 0.
"""

import argparse
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import time

# (name, hashes, alternating) — the configurations of `reformer-tui bench --only train`.
CONFIGS = {
    "lsh2": ("LSH×6, 2 hashes", 2, False),
    "lsh4": ("LSH×6, 4 hashes", 4, False),
    "alt2": ("local/LSH, 2 hashes", 2, True),
}


def axial_shape(length):
    """Two factors of the length, as square as possible (the same rule as the bench-6x256 preset)."""
    first = int(math.isqrt(length))
    while length % first != 0:
        first -= 1
    return first, length // first


def hf_config(length, hashes, alternating):
    from transformers import ReformerConfig

    layers = ["local", "lsh"] * 3 if alternating else ["lsh"] * 6
    return ReformerConfig(
        vocab_size=256,
        hidden_size=256,
        num_attention_heads=4,
        attention_head_size=64,
        feed_forward_size=1024,
        hidden_act="relu",
        chunk_size_feed_forward=1024,
        attn_layers=layers,
        num_hashes=hashes,
        lsh_attn_chunk_length=64,
        lsh_num_chunks_before=1,
        lsh_num_chunks_after=0,
        local_attn_chunk_length=64,
        local_num_chunks_before=1,
        local_num_chunks_after=0,
        num_buckets=max(2, length // 64),
        axial_pos_embds=True,
        axial_pos_shape=axial_shape(length),
        axial_pos_embds_dim=(64, 192),
        max_position_embeddings=length,
        is_decoder=True,
        hidden_dropout_prob=0.0,
        lsh_attention_probs_dropout_prob=0.0,
        local_attention_probs_dropout_prob=0.0,
        pad_token_id=0,
        eos_token_id=None,
        tie_word_embeddings=False,
    )


def hf_child(length, hashes, alternating, steps):
    """In a fresh process: HF's training steps; prints one JSON line."""
    import torch
    from transformers import ReformerModelWithLMHead

    torch.manual_seed(0)
    model = ReformerModelWithLMHead(hf_config(length, hashes, alternating))
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    generator = torch.Generator().manual_seed(1)
    times = []
    for step in range(steps + 1):
        ids = torch.randint(0, 256, (1, length), generator=generator)
        start = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        optimizer.step()
        elapsed = time.perf_counter() - start
        if step > 0:  # the first step warms up
            times.append(elapsed)
    import transformers

    print(json.dumps({
        "seconds": statistics.median(times),
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "threads": torch.get_num_threads(),
        "loss": float(loss),
    }))


def run_hf(length, hashes, alternating, steps):
    cmd = [sys.executable, os.path.abspath(__file__), "--hf-child", f"{length}:{hashes}:{int(alternating)}", "--steps", str(steps)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"HF at {length}: exit {done.returncode}: {done.stderr.strip().splitlines()[-1:] or ''}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_ours(binary, length, hashes, alternating):
    # `bench --single-train` is the child mode of `bench --only train`: a warm-up, then the median of 3.
    done = subprocess.run([binary, "bench", "--single-train", f"{length}:{hashes}:{int(alternating)}"],
                          capture_output=True, text=True)
    line = next((l for l in done.stdout.splitlines() if l.startswith("result ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"reformer-tui at {length}: exit {done.returncode}: {done.stderr.strip()}")
    seconds, rss = (float(v) for v in line.split()[1:3])
    return {"seconds": seconds, "peak_rss_mib": rss}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ours", help="the reformer-tui binary (release build)")
    parser.add_argument("--lengths", nargs="+", type=int, default=[1024, 4096])
    parser.add_argument("--configs", nargs="+", choices=sorted(CONFIGS), default=["lsh2", "lsh4", "alt2"])
    parser.add_argument("--rounds", type=int, default=1,
                        help="measure each pair this many times (HF, ours, HF, ours, …); the table shows medians")
    parser.add_argument("--steps", type=int, default=3, help="timed HF steps after the warm-up (ours: 3)")
    parser.add_argument("--json", help="also write every measurement to this file")
    parser.add_argument("--hf-child", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.hf_child:
        length, hashes, alternating = (int(v) for v in args.hf_child.split(":"))
        hf_child(length, hashes, bool(alternating), args.steps)
        return
    if not args.ours or not os.access(args.ours, os.X_OK):
        parser.error("--ours must name the reformer-tui binary")
    for length in args.lengths:
        if length < 128 or length % 64 != 0:
            parser.error(f"length {length} is not a multiple of 64 of at least 128")

    print("bench-peers: bench-6x256 training step (forward, cross-entropy over all positions, backward, Adam), batch 1,")
    print(f"  warm-up then median of {args.steps} steps, each measurement a fresh process, HF and ours in alternation;"
          f" {args.rounds} round(s), medians shown", flush=True)
    measured = []
    rows = []
    info = {}
    for length in args.lengths:
        for key in args.configs:
            name, hashes, alternating = CONFIGS[key]
            hf_runs, our_runs = [], []
            for round_index in range(args.rounds):
                print(f"  … {name} at {length}: HF (round {round_index + 1})", file=sys.stderr, flush=True)
                hf = run_hf(length, hashes, alternating, args.steps)
                info = {k: hf[k] for k in ("torch", "transformers", "threads")}
                print(f"  … {name} at {length}: ours (round {round_index + 1})", file=sys.stderr, flush=True)
                ours = run_ours(args.ours, length, hashes, alternating)
                hf_runs.append(hf)
                our_runs.append(ours)
                for who, r in (("hf", hf), ("ours", ours)):
                    measured.append({"who": who, "config": key, "seq_len": length, "hashes": hashes, "round": round_index,
                                     "seconds_per_step": r["seconds"], "tokens_per_second": length / r["seconds"],
                                     "peak_rss_mib": r["peak_rss_mib"]})
            hf_s = statistics.median(r["seconds"] for r in hf_runs)
            our_s = statistics.median(r["seconds"] for r in our_runs)
            hf_m = statistics.median(r["peak_rss_mib"] for r in hf_runs)
            our_m = statistics.median(r["peak_rss_mib"] for r in our_runs)
            rows.append((name, length, length / hf_s, length / our_s, hf_m, our_m))

    print(f"  HF: transformers {info.get('transformers')}, torch {info.get('torch')}, {info.get('threads')} threads;"
          f" its peak RSS includes importing torch and transformers")
    print(f"  {'config':<20} {'length':>6} {'HF tok/s':>9} {'ours tok/s':>10} {'ours/HF':>8}"
          f" {'HF RSS MiB':>11} {'ours RSS MiB':>12} {'ours/HF':>8}")
    for name, length, hf_tps, our_tps, hf_m, our_m in rows:
        print(f"  {name:<20} {length:>6} {hf_tps:>9.0f} {our_tps:>10.0f} {our_tps / hf_tps:>7.2f}×"
              f" {hf_m:>11.0f} {our_m:>12.0f} {our_m / hf_m:>7.2f}×")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"hf": info, "records": measured}, f, indent=1)
        print(f"bench-peers: {len(measured)} records → {args.json}")


if __name__ == "__main__":
    main()
