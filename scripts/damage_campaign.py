#!/usr/bin/env python3
"""damage_campaign.py: COUNT randomly damaged checkpoints and configs, made from the committed fixtures
(tiny-causal's safetensors folder and the torch .bin folders), each run through `sample` and `inspect`
under a 3 GiB address-space limit and a 30 s timeout. Every run must end with exit 0, or exit 1 with
exactly one non-empty stderr line: no signal, no status >= 128, no hang. Not part of `make test` (it
takes minutes). Standard library only.

    python3 scripts/damage_campaign.py --bin .build/release/reformer-tui [--count 400] [--seed 1]

Damage kinds: config.json values made absurd (huge, negative, zero, wrong type, removed), config.json
byte flips and truncation; safetensors header edits (dtype swaps, shape edits, offset edits), byte
flips and truncation; pytorch_model.bin byte flips (also inside the pickle) and truncation; shard index
edits. Prints one line per failure and `damage campaign: N cases, A exit 0, B exit 1 with one line,
F failed`; exits 1 when any failed.
"""
import argparse
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
FIXTURES = os.path.join(ROOT, "Tests", "ReformerEngineTests", "Fixtures")
SOURCES = ["tiny-causal", "torch/hf-zip", "torch/legacy-f32", "torch/zip-f16", "torch/sharded-bf16"]
INPUTS = os.path.join(FIXTURES, "tiny-causal", "expected.safetensors")
LIMIT_KB = 3 * 1024 * 1024
TIMEOUT = 30

ABSURD = [0, -1, 1, 3, 7, 2**31, 2**32 + 1, 2**40, 2**62, 2**63 - 1, 10**10, 10**9, 10**8, 10**30, 1e300,
          -2**40, 0.5, "16", None, True, [], [2**40, 2**40], [0, 0], [1], {"a": 1}]
SIZE_KEYS = ["vocab_size", "hidden_size", "num_attention_heads", "attention_head_size", "feed_forward_size",
             "num_hashes", "num_buckets", "max_position_embeddings", "lsh_attn_chunk_length",
             "local_attn_chunk_length", "axial_pos_shape", "axial_pos_embds_dim", "attn_layers",
             "num_hidden_layers", "lsh_num_chunks_before", "lsh_num_chunks_after", "local_num_chunks_before",
             "local_num_chunks_after", "chunk_size_lm_head", "hash_seed", "pad_token_id", "eos_token_id",
             "layer_norm_eps", "hidden_act", "is_decoder", "axial_pos_embds", "dtype", "torch_dtype"]
DTYPES = ["F32", "F16", "BF16", "F64", "I64", "I32", "I16", "I8", "U8", "BOOL", "F8_E4M3", "X", ""]


def read(path):
    with open(path, "rb") as f:
        return f.read()


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def flip_bytes(data, rng, count):
    data = bytearray(data)
    for _ in range(count):
        if data:
            i = rng.randrange(len(data))
            data[i] = rng.choice([data[i] ^ (1 << rng.randrange(8)), rng.randrange(256), 0x00, 0xFF])
    return bytes(data)


def truncate(data, rng):
    return data[: rng.randrange(len(data))] if data else data


def damage_config(path, rng):
    with open(path) as f:
        config = json.load(f)
    kind = rng.choice(["absurd", "absurd", "absurd", "remove", "flip", "truncate"])
    if kind == "absurd":
        for _ in range(rng.choice([1, 1, 2, 3])):
            key = rng.choice(SIZE_KEYS)
            config[key] = rng.choice(ABSURD)
        text = json.dumps(config)
    elif kind == "remove":
        config.pop(rng.choice(sorted(config)), None)
        text = json.dumps(config)
    else:
        raw = read(path)
        raw = flip_bytes(raw, rng, rng.randint(1, 4)) if kind == "flip" else truncate(raw, rng)
        write(path, raw)
        return "config.json " + kind
    write(path, text.encode())
    return "config.json " + kind


def damage_safetensors(path, rng):
    raw = read(path)
    kind = rng.choice(["dtype", "shape", "offsets", "flip", "flip-header", "truncate"])
    if kind in ("flip", "truncate"):
        raw = flip_bytes(raw, rng, rng.randint(1, 8)) if kind == "flip" else truncate(raw, rng)
    elif kind == "flip-header":
        n = struct.unpack("<Q", raw[:8])[0]
        raw = raw[:8] + flip_bytes(raw[8 : 8 + n], rng, rng.randint(1, 3)) + raw[8 + n :]
    else:
        n = struct.unpack("<Q", raw[:8])[0]
        header = json.loads(raw[8 : 8 + n])
        name = rng.choice(sorted(k for k in header if k != "__metadata__"))
        entry = header[name]
        if kind == "dtype":
            entry["dtype"] = rng.choice(DTYPES)
        elif kind == "shape":
            shape = entry["shape"]
            choice = rng.randrange(4)
            if choice == 0 and shape:
                shape[rng.randrange(len(shape))] = rng.choice(ABSURD[:16])
            elif choice == 1:
                shape.append(rng.choice([1, 2, 0, 2**40]))
            elif choice == 2 and shape:
                shape.pop()
            else:
                entry["shape"] = list(reversed(shape))
        else:
            offsets = entry["data_offsets"]
            offsets[rng.randrange(2)] = rng.choice([0, 1, -1, 2**40, 2**63 - 1, offsets[0] + 3, offsets[1] * 2])
        text = json.dumps(header).encode()
        raw = struct.pack("<Q", len(text)) + text + raw[8 + n :]
    write(path, raw)
    return "model.safetensors " + kind


def damage_bin(path, rng):
    raw = read(path)
    kind = rng.choice(["flip", "flip", "flip-start", "truncate"])
    if kind == "flip":
        raw = flip_bytes(raw, rng, rng.randint(1, 8))
    elif kind == "flip-start":  # the pickle: the legacy file's start, the zip's first entry
        head = min(len(raw), 2048)
        raw = flip_bytes(raw[:head], rng, rng.randint(1, 4)) + raw[head:]
    else:
        raw = truncate(raw, rng)
    write(path, raw)
    return os.path.basename(path) + " " + kind


def damage_index(path, rng):
    with open(path) as f:
        index = json.load(f)
    names = sorted(index["weight_map"])
    kind = rng.choice(["drop", "wrong-shard", "absurd-shard", "type"])
    if kind == "drop":
        del index["weight_map"][rng.choice(names)]
    elif kind == "wrong-shard":
        index["weight_map"][rng.choice(names)] = "missing.bin"
    elif kind == "absurd-shard":
        index["weight_map"][rng.choice(names)] = rng.choice(["../config.json", "/", "", "config.json"])
    else:
        index["weight_map"] = rng.choice([[], "x", None, {"a": 1}])
    with open(path, "w") as f:
        json.dump(index, f)
    return "index " + kind


def make_case(folder, rng):
    source = rng.choice(SOURCES)
    shutil.copytree(os.path.join(FIXTURES, source), folder)
    for name in os.listdir(folder):
        os.chmod(os.path.join(folder, name), 0o644)
    weights = [n for n in sorted(os.listdir(folder)) if n.endswith((".safetensors", ".bin")) and n != "expected.safetensors"]
    index = [n for n in os.listdir(folder) if n.endswith(".index.json")]
    what = []
    for _ in range(rng.choice([1, 1, 1, 2])):
        target = rng.choice(["config", "weights", "weights"] + (["index"] if index else []))
        if target == "config":
            path, damage = os.path.join(folder, "config.json"), damage_config
        elif target == "index":
            path, damage = os.path.join(folder, index[0]), damage_index
        else:
            name = rng.choice(weights)
            path = os.path.join(folder, name)
            damage = damage_safetensors if name.endswith(".safetensors") else damage_bin
        try:
            what.append(damage(path, rng))
        except (ValueError, KeyError, IndexError, TypeError, AttributeError, struct.error):
            # Already damaged past parsing by the first damage: flip bytes instead.
            raw = read(path)
            write(path, flip_bytes(raw, rng, 2))
            what.append(os.path.basename(path) + " flip")
    return source + ": " + ", ".join(what)


def run(command, env):
    limited = ["bash", "-c", f'ulimit -v {LIMIT_KB} && exec "$@"', "limited"] + command
    try:
        done = subprocess.run(limited, stdin=subprocess.DEVNULL, capture_output=True, timeout=TIMEOUT, env=env)
    except subprocess.TimeoutExpired:
        return "hang (no exit within 30 s)", None
    lines = done.stderr.decode(errors="replace").rstrip("\n").split("\n")
    if done.returncode == 0 or (done.returncode == 1 and len(lines) == 1 and lines[0].strip()):
        return None, done.returncode
    status = f"signal {-done.returncode}" if done.returncode < 0 else f"exit {done.returncode}"
    return f"{status}, {len(lines)} stderr line(s): " + " | ".join(lines[:3])[:300], done.returncode


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bin", required=True, help="the reformer-tui binary (a release build)")
    parser.add_argument("--count", type=int, default=400)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the failing cases' folders")
    args = parser.parse_args()
    binary = os.path.abspath(args.bin)
    rng = random.Random(args.seed)
    env = dict(os.environ, SWIFT_BACKTRACE="interactive=no")
    work = tempfile.mkdtemp(prefix="reformer-damage-")
    counts = {"exit0": 0, "exit1": 0, "failed": 0}
    try:
        for case in range(args.count):
            folder = os.path.join(work, f"case-{case:03d}")
            what = make_case(folder, rng)
            out = os.path.join(work, "out.safetensors")
            commands = {
                "sample": [binary, "sample", "--model", folder, "--prompt-ids", "1 2 3", "--tokens", "4"],
                "inspect": [binary, "inspect", "--model", folder, "--inputs", INPUTS, "--out", out],
            }
            failures, codes = [], {}
            for name, command in commands.items():
                failure, codes[name] = run(command, env)
                if failure:
                    failures.append(f"{name}: {failure}")
            if failures:
                counts["failed"] += 1
                print(f"FAIL case {case} ({what}): " + "; ".join(failures), flush=True)
                if args.keep:
                    continue
            else:
                # Both commands passed the rule; the case is counted by sample's outcome.
                counts["exit0" if codes["sample"] == 0 else "exit1"] += 1
            shutil.rmtree(folder)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(f"damage campaign: {args.count} cases, {counts['exit0']} sample exit 0, {counts['exit1']} sample exit 1 "
          f"with one line, {counts['failed']} failed (each case ran sample and inspect)")
    sys.exit(1 if counts["failed"] else 0)


if __name__ == "__main__":
    main()
