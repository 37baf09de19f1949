#!/usr/bin/env python3
"""Records how transformers reads the HF config fixtures (Tests/ReformerEngineTests/Fixtures/hf-configs).

For every <name>.json there (a config.json in a real model's shape) it writes <name>.hf.json:
  effective   the config as transformers' ReformerConfig loads it (to_dict: defaults applied,
              legacy keys kept as-is — the Swift test compares the keys the engine reads)
  parameters  the parameter count of ReformerModelWithLMHead built from it (on the meta device,
              so nothing is allocated)
The Swift ConfigInteropTests decode the same files and compare. Run with the project's Python
environment (transformers, torch):  python scripts/make_config_fixtures.py
"""
import json
import pathlib

import torch
import transformers
from transformers import ReformerConfig, ReformerModelWithLMHead

FOLDER = pathlib.Path(__file__).resolve().parent.parent / "Tests/ReformerEngineTests/Fixtures/hf-configs"


def main():
    for path in sorted(FOLDER.glob("*.json")):
        if path.name.endswith(".hf.json"):
            continue
        config = ReformerConfig.from_json_file(str(path))
        effective = config.to_dict()
        with torch.device("meta"):
            model = ReformerModelWithLMHead(config)
        count = sum(p.numel() for p in model.parameters())
        record = {
            "transformers": transformers.__version__,
            "parameters": count,
            "effective": {k: effective[k] for k in sorted(effective) if not k.startswith("_")},
        }
        out = path.with_name(path.stem + ".hf.json")
        out.write_text(json.dumps(record, indent=2, sort_keys=True, default=str) + "\n")
        print(f"{out.name}: {count} parameters, {len(record['effective'])} keys")


if __name__ == "__main__":
    main()
