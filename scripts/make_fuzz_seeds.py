#!/usr/bin/env python3
"""make_fuzz_seeds.py: writes the seed inputs of the fuzz corpus, Tests/Fuzz/<target>/seed-*, from the
committed fixtures (small ones only) and a few hand-made safetensors files. Standard library only.
Findings are added beside them by hand (named crash-*, timeout-*, after minimising with -minimize_crash).
    python3 scripts/make_fuzz_seeds.py
"""
import json
import os
import shutil
import struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
FIXTURES = os.path.join(ROOT, "Tests", "ReformerEngineTests", "Fixtures")
CORPUS = os.path.join(ROOT, "Tests", "Fuzz")


def safetensors(tensors, metadata=None):
    """tensors: [(name, dtype, shape, raw bytes)] → a safetensors file's bytes."""
    header, data = {}, b""
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


def write(target, name, data):
    os.makedirs(os.path.join(CORPUS, target), exist_ok=True)
    with open(os.path.join(CORPUS, target, name), "wb") as f:
        f.write(data)


def copy(target, name, source):
    with open(os.path.join(FIXTURES, source), "rb") as f:
        write(target, name, f.read())


def main():
    f32 = struct.pack("<4f", 1.0, -2.0, 0.5, 3.25)
    write("safetensors", "seed-f32", safetensors([("a.weight", "F32", [2, 2], f32)], {"format": "pt"}))
    write("safetensors", "seed-mixed", safetensors([
        ("h", "F16", [3], struct.pack("<3H", 0x3C00, 0xC000, 0x7BFF)),
        ("b", "BF16", [1, 2], struct.pack("<2H", 0x3F80, 0x4000)),
        ("i", "I64", [2], struct.pack("<2q", 7, -1)),
        ("m", "BOOL", [2], b"\x01\x00"),
        ("e", "F32", [0, 4], b""),
        ("s", "F64", [], struct.pack("<d", 2.5)),
    ]))
    write("safetensors", "seed-empty", safetensors([]))

    for name in ["crime-and-punishment.json", "crime-and-punishment.hf.json", "enwik8.json", "enwik8.hf.json"]:
        copy("config", "seed-" + name.replace(".json", ""), os.path.join("hf-configs", name))
    copy("config", "seed-tiny-causal", os.path.join("tiny-causal", "config.json"))
    copy("config", "seed-torch", os.path.join("torch", "hf-zip", "config.json"))

    for name in ["legacy.bin", "zip.bin", "zip-protocol4.bin"]:
        copy("torch", "seed-" + name.replace(".bin", ""), os.path.join("torch", "views", name))

    for name in ["bpe-bytes.model", "unigram-raw.model", "unigram-nfkc.model"]:
        copy("sentencepiece", "seed-" + name.replace(".model", ""), os.path.join("spm", name))


if __name__ == "__main__":
    main()
