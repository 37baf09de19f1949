#!/usr/bin/env python3
"""Compares `reformer-tui tokenize` with the sentencepiece package on random strings (not in make test).

Trains a BPE and a unigram model with the full default nmt_nfkc normalization (in a temporary
folder), adds the committed fixture models of Tests/ReformerEngineTests/Fixtures/spm/, and for each
model checks, on random strings none of the tests contain (mixes of ASCII words, whitespace runs,
tabs, newlines, NBSP and other spaces, accents precomposed and combining, full-width and half-width
forms, ligatures, CJK, kana, Cyrillic, Greek, Arabic, emoji with ZWJ and variation selectors,
mathematical letters, control characters, user-defined symbols):
  encode  `tokenize --tokenizer M --file F`  == sp.encode(text)
  decode  `tokenize --tokenizer M --decode IDS` == sp.decode(ids), for those ids and random ids;
plus two long texts per model (the corpus eight times, ~1 MB, and 3,000 random strings joined).
Prints the counts and every mismatch; exits 1 on any mismatch.

Usage: REFORMER_TUI_BIN=.build/release/reformer-tui /path/to/python scripts/check_tokenize.py [--count N] [--seed S]
"""

import argparse
import os
import pathlib
import random
import subprocess
import sys
import tempfile

import sentencepiece as spm

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "Tests" / "ReformerEngineTests" / "Fixtures" / "spm"
CORPUS = ROOT / "assets" / "text" / "commonplace.txt"
BIN = os.environ.get("REFORMER_TUI_BIN", str(ROOT / ".build" / "release" / "reformer-tui"))


def ranges(*pairs):
    return [chr(c) for a, b in pairs for c in range(a, b + 1)]


POOLS = {
    "space": [" ", " ", "  ", "   ", "\t", "\n", "\r\n", "\r", "\u00a0", "\u2002", "\u2003", "\u2009", "\u200b",
              "\u3000", "\ufeff", "\u0085", "\u000b", "\u000c", "\u1680", "\u202f", "\u205f"],
    "ascii": ranges((0x21, 0x7E)),
    "latin": ranges((0xC0, 0xFF), (0x100, 0x17F), (0x180, 0x24F)),
    "combining": ranges((0x300, 0x36F)),
    "greek": ranges((0x391, 0x3C9)),
    "cyrillic": ranges((0x400, 0x45F)),
    "arabic": ranges((0x621, 0x64A), (0xFE80, 0xFEFC)),
    "cjk": ranges((0x4E00, 0x4E80), (0x3041, 0x3096), (0x30A1, 0x30FA), (0xFF61, 0xFF9F), (0x3300, 0x3357)),
    "fullwidth": ranges((0xFF01, 0xFF5E)),
    "symbols": ranges((0x2010, 0x2027), (0x2030, 0x205E), (0x2070, 0x209C), (0x2100, 0x218B), (0x2460, 0x24FF),
                      (0xFB00, 0xFB06), (0x00A1, 0x00BF), (0x2150, 0x215F)),
    "math": ranges((0x1D400, 0x1D4FF), (0x1D7CE, 0x1D7FF)),
    "emoji": ranges((0x1F300, 0x1F64F), (0x1F680, 0x1F6FF), (0x1F900, 0x1F9FF), (0x2600, 0x26FF))
    + ["\u2764\ufe0f", "\U0001f468\u200d\U0001f469\u200d\U0001f467", "\U0001f44d\U0001f3fd", "\u0031\ufe0f\u20e3"],
    "control": ranges((0x01, 0x08), (0x0E, 0x1F), (0x7F, 0x9F)) + ["\u0000"],
    "specials": ["<sep>", "[MASK]", "<ctl>", "<s>", "</s>", "<unk>", "<0x41>", "\u2581", "\u2581\u2581", "...", "…"],
}


def random_text(rng, words):
    kinds = list(POOLS) + ["word"] * 6
    parts = []
    for _ in range(rng.randint(0, 24)):
        kind = rng.choice(kinds)
        if kind == "word":
            word = rng.choice(words)
            parts.append(word.upper() if rng.random() < 0.1 else word)
        elif kind == "combining":
            parts.append(rng.choice("aeiouAEIOUnc") + "".join(rng.choice(POOLS["combining"]) for _ in range(rng.randint(1, 3))))
        else:
            parts.append("".join(rng.choice(POOLS[kind]) for _ in range(rng.randint(1, 4))))
        if rng.random() < 0.5:
            parts.append(" ")
    return "".join(parts)


def run(args):
    result = subprocess.run([BIN, "tokenize"] + args, capture_output=True)
    return result.returncode, result.stdout, result.stderr


def check_model(path, strings, rng, work):
    sp = spm.SentencePieceProcessor(model_file=str(path))
    compared = mismatches = 0
    text_file = work / "input.txt"
    for text in strings:
        text_file.write_bytes(text.encode("utf-8"))
        expected = sp.encode(text)
        status, out, err = run(["--tokenizer", str(path), "--file", str(text_file)])
        compared += 1
        line = " ".join(map(str, expected)) + "\n"
        if status != 0 or out != line.encode():
            mismatches += 1
            print(f"MISMATCH encode {path.name} {text!r}\n  sentencepiece {expected}\n  tokenize      {out!r} {err!r}")
            continue
        for ids in (expected, [rng.randrange(sp.get_piece_size()) for _ in range(rng.randint(0, 16))]):
            argument = " ".join(map(str, ids))
            if len(argument) > 100_000:  # one argument may not exceed 128 KiB (MAX_ARG_STRLEN)
                continue
            status, out, err = run(["--tokenizer", str(path), "--decode", argument])
            compared += 1
            if status != 0 or out != (sp.decode(ids) + "\n").encode("utf-8"):
                mismatches += 1
                print(f"MISMATCH decode {path.name} {ids}\n  sentencepiece {sp.decode(ids)!r}\n  tokenize      {out!r} {err!r}")
    return compared, mismatches


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=400, help="random strings per model")
    parser.add_argument("--seed", type=int, default=13)
    options = parser.parse_args()
    if not os.access(BIN, os.X_OK):
        sys.exit(f"{BIN} is not an executable; build with `swift build -c release` or set REFORMER_TUI_BIN")
    rng = random.Random(options.seed)
    corpus_text = CORPUS.read_text(encoding="utf-8")
    words = sorted(set(corpus_text.split()))
    with tempfile.TemporaryDirectory() as tmp:
        work = pathlib.Path(tmp)
        models = []
        for name, settings in (("nfkc-bpe", dict(model_type="bpe", vocab_size=320)),
                               ("nfkc-unigram", dict(model_type="unigram", vocab_size=500)),
                               ("nfkc-bpe-bytes", dict(model_type="bpe", vocab_size=1000, byte_fallback=True)),
                               ("nfkc-unigram-bytes", dict(model_type="unigram", vocab_size=800, byte_fallback=True))):
            prefix = work / name
            spm.SentencePieceTrainer.train(input=str(CORPUS), model_prefix=str(prefix), user_defined_symbols=["<sep>"],
                                           num_threads=1, minloglevel=2, **settings)
            models.append(prefix.with_suffix(".model"))
        models += sorted(FIXTURES.glob("*.model"))
        total = bad = 0
        for path in models:
            strings = [random_text(rng, words) for _ in range(options.count)]
            # Two long texts, where unigram path scores reach the magnitudes at which rounding matters.
            strings += [corpus_text * 8, " ".join(random_text(rng, words) for _ in range(3000))]
            compared, mismatches = check_model(path, strings, rng, work)
            print(f"{path.name}: {compared} comparisons ({len(strings)} strings), {mismatches} mismatches")
            total += compared
            bad += mismatches
    print(f"check_tokenize: {total} comparisons over {len(models)} models, {bad} mismatches (sentencepiece {spm.__version__})")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
