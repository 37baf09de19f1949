#!/usr/bin/env python3
"""Builds the SentencePiece tokenizer fixtures in Tests/ReformerEngineTests/Fixtures/spm/.

Trains four small models with the `sentencepiece` package on assets/text/commonplace.txt plus a few
non-ASCII lines, and records, for every model, what the package itself returns for a list of test
strings (normalized text, ids, pieces, decode of those ids) and for crafted and random id sequences
(decode). `SentencePieceTests` asserts exact equality with these files; `make test` never runs this.

  bpe-nfkc        BPE,     nfkc-subset rules, user-defined <sep> and [MASK], control <ctl>
  unigram-nfkc    unigram, nfkc-subset rules, same symbols
  bpe-bytes       BPE,     identity (no charsmap), byte_fallback
  unigram-raw     unigram, identity, remove_extra_whitespaces off, treat_whitespace_as_suffix,
                  byte_fallback, a denormalizer ("..." -> "…")

nfkc-subset: the full nmt_nfkc charsmap is 240 KB per model, too big to commit, so this script
extracts nmt_nfkc's own rules (walking the double-array trie of a throwaway nmt_nfkc model) for keys
of at most two code points starting in the Unicode blocks listed in NFKC_BLOCKS, and trains with
them as normalization_rule_tsv. sentencepiece compiles that into a genuine (30 KB) precompiled
charsmap, normalising tabs, newlines, NBSP, "…", full-width forms, ligatures and accents as nmt_nfkc
does. scripts/check_tokenize.py covers the full nmt_nfkc charsmap on random strings.

Usage: /path/to/python-with-sentencepiece scripts/make_spm_fixtures.py
"""

import json
import pathlib
import random
import struct
import sys
import tempfile

import sentencepiece as spm
from sentencepiece import sentencepiece_model_pb2 as model_pb2

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests" / "ReformerEngineTests" / "Fixtures" / "spm"
CORPUS = ROOT / "assets" / "text" / "commonplace.txt"

# Added to the training text (three times) so that the models know some non-ASCII characters.
EXTRA_LINES = [
    "Café, naïve, résumé, Ångström, façade, jalapeño, über, Øre.",
    "Привет, мир! Как дела? Хорошо, спасибо.",
    "Ελληνικά γράμματα: αβγδε.",
    "Full-width: ＡＢＣ ａｂｃ １２３ and ideographic　space.",
    "Wait… the ﬁrst ligature, ½ cup, №5, ™ and ①②③.",
    "日本語のテキストと中文。",
]

NFKC_BLOCKS = [
    (0x0000, 0x024F),  # ASCII, Latin-1 (NBSP, accents), Latin Extended-A/B
    (0x0300, 0x036F),  # combining diacritical marks
    (0x0370, 0x03FF),  # Greek
    (0x0400, 0x04FF),  # Cyrillic
    (0x2000, 0x206F),  # general punctuation (… U+2026, zero-width space, em space)
    (0x2100, 0x218F),  # letterlike symbols, number forms
    (0x2460, 0x24FF),  # enclosed alphanumerics
    (0x3000, 0x303F),  # CJK symbols (ideographic space)
    (0xFB00, 0xFB4F),  # alphabetic presentation forms (ligatures)
    (0xFEFF, 0xFEFF),  # byte order mark
    (0xFF00, 0xFFEF),  # half-width and full-width forms
]

TEST_STRINGS = [
    "",
    " ",
    "   ",
    "\t\n\r\n",
    "Hello world",
    "The lighthouse keeper wrote in his ledger every night.",
    "  leading and trailing  ",
    "many     spaces   between    words",
    "tabs\tand\ttabs\nnew\nlines\r\nand CRLF",
    "\tindented\n\n\nparagraphs\n",
    "a\u00a0b \u00a0\u00a0nbsp\u00a0",
    "wait\u2026 what\u2026",
    "ｆｕｌｌ－ｗｉｄｔｈ ＡＢＣ １２３",
    "café naïve résumé Ångström",
    "cafe\u0301 decomposed e\u0301",
    "Привет, мир! Как дела?",
    "I \u2764\ufe0f tea \U0001f375\U0001f389 and \U0001f468\u200d\U0001f469\u200d\U0001f467",
    "\U0001f600",
    "\u2603\u2603\u2603 snow \u2603",
    "\U0001d518\U0001d52b\U0001d526\U0001d520\U0001d52c\U0001d521\U0001d522",
    "日本語のテキスト",
    "αβγ δε",
    "ﬁne ½ № ™ ①②",
    "a\u200bb zero\u200bwidth",
    "\ufeffstart with a BOM",
    "a\u3000b ideographic\u3000space",
    "a<sep>b [MASK] c<sep>",
    "<s> and </s> and <ctl> and <unk> as text",
    "<0x41> looks like a byte piece",
    "a\u0000b",
    "\u2581already\u2581escaped",
    "Ends with spaces and a tab \t",
    "MIXED case, digits 1234567890 and punctuation!?;:",
]


def trie_rules(charsmap):
    """Every (source, target) pair of a precompiled charsmap: 4-byte trie size, darts-clone units,
    NUL-terminated targets."""
    size = struct.unpack("<I", charsmap[:4])[0]
    units = struct.unpack("<%dI" % (size // 4), charsmap[4:4 + size])
    targets = charsmap[4 + size:]

    def offset(u):
        return (u >> 10) << ((u & (1 << 9)) >> 6)

    rules = []
    stack = [(0, b"")]
    while stack:
        position, key = stack.pop()
        base = position ^ offset(units[position])
        for byte in range(1, 256):
            child = base ^ byte
            if child >= len(units) or units[child] & ((1 << 31) | 0xFF) != byte:
                continue
            unit = units[child]
            if (unit >> 8) & 1:
                value = units[child ^ offset(unit)] & 0x7FFFFFFF
                end = targets.index(b"\0", value)
                rules.append((key + bytes([byte]), targets[value:end]))
            stack.append((child, key + bytes([byte])))
    return rules


def nfkc_subset_tsv(work, corpus):
    spm.SentencePieceTrainer.train(input=str(corpus), model_prefix=str(work / "full"), vocab_size=200,
                                   model_type="bpe", num_threads=1, minloglevel=2)
    proto = model_pb2.ModelProto()
    proto.ParseFromString((work / "full.model").read_bytes())
    lines = []
    for source, target in trie_rules(proto.normalizer_spec.precompiled_charsmap):
        text = source.decode("utf-8")
        if len(text) <= 2 and any(a <= ord(text[0]) <= b for a, b in NFKC_BLOCKS):
            lines.append(" ".join("%X" % ord(c) for c in text) + "\t"
                         + " ".join("%X" % ord(c) for c in target.decode("utf-8")))
    path = work / "nfkc-subset.tsv"
    path.write_text("\n".join(sorted(lines)) + "\n", encoding="utf-8")
    return path


def model_settings(work, nfkc_tsv):
    denormalizer = work / "denormalizer.tsv"
    denormalizer.write_text("2E 2E 2E\t2026\n", encoding="utf-8")
    symbols = dict(user_defined_symbols=["<sep>", "[MASK]"], control_symbols=["<ctl>"])
    return {
        "bpe-nfkc": dict(model_type="bpe", normalization_rule_tsv=str(nfkc_tsv), **symbols),
        "unigram-nfkc": dict(model_type="unigram", normalization_rule_tsv=str(nfkc_tsv), **symbols),
        "bpe-bytes": dict(model_type="bpe", normalization_rule_name="identity", byte_fallback=True),
        "unigram-raw": dict(model_type="unigram", normalization_rule_name="identity", byte_fallback=True,
                            remove_extra_whitespaces=False, treat_whitespace_as_suffix=True,
                            denormalization_rule_tsv=str(denormalizer)),
    }


def decode_cases(sp, seed):
    """Crafted id sequences for the decoder's rules, then random ones over the whole vocabulary."""
    n = sp.get_piece_size()
    ids = lambda *pieces: [sp.piece_to_id(p) for p in pieces]
    cases = [[], [sp.unk_id()], [sp.unk_id(), sp.unk_id()], [sp.bos_id(), sp.eos_id()],
             [sp.bos_id()] + sp.encode("hello there"), sp.encode("hello") + [sp.eos_id()] + sp.encode("world"),
             [sp.unk_id()] + sp.encode("after unk"), ids("▁") * 3 + sp.encode("x")]
    if sp.piece_to_id("<0xC3>") != sp.unk_id():
        cases += [ids("<0xC3>", "<0xA9>"), ids("<0xC3>"), ids("<0xFF>", "<0x41>"),
                  ids("<0xE3>", "<0x81>") + sp.encode("a"), ids("<0x20>") + sp.encode("b"),
                  ids("<0xF0>", "<0x9F>", "<0x98>", "<0x80>", "<0xED>", "<0xA0>", "<0x80>")]
    rng = random.Random(seed)
    for _ in range(30):
        cases.append([rng.randrange(n) for _ in range(rng.randint(1, 12))])
    return [{"ids": c, "text": sp.decode(c)} for c in cases]


def dump(expected):
    """JSON with one test case per line, so that a changed expectation shows as one changed line."""
    lines = ["{"]
    for key, value in expected.items():
        if isinstance(value, list):
            lines.append(f" {json.dumps(key)}: [")
            lines.append(",\n".join("  " + json.dumps(case) for case in value))
            lines.append(" ],")
        else:
            lines.append(f" {json.dumps(key)}: {json.dumps(value)},")
    lines[-1] = lines[-1].rstrip(",")
    return "\n".join(lines) + "\n}\n"


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = pathlib.Path(tmp)
        corpus = work / "corpus.txt"
        corpus.write_text(CORPUS.read_text(encoding="utf-8") + ("\n".join(EXTRA_LINES) + "\n") * 3,
                          encoding="utf-8")
        nfkc_tsv = nfkc_subset_tsv(work, corpus)
        for seed, (name, settings) in enumerate(model_settings(work, nfkc_tsv).items()):
            spm.SentencePieceTrainer.train(input=str(corpus), model_prefix=str(work / name), vocab_size=400,
                                           num_threads=1, minloglevel=2, **settings)
            model = (work / f"{name}.model").read_bytes()
            (OUT / f"{name}.model").write_bytes(model)
            sp = spm.SentencePieceProcessor(model_proto=model)
            encode = []
            for text in TEST_STRINGS:
                ids = sp.encode(text)
                encode.append({"text": text, "normalized": sp.normalize(text), "ids": ids,
                               "pieces": [sp.id_to_piece(i) for i in ids], "decoded": sp.decode(ids)})
            expected = {"model": f"{name}.model", "sentencepiece": spm.__version__, "pieces": sp.get_piece_size(),
                        "settings": {k: v for k, v in settings.items() if not k.endswith("_tsv")},
                        "encode": encode, "decode": decode_cases(sp, seed)}
            (OUT / f"{name}.json").write_text(dump(expected), encoding="utf-8")
            print(f"{name}: {len(model)} bytes, {sp.get_piece_size()} pieces", file=sys.stderr)


if __name__ == "__main__":
    main()
