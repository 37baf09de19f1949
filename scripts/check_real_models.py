#!/usr/bin/env python3
"""The two public pretrained Reformers' exact architectures, HF-made, opened by reformer-tui.

For google/reformer-enwik8 (149M parameters, bytes + 2) and google/reformer-crime-and-punishment
(2.7M parameters, SentencePiece vocabulary of 320), with random weights (no download): HF's own
forward on random ids becomes a fixture (the shared fixture generator, forward only, rotations
captured), the weights are written as pytorch_model.bin in the zip format and in the legacy format
(torch.save of the HF model's state dict, as transformers 4.x's save_pretrained wrote it), the
crime-and-punishment folder gets its config in the old hub form (legacy keys, no local_*/lsh_* chunk
keys) and a 320-piece SentencePiece BPE model trained here (like the real spiece.model), and
`reformer-tui inspect` + `compare` must reproduce HF's logits and hidden states within the fixture
gates from each file. Then `sample` (text prompt) and `eval --data` run on each folder.

Not part of `make test` (it needs torch and transformers, and 1-2 GB of scratch space):

    python scripts/check_real_models.py --bin .build/release/reformer-tui [--tools ../shared/tools]
        [--out DIR] [--only enwik8|crime] [--seq N]
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)

# INTEROP.md §1: google/reformer-enwik8 as published.
ENWIK8 = dict(
    attention_head_size=128, attn_layers=["local", "local", "lsh", "local", "local", "local", "lsh", "local",
                                          "local", "local", "lsh", "local"],
    axial_norm_std=1.0, axial_pos_embds=True, axial_pos_embds_dim=[256, 768], axial_pos_shape=[128, 512],
    chunk_size_feed_forward=0, chunk_size_lm_head=0, eos_token_id=2, feed_forward_size=4096, hash_seed=None,
    hidden_act="relu", hidden_dropout_prob=0.2, hidden_size=1024, initializer_range=0.02, is_decoder=True,
    layer_norm_eps=1e-12, local_attention_probs_dropout_prob=0.2, local_attn_chunk_length=128,
    local_num_chunks_after=0, local_num_chunks_before=1, lsh_attention_probs_dropout_prob=0.1,
    lsh_attn_chunk_length=256, lsh_num_chunks_after=0, lsh_num_chunks_before=1, max_position_embeddings=65536,
    num_attention_heads=8, num_buckets=512, num_hashes=4, pad_token_id=0, vocab_size=258)

# INTEROP.md §1: google/reformer-crime-and-punishment, effective values.
CRIME = dict(
    attention_head_size=64, attn_layers=["local", "lsh"] * 3, axial_norm_std=1.0, axial_pos_embds=True,
    axial_pos_embds_dim=[64, 192], axial_pos_shape=[512, 1024], eos_token_id=2, feed_forward_size=512,
    hash_seed=None, hidden_act="relu", hidden_dropout_prob=0.05, hidden_size=256, is_decoder=True,
    local_attention_probs_dropout_prob=0.05, lsh_attention_probs_dropout_prob=0.0, local_attn_chunk_length=64,
    lsh_attn_chunk_length=64, local_num_chunks_before=1, local_num_chunks_after=0, lsh_num_chunks_before=1,
    lsh_num_chunks_after=0, max_position_embeddings=524288, num_attention_heads=2, num_buckets=[64, 128],
    num_hashes=1, pad_token_id=0, vocab_size=320, tie_word_embeddings=False)

HUB_CRIME_CONFIG = os.path.join(REPO, "Tests", "ReformerEngineTests", "Fixtures", "hf-configs", "crime-and-punishment.json")


def run(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return p.returncode, p.stdout.strip()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", required=True, help="the reformer-tui binary")
    ap.add_argument("--tools", default=os.path.join(REPO, "..", "shared", "tools"),
                    help="folder of gen_hf_fixtures.py (default: ../shared/tools beside the repo)")
    ap.add_argument("--out", help="scratch folder (default: a new temporary one, removed at the end)")
    ap.add_argument("--only", choices=["enwik8", "crime"])
    ap.add_argument("--seq", type=int, default=1024, help="tokens in the probe sequence (default 1024)")
    args = ap.parse_args()

    sys.path.insert(0, os.path.abspath(args.tools))
    import torch  # noqa: E402
    import gen_hf_fixtures as G  # noqa: E402
    from safetensors.torch import load_file  # noqa: E402

    out = args.out or tempfile.mkdtemp(prefix="real-models-")
    os.makedirs(out, exist_ok=True)
    variants = []
    if args.only in (None, "enwik8"):
        variants.append(dict(slug="enwik8-shape", description="google/reformer-enwik8's config, random weights",
                             config=ENWIK8, batch=1, seq=args.seq, seed=11, forward_only=True))
    if args.only in (None, "crime"):
        variants.append(dict(slug="crime-shape", description="google/reformer-crime-and-punishment's config, random weights",
                             config=CRIME, batch=1, seq=args.seq, seed=12, forward_only=True))
    spiece = os.path.join(out, "spiece.model")
    if any(v["slug"] == "crime-shape" for v in variants):
        import sentencepiece as spm  # noqa: E402
        spm.SentencePieceTrainer.train(input=os.path.join(REPO, "assets", "text", "commonplace.txt"),
                                       model_prefix=spiece[:-len(".model")], vocab_size=320, model_type="bpe",
                                       character_coverage=1.0, minloglevel=2)
    sample_text = os.path.join(out, "probe.txt")
    with open(os.path.join(REPO, "assets", "text", "commonplace.txt"), "rb") as f, open(sample_text, "wb") as g:
        g.write(f.read(4000))
    passed = failed = 0

    def report(ok, line, detail=""):
        nonlocal passed, failed
        passed, failed = (passed + 1, failed) if ok else (passed, failed + 1)
        print(f"{'ok  ' if ok else 'FAIL'} {line}")
        if detail and not ok:
            print(detail)

    for v in variants:
        print(f"== {v['slug']}: HF forward on {v['seq']} random ids (shared fixture generator, forward only)", flush=True)
        try:
            G.build_fixture(v, out, verbose=False)
        except AssertionError as e:
            # The generator caps committed fixtures at 2 MiB, checked after everything is written;
            # these scratch fixtures are larger by design.
            if "fixture too large" not in str(e):
                raise
        src = os.path.join(out, v["slug"])
        state = load_file(os.path.join(src, "model.safetensors"))
        print(f"   {sum(t.numel() for t in state.values()):,} parameters", flush=True)
        for fmt in ("zip", "legacy"):
            folder = os.path.join(out, f"{v['slug']}-{fmt}")
            shutil.rmtree(folder, ignore_errors=True)
            os.makedirs(folder)
            if v["slug"] == "crime-shape":
                shutil.copy(HUB_CRIME_CONFIG, os.path.join(folder, "config.json"))
                shutil.copy(spiece, os.path.join(folder, "spiece.model"))
            else:
                shutil.copy(os.path.join(src, "config.json"), os.path.join(folder, "config.json"))
            torch.save(state, os.path.join(folder, "pytorch_model.bin"), _use_new_zipfile_serialization=(fmt == "zip"))
            got = os.path.join(out, f"{v['slug']}-{fmt}.out.safetensors")
            expected = os.path.join(src, "expected.safetensors")
            rc, text = run([args.bin, "inspect", "--model", folder, "--inputs", expected, "--out", got])
            if rc == 0:
                rc, text = run([args.bin, "compare", expected, got])
            last = text.splitlines()[-1] if text else ""
            logits = [l for l in text.splitlines() if l.split()[1:2] in (["logits"], ["loss"])]
            report(rc == 0, f"{v['slug']} pytorch_model.bin ({fmt}){' + hub config text' if v['slug'] == 'crime-shape' else ''}: {last}", text)
            for l in logits:
                print(f"       {l.strip()}")
            os.remove(got)
            rc, text = run([args.bin, "sample", "--model", folder, "--prompt", "The crime was", "--tokens", "24", "--seed", "1"])
            report(rc == 0 and len(text) > 0, f"{v['slug']} ({fmt}) sample --prompt \"The crime was\": {text[:60]!r}", text)
            rc, text = run([args.bin, "eval", "--model", folder, "--data", sample_text, "--length", "1024"])
            report(rc == 0 and "bits_per_" in text, f"{v['slug']} ({fmt}) eval --data (4000 bytes, windows of 1024): "
                   + " · ".join(text.splitlines()[-2:]), text)
    if not args.out:
        shutil.rmtree(out, ignore_errors=True)
    print(f"real models: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
