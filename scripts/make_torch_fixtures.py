#!/usr/bin/env python3
"""Write the torch checkpoint fixtures under Tests/ReformerEngineTests/Fixtures/torch/.

The weights are those of the tiny-causal fixture (its model.safetensors), saved the ways
pytorch_model.bin files exist in the wild, each folder with a copy of tiny-causal/config.json:

    hf-zip/        a model loaded by transformers, saved as transformers 4.x's save_pretrained did
                   (torch.save of the state dict, zip format), plus the attention mask-value
                   buffers older transformers versions kept in the state dict (unused keys)
    legacy-f32/    torch.save(..., _use_new_zipfile_serialization=False): the torch < 1.6 format
    zip-f16/       zip format, every tensor float16
    sharded-bf16/  every tensor bfloat16, split in two shards (the first zip, the second legacy
                   format) listed by pytorch_model.bin.index.json
    views/         zip.bin, legacy.bin and zip-protocol4.bin: a hand-made state dict whose tensors
                   share one storage (slices, a transposed and a strided view, a 0-d element), a
                   Parameter, float64/int64/bool/float16 tensors, a tensor and a Parameter with
                   Python attributes, and a non-tensor entry

transformers 5.x no longer writes pytorch_model.bin (save_pretrained ignores
safe_serialization=False), hence torch.save for hf-zip; without transformers the script saves the
safetensors state dict directly and says so.  The tests compare every file with tiny-causal's
weights and run tiny-causal/expected.safetensors through the f32 ones.

    VENV/bin/python scripts/make_torch_fixtures.py [--out DIR]

Uses torch (2.15 here) and safetensors; transformers optional.  Deterministic: rerunning rewrites
the same tensors (torch's zip records carry a random serialization id, so bytes may differ).
"""

import argparse
import collections
import json
import os
import shutil

import torch
from safetensors.torch import load_file

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(REPO_ROOT, "Tests", "ReformerEngineTests", "Fixtures")
SOURCE = os.path.join(FIXTURES, "tiny-causal")


def source_state_dict(dtype=torch.float32):
    tensors = load_file(os.path.join(SOURCE, "model.safetensors"))
    return collections.OrderedDict((name, tensors[name].to(dtype)) for name in sorted(tensors))


def hf_state_dict():
    """The state dict of tiny-causal as transformers builds it, with the mask buffers appended."""
    try:
        from transformers import ReformerModelWithLMHead
    except ImportError:
        print("transformers is not installed: hf-zip holds the safetensors state dict instead")
        return source_state_dict()
    model = ReformerModelWithLMHead.from_pretrained(SOURCE)
    state = model.state_dict()
    for name, buffer in model.named_buffers():
        if "mask_value" in name:
            state[name] = buffer
    return state


def legacy(state, path):
    torch.save(state, path, _use_new_zipfile_serialization=False)


def folder(out, name):
    path = os.path.join(out, name)
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    shutil.copyfile(os.path.join(SOURCE, "config.json"), os.path.join(path, "config.json"))
    return path


def views_state_dict():
    base = torch.arange(24, dtype=torch.float32) * 0.25 - 2.0
    matrix = base.view(4, 6)
    # Tensors with Python attributes pickle through _rebuild_from_type_v2 / _rebuild_parameter_with_state,
    # as transformers 5 buffers (persistent, _is_buffer) and initialised weights (_is_hf_initialized) do.
    attributed = torch.tensor([4.0, -8.0])
    attributed._is_buffer = True
    tagged = torch.nn.Parameter(torch.tensor([1.25]))
    tagged._is_hf_initialized = True
    return collections.OrderedDict(
        [
            ("whole", base),
            ("slice", base[5:11]),
            ("matrix", matrix),
            ("transposed", matrix.t()),
            ("column", matrix[:, 2]),
            ("element", base[7]),
            ("empty", torch.zeros(0, 3)),
            ("parameter", torch.nn.Parameter(torch.tensor([[0.5, -1.5], [2.5, 3.0]]))),
            ("double", torch.tensor([1.5, -2.25], dtype=torch.float64)),
            ("long", torch.tensor([3, -4, 5], dtype=torch.int64)),
            ("flags", torch.tensor([True, False, True])),
            ("half", base[:4].to(torch.float16)),
            ("attributed", attributed),
            ("tagged_parameter", tagged),
            ("step", 7),
        ]
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=os.path.join(FIXTURES, "torch"))
    out = parser.parse_args().out
    os.makedirs(out, exist_ok=True)

    torch.save(hf_state_dict(), os.path.join(folder(out, "hf-zip"), "pytorch_model.bin"))
    legacy(source_state_dict(), os.path.join(folder(out, "legacy-f32"), "pytorch_model.bin"))
    torch.save(source_state_dict(torch.float16), os.path.join(folder(out, "zip-f16"), "pytorch_model.bin"))

    sharded = folder(out, "sharded-bf16")
    state = source_state_dict(torch.bfloat16)
    names = list(state)
    half = len(names) // 2
    shards = {
        "pytorch_model-00001-of-00002.bin": names[:half],
        "pytorch_model-00002-of-00002.bin": names[half:],
    }
    weight_map = {}
    for index, (shard, shard_names) in enumerate(shards.items()):
        part = collections.OrderedDict((name, state[name]) for name in shard_names)
        path = os.path.join(sharded, shard)
        (torch.save if index == 0 else legacy)(part, path)
        weight_map.update({name: shard for name in shard_names})
    total = sum(t.numel() * t.element_size() for t in state.values())
    with open(os.path.join(sharded, "pytorch_model.bin.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2, sort_keys=True)
        f.write("\n")

    views = os.path.join(out, "views")
    shutil.rmtree(views, ignore_errors=True)
    os.makedirs(views)
    torch.save(views_state_dict(), os.path.join(views, "zip.bin"))
    legacy(views_state_dict(), os.path.join(views, "legacy.bin"))
    torch.save(views_state_dict(), os.path.join(views, "zip-protocol4.bin"), pickle_protocol=4)

    # Every file must load back in torch's own safe mode (which knows no protocol-4 FRAME opcode, so
    # that one file, written just above, is loaded unrestricted).
    for root, _, files in os.walk(out):
        for name in files:
            if name.endswith(".bin"):
                torch.load(os.path.join(root, name), weights_only="protocol4" not in name)
    for root, _, files in sorted(os.walk(out)):
        for name in sorted(files):
            path = os.path.join(root, name)
            print(f"{os.path.relpath(path, REPO_ROOT)}: {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
