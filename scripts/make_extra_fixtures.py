#!/usr/bin/env python3
"""Generate extra HF Reformer parity fixtures (slugs prefixed `x-`) in the shared fixture format.

This script does not re-implement anything: it imports the shared generator
(`shared/tools/gen_hf_fixtures.py`) as a module, defines its own VARIANTS in the same dict format
(slug, description, config, batch, seq, seed, optional pad_last / per_layer_rotations / forward_only)
and calls its `build_fixture(variant, out_root)` for each.  The result is byte-for-byte the format of
the two shipped fixtures, and `shared/tools/check_hf_fixture.py` re-verifies every folder.

Run it with a python that has exactly the fixture toolchain (transformers 5.24.0, torch 2.15.0,
safetensors, numpy), e.g.

    VENV/bin/python scripts/make_extra_fixtures.py                 # all x-* variants
    VENV/bin/python scripts/make_extra_fixtures.py x-short x-noseed # only these
    VENV/bin/python scripts/make_extra_fixtures.py --list

Options:
    --tools DIR  folder holding gen_hf_fixtures.py (default: $REFORMER_HF_TOOLS, else
                 ../shared/tools relative to the repository root)
    --out DIR    where the fixture folders go (default: Tests/ReformerEngineTests/Fixtures of this repo)

The only deviation from the shared generator is a wrapped `per_layer_rotations` (monkeypatched here,
the shared file is untouched): the shared one reads `config.num_buckets` to size the rotations, which
fails for `num_buckets: null`; the wrapper sizes them with HF's automatic rule (spec §9.2) at the
length HF will run at (after auto padding).  For every other config it calls the original unchanged.
"""

import argparse
import math
import os
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_TOOLS = os.environ.get("REFORMER_HF_TOOLS") or os.path.join(REPO_ROOT, "..", "shared", "tools")
DEFAULT_OUT = os.path.join(REPO_ROOT, "Tests", "ReformerEngineTests", "Fixtures")


def variants(BASE):
    """The extra cases.  BASE is gen_hf_fixtures.BASE (vocab 40, hidden 32, 2 heads x 16, ff 64, chunks 8,
    axial (8,8)x(16,16), max_position_embeddings 64, all dropout 0)."""
    return [
        dict(
            slug="x-autopad-mixed",
            description="3 layers [local, lsh, local], causal LM, local chunk 8 / lsh chunk 16, T0=44 which HF "
            "auto-pads to 48 (lcm 16), num_hashes 2, num_buckets 4, relu; forward-only (HF refuses training "
            "at a length it would pad)",
            config=dict(BASE, attn_layers=["local", "lsh", "local"], local_attn_chunk_length=8,
                        lsh_attn_chunk_length=16, num_hashes=2, num_buckets=4, is_decoder=True,
                        hidden_act="relu", hash_seed=77),
            batch=2, seq=44, seed=301, forward_only=True,
        ),
        dict(
            slug="x-mask-causal",
            description="2 layers [lsh, local], causal LM with attention_mask (row 1: last 11 padded), "
            "num_hashes 3, num_buckets 8 (+ padding bucket), chunks 8, seq 48, axial (6,8), relu",
            config=dict(BASE, attn_layers=["lsh", "local"], num_hashes=3, num_buckets=8, is_decoder=True,
                        hidden_act="relu", hash_seed=303, axial_pos_shape=(6, 8)),
            batch=2, seq=48, seed=302, pad_last=[0, 11],
        ),
        dict(
            slug="x-mask-encoder",
            description="2 layers [local, lsh], bidirectional masked LM with attention_mask (last 5 / 13 padded), "
            "local_num_chunks_after 1, lsh_num_chunks_before 2 (after 0), num_hashes 2, num_buckets 8, chunks 8, "
            "seq 48, axial (6,8), gelu",
            config=dict(BASE, attn_layers=["local", "lsh"], num_hashes=2, num_buckets=8, is_decoder=False,
                        local_num_chunks_after=1, lsh_num_chunks_before=2, lsh_num_chunks_after=0,
                        hidden_act="gelu", hash_seed=505, axial_pos_shape=(6, 8)),
            batch=2, seq=48, seed=304, pad_last=[5, 13],
        ),
        dict(
            slug="x-null-buckets",
            description="3 layers [lsh, local, lsh], causal LM, num_buckets null (HF picks 8 at T=48, C=8: "
            "2*(48//8)=12 -> 2^3), num_hashes 2, seq 48, axial (6,8), feed_forward 32, relu",
            config=dict(BASE, attn_layers=["lsh", "local", "lsh"], num_hashes=2, num_buckets=None,
                        is_decoder=True, hidden_act="relu", hash_seed=606, axial_pos_shape=(6, 8),
                        feed_forward_size=32),
            batch=1, seq=48, seed=305,
        ),
        dict(
            slug="x-null-buckets-factorized",
            description="2 layers [lsh, lsh], bidirectional masked LM, num_buckets null with lsh chunk 4, "
            "T=64, max_position_embeddings 64 -> HF picks factorized [4, 8]; hash_seed null, different injected "
            "rotations per LSH layer; lsh_num_chunks_after 1, num_hashes 2, gelu",
            config=dict(BASE, attn_layers=["lsh", "lsh"], num_hashes=2, num_buckets=None,
                        lsh_attn_chunk_length=4, lsh_num_chunks_after=1,
                        is_decoder=False, hidden_act="gelu", hash_seed=None),
            batch=1, seq=64, seed=306, per_layer_rotations=True,
        ),
        dict(
            slug="x-short",
            description="2 layers [local, lsh], causal LM, seq 12 <= both chunk lengths (16): local and LSH "
            "take the short path, nothing is hashed (no lsh.* tensors); attention_mask (row 1: last 4 padded), "
            "axial (3,4), num_hashes 2, num_buckets 4, relu",
            config=dict(BASE, attn_layers=["local", "lsh"], local_attn_chunk_length=16, lsh_attn_chunk_length=16,
                        num_hashes=2, num_buckets=4, is_decoder=True, hidden_act="relu", hash_seed=707,
                        axial_pos_shape=(3, 4)),
            batch=2, seq=12, seed=307, pad_last=[0, 4],
        ),
        dict(
            slug="x-lsh-unhashed",
            description="3 layers [lsh, local, lsh], bidirectional masked LM, seq 64: local chunk 8 (chunked, "
            "local_num_chunks_after 1) but lsh chunk 64 >= T, so the LSH layers never hash (no lsh.* tensors); "
            "num_hashes 2, num_buckets 4, feed_forward 32, gelu",
            config=dict(BASE, attn_layers=["lsh", "local", "lsh"], local_attn_chunk_length=8, feed_forward_size=32,
                        lsh_attn_chunk_length=64, local_num_chunks_after=1, num_hashes=2, num_buckets=4,
                        is_decoder=False, hidden_act="gelu", hash_seed=808),
            batch=1, seq=64, seed=308,
        ),
        dict(
            slug="x-noseed",
            description="3 layers [lsh, lsh, lsh], causal LM, hash_seed null: each LSH layer has its own "
            "injected rotations; num_hashes 2, num_buckets 8, chunks 8, seq 32, axial (4,8), feed_forward 32, relu",
            config=dict(BASE, attn_layers=["lsh", "lsh", "lsh"], num_hashes=2, num_buckets=8, is_decoder=True,
                        hidden_act="relu", hash_seed=None, axial_pos_shape=(4, 8), feed_forward_size=32),
            batch=2, seq=32, seed=309, per_layer_rotations=True,
        ),
        dict(
            slug="x-wide-heads",
            description="2 layers [local, lsh], causal LM, 3 heads x 8 (all_head_size 24 != hidden 32), "
            "num_hashes 2, factorized num_buckets [2,4], chunks 8, seq 48, axial (6,8), relu",
            config=dict(BASE, attn_layers=["local", "lsh"], num_attention_heads=3, attention_head_size=8,
                        num_hashes=2, num_buckets=[2, 4], is_decoder=True, hidden_act="relu", hash_seed=909,
                        axial_pos_shape=(6, 8)),
            batch=2, seq=48, seed=310,
        ),
        dict(
            slug="x-plain-pos",
            description="2 layers [lsh, local], bidirectional masked LM, plain (non-axial) position embeddings "
            "(max_position_embeddings 64), silu, seq 40 (5 chunks of 8), num_hashes 2, num_buckets 4",
            config=dict(BASE, attn_layers=["lsh", "local"], axial_pos_embds=False, num_hashes=2, num_buckets=4,
                        is_decoder=False, hidden_act="silu", hash_seed=1010),
            batch=2, seq=40, seed=311,
        ),
        dict(
            slug="x-gelu-new",
            description="4 layers [local, lsh, local, lsh], causal LM, gelu_new, num_hashes 1, num_buckets 4, "
            "local chunk 4 with local_num_chunks_before 2, lsh chunk 8, seq 24, axial (3,8), feed_forward 32",
            config=dict(BASE, attn_layers=["local", "lsh", "local", "lsh"], num_hashes=1, num_buckets=4,
                        local_attn_chunk_length=4, local_num_chunks_before=2, lsh_attn_chunk_length=8,
                        is_decoder=True, hidden_act="gelu_new", hash_seed=1111, axial_pos_shape=(3, 8),
                        feed_forward_size=32),
            batch=1, seq=24, seed=312,
        ),
        dict(
            slug="x-forward-only",
            description="3 layers [lsh, local, lsh], bidirectional masked LM, num_hashes 4, three-factor "
            "num_buckets [2,2,2], lsh_num_chunks_before 2 / after 1, local_num_chunks_after 1, chunks 8, "
            "seq 48 (axial (8,8) covers it), gelu; forward-only (no gradients)",
            config=dict(BASE, attn_layers=["lsh", "local", "lsh"], num_hashes=4, num_buckets=[2, 2, 2],
                        lsh_num_chunks_before=2, lsh_num_chunks_after=1, local_num_chunks_after=1,
                        is_decoder=False, hidden_act="gelu", hash_seed=1212),
            batch=2, seq=48, seed=313, forward_only=True,
        ),
        dict(
            slug="x-masked-autopad",
            description="2 layers [lsh, local], bidirectional masked LM, attention_mask (row 1: last 6 padded) "
            "AND T0=37 auto-padded by HF to 40, lsh_num_chunks_after 1, local_num_chunks_after 1, num_hashes 2, "
            "num_buckets 4, chunks 8, gelu; forward-only (HF refuses training at a length it would pad)",
            config=dict(BASE, attn_layers=["lsh", "local"], num_hashes=2, num_buckets=4, lsh_num_chunks_after=1,
                        local_num_chunks_after=1, is_decoder=False, hidden_act="gelu", hash_seed=1313),
            batch=2, seq=37, seed=314, pad_last=[0, 6], forward_only=True,
        ),
        dict(
            slug="x-autopad-unhashed",
            description="2 layers [local, lsh], causal LM, local chunk 8 / lsh chunk 32, T0=20 auto-padded by HF "
            "to 32 = lsh chunk, so the LSH layer still never hashes (no lsh.* tensors); num_hashes 2, "
            "num_buckets 4, relu; forward-only",
            config=dict(BASE, attn_layers=["local", "lsh"], local_attn_chunk_length=8, lsh_attn_chunk_length=32,
                        num_hashes=2, num_buckets=4, is_decoder=True, hidden_act="relu", hash_seed=1414),
            batch=2, seq=20, seed=315, forward_only=True,
        ),
    ]


def load_generator(tools_dir):
    tools_dir = os.path.abspath(tools_dir)
    if not os.path.isfile(os.path.join(tools_dir, "gen_hf_fixtures.py")):
        sys.exit(f"gen_hf_fixtures.py not found in {tools_dir} (use --tools DIR or REFORMER_HF_TOOLS)")
    sys.path.insert(0, tools_dir)
    import gen_hf_fixtures as G  # noqa: E402
    return G


def padded_length(G, config, T):
    """The length HF's eval forward runs at (spec §3.1 auto padding)."""
    lcm = int(G.MR._get_least_common_mult_chunk_len(config))
    mn = int(G.MR._get_min_chunk_len(config))
    return T + (lcm - T % lcm) if (T % lcm != 0 and T > mn) else T


def auto_num_buckets(config, T):
    """HF's automatic num_buckets (spec §9.2, LSHSelfAttention._set_num_buckets)."""
    C = config.lsh_attn_chunk_length
    k = (2 * (T // C)).bit_length() - 1
    nb = 2 ** k
    limit = 2 * max(int((config.max_position_embeddings // C) ** 0.5), C)
    if nb > limit:
        return [2 ** (k // 2), 2 ** (k - k // 2)]
    return nb


def patch_generator(G):
    """Let per_layer_rotations handle num_buckets null (the shared version reads config.num_buckets)."""
    original = G.per_layer_rotations

    def per_layer_rotations(model, config, seq_len, seed):
        if config.num_buckets is not None:
            return original(model, config, seq_len, seed)
        nb = auto_num_buckets(config, padded_length(G, config, seq_len))
        g = G.torch.Generator().manual_seed(seed + 11)
        out = {}
        for idx, _mod in G.lsh_layers(model):
            rot = nb if isinstance(nb, int) else sum(nb)
            shape = (config.num_attention_heads, config.attention_head_size, config.num_hashes, rot // 2)
            out[idx] = G.torch.randn(shape, generator=g, dtype=G.torch.float32)
        return out

    G.per_layer_rotations = per_layer_rotations


def validate(G, v):
    """Fail early on a variant HF would reject, instead of deep inside build_fixture."""
    cfg = G.ReformerConfig(**v["config"])
    T = v["seq"]
    Tp = padded_length(G, cfg, T)
    if cfg.is_decoder:
        assert cfg.lsh_num_chunks_after == 0 and cfg.local_num_chunks_after == 0, \
            f"{v['slug']}: a causal LM needs *_num_chunks_after 0"
    if cfg.axial_pos_embds:
        assert sum(cfg.axial_pos_embds_dim) == cfg.hidden_size, f"{v['slug']}: axial dims must sum to hidden"
        assert math.prod(cfg.axial_pos_shape) >= Tp, f"{v['slug']}: axial shape too small for T={Tp}"
    else:
        assert Tp <= cfg.max_position_embeddings, f"{v['slug']}: T={Tp} > max_position_embeddings"
    if not v.get("forward_only"):
        assert Tp == T, f"{v['slug']}: HF auto-pads {T} -> {Tp} and refuses training; mark it forward_only"
        if cfg.axial_pos_embds:
            assert math.prod(cfg.axial_pos_shape) == T, \
                f"{v['slug']}: training needs prod(axial_pos_shape) == T={T}; mark it forward_only"
    if v.get("pad_last"):
        assert len(v["pad_last"]) == v["batch"], f"{v['slug']}: pad_last needs one entry per batch row"
    if cfg.hash_seed is None and not v.get("per_layer_rotations"):
        raise AssertionError(f"{v['slug']}: hash_seed null needs per_layer_rotations for determinism")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("slugs", nargs="*", help="variants to build (default: all)")
    ap.add_argument("--tools", default=DEFAULT_TOOLS, help="folder holding gen_hf_fixtures.py")
    ap.add_argument("--out", default=DEFAULT_OUT, help="output folder (one sub-folder per variant)")
    ap.add_argument("--list", action="store_true", help="list the variants and exit")
    args = ap.parse_args()

    G = load_generator(args.tools)
    patch_generator(G)
    G.transformers.logging.set_verbosity_error()
    all_variants = variants(G.BASE)
    if args.list:
        for v in all_variants:
            print(f"{v['slug']:26s} {v['description']}")
        return
    unknown = set(args.slugs) - {v["slug"] for v in all_variants}
    if unknown:
        sys.exit(f"unknown variants: {sorted(unknown)}")
    chosen = [v for v in all_variants if not args.slugs or v["slug"] in args.slugs]
    for v in chosen:
        validate(G, v)
    os.makedirs(args.out, exist_ok=True)
    for v in chosen:
        G.build_fixture(v, os.path.abspath(args.out))


if __name__ == "__main__":
    main()
